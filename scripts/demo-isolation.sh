#!/usr/bin/env bash
# A walkthrough of what each namespace isolates, for students; also an end-to-end test (CI runs
# it): every experiment checks what it shows and the script fails loudly if reality differs.
# Usage: scripts/demo-isolation.sh   (as root; NETLAB=path/to/netlab, DEMO_LAB=name to override)
set -euo pipefail

NETLAB=${NETLAB:-$(dirname "$0")/../netlab}
LAB=${DEMO_LAB:-demo}
bold=""; off=""
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m'; off=$'\033[0m'; fi

say()  { printf '\n%s== %s%s\n' "$bold" "$*" "$off"; }
run()  { local shown="$*"; printf '$ %s\n' "${shown/#$NETLAB/netlab}"; "$@"; }
fail() { echo "demo: FAILED: $*" >&2; exit 1; }
inside() { "$NETLAB" exec "$LAB/$1" -- "${@:2}"; }

cleanup() { "$NETLAB" down "$LAB" >/dev/null 2>&1 || true; }
trap cleanup EXIT

say "A lab: two networked hosts and one empty-netns control host"
run "$NETLAB" up 2 --name "$LAB" --empty 1

say "UTS: each host has its own hostname"
printf '$ netlab exec %s/h1 -- hostname\n' "$LAB"; h=$(inside h1 hostname); echo "$h"
[ "$h" = h1 ] || fail "hostname in h1 is '$h'"
echo "the real machine is still: $(hostname)"
[ "$(hostname)" != h1 ] || fail "the machine's hostname changed"

say "IPC: a message queue made in h1 exists only in h1"
printf '$ netlab exec %s/h1 -- ipcmk -Q\n' "$LAB"
key=$(inside h1 sh -c 'ipcmk -Q >/dev/null; ipcs -q' | awk '/^0x/ {print $1; exit}')
echo "h1 sees queue $key"
[ -n "$key" ] || fail "no queue in h1"
if ipcs -q | grep -q "$key"; then fail "the machine sees h1's queue"; fi
[ "$(inside h2 sh -c 'ipcs -q | grep -c ^0x || true')" = 0 ] || fail "h2 sees h1's queue"
echo "the real machine and h2 do not"

say "PID: inside, netlab's init is PID 1 and the shell's PID is small"
printf '$ netlab exec %s/h1 -- sh -c '\''echo $$; ps -e'\''\n' "$LAB"
out=$(inside h1 sh -c 'echo $$; ps -e'); echo "$out"
pid=$(echo "$out" | head -1)
[ "$pid" -lt 100 ] || fail "the shell's PID inside is $pid"
echo "$out" | grep -q netlab-init || fail "no netlab-init in h1's ps"

say "Mount: a mount made inside h1 is invisible outside; /proc shows only h1's processes"
printf '$ netlab exec %s/h1 -- sh -c '\''mkdir -p /tmp/m; mount -t tmpfs demo /tmp/m; findmnt /tmp/m'\''\n' "$LAB"
inside h1 sh -c 'mkdir -p /tmp/m; mount -t tmpfs demo /tmp/m; findmnt -n /tmp/m'
if findmnt /tmp/m >/dev/null; then fail "the mount is visible on the machine"; fi
echo "on the machine: findmnt /tmp/m finds nothing"

say "User: root inside is an ordinary uid outside"
printf '$ netlab exec %s/h1 -- id\n' "$LAB"; inside h1 id
hpid=$("$NETLAB" status "$LAB" | awk '$1 == "h1" {print $2; exit}')
outside=$(awk '/^Uid:/ {print $2}' "/proc/$hpid/status")
echo "outside, h1's PID 1 ($hpid) runs as uid $outside"
[ "$outside" != 0 ] || fail "root inside is root outside"
inside h1 sh -c 'echo x > /etc/netlab-demo-probe' 2>/dev/null || true
[ ! -e /etc/netlab-demo-probe ] || fail "root in h1 wrote the machine's /etc"
echo "root in h1 writes its own copy of /etc (its own root): the machine's /etc is untouched"

say "Network: h1 has lo and eth0; the empty host has only lo, down; the machine has its own"
printf '$ netlab exec %s/h1 -- ip -br addr\n' "$LAB"; inside h1 ip -br addr
printf '$ netlab exec %s/e1 -- ip -br addr\n' "$LAB"; inside e1 ip -br addr
[ "$(inside e1 ip -br link | wc -l)" = 1 ] || fail "e1 has more than lo"
printf '$ ip -br addr   # the real machine\n'; ip -br addr
run "$NETLAB" exec "$LAB/h1" -- ping -c1 -W2 h2
if inside e1 ping -c1 -W1 h1 >/dev/null 2>&1; then fail "e1 reached h1"; fi
echo "e1 reaches nobody"

say "All of it at once"
run "$NETLAB" compare "$LAB/h1"
run "$NETLAB" verify "$LAB" | tail -1
run "$NETLAB" pingall "$LAB"

say "Tear down: nothing is left"
run "$NETLAB" down "$LAB"
trap - EXIT
if ip -o link | grep -q " alias netlab:$LAB:"; then fail "interfaces left"; fi	# (named nlN-...)
if [ -e "/run/netlab/$LAB" ] || ls /run/netns 2>/dev/null | grep -q "^$LAB-"; then fail "state left"; fi
echo "demo: all six namespaces behaved as described"

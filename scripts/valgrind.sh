#!/usr/bin/env bash
# valgrind --leak-check=full over up, status, pingall, verify, down of a real lab and of a topology: no
# definite leak and no memory error may be reported. Hosts are forked from `up` and so run under
# valgrind too; valgrind's log goes to files (a pipe would be held open by the hosts).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
NETLAB=${NETLAB:-$here/../netlab}
LAB=tvg
TOPO=tvgf
logs=$(mktemp -d)
trap '"$NETLAB" down "$LAB" >/dev/null 2>&1 || true; "$NETLAB" down "$TOPO" >/dev/null 2>&1 || true
      rm -rf "$logs"' EXIT
vg() { local name=$1; shift; valgrind --leak-check=full --errors-for-leak-kinds=definite \
	--error-exitcode=99 --log-file="$logs/$name.%p" -q "$NETLAB" "$@"; }

# --fs shared: valgrind 3.19 has no open_tree/mount_setattr (syscalls 428, 442), which a host's
# own root needs; a shared root is staged with mount(2) alone
vg up up 2 --name "$LAB" -q --fs shared
vg status status "$LAB" >/dev/null
vg json status "$LAB" --json >/dev/null
vg pingall pingall "$LAB" -W 2 >/dev/null 2>&1 || true	# valgrind lacks pidfd_open: hosts look dead
vg verify verify "$LAB" -W 1 >/dev/null 2>&1 || true
vg down down "$LAB" >/dev/null
# a topology file: libyaml, segments, routers, routes
vg upf up -f "$here/../examples/two-subnets.yaml" --name "$TOPO" -q --fs shared
vg statusf status "$TOPO" --json >/dev/null
vg downf down "$TOPO" >/dev/null
sleep 0.5
# the logs of the processes that ran to their end (hosts were killed, so theirs say nothing)
bad=0
for f in "$logs"/*; do
	if grep -qE 'definitely lost: [1-9]|Invalid (read|write|free)|uninitialised|unaddressable' "$f"; then
		echo "valgrind: report in $(basename "$f"):" >&2; grep -v 'unhandled amd64-linux syscall: 434\|write your own handler\|README_MISSING\|Nevertheless we consider\|valgrind.org/support' "$f" >&2; bad=1
	fi
done
[ $bad = 0 ] || exit 1
echo "valgrind: up, status, status --json, pingall, verify, down, up -f: no definite leak, no memory error"

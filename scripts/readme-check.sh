#!/usr/bin/env bash
# The README against behaviour: runs the commands the README shows, on real labs, and compares what
# matters — exit codes, the shape of the output (key lines, with times, PIDs, MACs, inodes and
# addresses as wildcards), and the messages of the bad-input table, which it reads from the README
# itself. Each checked claim is one small entry below (claim ... / row ...), easy to update when a
# message or an output changes; the claim's readme= text must still be in README.md, so the entry
# and the README cannot drift apart silently.
#
# Labs: the README's own names (lab "lab", h1, `netlab down`) when no lab is up, else its own
# name (rmck) with LAB/HOST everywhere. Brings down whatever it brought up, also on failure, and
# checks with scripts/check-clean.sh that the machine is as before. Run as root, under the machine
# lock on a shared machine:  flock /tmp/netlab-machine.lock scripts/readme-check.sh
#   scripts/readme-check.sh [-v]      (-v: print every claim, not only failures)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
NETLAB=${NETLAB:-$ROOT/netlab}
README=$ROOT/README.md
VERBOSE=0
[ "${1:-}" = -v ] && VERBOSE=1
[ "$(id -u)" = 0 ] || { echo "readme-check: run as root" >&2; exit 1; }
[ -x "$NETLAB" ] || { echo "readme-check: no netlab binary at $NETLAB (make netlab)" >&2; exit 1; }

TMP=$(mktemp -d)
pass=0 fail=0 known=0 xpass=0 skipped=0
UP=()	# labs this script brought up
cleanup() {
	local l
	restore_state
	[ -n "${L:-}" ] && tmux kill-session -t "netlab-$L" 2>/dev/null
	for l in "${UP[@]}"; do "$NETLAB" down "$l" >/dev/null 2>&1 || true; done
	rm -rf "$TMP"
}
# the bad-input rows below damage a lab's state on purpose; this puts it back (also from the trap)
restore_state() {
	local d=/run/netlab/${L:-}
	[ -n "${L:-}" ] && [ -f "$TMP/state" ] && [ -d "$d" ] || return 0
	chmod 0700 "$d"
	rm -f "$d/state" "$d/state.real"
	cp -p "$TMP/state" "$d/state"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if [ -z "$(ls -A /run/netlab 2>/dev/null)" ]; then
	L=lab HP=""		# the README's own names: `netlab exec h1`, `netlab down`
else
	L=rmck HP="rmck/"
	echo "readme-check: labs are up ($(ls /run/netlab | tr '\n' ' ')): using lab '$L' and LAB/HOST names"
fi
./scripts/check-clean.sh snapshot "$TMP/clean" || exit 1

# ----------------------------------------------------------------------------------- machinery

# Patterns are extended regular expressions over whole lines, with these wildcards:
#   @N a number, @F a decimal, @IP4 an IPv4 address, @IP6 an IPv6 address, @MAC a MAC,
#   @L the lab's name, @H the host prefix ("" or "LAB/").
expand() {
	local p=$1 ip4='[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+' ip6='[0-9a-f:]+' mac='[0-9a-f]{2}(:[0-9a-f]{2}){5}'
	local dec='[0-9]+\.[0-9]+' num='[0-9]+'
	p=${p//@IP4/$ip4}
	p=${p//@IP6/$ip6}
	p=${p//@MAC/$mac}
	p=${p//@F/$dec}
	p=${p//@N/$num}
	p=${p//@L/$L}
	p=${p//@H/$HP}
	printf '%s' "$p"
}

# One outcome. A claim marked known=ISSUE is a README claim that the code does not meet yet (the
# issue says who fixes what): it is reported, not failed, and reported again when it starts to pass
# so that the mark is removed.
outcome() {	# name ok(0/1) known detail
	local name=$1 ok=$2 kn=$3 detail=$4
	if [ "$ok" = 0 ] && [ -z "$kn" ]; then
		pass=$((pass + 1)); [ "$VERBOSE" = 1 ] && echo "ok    $name"
	elif [ "$ok" = 0 ]; then
		xpass=$((xpass + 1)); echo "XPASS $name: passes now; remove known=$kn from its entry"
	elif [ -n "$kn" ]; then
		known=$((known + 1)); echo "known $name (issue $kn): $detail"
	else
		fail=$((fail + 1)); echo "FAIL  $name: $detail"
	fi
}

skip() { skipped=$((skipped + 1)); echo "skip  $1: $2"; }

# claim NAME [readme=TEXT]... [exit=N] [want=RE]... [nowant=RE]... [err=RE]... [in=DIR] [stdin=TEXT]
#       [known=ISSUE] -- COMMAND...
# Runs COMMAND (netlab is $NETLAB); every want= must match a line of stdout, no nowant= may, every
# err= must match a line of stderr; the exit code must be exit= (default 0).
claim() {
	local name=$1; shift
	local -a readme=() want=() nowant=() errw=()
	local ex=0 kn="" dir=$ROOT stdin="" a why="" r
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		case "$1" in
		readme=*) readme+=("${1#readme=}") ;;
		exit=*) ex=${1#exit=} ;;
		want=*) want+=("$(expand "${1#want=}")") ;;
		nowant=*) nowant+=("$(expand "${1#nowant=}")") ;;
		err=*) errw+=("$(expand "${1#err=}")") ;;
		known=*) kn=${1#known=} ;;
		in=*) dir=${1#in=} ;;
		stdin=*) stdin=${1#stdin=} ;;
		*) echo "readme-check: bad claim field '$1' in '$name'" >&2; exit 2 ;;
		esac
		shift
	done
	shift
	for a in "${readme[@]}"; do
		grep -qF -- "$a" "$README" || { outcome "$name" 1 "" "the README no longer says: $a (update this entry)"; return; }
	done
	(cd "$dir" && printf '%s' "$stdin" | "$@") > "$TMP/out" 2> "$TMP/err"
	r=$?
	[ "$r" = "$ex" ] || why="exit $r, not $ex; "
	for a in "${want[@]}"; do grep -qE -- "^$a\$" "$TMP/out" || why+="no line /$a/; "; done
	for a in "${nowant[@]}"; do grep -qE -- "^$a\$" "$TMP/out" && why+="a line /$a/; "; done
	for a in "${errw[@]}"; do grep -qE -- "^$a\$" "$TMP/err" || why+="no stderr line /$a/; "; done
	[ -z "$why" ] || why+="stdout: $(head -c 600 "$TMP/out" | tr '\n' '|') stderr: $(head -c 300 "$TMP/err" | tr '\n' '|')"
	outcome "$name" "$([ -z "$why" ] && echo 0 || echo 1)" "$kn" "$why"
}
NL() { "$NETLAB" "$@"; }

# The bad-input table, from the README: the row whose input cell is $1 gives the message and the
# exit code. Every row must have an entry (row ...) or a reason it is not run (norow ...).
declare -A ROWDONE=()
table_rows() {	# input cells of the table, one a line
	awk '/^### Bad input/ { on = 1; next } on && /^#/ { on = 0 } on && /^\| / && !/^\| input/ && !/^\| ---/' "$README" |
		awk -F' \\| ' '{ sub(/^\| /, "", $1); print $1 }'
}
row_field() {	# input-cell column(2: says, 3: exit)
	awk '/^### Bad input/ { on = 1; next } on && /^#/ { on = 0 } on' "$README" |
		awk -F' \\| ' -v k="$1" -v c="$2" '{ i = $1; sub(/^\| /, "", i) } i == k { v = $c; sub(/ \|$/, "", v); print v; exit }'
}

# row INPUT-CELL [say=TEXT] [sub=FROM/TO]... [lab=NAME] [in=DIR] [user=UID] [known=ISSUE] -- ARGS...
# Runs netlab ARGS; stdout must be empty; stderr is `netlab: MESSAGE` where MESSAGE holds the
# README's text (its `...` and `<what>` parts are wildcards; X is the lab's name), and, for exit 2,
# a second line `Try 'netlab [CMD ]--help' for more information.`; exit 1 has that one line only.
row() {
	local cell=$1; shift
	local say="" kn="" dir=$ROOT labname=$L user="" why="" r
	local -a subs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		case "$1" in
		say=*) say=${1#say=} ;;
		sub=*) subs+=("${1#sub=}") ;;
		lab=*) labname=${1#lab=} ;;
		in=*) dir=${1#in=} ;;
		user=*) user=${1#user=} ;;
		known=*) kn=${1#known=} ;;
		*) echo "readme-check: bad row field '$1'" >&2; exit 2 ;;
		esac
		shift
	done
	shift
	ROWDONE[$cell]=1
	local readme_says ex
	readme_says=$(row_field "$cell" 2)
	ex=$(row_field "$cell" 3 | tr -d ' |')
	if [ -z "$readme_says" ]; then
		outcome "bad input: $cell" 1 "" "no such row in the README's bad-input table (update this entry)"
		return
	fi
	[ -n "$say" ] || say=$(sed -E 's/^`//; s/` \(see .*$//; s/`$//' <<<"$readme_says")
	local s
	for s in "${subs[@]}"; do say=${say//"${s%%/*}"/"${s#*/}"}; done
	say=$(sed -E "s/\bX\b/$labname/g" <<<"$say")
	# literal fragments between the wildcards, in order
	local re="" frag
	while IFS= read -r frag; do
		re+="$(sed -E 's/[][\.^$*+?(){}|/]/\\&/g' <<<"$frag").*"
	done < <(sed -E 's/\.\.\.|<[a-z]+>/\n/g' <<<"$say" | sed '/^ *$/d; s/^ //; s/ $//')
	if [ -n "$user" ]; then
		(cd "$dir" && setpriv --reuid "$user" --regid "$user" --clear-groups "$NETLAB" "$@") > "$TMP/out" 2> "$TMP/err" < /dev/null
	else
		(cd "$dir" && "$NETLAB" "$@") > "$TMP/out" 2> "$TMP/err" < /dev/null
	fi
	r=$?
	[ "$r" = "$ex" ] || why+="exit $r, not $ex; "
	[ -s "$TMP/out" ] && why+="stdout is not empty; "
	head -1 "$TMP/err" | grep -qE -- "^netlab: .*$re" || why+="the message is not /$re/; "
	if [ "$ex" = 2 ]; then
		[ "$(wc -l < "$TMP/err")" = 2 ] && sed -n 2p "$TMP/err" | grep -qE "^Try 'netlab ([a-z]+ )?--help' for more information\.$" ||
			why+="not a message and a Try line; "
	else
		[ "$(wc -l < "$TMP/err")" = 1 ] || why+="not one line; "
	fi
	[ -z "$why" ] || why+="stderr: $(tr '\n' '|' < "$TMP/err")"
	outcome "bad input: $cell ($*)" "$([ -z "$why" ] && echo 0 || echo 1)" "$kn" "$why"
}
norow() { ROWDONE[$1]=1; skip "bad input: $1" "$2"; }

up_lab() {	# NAME ARGS...: bring a lab up quietly, remembered for the trap
	local name=$1; shift
	UP+=("$name")
	"$NETLAB" up --name "$name" -q "$@" > /dev/null 2> "$TMP/uperr" ||
		{ echo "readme-check: could not bring up lab $name: $(cat "$TMP/uperr")" >&2; exit 1; }
}
down_lab() { "$NETLAB" down "$1" > /dev/null 2>&1; }

# ------------------------------------------------------------------------ without a lab: usage

claim "--version prints the version" readme='`netlab --version` prints the version' \
	want='netlab @N\.@N\.@N' -- NL --version
claim "--help lists the commands" readme='Every command has `--help`' \
	want='Usage: netlab COMMAND \[ARGS\.\.\.\]' want='  up .*' want='  doctor .*' -- NL --help

# The bad-input rows that need no lab change nothing on the machine either.
./scripts/check-clean.sh snapshot "$TMP/usage" > /dev/null
mkdir -p "$TMP/files"
printf 'segments:\n  lan1: {}\nhosts:\n  h1:\n    links: [lan1]\n  h3:\n    links: [lan9]\n' > "$TMP/files/lab.yaml"
# files:, sysctls:, exec: (hostsetup): a tree, a sysctl the kernel lacks, a command that fails
mkdir -p "$TMP/files/r1/etc"
printf 'segments:\n  lan: {}\nhosts:\n  r1:\n    links: [lan]\n    files: r1\n' > "$TMP/files/files.yaml"
printf 'name: rmcks\nsegments:\n  lan: {}\nhosts:\n  h1:\n    links: [lan]\n    sysctls: {net.ipv4.conf.eth9.rp_filter: 1}\n' > "$TMP/files/sysctl.yaml"
printf 'name: rmcke\nsegments:\n  lan: {}\nhosts:\n  r1:\n    links: [lan]\n    exec:\n      - echo starting\n      - ip link set eth0 mtu 99999\n      - echo never\n' > "$TMP/files/exec.yaml"
row '`netlab frobnicate`' -- frobnicate
row '`netlab up --bogus`' -- up --bogus
row '`netlab up --name`' -- up --name
row '`netlab up 0`, `up abc`, `up 99999`' -- up 0
row '`netlab up 0`, `up abc`, `up 99999`' sub="'0'/'abc'" -- up abc
row '`netlab up 0`, `up abc`, `up 99999`' sub="'0'/'99999'" -- up 99999
row '`netlab up labs/nosuch`' -- up labs/nosuch
row '`netlab up README.md`' -- up README.md
row '`netlab up -1`' -- up -1
row '`netlab up --subnet banana`' -- up --subnet banana
row '`netlab up --subnet 10.0.0.0/33`' -- up --subnet 10.0.0.0/33
row '`netlab up --subnet 10.1.2.3/24`' -- up --subnet 10.1.2.3/24
row '`netlab up --subnet 8.8.8.0/24`' -- up --subnet 8.8.8.0/24
row '`netlab up --subnet6 2001:db8::/64`' -- up --subnet6 2001:db8::/64
row '`netlab up --subnet6 fd00::/64 --no-ipv6`' -- up --subnet6 fd00::/64 --no-ipv6
row '`netlab up --mtu 67`, `--mtu 9k`' -- up --mtu 67
row '`netlab up --mtu 67`, `--mtu 9k`' sub="'67'/'9k'" -- up --mtu 9k
row '`netlab up --mtu 1000`' -- up --mtu 1000
row '`netlab up -f lab.yaml 3`' in="$TMP/files" -- up -f lab.yaml 3
row 'a topology file with a mistake' in="$TMP/files" -- up -f lab.yaml
row '`netlab up -f missing.yaml`' in="$TMP/files" -- up -f missing.yaml
row '`files:` with `--fs shared`' in="$TMP/files" -- up -f files.yaml --fs shared
row '`netlab up --exec-timeout 0`' -- up --exec-timeout 0
row '`netlab verify --wait 0`, `--wait 5m`' -- verify --wait 0
row '`netlab verify --wait 0`, `--wait 5m`' sub="'0'/'5m'" -- verify --wait 5m
row '`netlab up 300 --subnet 10.99.0.0/24`' -- up 300 --subnet 10.99.0.0/24
row '`--name abcdefghijklmnopq`' -- up --name abcdefghijklmnopq
row '`--name a-b`' -- up --name a-b
row '`netlab exec Web -- true`' -- exec Web -- true
row "\`--name a/b\`, \`'a b'\`, \`'a;b'\`, \`..\`" -- up --name a/b
row "\`--name a/b\`, \`'a b'\`, \`'a;b'\`, \`..\`" say="lab name 'a b'" -- up --name 'a b'
row "\`--name a/b\`, \`'a b'\`, \`'a;b'\`, \`..\`" say="lab name 'a;b'" -- up --name 'a;b'
row "\`--name a/b\`, \`'a b'\`, \`'a;b'\`, \`..\`" say="lab name '..'" -- up --name ..
row '`netlab exec ../h1 -- true`' -- exec ../h1 -- true
row '`netlab exec h1`' -- exec h1
if setpriv --reuid 65534 --regid 65534 --clear-groups test -x "$NETLAB" 2>/dev/null; then
	row 'not root' user=65534 -- up
else
	norow 'not root' "user 65534 cannot run $NETLAB from here"
fi
norow 'user namespaces disabled' "it would change the machine-wide sysctl user.max_user_namespaces"
# a private IPv4 route of this machine, if it has one (netlab refuses subnets overlapping it)
route=$(ip -4 route show | awk '$1 ~ /^(10\.|192\.168\.|172\.(1[6-9]|2[0-9]|3[01])\.)/ && $1 ~ /\/([89]|[12][0-9]|30)$/ { print $1; exit }')
if [ -n "$route" ]; then
	row '`--subnet` overlapping a route' sub="10.99.5.0/24/$route" say="subnet $route overlaps the route ... on this machine: choose another --subnet" -- up --name rmcko --subnet "$route"
else
	norow '`--subnet` overlapping a route' "this machine has no private IPv4 route to overlap"
fi
# Names: the README's two refusals, each on line 6 of a lab.yaml
mkdir -p "$TMP/names1" "$TMP/names2"
printf 'segments:\n  lan: {}\nhosts:\n  h1: { links: [lan] }\n  h2: { links: [lan] }\n  Webserver: { links: [lan] }\n' > "$TMP/names1/lab.yaml"
printf 'segments:\n  lan: {}\nhosts:\n  h1: { links: [lan] }\n  h2: { links: [lan] }\n  abcdefghijklmnopqrstuvwxyz-012_34: { links: [lan] }\n' > "$TMP/names2/lab.yaml"
claim "Names: a host name with a capital is refused, with file and line" \
	readme="netlab: lab.yaml:6: host name \"Webserver\" has 'W': host names are lowercase (use lowercase letters, digits, '-' and '_')" \
	exit=2 err="netlab: lab\.yaml:6: host name \"Webserver\" has 'W': host names are lowercase \(use lowercase letters, digits, '-' and '_'\)" \
	in="$TMP/names1" -- NL up -f lab.yaml
claim "Names: a host name of 33 is refused, with file and line" \
	readme='netlab: lab.yaml:6: host name "abcdefghijklmnopqrstuvwxyz-012_34" is 33 characters; at most 32' \
	exit=2 err='netlab: lab\.yaml:6: host name "abcdefghijklmnopqrstuvwxyz-012_34" is 33 characters; at most 32' \
	in="$TMP/names2" -- NL up -f lab.yaml

[ "$L" = lab ] && claim "status with no lab" want="no lab is up.*" -- NL status
claim "down of a lab that is not up: nothing to do, exit 0" \
	readme='A second `down` says there is nothing to' \
	want='lab "@L" is not up: nothing to do' -- NL down "$L"
claim "clean with nothing left over" want='nothing to clean' -- NL clean
if ./scripts/check-clean.sh compare "$TMP/usage" > "$TMP/cc" 2>&1; then
	outcome "bad input changes nothing on the machine" 0 "" ""
else
	outcome "bad input changes nothing on the machine" 1 "" "$(cat "$TMP/cc")"
fi

# ------------------------------------------------------------------ make up: `netlab up 2`

UP+=("$L")
claim "make up ends with the lab's summary" \
	readme='lab "lab" up: 2 hosts + 1 empty on bridge nl1-b1 (10.77.1.0/24, fd4e:4c00:1:1::/64), 7 ms' \
	want='lab "@L" up: 2 hosts \+ 1 empty on bridge nl@N-b1 \(@IP4/24, @IP6/64\), @N ms' \
	want='  HOST +PID +IF +ADDRESSES +NAMESPACES' \
	want='  h1 +@N +eth0 @IP4/24 @IP6/64 +uts ipc pid mnt user net' \
	want='  h2 +@N +eth0 @IP4/24 @IP6/64 +uts ipc pid mnt user net' \
	want='  e1 +@N +- +- +uts ipc pid mnt user net \(empty netns\)' \
	want='Next: .*shell .*h1.*' -- NL up 2 $([ "$L" = lab ] || echo --name "$L")
[ -d "/run/netlab/$L" ] || { echo "readme-check: lab $L did not come up; stopping" >&2; exit 1; }

# Every command the Next: line prints works when pasted into a shell (issue 18), `down` aside.
grep '^Next: ' "$TMP/out" | sed 's/^Next: //' | tr '|' '\n' | sed 's/^ *//; s/ *$//' | grep -v ' down' > "$TMP/next"
while IFS= read -r c; do
	claim "printed hint works when pasted: $c" -- bash -c "$c < /dev/null > /dev/null"
done < "$TMP/next"

claim "exec h1 -- ip addr: lo and eth0 with the lab's addresses" \
	readme='$ netlab exec h1 -- ip addr' \
	want='2: eth0@if@N: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu @N .*state UP.*' \
	want='    link/ether @MAC brd ff:ff:ff:ff:ff:ff link-netnsid 0' \
	want='    inet @IP4/24 .*scope global eth0' \
	want='    inet6 fd4e:@IP6/64 scope global nodad ?' \
	want='    inet6 fe80::@IP6/64 scope link ?' \
	nowant='3: .*' -- NL exec "${HP}h1" -- ip addr
claim "exec e1 -- ip addr: only lo, down" readme='$ netlab exec e1 -- ip addr          # the control' \
	want='1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN.*' nowant='2: .*' -- NL exec "${HP}e1" -- ip addr
claim "exec h1 -- ping -c1 h2 by name, over IPv6" readme='$ netlab exec h1 -- ping -c1 h2' \
	want='PING h2\(h2 \(@IP6\)\) 56 data bytes' want='64 bytes from h2 \(@IP6\): icmp_seq=1 ttl=64 time=@F ms' \
	-- NL exec "${HP}h1" -- ping -c1 h2
claim "exec passes the exit code through" readme="netlab's exit status is the command's" exit=7 \
	-- NL exec "${HP}h1" -- sh -c 'exit 7'
claim "exec: 128+N when killed by signal N" readme='128+N if' exit=143 \
	-- NL exec "${HP}h1" -- sh -c 'kill -TERM $$'
claim "exec: 127 when the command is not found" readme='127 if it was not found' exit=127 \
	-- NL exec "${HP}h1" -- nosuchcommand-rmck
claim "exec runs in /tmp, which is \$HOME" readme='in its `/tmp` (which is also' \
	want='/tmp /tmp' -- NL exec "${HP}h1" -- sh -c 'echo "$PWD $HOME"'
claim "systemctl start bind9 runs named's init script (Debian's unit alias)" \
	readme='$ netlab exec h1 -- systemctl start bind9' want='Starting domain name service\.\.\.: named\.' \
	-- NL exec "${HP}h1" -- sh -c 'systemctl start bind9 && pidof named >/dev/null && systemctl stop named >/dev/null'
claim "systemctl daemon-reload says in one line that there is no systemd" \
	readme='$ netlab exec h1 -- systemctl daemon-reload' exit=1 \
	err="systemctl daemon-reload: no systemd in this netlab host; use 'systemctl start\\|stop\\|restart\\|status NAME', 'service NAME start' or /etc/init\\.d/NAME start" \
	-- NL exec "${HP}h1" -- systemctl daemon-reload
claim "PID 1 is netlab-init LAB/h1" readme='PID 1 `netlab-init LAB/h1`' \
	want='netlab-init @L/h1' -- NL exec "${HP}h1" -- ps -o args= -p 1
claim "shell opens a shell inside the host" readme='### `netlab shell HOST`' stdin='hostname; exit 3' exit=3 \
	want='h1' -- NL shell "${HP}h1"
claim "UTS: hostname is h1" readme='`netlab exec h1 -- hostname` → `h1`' want='h1' -- NL exec "${HP}h1" -- hostname
claim "user: root inside" readme='`netlab exec h1 -- id -u` → `0`' want='0' -- NL exec "${HP}h1" -- id -u
claim "IPC: one queue inside, not on h2" readme="\`netlab exec h1 -- sh -c 'ipcmk -Q; ipcs -q'\` shows one queue" \
	want='0x[0-9a-f]+ +0 +root +644 +0 +0 *' -- NL exec "${HP}h1" -- sh -c 'ipcmk -Q >/dev/null; ipcs -q'
claim "IPC: h2 does not see h1's queue" nowant='0x[0-9a-f]+ .*' -- NL exec "${HP}h2" -- ipcs -q
claim "ip netns exec LAB-h1 works" readme='so `ip netns exec lab-h1' \
	want='eth0@if@N +UP +@IP4/24 .*' -- ip netns exec "$L-h1" ip -br addr

claim "status: one block per host" readme='  HOST   PID      STATE  IF   MAC                ADDRESSES' \
	want='lab "@L" up: 2 hosts \+ 1 empty on bridge nl@N-b1 \(@IP4/24, @IP6/64\), 3 hosts' \
	want='  HOST +PID +STATE +IF +MAC +ADDRESSES' \
	want='  h1 +@N +alive +eth0 @MAC  @IP4/24 @IP6/64 fe80::@IP6/64' \
	want='         links: lo\(up\) eth0\(up\); own root' \
	want='         ns user:@N mnt:@N pid:@N net:@N uts:@N ipc:@N' \
	want='  e1 +@N +alive +- +- +\(empty netns: lo only\)' \
	want='         links: lo\(down\); own root' -- NL status "$L"
# JSON: whitespace removed, then each documented key on its own (json-c or not, any key order)
jkeys=()
for k in '"version":2' '"labs":\[\{' '"name":"@L"' '"state":"up"' '"from_file":false' '"segments":\[\{' \
	'"bridge":"nl@N-b1"' '"subnet":"@IP4/24"' '"subnet6":"@IP6/64"' '"hosts":\[\{' '"name":"h1"' \
	'"kind":"host"' '"kind":"empty"' '"pid":@N' '"alive":true' '"netns":"/run/netns/@L-h1"' \
	'"interfaces":\[\{' '"interfaces":\[\]' '"segment":"lan"' '"veth":"nl@N-h1"' '"address":"@IP4/24"' \
	'"address6":"@IP6"' '"mac":"@MAC"' '"up":true' '"addresses":\["@IP4/24","@IP6/64","fe80::@IP6/64"\]' \
	'"shaping":null' '"routes":\[' '"namespaces":\{' '"user":@N' '"mnt":@N' '"pid":@N' '"net":@N' \
	'"uts":@N' '"ipc":@N' '"cgroup":@N' '"time":@N'; do
	jkeys+=("want=.*$k.*")
done
claim "status --json: version 2 and the documented keys" readme='"version": 2' "${jkeys[@]}" \
	-- bash -c "'$NETLAB' status '$L' --json | tr -d ' \n\t'"
claim "compare h1: isolated, cgroup/time shared (not requested), exit 0" \
	readme='when it did not ask for them, and the exit code stays 0' \
	want='compare h1 \(lab "@L"\) with the real machine and e1 \(empty netns\)' \
	want='NS +EXERCISE +REAL MACHINE +h1 +e1 +VERDICT' \
	want='uts +hostname +.* +h1 +e1 +isolated' \
	want='net +ip -br addr +.* +2 if, @IP4 +1 if, lo only +isolated' \
	want='NS +INODE OF +REAL MACHINE +h1 +e1 +VERDICT' \
	want='user +ns/user +@N +@N +@N +isolated' \
	want='cgroup +ns/cgroup +@N +@N +@N +shared \(not requested\)' \
	want='time +ns/time +@N +@N +@N +shared \(not requested\)' -- NL compare "${HP}h1"
claim "verify: all pass on a fresh lab, exit 0" readme='ends with `N passed, M failed`; exit 0 only when all pass' \
	want='PASS  h1   running +pid @N' want='PASS  e1   reaches nobody .*' want='@N passed, 0 failed' nowant='FAIL.*' \
	-- NL verify "$L"
claim "pingall: the matrix, as expected, exit 0" readme='Exit 0 when reality matches' \
	want='pingall lab "@L": 2/6 pairs reachable \(2 expected\), as expected, @F s' \
	want='  from\\to h1 +h2 +e1 *' want='  h1 +- +ok +x *' want='  e1 +x +x +- *' -- NL pingall "$L"
claim "link --rate: both directions" readme='h1: rate 20 Mbit/s in both directions (eth0 and nl1-h1)' \
	want='h1: rate 20 Mbit/s in both directions \(eth0 and nl@N-h1\)' -- NL link "${HP}h1" --rate 20mbit
claim "status shows the shaping" readme='MACs, links, addresses, shaping, routes and forwarding are read live' want=' +shaping: rate 20 Mbit/s' -- NL status "$L"
if grep -q '^ *warn  netem' < <("$NETLAB" doctor 2>/dev/null); then
	claim "link --delay without netem: exit 1, nothing changed" \
		readme="netlab: host h1: delay/loss need the kernel's netem qdisc (CONFIG_NET_SCH_NETEM), which this kernel lacks; --rate still works" \
		exit=1 err="netlab: host h1: delay/loss need the kernel's netem qdisc \(CONFIG_NET_SCH_NETEM\), which this kernel lacks; --rate still works" \
		-- NL link "${HP}h1" --delay 20ms
else
	claim "link --delay with netem" -- NL link "${HP}h1" --delay 20ms
fi
claim "link --clear" readme='`--clear` removes it' -- NL link "${HP}h1" --clear

if command -v tmux > /dev/null; then
	claim "console -d: a tmux session with one window per host" \
		readme='`-d` creates it without attaching (`tmux attach -t netlab-lab` later)' \
		want='console netlab-@L ready: tmux attach -t netlab-@L' -- NL console "$L" -d
	claim "console: the windows are named after the hosts" want='h1' want='h2' want='e1' \
		-- tmux list-windows -t "netlab-$L" -F '#{window_name}'
	tmux kill-session -t "netlab-$L" 2>/dev/null
fi

# bash completion: lab and host names of the lab that is up
claim "completion offers the lab's hosts" \
	want="(@H)?h1" want="(@H)?e1" -- bash -c "source completion/netlab.bash; COMP_WORDS=(netlab exec '$HP'); COMP_CWORD=2; _netlab; printf '%s\n' \"\${COMPREPLY[@]}\""
claim "completion offers the lab's name" \
	want="@L" -- bash -c "source completion/netlab.bash; COMP_WORDS=(netlab down ''); COMP_CWORD=2; _netlab; printf '%s\n' \"\${COMPREPLY[@]}\""

# bad input that needs a lab
row 'the same lab twice' -- up 1 --name "$L"
row '`netlab exec h9 -- true` (no such host)' sub="'lab'/'$L'" -- exec "${HP}h9" -- true
row '`netlab logs h1` (no `exec:` ran in h1)' -- logs "${HP}h1"
row '`netlab graph -o /nonexistent/x.svg` (a lab up)' -- graph "$L" -o /nonexistent/x.svg
row '`netlab link h1 --iface eth7 --rate 10mbit`' -- link "${HP}h1" --iface eth7 --rate 10mbit
row '`netlab exec h1 --bogus -- true`' -- exec "${HP}h1" --bogus -- true
row '`netlab exec h1 -e 1X=y -- true`' -- exec "${HP}h1" -e 1X=y -- true
row '`netlab exec h1 -- nosuchcmd`' sub="h1/${HP}h1" say="cannot run 'nosuchcmd': command not found (PATH=/usr/local/sbin:...)" -- exec "${HP}h1" -- nosuchcmd
norow '`ip netns add t9-h1; netlab up --name t9`' "it would add a network namespace to the machine; tests/test_up.c runs it"
norow '`netlab down` with several labs up' "it needs two labs up and no other; tests/test_down.c runs it in a private /run"
sub=$(awk '$1 == "segment" { print $4; exit }' "/run/netlab/$L/state")
row '`--subnet` overlapping another lab' lab=rmcko -- up 1 --name rmcko --subnet "$sub"
down_lab rmcko
cp -p "/run/netlab/$L/state" "$TMP/state"
echo garbage > "/run/netlab/$L/state"
row 'corrupt or truncated state file' -- status "$L"
restore_state
mv "/run/netlab/$L/state" "/run/netlab/$L/state.real" && ln -s state.real "/run/netlab/$L/state"
row 'state file that is a symlink' -- status "$L"
restore_state
chmod 0755 "/run/netlab/$L"
row 'lab directory readable by others' -- status "$L"
restore_state
rm -f "$TMP/state"

claim "down: the lab and its time" readme='lab "lab" down, 42 ms' want='lab "@L" down, @N ms' \
	-- NL down $([ "$L" = lab ] || echo "$L")

# ------------------------------------------------------------ verify catches a broken link

up_lab "$L" 3
"$NETLAB" exec "${HP}h2" -- ip link set eth0 down
claim "verify after 'ip link set eth0 down' in h2" readme='$ netlab exec h2 -- ip link set eth0 down' \
	readme='34 passed, 8 failed' exit=1 \
	want='FAIL  h2   lo, eth0 up with its addresses       links: lo\(up\) eth0\(down\); eth0: @IP4/24 @IP6/64' \
	want='FAIL  h1   reaches h2                           ICMP echo to @IP4: no reply' \
	want='FAIL  h3   reaches h2                           ICMP echo to @IP4: no reply' \
	want='FAIL  h1   reaches all over IPv6                1 of 2 as expected \(2 should answer\); wrong: h2' \
	want='FAIL  h2   reaches all over IPv6                0 of 2 as expected \(2 should answer\); wrong: h1 h3' \
	want='34 passed, 8 failed' -- NL verify "$L"
down_lab "$L"

# --------------------------------------------------------------------------------- --explain

claim "up 1 --explain prints the by-hand commands" readme='$ netlab up 1 --explain' \
	want='  \$ ip link add nl@N-b1 group @N type bridge mcast_snooping 0 .*' \
	want='  \$ # host h1: own root \(by hand with util-linux >= 2.39\): .*' \
	want='  \$ unshare --user sleep infinity & user_h1=.*' \
	want='  \$ nsenter -t \$user_h1 -U --setuid 0 --setgid 0 unshare --mount .* --pid --fork .* --net --uts --ipc sleep infinity & pid_h1=.*   # host h1 \(netlab.s: pid @N\)' \
	want='  \$ ip link add nl@N-h1 group @N master nl@N-b1 up type veth peer name eth0 netns \$pid_h1 address @MAC.*' \
	want='  \$ nsenter -t \$pid_h1 -U -n .*ip addr add @IP4/24 brd \+ dev eth0.*' \
	want='  \$ nft add table bridge netlab-@L .* input meta iifgroup @N drop .*' \
	want='  \$ mkdir -p /run/netns && touch /run/netns/@L-h1 && mount --bind /proc/\$pid_h1/ns/net /run/netns/@L-h1' \
	-- NL up 1 --explain $([ "$L" = lab ] || echo --name "$L")
claim "down --explain prints the by-hand commands" readme='$ netlab down --explain' \
	want='  \$ nft delete table bridge netlab-@L' \
	want='  \$ umount -l /run/netns/@L-h1; rm -f /run/netns/@L-h1' \
	want='  \$ ip link delete group @N' want='  \$ kill -KILL @N' want='  \$ rm -r /run/netlab/@L' \
	-- NL down --explain $([ "$L" = lab ] || echo "$L")

up_lab rmck6 1 --no-ipv6
row '`netlab pingall -6` on a `--no-ipv6` lab' lab=rmck6 -- pingall rmck6 -6
down_lab rmck6

# --------------------------------------------------------------------------------- topologies

# the chain, under its own name from the file (or -n when labs are up)
C=chain; [ "$L" = lab ] || C=rmckc
UP+=("$C")
claim "up -f examples/chain.yaml" readme='$ netlab up -f examples/chain.yaml' \
	want='lab "'$C'" up: 5 hosts \(3 routers\) \+ 0 empty on 4 segments, @N ms' \
	want='  segment net1 +bridge nl@N-b1 +@IP4/24, @IP6/64, 2 ports' \
	want='  r1 +@N +eth0 @IP4/24 @IP6/64 +uts ipc pid mnt user net \(router\)' \
	want='                  eth1 @IP4/24 @IP6/64' \
	want='Next: .*' -- NL up -f examples/chain.yaml $([ "$C" = chain ] || printf -- '-n %s' "$C")
net4=$(awk '$1 == "segment" && $2 == "net4" { print $4 }' "/run/netlab/$C/state")
"$NETLAB" exec "$C/r2" -- ip route del "$net4"
claim "pingall after a route deleted in r2" readme='$ netlab exec chain/r2 -- ip route del 10.77.4.0/24' \
	readme='14/20 pairs reachable (20 expected), NOT as expected' exit=1 \
	want='pingall lab "'$C'": 14/20 pairs reachable \(20 expected\), NOT as expected, @F s' \
	want='  h1 +- +ok +ok +ok +NO! *' want='  h2 +NO! +NO! +NO! +ok +- *' -- NL pingall "$C"
down_lab "$C"

for ex in "two-subnets 42" "chain 65" "star 105" "web 20"; do
	set -- $ex
	T=rmckt
	up_lab "$T" -f "examples/$1.yaml"
	claim "examples/$1.yaml verifies: $2 passed" readme="| \`examples/$1.yaml\` |" readme="| $2 passed |" \
		want="$2 passed, 0 failed" -- NL verify "$T" -W 2
	if [ "$1" = star ]; then
		claim "graph -o FILE.svg draws the star" readme='$ netlab graph star -o doc/star.svg' \
			want="wrote $TMP/star.svg \(svg, lab $T: 7 hosts, 3 segments\)" -- NL graph "$T" -o "$TMP/star.svg"
		claim "the picture names the hosts and segments" want='.*>core<.*' want='.*>c2<.*' \
			want='.*>a<.*' -- cat "$TMP/star.svg"
	fi
	down_lab "$T"
done

# dynamic routing: FRR in the routers, configured by files: and started by exec:
for ex in "ospf 84" "bgp 48"; do
	set -- $ex
	T=rmckr
	UP+=("$T")
	claim "examples/$1.yaml comes up (FRR through files: and exec:)" -- NL up -f "examples/$1.yaml" -n "$T" -q
	claim "examples/$1.yaml verifies with --wait: $2 passed" readme="| \`examples/$1.yaml\` |" \
		readme="| $2 passed |" readme='$ netlab verify --wait 60 | tail -2' \
		want="$2 passed, 0 failed" want='converged after @F s \(@N tr(y|ies)\)' -- NL verify "$T" --wait 60
	if [ "$1" = ospf ]; then
		claim "r1's OSPF neighbours are r2 and r4" readme='$ netlab exec r1 -- vtysh -c "show ip ospf neighbor"' \
			want='2\.2\.2\.2 +1 Full/- .* eth1:@IP4 .*' want='4\.4\.4\.4 +1 Full/- .* eth2:@IP4 .*' \
			-- NL exec "$T/r1" -- vtysh -c "show ip ospf neighbor"
		NL exec "$T/r1" -- ip link set eth1 down
		claim "a cut ring link: pingall --wait converges again" readme='$ netlab pingall --wait 60 | tail -1' \
			want='converged after @F s \(@N tr(y|ies)\)' -- NL pingall "$T" --wait 60
	else
		claim "r1 learns lan2 by BGP" readme='$ netlab exec r1 -- ip route' \
			want='@IP4/24 nhid @N via inet6 fe80::@IP6 dev eth1 proto bgp metric 20 ?' -- NL exec "$T/r1" -- ip route
	fi
	down_lab "$T"
done

# the README's up example, with its own names, and the topology file it shows
if [ "$L" = lab ]; then
	UP+=(week1)
	claim "up 3 --name week1 --subnet 10.99.0.0/24 --empty 2" \
		readme='netlab up 3 --name week1 --subnet 10.99.0.0/24 --empty 2' \
		want='lab "week1" up: 3 hosts \+ 2 empty on bridge nl@N-b1 \(10\.99\.0\.0/24, @IP6/64\), @N ms' \
		want='  h3 +@N +eth0 10\.99\.0\.3/24 @IP6/64 .*' want='  e2 +@N +- +- .*' \
		-- NL up 3 --name week1 --subnet 10.99.0.0/24 --empty 2
	down_lab week1
fi
awk '/^## Topology files/ { t = 1 } t && /^```yaml/ { on = 1; next } on && /^```/ { exit } on' "$README" > "$TMP/files/twonets.yaml"
UP+=(rmcky)
claim "the README's topology file comes up" readme='name: twonets                   # the lab' \
	want='lab "rmcky" up: 3 hosts \(1 router\) \+ 1 empty on 2 segments, @N ms' \
	want='  segment lan1 +bridge nl@N-b1 +10\.78\.1\.0/24, @IP6/64, 2 ports' \
	want='  r1 +@N +eth0 10\.78\.1\.254/24 @IP6/64 +uts ipc pid mnt user net \(router\)' \
	-- NL up -f "$TMP/files/twonets.yaml" -n rmcky
claim "... and verifies" want='@N passed, 0 failed' -- NL verify rmcky -W 2
claim "... routes go into the host's main table with proto static" readme='with `proto static`' \
	want='default via 10\.78\.1\.254 dev eth0 proto static.*' -- NL exec rmcky/h1 -- ip route
down_lab rmcky

# Names: the machine's interfaces of a lab with Kathará-style names, numbered, the names in the alias
printf 'name: isp_lab_week_3\nsegments:\n  Lan-A: {}\n  core_1: {}\nhosts:\n  webserver: { links: [Lan-A] }\n  as100r1: { router: true, links: [Lan-A, core_1] }\n  container_1_1_1: { links: [core_1] }\n' > "$TMP/files/isp.yaml"
I=isp_lab_week_3; [ "$L" = lab ] || I=rmcki
up_lab "$I" -f "$TMP/files/isp.yaml"
n=$(awk '$1 == "number" { print $2 }' "/run/netlab/$I/state")
claim "Names: the lab's interfaces on the machine" readme="$ ip -br link | grep '^nl'" \
	want="nl$n-b1 +(UP|UNKNOWN) +@MAC <.*UP.*> *" want="nl$n-b2 +(UP|UNKNOWN) +@MAC <.*UP.*> *" \
	want="nl$n-h1@if@N +UP +@MAC <.*UP.*> *" want="nl$n-h2-1@if@N +UP +@MAC <.*UP.*> *" \
	want="nl$n-h3@if@N +UP +@MAC <.*UP.*> *" -- bash -c "ip -br link | grep '^nl$n-'"
claim "Names: the full names in the alias" readme='alias netlab:isp_lab_week_3:as100r1' \
	want="alias netlab:$I:as100r1" -- bash -c "ip -d link show nl$n-h2-1 | grep -o 'alias.*'"
down_lab "$I"

# --ns +cgroup,+time: compare then shows those two isolated as well
up_lab rmckn 1 --ns +cgroup,+time
claim "--ns +cgroup,+time: compare covers all eight" readme='cover all eight.' \
	want='cgroup +ns/cgroup +@N +@N +@N +isolated' want='time +ns/time +@N +@N +@N +isolated' \
	-- NL compare rmckn/h1
down_lab rmckn

# ------------------------------------------------ a host's files:, sysctls: and exec: (hostsetup)

# examples/web.yaml under its own name from the file (or -n when labs are up)
W=web; [ "$L" = lab ] || W=rmckw
UP+=("$W")
claim "up -f examples/web.yaml" readme='$ netlab up -f examples/web.yaml' \
	want='lab "'$W'" up: 2 hosts \(0 routers\) \+ 0 empty on 1 segment, @N ms' \
	want='  www +@N +eth0 @IP4/24 @IP6/64 +uts ipc pid mnt user net' \
	-- NL up -f examples/web.yaml $([ "$W" = web ] || printf -- '-n %s' "$W")
claim "logs www: each command and what it printed" readme='$ netlab logs www' \
	want='\$ nginx -t' want='nginx: configuration file /etc/nginx/nginx.conf test is successful' \
	want='\$ service nginx start' want='Starting nginx: nginx\.' -- NL logs "$W/www"
claim "curl from client gets the page files: put in www" readme='<h1>hello from www</h1>' \
	want='<h1>hello from www</h1>' -- NL exec "$W/client" -- curl -s --max-time 5 http://www/
claim "www's replies have its own TTL" readme='icmp_seq=1 ttl=32' \
	want='64 bytes from www \(@IP4\): icmp_seq=1 ttl=32 time=@F ms' -- NL exec "$W/client" -- ping -4 -c1 -W2 www
down_lab "$W"
row 'a `sysctls:` key the kernel lacks' in="$TMP/files" -- up -f sysctl.yaml
norow 'an `exec:` command that fails' "its last lines follow on more lines: the claims below check it"
claim "an exec: command that fails rolls back" readme='netlab: the lab was rolled back (up --keep-on-error keeps it)' \
	exit=1 err="netlab: host r1: exec: command 2 of 3, 'ip link set eth0 mtu 99999', exited with status 2" \
	err='netlab: its last lines:' err='  \| Error: mtu greater than device maximum\.' \
	err='netlab: the lab was rolled back \(up --keep-on-error keeps it\)' -- NL up -q -f "$TMP/files/exec.yaml"
UP+=(rmcke)
claim "--keep-on-error keeps it" readme='netlab: lab "lab" is kept (--keep-on-error)' exit=1 \
	want='lab "rmcke" up: 1 host \(0 routers\) \+ 0 empty on 1 segment, @N ms' \
	err="netlab: host r1: exec: command 2 of 3, 'ip link set eth0 mtu 99999', exited with status 2" \
	err='netlab: lab "rmcke" is kept \(--keep-on-error\): the rest of the exec: commands did not run; see .* end it with .*' \
	-- NL up -q -f "$TMP/files/exec.yaml" --keep-on-error
claim "logs of the kept lab" readme='netlab: exit status 2' \
	want='\$ echo starting' want='starting' want='\$ ip link set eth0 mtu 99999' \
	want='netlab: exit status 2' nowant='never' -- NL logs rmcke/r1
down_lab rmcke

# ------------------------------------------------------------------------- Kathará labs (up DIR)

K=ospf; [ "$L" = lab ] || K=rmcko
UP+=("$K")
claim "up DIR: a Kathará lab, its LAB_* lines, segments without netlab's addresses" \
	readme='$ netlab up tests/kathara/ospf --name ospf' \
	want='Kathara lab .*/tests/kathara/ospf: 5 devices, 5 collision domains' \
	want='  Description  OSPF, one area: three FRR routers in a triangle, a LAN with a PC at two of them' \
	want='lab "'$K'" up: 5 hosts \(3 routers\) \+ 0 empty on 5 segments, @N ms' \
	want='  segment A +bridge nl@N-b1 +no addresses of netlab.s, 2 ports' \
	want='  r1 +@N +eth0 10\.1\.0\.1/24 +uts ipc pid mnt user net \(router\)' \
	want='  pc1 +@N +eth0 10\.1\.0\.10/24 +uts ipc pid mnt user net' \
	-- NL up tests/kathara/ospf --name "$K"
claim "status on a Kathará lab: routers are the devices that forward between two, nothing marked" \
	readme='a device is a router when it forwards and has two interfaces up or more' \
	readme="(\`addresses and routes: the lab's own (startup files, routing daemons): netlab planned none, so" \
	want='lab "'$K'" up: 5 hosts \(3 routers\) \+ 0 empty on 5 segments, 5 hosts' \
	want="  addresses and routes: the lab's own \(startup files, routing daemons\): netlab planned none, so what follows is as the hosts have it, unmarked; .*" \
	want='         links: lo\(up\) eth0\(up\) eth1\(up\) eth2\(up\); forwarding IPv4 on, IPv6 off \(router\); own root' \
	want='         links: lo\(up\) eth0\(up\); forwarding IPv4 on, IPv6 off; own root' \
	nowant='.*NOT PLANNED.*' nowant='.*NOT AS PLANNED.*' -- NL status "$K"
claim "graph of a Kathará lab: live addresses and subnets, routers as octagons" \
	readme='$ netlab graph ospf -o doc/kathara-ospf.svg' \
	want="wrote $TMP/ospf.svg \(svg, lab $K: 5 hosts, 5 segments\)" -- NL graph "$K" -o "$TMP/ospf.svg"
claim "the DOT text of the Kathará lab" readme='each collision domain the subnets its interfaces have' \
	want='  "seg:A" \[.*label="A\\n10\.1\.0\.0/24"\];' want='  "host:r1" \[shape=octagon.*' \
	want='  "host:pc1" \[shape=box.*' want='  "host:pc1" -- "seg:A" \[label="eth0\\n10\.1\.0\.10/24"\];' \
	-- NL graph "$K"
claim "verify --wait on a Kathará lab: live addresses, every pair" readme='$ netlab verify --wait 60 ospf | tail -3' \
	want='PASS  pc2  reaches pc1 +ICMP echo to 10.1.0.10: reply' want='60 passed, 0 failed' -- NL verify --wait 60 "$K"
claim "pingall on a Kathará lab" readme='pingall lab "ospf": 20/20 pairs reachable (20 expected), as expected' \
	want='pingall lab "'$K'": 20/20 pairs reachable \(20 expected\), as expected, @F s' -- NL pingall "$K"
# every pair can reach every other through r2 before r1's adjacency with r3 is full, so verify may
# pass while 10.3.0.0/24 is still the longer way ([110/30] via r2): wait for the shortest path
ospf_r1_routes() {
	local out i
	for i in $(seq 30); do
		out=$(NL exec "$K/r1" -- vtysh -c 'show ip route ospf')
		case "$out" in *'O>* 10.3.0.0/24 [110/20] via 10.0.13.2'*) break ;; esac
		sleep 1
	done
	printf '%s\n' "$out"
}
claim "OSPF routes in r1" readme='O>* 10.3.0.0/24 [110/20] via 10.0.13.2, eth2' \
	want='O>\* 10.3.0.0/24 \[110/20\] via 10.0.13.2, eth2, weight 1, .*' \
	-- ospf_r1_routes
down_lab "$K"

# ------------------------------------------------------------------------------------- doctor

claim "doctor: one line per check and a summary" readme='doctor: 14 ok, 3 warnings, 0 failures' \
	want='  ok    root +running as root' want='  (ok|warn) +ARP table .*' \
	want='doctor: @N ok, @N warnings, 0 failures' -- NL doctor
if [ "$(cat /proc/sys/net/ipv4/neigh/default/gc_thresh3)" = 1024 ]; then
	claim "doctor and Limits name one ARP figure (32 hosts)" \
		readme='beyond about 32 hosts in full mesh' readme='labs of more than about 32 hosts talking all to all' \
		want='  warn  ARP table .*labs of more than about 32 hosts talking all to all lose pairs.*' -- NL doctor
fi

# ------------------------------------------------------------------------------------ the end

while IFS= read -r cell; do
	[ -n "${ROWDONE[$cell]:-}" ] || outcome "bad input: $cell" 1 "" "a README row with no entry in scripts/readme-check.sh"
done < <(table_rows)

for l in "${UP[@]}"; do "$NETLAB" down "$l" > /dev/null 2>&1 || true; done
UP=()
if ./scripts/check-clean.sh compare "$TMP/clean" > "$TMP/cc" 2>&1; then
	outcome "the machine is as before" 0 "" ""
else
	outcome "the machine is as before" 1 "" "$(cat "$TMP/cc")"
fi
echo "readme-check: $pass passed, $fail failed, $known known (README ahead of the code), $xpass now passing, $skipped skipped"
[ "$fail" = 0 ] && [ "$xpass" = 0 ]

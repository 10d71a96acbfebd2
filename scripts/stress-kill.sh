#!/usr/bin/env bash
# Crash-safety stress: interrupt `netlab up` at random points, TRIALS times (default 100), by
# SIGKILL (then `netlab clean`), by SIGTERM/SIGINT (rolled back by up itself) or by an injected
# failure. After every trial the machine must be exactly as before: interfaces, netns, /run
# mounts, lab state, netlab processes (scripts/check-clean.sh). Run as root.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
NETLAB=${NETLAB:-$here/../netlab}
trials=${1:-100}
LAB=tstress
snap=$(mktemp); trap 'rm -f "$snap" "$snap".*; "$NETLAB" down "$LAB" >/dev/null 2>&1 || true' EXIT
"$here/check-clean.sh" snapshot "$snap"

clean_or_die() {	# hosts die by their parent-death signal asynchronously: allow them a moment
	local t
	for t in $(seq 1 40); do
		"$here/check-clean.sh" compare "$snap" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "stress-kill: trial $1 ($2) left the machine changed:" >&2
	"$here/check-clean.sh" compare "$snap" >&2 || true
	exit 1
}

declare -A seen=()
for t in $(seq 1 "$trials"); do
	hosts=$((RANDOM % 4 + 1)); empty=$((RANDOM % 2)); steps=$((2 + 4 * hosts + 2 * empty))	# bridge, record; spawn, veth, MLD filter, mount
	k=$((RANDOM % steps + 1)); mode=$((RANDOM % 5))
	case $mode in
	0|1|2)	# stop at step k, then a signal
		sig=$(case $mode in 0) echo KILL ;; 1) echo TERM ;; 2) echo INT ;; esac)
		NETLAB_STOP_AT=$k "$NETLAB" up "$hosts" --empty "$empty" --name "$LAB" -q >/dev/null 2>&1 &
		pid=$!
		while [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != T ]; do
			kill -0 "$pid" 2>/dev/null || break; sleep 0.001
		done
		kill -s "$sig" "$pid" 2>/dev/null || true
		kill -s CONT "$pid" 2>/dev/null || true
		set +e; { wait "$pid"; } 2>/dev/null; code=$?; set -e
		what="SIG$sig at step $k of $steps"
		case $sig in
		KILL) [ $code = 137 ] || [ $code = 0 ] || { echo "stress-kill: $what: exit $code" >&2; exit 1; }
		      [ $code = 0 ] || "$NETLAB" clean >/dev/null ;;
		TERM) [ $code = 143 ] || [ $code = 0 ] || { echo "stress-kill: $what: exit $code" >&2; exit 1; } ;;
		INT)  [ $code = 130 ] || [ $code = 0 ] || { echo "stress-kill: $what: exit $code" >&2; exit 1; } ;;
		esac
		;;
	3)	# SIGKILL after a random delay, wherever up happens to be
		delay=$(awk -v r=$RANDOM 'BEGIN { printf "%.4f", r % 150 / 10000 }')
		"$NETLAB" up "$hosts" --empty "$empty" --name "$LAB" -q >/dev/null 2>&1 &
		pid=$!; sleep "$delay"; kill -KILL "$pid" 2>/dev/null || true
		set +e; { wait "$pid"; } 2>/dev/null; code=$?; set -e
		what="SIGKILL after ${delay}s (exit $code)"
		if [ $code = 0 ]; then "$NETLAB" verify "$LAB" -W 2 >/dev/null && "$NETLAB" down "$LAB" >/dev/null
		else "$NETLAB" clean >/dev/null; fi
		;;
	4)	# an injected failure at step k
		set +e; NETLAB_FAIL_AT=$k "$NETLAB" up "$hosts" --empty "$empty" --name "$LAB" -q >/dev/null 2>&1; code=$?; set -e
		what="failure at step $k of $steps"
		[ $code = 1 ] || { echo "stress-kill: $what: exit $code" >&2; exit 1; }
		;;
	esac
	# a lab that survived must be complete and whole, and then goes away with down
	if [ -d "/run/netlab/$LAB" ]; then
		"$NETLAB" verify "$LAB" -W 2 >/dev/null || { echo "stress-kill: $what left a broken lab" >&2; exit 1; }
		"$NETLAB" down "$LAB" >/dev/null
	fi
	clean_or_die "$t" "$what"
	seen[$mode]=$(( ${seen[$mode]:-0} + 1 ))
done
echo "stress-kill: $trials trials, machine clean after each: SIGKILL at a step then clean ${seen[0]:-0}," \
     "SIGTERM ${seen[1]:-0}, SIGINT ${seen[2]:-0}, SIGKILL after a random delay ${seen[3]:-0}," \
     "injected failure ${seen[4]:-0}"

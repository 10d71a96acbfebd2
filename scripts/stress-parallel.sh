#!/usr/bin/env bash
# Concurrency stress: 4 loops in parallel, each ITER times (default 10): up a lab (default subnet,
# allocated under netlab's lock), exec a ping between its hosts, pingall, down. Every command must
# succeed, no two labs may share a subnet while up, and the machine must be as before at the end.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
NETLAB=${NETLAB:-$here/../netlab}
iter=${1:-10}
snap=$(mktemp); log=$(mktemp -d)
trap 'rm -rf "$snap" "$snap".* "$log"; for i in 1 2 3 4; do "$NETLAB" down "tpar$i" >/dev/null 2>&1 || true; done' EXIT
"$here/check-clean.sh" snapshot "$snap"

loop() {
	local lab=tpar$1 n
	for n in $(seq 1 "$iter"); do
		"$NETLAB" up 3 --name "$lab" -q >/dev/null || { echo "up $lab #$n failed" >&2; return 1; }
		awk '/^segment/ {print $4}' "/run/netlab/$lab/state" >> "$log/subnets.$1"
		"$NETLAB" exec "$lab/h1" -- ping -c1 -W2 h3 >/dev/null || { echo "exec $lab #$n failed" >&2; return 1; }
		"$NETLAB" pingall "$lab" -W 2 >/dev/null 2>&1 || { echo "pingall $lab #$n failed" >&2; return 1; }
		"$NETLAB" down "$lab" >/dev/null || { echo "down $lab #$n failed" >&2; return 1; }
	done
}

start=$(date +%s%N)
pids=()
for i in 1 2 3 4; do loop "$i" & pids+=($!); done
fail=0
for p in "${pids[@]}"; do wait "$p" || fail=1; done
[ $fail = 0 ] || { echo "stress-parallel: a loop failed" >&2; exit 1; }
sleep 0.2
"$here/check-clean.sh" compare "$snap" >/dev/null || { "$here/check-clean.sh" compare "$snap"; exit 1; }
secs=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
echo "stress-parallel: 4 loops x $iter iterations of up/exec/pingall/down, $((4 * iter)) labs in ${secs}s, all succeeded; machine clean after"

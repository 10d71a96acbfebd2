#!/usr/bin/env bash
# The usual way to build the lab netlab builds, for the benchmark: iproute2 and util-linux only,
# one process per object. Per host: a process in new user, mount, PID, net, UTS and IPC namespaces
# (unshare), a veth pair whose peer goes into it as eth0, a bridge port, an address, links up.
#   baseline-iproute2.sh up N PREFIX     builds it (PREFIX: short name for interfaces, e.g. blb)
#   baseline-iproute2.sh down PREFIX     tears it down: kills the processes it started (by PID, from
#                                        its own record), deletes the bridge, waits for the veths
set -euo pipefail

cmd=${1:?usage: $0 up N PREFIX | down PREFIX}
state_dir=/run/netlab-baseline

wait_netns() {	# until PID has left our network namespace (unshare has run)
	local self; self=$(readlink /proc/self/ns/net)
	while [ "$(readlink "/proc/$1/ns/net" 2>/dev/null || echo "$self")" = "$self" ]; do sleep 0.001; done
}

case "$cmd" in
up)
	n=${2:?N}; p=${3:?PREFIX}
	mkdir -p "$state_dir"; : > "$state_dir/$p.pids"
	ip link add "${p}br" type bridge
	ip link set "${p}br" up
	for i in $(seq 1 "$n"); do
		# --kill-child: if unshare dies, so does the namespace's PID 1 (and the netns with it)
		unshare --user --map-root-user --mount --pid --fork --kill-child --mount-proc --uts \
			--ipc --net sleep infinity </dev/null >/dev/null 2>&1 &
		pid=$!
		echo "$pid" >> "$state_dir/$p.pids"
		wait_netns "$pid"
		ip link add "${p}h$i" type veth peer name eth0 netns "$pid"
		ip link set "${p}h$i" master "${p}br" up
		nsenter -t "$pid" -n ip link set lo up
		nsenter -t "$pid" -n ip link set eth0 up
		nsenter -t "$pid" -n ip addr add "10.78.$((i / 250)).$((i % 250 + 1))/16" dev eth0
	done
	;;
down)
	p=${2:?PREFIX}
	[ -f "$state_dir/$p.pids" ] || exit 0
	pids=$(cat "$state_dir/$p.pids")
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null || true
	ip link del "${p}br" 2>/dev/null || true
	# the kernel deletes each veth when its netns dies: wait until none is left
	while [ "$(ip -br link | grep -c "^${p}h")" != 0 ]; do sleep 0.005; done
	rm -f "$state_dir/$p.pids"; rmdir "$state_dir" 2>/dev/null || true
	;;
*) echo "usage: $0 up N PREFIX | down PREFIX" >&2; exit 2 ;;
esac

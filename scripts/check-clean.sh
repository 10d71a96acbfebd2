#!/bin/sh
# Snapshot what netlab could leave behind, or compare against a snapshot: interfaces, network
# namespaces, nftables tables, mounts under /run, lab state and live netlab processes must be as
# before.
# Usage: check-clean.sh snapshot FILE | compare FILE
set -eu

snap() {
	echo "# interfaces"; ip -br link | awk '{sub(/@.*/, "", $1); print $1}' | sort
	echo "# netns"; ip netns list 2>/dev/null | awk '{print $1}' | sort
	echo "# nftables"; { nft list tables 2>/dev/null || true; } | sort
	echo "# mounts"; findmnt -rn -o TARGET | grep -E '^/run/(netns|netlab)' | sort || true
	echo "# state"; ls -A /run/netlab 2>/dev/null | sort || true
	# every hierarchy's netlab/ directory, at the root (cgroup v2) or under a v1 controller's
	echo "# cgroups"; for d in /sys/fs/cgroup/netlab /sys/fs/cgroup/*/netlab; do
		[ -d "$d" ] && find "$d" -type d; done | sort
	# zombies are gone for our purposes: they hold nothing and the system's init reaps them
	echo "# processes"; ps -eo stat=,comm= | awk '$1 !~ /^Z/ && $2 ~ /^netlab/ {print $2}' | sort | uniq -c
}

case "${1:-}" in
snapshot) snap > "$2" ;;
compare)
	snap > "$2.after"
	if ! diff -u "$2" "$2.after" > "$2.diff"; then
		echo "check-clean: the machine is not as it was before the tests:" >&2
		cat "$2.diff" >&2
		exit 1
	fi
	echo "check-clean: machine as before (interfaces, netns, nftables, /run mounts, state, cgroups, processes)"
	;;
*) echo "usage: $0 snapshot FILE | compare FILE" >&2; exit 2 ;;
esac

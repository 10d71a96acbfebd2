#!/bin/sh
# Install the Debian packages netlab needs to build, test and be used, if any is missing.
# The one list of dependencies: keep it here and nowhere else.
set -eu

PKGS="build-essential pkg-config libnl-3-dev libnl-route-3-dev libyaml-dev libcriterion-dev libjson-c-dev \
iproute2 iputils-ping procps net-tools util-linux bash iperf3 tmux traceroute tcpdump nftables scdoc libgraphviz-dev"

# --extra: the tools of the deeper checks (make fuzz: clang's libFuzzer; scripts/valgrind.sh)
EXTRA_PKGS="clang libclang-rt-14-dev valgrind"
[ "${1:-}" = "--extra" ] && PKGS="$PKGS $EXTRA_PKGS"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "netlab: missing Debian packages:$missing; run 'make deps' as root" >&2
	exit 1
fi
echo "netlab: installing missing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing

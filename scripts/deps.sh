#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs the Debian packages clarion-flowd needs to build, run and test.
# Does nothing when they are all present; needs root (or sudo) otherwise.
set -euo pipefail

PKGS=(
	build-essential pkg-config meson ninja-build python3
	libdpdk-dev dpdk dpdk-dev libpcap-dev
	libcurl4-openssl-dev libcjson-dev libcunit1-dev libmicrohttpd-dev zlib1g-dev
	librdkafka-dev
)
# Packaging (scripts/package.sh): debhelper and dpkg-buildpackage; systemd for the unit directory.
if [ "${1:-}" = "--package" ] || [ "${1:-}" = "--test" ]; then
	PKGS+=(debhelper dpkg-dev systemd)
fi
# Test-only tools (independent decoders and exporters).
if [ "${1:-}" = "--test" ]; then
	# prometheus: promtool check metrics (test_ctlplane); ping, ip: test_netpres_live;
	# openssl: HTTPS delivery test certificates; pmacct: sfprobe (test_sflow_pmacct);
	# softflowd: a real NetFlow v9/IPFIX exporter (test_real_exporter);
	# kcat: an independent Kafka consumer (test_kafka*); nfdump (nfcapd): scripts/bench-peers.sh
	# clang-14, libclang-rt-14-dev: the libFuzzer targets (tests/fuzz, scripts/fuzz.sh)
	PKGS+=(tshark prometheus iputils-ping iproute2 openssl pmacct softflowd kcat nfdump clang-14
		libclang-rt-14-dev)
	# Deploying (docs/deploying.md): lintian (test_package), systemd-analyze (in systemd),
	# podman with runc (crun refuses hybrid cgroup hosts) and debootstrap (test_container),
	# kubectl (test_kubernetes; any kubectl already installed will do), man-db (man pages).
	PKGS+=(lintian podman runc debootstrap man-db)
	command -v kubectl >/dev/null || PKGS+=(kubernetes-client)
fi

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# tshark asks whether non-root users may capture; the default (no) is fine.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
# Other engineers' installs may hold the dpkg lock on a shared machine: wait for it.
$SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Binds the NICs listed in dpdk-devbind.conf to their DPDK driver and reserves
# hugepages. Run as root on the collector host before starting clarion-flowd.
#   scripts/bind-nics.sh [--hugepages N] [--dry-run]
set -euo pipefail
cd "$(dirname "$0")/.."

pages=1024
dry=""
while [ $# -gt 0 ]; do
	case $1 in
	--hugepages) pages=$2; shift 2 ;;
	--dry-run) dry=echo; shift ;;
	*) echo "usage: $0 [--hugepages N] [--dry-run]" >&2; exit 2 ;;
	esac
done

command -v dpdk-devbind.py >/dev/null || { echo "dpdk-devbind.py missing: apt-get install dpdk" >&2; exit 1; }
mapfile -t ports < <(grep -Ev '^\s*(#|$)' dpdk-devbind.conf)
[ ${#ports[@]} -gt 0 ] || { echo "dpdk-devbind.conf lists no port" >&2; exit 1; }

for line in "${ports[@]}"; do
	read -r pci driver _ <<<"$line"
	$dry modprobe "$driver"
	$dry dpdk-devbind.py --bind="$driver" "$pci"
done
$dry dpdk-hugepages.py --pagesize 2M --reserve "$((pages * 2))M"
dpdk-devbind.py --status-dev net

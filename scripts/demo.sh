#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs what is missing, builds, and runs clarion-flowd on the bundled sample
# capture through DPDK's pcap PMD: records go to stdout as NDJSON, counters to stderr.
#   scripts/demo.sh [PCAP] [-- extra clarion-flowd flags]
set -euo pipefail
cd "$(dirname "$0")/.."

pcap=samples/netflow-v5.pcap
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
	pcap=$1
	shift
fi
[ "${1:-}" = "--" ] && shift

scripts/deps.sh
scripts/build.sh

# Use hugepages when the machine has free ones; otherwise run from ordinary memory.
free_huge=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
if [ "${free_huge:-0}" -ge 256 ]; then
	mem=(--in-memory)
else
	mem=(--no-huge -m 512 --file-prefix "clarion-demo-$$")
fi

echo "demo: replaying $pcap (records on stdout, counters on stderr)" >&2
exec build/app/clarion-flowd "${mem[@]}" --no-pci -l 0,1 --log-level=lib.*:error --log-level=user1:warning \
	--vdev="net_pcap0,rx_pcap=$(realpath "$pcap")" -- --idle-exit 1 "$@"

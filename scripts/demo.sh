#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs what is missing, builds, and runs clarion-flowd on the bundled sample
# capture (a campus's NetFlow v5: scripts/gen_flows.py --plausible) through DPDK's pcap
# PMD: records go to stdout as NDJSON, log and counters to stderr, and after the
# records a short summary: records by exporter and protocol, top talkers, drops.
#   scripts/demo.sh [PCAP] [-- extra clarion-flowd flags]
# CF_DEMO_NO_BUILD=1 skips deps.sh and build.sh; CF_BIN names another binary.
set -euo pipefail
cd "$(dirname "$0")/.."

pcap=samples/netflow-v5.pcap
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
	pcap=$1
	shift
fi
[ "${1:-}" = "--" ] && shift

if [ "${CF_DEMO_NO_BUILD:-0}" != 1 ]; then
	scripts/deps.sh
	scripts/build.sh
fi
bin=${CF_BIN:-build/app/clarion-flowd}

# Use hugepages when the machine has free ones; otherwise run from ordinary memory.
free_huge=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
if [ "${free_huge:-0}" -ge 256 ]; then
	mem=(--in-memory)
else
	mem=(--no-huge -m 512 --file-prefix "clarion-demo-$$")
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "demo: replaying $pcap (records on stdout, log and counters on stderr, then a summary)" >&2
# The control plane stays off: a one-second replay needs no /metrics, and a collector
# already running here must not make the demo fail (flags after -- may turn it on).
set +e
"$bin" "${mem[@]}" --no-pci -l 0,1 --log-level=lib.*:error --log-level=user1:warning \
	--vdev="net_pcap0,rx_pcap=$(realpath "$pcap")" -- --idle-exit 1 --http-port 0 --agent-port 0 \
	--output ndjson:- "$@" 2> >(tee "$tmp/log" >&2) | tee "$tmp/records.ndjson"
rc=${PIPESTATUS[0]}
set -e
wait
echo
python3 scripts/summary.py --records "$tmp/records.ndjson" --log "$tmp/log"
exit "$rc"

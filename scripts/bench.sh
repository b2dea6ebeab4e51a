#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Throughput benchmark of clarion-flowd on the pcap PMD replaying from memory.
#
#   scripts/bench.sh            full run (3 runs per scenario, median), < 3 minutes
#   scripts/bench.sh --quick    one ~1.5 s run per scenario: proves the harness still works
#   scripts/bench.sh --write    full run, and the table goes into BENCHMARKS.md
#   scripts/bench.sh --soak     10-minute run, peak/current RSS sampled every 10 s
#   scripts/bench.sh --agg      aggregation and sketch scenarios (reduction, cost, HLL error,
#                               end to end); with --quick a small workload, with --write
#                               into BENCHMARKS.md's aggregation section
#   scripts/bench.sh --agg --agg-pcap F.pcap --only capture
#                               the reduction of your own capture of flow export
#   scripts/bench.sh --help     every option (scenario filter, run time, repetitions)
#
# Builds the release tree first (ninja, incremental); the work is done by scripts/bench.py.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${CF_BENCH_NO_BUILD:-0}" != 1 ]; then
	scripts/build.sh
fi
exec python3 scripts/bench.py "$@"

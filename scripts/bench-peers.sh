#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The peers (nfcapd, nfacctd) and clarion-flowd side by side over a veth pair: see
# scripts/bench_peers.py --help. Needs root; scripts/deps.sh --test installs nfdump and pmacct.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 scripts/bench_peers.py "$@"

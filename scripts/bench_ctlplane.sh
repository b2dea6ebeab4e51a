#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Cost of the control plane on the RX rate: the same replay (pcap PMD,
# infinite_rx=1, --output null, --run-time N) without HTTP, with HTTP idle, and
# with /metrics scraped every 100 ms. Prints records/s from the final counters.
#   scripts/bench_ctlplane.sh [SECONDS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
rounds=${2:-2}
bin=build/app/clarion-flowd
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 scripts/gen_flows.py v5 --out "$tmp/v5.pcap" --datagrams 1000 >/dev/null

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

run() { # mode: off | idle | scrape
	local mode=$1 port=0 scraper=
	[ "$mode" != off ] && port=$(free_port)
	"$bin" --no-huge -m 512 --no-pci --file-prefix "cfb$$_$mode" -l 0,1 --log-level='lib.*:error' \
		--vdev="net_pcap0,rx_pcap=$tmp/v5.pcap,infinite_rx=1" -- \
		--output null --run-time "$secs" --http-port "$port" --agent-port 0 \
		2>"$tmp/err" >/dev/null &
	local pid=$!
	# CPU time of the RX lcore's thread: the machine is shared, so records per RX CPU-second
	# is the fair rate (a preempted lcore loses wall time, not CPU time).
	taskset -c 0 python3 - "$pid" >"$tmp/cpu" <<'PY' &
import glob, os, sys, time
pid, last = int(sys.argv[1]), 0.0
tick = os.sysconf("SC_CLK_TCK")
while os.path.exists("/proc/%d" % pid):
    for t in glob.glob("/proc/%d/task/*" % pid):
        try:
            if open(t + "/comm").read().strip() == "rte-worker-1":
                f = open(t + "/stat").read().rsplit(")", 1)[1].split()
                last = (int(f[11]) + int(f[12])) / tick
        except OSError:
            pass
    time.sleep(0.2)
print(last)
PY
	local mon=$!
	if [ "$mode" = scrape ]; then
		# The scraper shares CPU 0 with the control lcore and the HTTP threads: on CPU 1 it
		# would steal time from the RX lcore and measure itself, not the control plane.
		taskset -c 0 python3 - "$port" "$pid" >"$tmp/scrapes" <<'PY' &
import os, sys, time, urllib.request
port, pid = int(sys.argv[1]), int(sys.argv[2])
n = 0
while os.path.exists("/proc/%d" % pid):
    try:
        req = urllib.request.Request("http://127.0.0.1:%d/metrics" % port,
                                     headers={"Accept": "text/plain;version=0.0.4"})
        urllib.request.urlopen(req, timeout=2).read()
        n += 1
    except OSError:
        pass
    time.sleep(0.1)
print(n)
PY
		scraper=$!
	fi
	wait "$pid"
	[ -n "$scraper" ] && wait "$scraper"
	wait "$mon"
	local recs cpu
	recs=$(grep -A6 '==== final' "$tmp/err" | sed -n 's/^total: records=\([0-9]*\).*/\1/p')
	cpu=$(cat "$tmp/cpu")
	printf "%-7s records=%s wall_rec/s=%.0f rx_cpu_s=%.2f rec_per_rx_cpu_s=%.0f%s\n" "$mode" "$recs" \
		"$(echo "$recs / $secs" | bc -l)" "$cpu" "$(echo "$recs / $cpu" | bc -l)" \
		"$([ "$mode" = scrape ] && echo " scrapes=$(cat "$tmp/scrapes")" || true)"
}

for r in $(seq "$rounds"); do
	for m in off idle scrape; do run "$m"; done
done

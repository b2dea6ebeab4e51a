#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A/B runner (BENCHMARKS.md, issue 18): scripts/bench_ab.py BIN PCAP SECONDS [application flags]

Replays PCAP (pcap PMD, infinite) into BIN for SECONDS, EAL lcores from $AB_EAL (default
"-l 0,1"); prints decoded and written records/s (between the periodic blocks), ring_full,
loss and each thread's CPU share between 1.5 s and SECONDS - 1 s."""
import os, re, subprocess, sys, time
binp, pcap, secs = sys.argv[1], sys.argv[2], int(sys.argv[3])
extra = sys.argv[4:]
eal = os.environ.get("AB_EAL", "-l 0,1").split()
pre = "ab%d" % os.getpid()
cmd = [binp, "--no-huge", "-m", "1024", "--no-pci", "--file-prefix", pre] + eal + [
    "--log-level=lib.*:error", "--vdev=net_pcap0,rx_pcap=%s,infinite_rx=1" % pcap, "--",
    "--http-port", "0", "--agent-port", "0", "--run-time", str(secs), "--stats-period", "1"] + extra
tk = os.sysconf("SC_CLK_TCK")
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
def cpu():
    out = {}
    try:
        for t in os.listdir("/proc/%d/task" % p.pid):
            with open("/proc/%d/task/%s/stat" % (p.pid, t)) as f:
                st = f.read()
            comm = st[st.index("(") + 1:st.rindex(")")]
            fl = st[st.rindex(")") + 2:].split()
            if int(t) == p.pid:
                comm = "main"
            out[comm] = (int(fl[11]) + int(fl[12])) / tk
    except OSError:
        pass
    return out
time.sleep(1.5)
c0, t0 = cpu(), time.time()
time.sleep(secs - 2.5)
c1, t1 = cpu(), time.time()
err = p.communicate()[1]
tot = [l for l in err.splitlines() if l.startswith("total: records=")]
rec = int(re.search(r"records=(\d+)", tot[-1]).group(1)) if tot else 0
out = int(re.search(r"output=(\d+)", tot[-1]).group(1)) if tot else 0
rf = re.findall(r"ring_full=(\d+)", err)
blocks = [l for l in err.splitlines() if l.startswith("total: records=")]
# rate from periodic blocks
recs = [int(m) for m in re.findall(r"^total: records=(\d+)", err, re.M)]
rate = (recs[-2] - recs[0]) / (len(recs) - 2) if len(recs) > 2 else 0
outs = [int(m) for m in re.findall(r"^total: records=\d+ handed=\d+ output=(\d+)", err, re.M)]
orate = (outs[-2] - outs[0]) / (len(outs) - 2) if len(outs) > 2 else 0
ys = re.findall(r"rx_yields=(\d+)", err)
d = {k: c1.get(k, 0) - c0.get(k, 0) for k in c1}
w = t1 - t0
mainns = 1e9 * d.get("main", 0) / (rate * w) if rate else 0
print("ctl_ns/rec %.2f " % mainns, end="")
print("written %.2f M/s " % (orate / 1e6), end="")
print("rate %.2f M/s records=%d output=%d ring_full=%s loss=%.3f%% main_cpu=%.2f rx_cpu=%.2f (of %.1f s)" % (
    rate / 1e6, rec, out, rf[-1] if rf else "?", 100.0 * (rec - out) / rec if rec else 0,
    d.get("main", 0) / w, d.get("rte-worker-1", 0) / w, w))

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""--exporter-allow and --exporter-max-rate on the real binary (pcap PMD).

Allow-list: 300 v5 datagrams from 192.0.2.1 (inside 192.0.2.0/24), 200 from 198.51.100.1
and the fragments of 20 more from it: only the first exporter's records come out; the
rest is counted exporter_not_allowed, the fragments before they take a reassembly slot.
IPv6 prefixes too. Rate: 2,000 datagrams of one exporter replayed at once with
--exporter-max-rate 100: a bucket one second deep lets about 100 through (plus what
refills while the replay lasts), the rest is counted, in total and per exporter in
/metrics; another exporter under its rate loses nothing."""
import os
import re
import subprocess
import tempfile
import time
import urllib.request

import cflib
import hostile as h
import test_ctlplane as tc

c = cflib.Checker("exporter_policy")

with tempfile.TemporaryDirectory() as d:
    pcap = os.path.join(d, "allow.pcap")
    fr = [h.udp("192.0.2.1", "192.0.2.2", 4000, 2055, h.v5(2, 2 * k, 1)) for k in range(300)]
    fr += [h.udp("198.51.100.1", "192.0.2.2", 4000, 2055, h.v5(2, 2 * k, 2)) for k in range(200)]
    for k in range(20):
        fr += h.udp_fragments("198.51.100.1", "192.0.2.2", 4000, 2055, h.v5(30, k), 100 + k)
    h.write_pcap(pcap, fr)
    run = cflib.run_pcap(pcap, ["--exporter-allow", "192.0.2.0/24",
                                "--exporter-allow", "2001:db8::/32"])
    c.eq(run.rc, 0, "allow-list run (%s)" % run.stderr[-300:])
    c.eq(len(run.records), 600, "records only from the allowed exporter")
    c.check(all(r["switch_id"] == "192.0.2.1" for r in run.records), "all from 192.0.2.1")
    c.eq(run.drop("exporter_not_allowed"), 200 + 40, "others counted (datagrams and fragments)")
    c.eq(run.stats.get("frag_in", 0), 0, "no fragment of theirs took a reassembly slot")
    r = subprocess.run([cflib.BIN, "--", "--exporter-allow", "10.0.0.1/8"], capture_output=True,
                       text=True, timeout=30)
    c.eq(r.returncode, 2, "a prefix with host bits is a usage error")
    c.check("host bits" in r.stderr, "and says why (%s)" % r.stderr.strip())

    pcap = os.path.join(d, "rate.pcap")
    fr = [h.udp("192.0.2.5", "192.0.2.2", 4000, 2055, h.v5(1, k, 5)) for k in range(2000)]
    fr += [h.udp("192.0.2.6", "192.0.2.2", 4000, 2055, h.v5(1, k, 6)) for k in range(50)]
    h.write_pcap(pcap, fr)
    port = cflib.free_port()
    cmd = [cflib.BIN] + cflib.eal_args("net_pcap0,rx_pcap=" + pcap) + \
        ["--", "--http-port", str(port), "--agent-port", "0", "--run-time", "4",
         "--output", "ndjson:" + os.path.join(d, "out.ndjson"), "--exporter-max-rate", "100"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    metrics, last = "", None
    pat = r'clarion_flowd_exporter_rate_limited_total\{[^}]*exporter="192.0.2.5"[^}]*\} (\d+)'
    for _ in range(30):  # until the replay is over: the same value twice
        time.sleep(0.3)
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics?format=prometheus" % port,
                                        timeout=2) as resp:
                text = resp.read().decode()
        except OSError:
            continue
        m = re.search(pat, text)
        if m and m.group(1) == last:
            break
        metrics, last = text, m.group(1) if m else None
    err = p.communicate(timeout=60)[1]
    st = cflib.parse_final(err)
    with open(os.path.join(d, "out.ndjson")) as f:
        recs = [line for line in f if line.strip()]
    limited = st["drops"].get("exporter_rate_limited", 0)
    passed = 2050 - limited
    c.check(100 <= passed - 50 <= 400, "about a second's worth let through (%d of 2000)" % (passed - 50))
    c.eq(len(recs), passed, "every datagram let through decoded")
    six = sum(1 for x in recs if '"src_port":6' in x)
    c.eq(six, 50, "the exporter under its rate lost nothing")
    m = re.search(pat, metrics)
    c.check(m and int(m.group(1)) == limited, "per exporter in /metrics (%s, total %d)"
            % (m.group(0) if m else None, limited))
    print("rate limit 100/s: %d of 2000 datagrams let through, %d counted" % (passed - 50, limited))
c.done()

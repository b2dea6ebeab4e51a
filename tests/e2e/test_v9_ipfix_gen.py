#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""NetFlow v9 and IPFIX through the real binary: pcaps from scripts/gen_template.py
(Cisco-like template with SGT) must come out exactly as the generator computed,
over several exporters, templates and refreshes, IPv4 and IPv6 transport, with
a variable-length element, and with no sequence loss reported."""
import json
import os
import subprocess
import sys
import tempfile

import cflib

NAME = "v9_ipfix_gen"
GEN = os.path.join(cflib.ROOT, "scripts", "gen_template.py")
c = cflib.Checker(NAME)

CASES = [
    ("v9", ["--exporters", "3", "--templates-per-exporter", "2", "--refresh", "5"]),
    ("v9", ["--ipv6", "--records", "30"]),
    ("ipfix", ["--exporters", "2", "--templates-per-exporter", "3", "--refresh", "4"]),
    ("ipfix", ["--varlen", "--exporters", "2", "--ipv6"]),
]

with tempfile.TemporaryDirectory() as d:
    for i, (proto, extra) in enumerate(CASES):
        what = "%s %s" % (proto, " ".join(extra))
        pcap, exp = os.path.join(d, "%d.pcap" % i), os.path.join(d, "%d.ndjson" % i)
        subprocess.run([sys.executable, GEN, "--proto", proto, "--datagrams", "40", "--seed",
                        str(i + 7), "--out", pcap, "--expect", exp] + extra, check=True)
        with open(exp) as f:
            want = [json.loads(line) for line in f]
        run = cflib.run_pcap(pcap)
        c.eq(run.rc, 0, "%s: exit status" % what)
        c.eq(len(run.records), len(want), "%s: record count" % what)
        bad = [k for k, (g, w) in enumerate(zip(run.records, want)) if g != w]
        c.check(not bad, "%s: %d records differ, first %s" %
                (what, len(bad), bad and {k: (run.records[bad[0]].get(k), v)
                                          for k, v in want[bad[0]].items()
                                          if run.records[bad[0]].get(k) != v}))
        c.eq(run.stats.get("seq_lost"), 0, "%s: no sequence loss" % what)
        c.eq(sum(run.stats["drops"].values()), 0, "%s: no drops" % what)
        c.check(run.stats.get("tpl_added", 0) > 0, "%s: templates added" % what)
        if "--varlen" in extra:
            c.check("0/96=" in run.stderr, "%s: applicationName counted as unknown" % what)
c.done()

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""--field-map: an operator's (version, PEN, element id) -> field map overrides the
built-in one at template compile time; a malformed file stops start-up with exit
status 2 and a message naming the offending key."""
import json
import os
import subprocess
import sys
import tempfile

import cflib

NAME = "field_map"
GEN = os.path.join(cflib.ROOT, "scripts", "gen_template.py")
c = cflib.Checker(NAME)

with tempfile.TemporaryDirectory() as d:
    def write(name, obj):
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write(obj if isinstance(obj, str) else json.dumps(obj))
        return path

    def gen(proto, *extra):
        pcap, exp = os.path.join(d, proto + ".pcap"), os.path.join(d, proto + ".ndjson")
        subprocess.run([sys.executable, GEN, "--proto", proto, "--datagrams", "10", "--out", pcap,
                        "--expect", exp] + list(extra), check=True)
        with open(exp) as f:
            return pcap, [json.loads(line) for line in f]

    # v9: this "device" puts the source SGT in 34001 and something else in 34000.
    pcap, want = gen("v9")
    fm = write("v9.json", {"9:0:34000": "skip", "9:0:34001": "src_sgt"})
    run = cflib.run_pcap(pcap, ["--field-map", fm])
    c.eq(run.rc, 0, "v9 with a field map: exit status")
    c.eq(len(run.records), len(want), "v9: record count")
    for w in want:
        w["src_sgt"], w["dst_sgt"] = w["dst_sgt"], None
    c.eq(run.records, want, "v9: SGT fields remapped")
    c.check("0/34000" not in run.stderr, "v9: a 'skip' element is not reported as unknown")

    # IPFIX: applicationName marked as known-and-ignored; PEN 9 SGT kept from the built-in map.
    pcap, want = gen("ipfix", "--varlen")
    run = cflib.run_pcap(pcap, ["--field-map", write("ipfix.json", {"10:0:96": "skip"})])
    c.eq(run.records, want, "ipfix: records unchanged")
    c.check("0/96=" not in run.stderr, "ipfix: skipped element not counted as unknown")

    for name, text, needle in (
            ("badkey.json", '{"9:0:1": "bytes", "11:0:1": "bytes"}', '"11:0:1"'),
            ("badfield.json", '{"10:9:1232": "sgt_src"}', '"sgt_src"'),
            ("notjson.json", '{"9:0:1": ', "not a JSON object"),
            ("badvalue.json", '{"9:0:1": 5}', '"9:0:1"')):
        p = subprocess.run([cflib.BIN] + cflib.eal_args("net_null0") +
                           ["--", "--field-map", write(name, text)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        c.eq(p.returncode, 2, "%s: exit status" % name)
        c.check(needle in p.stderr, "%s: error names %s: %r" % (name, needle, p.stderr[-300:]))
c.done()

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Malformed frames and datagrams through the real binary: no crash, each one
counted under the reason it was built to hit, and decoding still works after."""
import collections
import json
import os
import tempfile

import cflib

c = cflib.Checker("garbage")

with tempfile.TemporaryDirectory() as d:
    pcap, cases_f = os.path.join(d, "g.pcap"), os.path.join(d, "cases.json")
    cflib.gen("garbage", "--out", pcap, "--expect-drops", cases_f)
    with open(cases_f) as f:
        cases = json.load(f)
    want = collections.Counter(cases)
    for binary in (cflib.BIN, os.path.join(cflib.ROOT, "build-asan", "app", "clarion-flowd")):
        if not os.path.exists(binary):
            continue
        cflib.BIN = binary
        tag = os.path.basename(os.path.dirname(os.path.dirname(binary)))
        run = cflib.run_pcap(pcap, timeout=120)
        c.eq(run.rc, 0, "%s: exit status (stderr tail: %s)" % (tag, run.stderr[-300:]))
        c.check("runtime error" not in run.stderr and "AddressSanitizer" not in run.stderr,
                "%s: no sanitizer report" % tag)
        st = run.stats
        c.eq(st.get("rx_packets"), len(cases), "%s: every frame received" % tag)
        for reason, n in want.items():
            if reason in ("random", "good"):
                continue
            if reason == "unknown_version":  # the random junk lands here too
                c.check(run.drop(reason) >= n, "%s: drop %s >= %d" % (tag, reason, n))
            else:
                c.eq(run.drop(reason), n, "%s: drop %s" % (tag, reason))
        # The random junk lands on some datagram-level reason; nothing is unaccounted.
        decoded_dgrams = st.get("netflow_v5", 0) - sum(run.drop(k) for k in ("v5_short", "v5_bad_count",
                                                                              "v5_truncated"))
        accounted = decoded_dgrams + sum(st["drops"].values())
        c.eq(accounted, len(cases), "%s: every frame decoded or dropped by reason" % tag)
        c.eq(len(run.records), st.get("records"), "%s: records out = records decoded" % tag)
        c.check(len(run.records) >= 2 and run.records[-1]["switch_id"] == "10.0.0.1",
                "%s: the good datagram after the junk decoded" % tag)

c.done()

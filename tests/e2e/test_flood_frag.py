#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Fragments that never complete must not starve the NIC of mbufs.

A stranger sends 4,000 spoofed datagrams' worth of fragments (first and two middle
ones each, never the last: 12,000 fragments, about 12 MB held for the reassembly
timeout); the mbuf pool is the default 8,192. Among them a legitimate v5 exporter
sends whole datagrams and fragmented ones (two fragments each), during the flood and
after it. Every legitimate record must arrive, the port must report no rx_nombuf, and
the fragments given up must be counted (frag_evicted) -- never silently lost. Prints
the legitimate records seen during/after and the RX lcore's busy time per frame."""
import os
import tempfile

import cflib
import hostile as h

c = cflib.Checker("flood_frag")
frames = []
want = {}
seq = [0]


def legit(tag, fragmented):
    payload = h.v5(30 if fragmented else 5, seq[0], tag)
    seq[0] += 30 if fragmented else 5
    if fragmented:
        seq_id = 0x7000 + len(frames) % 0x8000
        frames.extend(h.udp_fragments("192.0.2.40", "192.0.2.2", 40000, 2055, payload, seq_id))
    else:
        frames.append(h.udp("192.0.2.40", "192.0.2.2", 40000, 2055, payload))
    want[tag] = want.get(tag, 0) + (30 if fragmented else 5)


FLOWS = 4000
legit(1, True)
for i in range(FLOWS):
    src = "198.51.%d.%d" % (100 + (i >> 8), i & 255)
    junk = b"\xab" * 1000
    # offset 0, 1000, 2000, all with more-fragments: the datagram never completes
    for off in (0, 1000, 2000):
        frames.append(h.ETH + h.ipv4(src, "192.0.2.2", 17, junk, ident=i & 0xffff,
                                     frag_off=off, more=True))
    if i % 20 == 0:
        legit(1, False)
    if i % 100 == 50:
        legit(1, True)
for k in range(100):
    legit(2, k % 2 == 0)

with tempfile.TemporaryDirectory() as d:
    pcap = os.path.join(d, "frag.pcap")
    h.write_pcap(pcap, frames)
    run = cflib.run_pcap(pcap, timeout=300)
    c.eq(run.rc, 0, "exit status (stderr tail: %s)" % run.stderr[-400:])
    got = {}
    for r in run.records:
        got[r["src_port"]] = got.get(r["src_port"], 0) + 1
    for tag, what in ((1, "during the flood"), (2, "after the flood")):
        c.eq(got.get(tag, 0), want[tag], "legitimate records " + what)
        print("legit v5 exporter %-20s %d of %d records" % (what, got.get(tag, 0), want[tag]))
    c.eq(h.port_nombuf(run.stderr), 0, "port rx_nombuf")
    st = run.stats
    c.eq(st.get("rx_packets"), len(frames), "every frame taken from the NIC")
    c.check(run.drop("frag_evicted") > 0, "evicted fragments counted (%d)" % run.drop("frag_evicted"))
    held = 3 * FLOWS + 2 * sum(1 for k in range(100) if k % 2 == 0)
    # Every flood fragment is accounted for: evicted, timed out at stop, or table-full/bad.
    gone = sum(run.drop(k) for k in ("frag_evicted", "frag_timeout", "frag_table_full",
                                     "frag_bad", "frag_no_mbuf"))
    c.eq(gone, 3 * FLOWS, "flood fragments all counted (of %d held)" % held)
    lc = h.lcore_lines(run.stderr)
    us = sum(x.get("busy_us", 0) for x in lc)
    print("flood: %d fragments + %d legitimate frames; RX lcore busy %d us = %.2f us per frame"
          % (3 * FLOWS, len(frames) - 3 * FLOWS, us, us / max(len(frames), 1)))
c.done()

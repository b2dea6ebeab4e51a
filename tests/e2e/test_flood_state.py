#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A flood of spoofed sources against the bounded tables (exporter table, template
state, sFlow counter table), replayed through the real binary on the pcap PMD.

12,000 IPFIX messages from ever-new (address, observation domain) pairs, each with a
template set, fill the exporter table (4096) and the template states (512) three times
over; 6,000 sFlow counter samples of ever-new (agent, ifIndex) pairs do the same to the
counter table. Among them, legitimate exporters keep sending: one IPFIX exporter known
before the flood, one that starts in the middle of it, a NetFlow v5 exporter (with two
sequence gaps of 10 records) that also starts in the middle, and an sFlow agent whose
interfaces report during and after. Every one of their records must arrive, during the
flood and after it, their sequence gaps must be counted exactly, and the evictions must
be counted. Prints the legitimate records seen during/after and the RX lcore's busy time
per datagram."""
import json
import os
import tempfile

import cflib
import hostile as h

c = cflib.Checker("flood_state")
FLOOD, SFLOOD = 12000, 6000
frames = []
want = {}            # tag (src_port) -> records sent
gaps = 0


ipfix_seq = {}


def send_ipfix(src, domain, _seq, tpl, tag, n):
    """IPFIX sequence numbers count records: in order, so any loss seen is a real one."""
    seq = ipfix_seq.get(src, 0)
    frames.append(h.udp(src, "192.0.2.2", 40000, 4739,
                        h.ipfix(domain, seq, tpl, [(tag, k) for k in range(n)])))
    ipfix_seq[src] = seq + n
    want[tag] = want.get(tag, 0) + n


v5_seq = [0]


def send_v5(tag, gap=0):
    global gaps
    v5_seq[0] += gap
    gaps += gap
    frames.append(h.udp("192.0.2.30", "192.0.2.2", 40001, 2055, h.v5(5, v5_seq[0], tag)))
    v5_seq[0] += 5
    want[tag] = want.get(tag, 0) + 5


# Known before the flood: template with data, then data.
send_ipfix("192.0.2.10", 1, 0, True, 1, 3)
send_ipfix("192.0.2.10", 1, 1, False, 1, 3)
for i in range(FLOOD):
    src = "10.%d.%d.%d" % (1 + (i >> 16), (i >> 8) & 255, i & 255)
    frames.append(h.udp(src, "192.0.2.2", 50000, 4739, h.ipfix(i, 0, True)))
    if i % 20 == 0:
        send_ipfix("192.0.2.10", 1, 2 + i, False, 1, 3)
    if i >= 3000 and i % 20 == 10:   # starts inside the flood; template every 10th message
        send_ipfix("192.0.2.11", 2, i, i % 200 == 10, 2, 2)
    if i >= 4000 and i % 40 == 0:
        send_v5(3, gap=10 if i in (6000, 9000) else 0)
for k in range(50):                   # after the flood
    send_ipfix("192.0.2.10", 1, 100000 + k, False, 11, 3)
    send_ipfix("192.0.2.11", 2, 100000 + k, False, 12, 2)
    send_v5(13)
# sFlow: interface 7 of the real agent reports before, during and after; 8 starts during.
sent_octets = {}


sflow_seq = [0]


def send_ctr(ifindex, _seq, octets):
    sflow_seq[0] += 1
    frames.append(h.udp("192.0.2.20", "192.0.2.2", 40002, 6343,
                        h.sflow_counters("192.0.2.20", sflow_seq[0], ifindex, octets)))
    sent_octets[ifindex] = octets


send_ctr(7, 1, 100)
send_ctr(7, 2, 200)
for i in range(SFLOOD):
    agent = "172.16.%d.%d" % ((i >> 8) & 255, i & 255)
    frames.append(h.udp(agent, "192.0.2.2", 50001, 6343, h.sflow_counters(agent, 1, i, 1)))
    if i % 50 == 0:
        send_ctr(7, 3 + i, 1000 + i)
    if i >= 3000 and i % 50 == 25:
        send_ctr(8, i, 5000 + i)
for k in range(20):
    send_ctr(7, 100000 + k, 900000 + k)
    send_ctr(8, 100000 + k, 800000 + k)

legit_dgrams = len(frames) - FLOOD - SFLOOD
with tempfile.TemporaryDirectory() as d:
    pcap = os.path.join(d, "flood.pcap")
    ctr = os.path.join(d, "ctr.ndjson")
    h.write_pcap(pcap, frames)
    run = cflib.run_pcap(pcap, ["--sflow-counters", "ndjson:" + ctr], timeout=300)
    c.eq(run.rc, 0, "exit status (stderr tail: %s)" % run.stderr[-400:])
    got = {}
    for r in run.records:
        got[r["src_port"]] = got.get(r["src_port"], 0) + 1
    for tag, what in ((1, "IPFIX exporter known before, during the flood"),
                      (2, "IPFIX exporter started during the flood, during it"),
                      (3, "v5 exporter started during the flood, during it"),
                      (11, "IPFIX exporter known before, after the flood"),
                      (12, "IPFIX exporter started during the flood, after it"),
                      (13, "v5 exporter, after the flood")):
        c.eq(got.get(tag, 0), want[tag], what + ": records")
        print("legit %-55s %d of %d records" % (what, got.get(tag, 0), want[tag]))
    st = run.stats
    c.eq(st.get("seq_lost", 0) - st.get("seq_late", 0), gaps,
         "the v5 exporter's two sequence gaps counted exactly")
    c.check(st.get("exporters_evicted", 0) >= FLOOD + SFLOOD - 4096,
            "exporter evictions counted (%s)" % st.get("exporters_evicted"))
    c.check(st.get("tpl_exporters_evicted", 0) >= FLOOD - 512,
            "template state evictions counted (%s)" % st.get("tpl_exporters_evicted"))
    for reason in ("exporter_table_full", "tpl_exporters_full", "no_template",
                   "sflow_counters_full"):
        c.eq(run.drop(reason), 0, "drop " + reason)
    last = {}
    with open(ctr) as f:
        for line in f:
            j = json.loads(line)
            if j.get("agent") == "192.0.2.20":
                last[j["ifindex"]] = j.get("in_octets")
    for ifindex in (7, 8):
        c.eq(last.get(ifindex), sent_octets[ifindex],
             "sFlow interface %d: its last counters written" % ifindex)
    lc = h.lcore_lines(run.stderr)
    dg = sum(x.get("flow_datagrams", 0) for x in lc)
    us = sum(x.get("busy_us", 0) for x in lc)
    c.eq(dg, len(frames), "every datagram decoded or counted")
    print("flood: %d spoofed + %d legitimate datagrams; RX lcore busy %d us = %.2f us per datagram"
          % (FLOOD + SFLOOD, legit_dgrams, us, us / max(dg, 1)))
c.done()

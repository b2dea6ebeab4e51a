#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""NetFlow v5 end to end: generated captures whose every record is known go
through the real clarion-flowd on the pcap PMD; the NDJSON must equal the
expected records exactly and the final counters must add up."""
import json
import os
import tempfile

import cflib

c = cflib.Checker("v5")

PKT_DROPS = ["l2_truncated", "l2_not_ip", "vlan_too_deep", "ip_truncated", "ip_bad_header",
             "ip_fragment", "ip6_ext_bad", "not_udp", "udp_truncated", "udp_port", "dst_addr",
             "mbuf_chain"]


def check_exact(name, gen_args, app_args=(), datagrams=None):
    with tempfile.TemporaryDirectory() as d:
        pcap, expect = os.path.join(d, "in.pcap"), os.path.join(d, "expect.ndjson")
        cflib.gen("v5", "--out", pcap, "--expect", expect, *gen_args)
        with open(expect) as f:
            want = [json.loads(line) for line in f]
        run = cflib.run_pcap(pcap, app_args)
        c.eq(run.rc, 0, "%s: exit status" % name)
        c.eq(len(run.records), len(want), "%s: record count" % name)
        first_bad = next((i for i, (g, w) in enumerate(zip(run.records, want)) if g != w), None)
        if not c.check(first_bad is None, "%s: records equal expected" % name):
            i = first_bad
            diff = {k: (run.records[i].get(k), want[i].get(k)) for k in set(want[i]) | set(run.records[i])
                    if run.records[i].get(k) != want[i].get(k)}
            print("  first difference at record %d: %s" % (i, diff))
        st = run.stats
        c.eq(st.get("records"), len(want), "%s: records counter" % name)
        c.eq(st.get("output"), len(want), "%s: output counter" % name)
        if datagrams is not None:
            c.eq(st.get("rx_packets"), datagrams, "%s: rx_packets" % name)
            c.eq(st.get("netflow_v5"), datagrams, "%s: v5 datagrams" % name)
        # packets in = handed to a decoder + dropped by a packet-level reason
        c.eq(st.get("rx_packets"), st.get("flow_datagrams") + sum(run.drop(k) for k in PKT_DROPS),
             "%s: packets add up" % name)
        c.eq(st.get("seq_lost"), 0, "%s: no sequence loss" % name)
        c.eq(st.get("seq_reset"), 0, "%s: no sequence reset" % name)
        return run


check_exact("plain", ["--datagrams", "200", "--records", "30", "--exporters", "5"], datagrams=200)
check_exact("partial_datagrams", ["--datagrams", "17", "--records", "7", "--seed", "3"], datagrams=17)
check_exact("vlan", ["--datagrams", "20", "--records", "5", "--vlan", "42"], datagrams=20)
check_exact("qinq", ["--datagrams", "20", "--records", "5", "--vlan", "42", "--qinq", "100"],
            datagrams=20)
check_exact("ipv6_exporters", ["--datagrams", "20", "--records", "4", "--ipv6", "--exporters", "3"],
            datagrams=20)
run = check_exact("plain_pool", ["--datagrams", "20", "--records", "30"], datagrams=20)
# The record blocks come from a LIFO pool (BENCHMARKS.md: RX writes into warm blocks); a
# silent fallback to the FIFO ring would cost a third of the RX rate.
c.check("record block pool:" in run.stderr and ", lf_stack" in run.stderr,
        "record block pool is the lock-free stack (%s)"
        % [ln for ln in run.stderr.splitlines() if "block pool" in ln])
run = check_exact("jumbo_frames", ["--datagrams", "5", "--records", "30", "--pad", "7000"], datagrams=5)
c.eq(run.stats.get("v5_trailing"), 5, "jumbo_frames: trailing bytes counted")
check_exact("sampled", ["--datagrams", "10", "--records", "3", "--sampled"], datagrams=10)
check_exact("collector_ip_match", ["--datagrams", "10", "--records", "3"],
            ["--collector-ip", "192.0.2.2", "--collector-ip", "2001:db8::2"], datagrams=10)

# Datagrams to another address are dropped and counted, not decoded.
with tempfile.TemporaryDirectory() as d:
    pcap = os.path.join(d, "in.pcap")
    cflib.gen("v5", "--out", pcap, "--datagrams", "12", "--records", "2")
    run = cflib.run_pcap(pcap, ["--collector-ip", "198.51.100.9"])
    c.eq(len(run.records), 0, "other collector ip: no records")
    c.eq(run.drop("dst_addr"), 12, "other collector ip: dst_addr drops")
    # ... and a flow port that is not ours is udp_port.
    run = cflib.run_pcap(pcap, ["--netflow-port", "9995"])
    c.eq(run.drop("udp_port"), 12, "other port: udp_port drops")
    # The old collector's environment variable still works, and a flag beats it.
    os.environ["CLARION_COLLECTOR_NETFLOW_PORT"] = "9995"
    run = cflib.run_pcap(pcap)
    c.eq(run.drop("udp_port"), 12, "env port: udp_port drops")
    run = cflib.run_pcap(pcap, ["--netflow-port", "2055"])
    c.eq(len(run.records), 24, "flag beats env: records")
    del os.environ["CLARION_COLLECTOR_NETFLOW_PORT"]

# Two RX lcores: a PMD without RSS gets one queue; the program still runs.
with tempfile.TemporaryDirectory() as d:
    pcap = os.path.join(d, "in.pcap")
    cflib.gen("v5", "--out", pcap, "--datagrams", "30", "--records", "30")
    run = cflib.run_pcap(pcap, lcores="--lcores=0@0,1@1,2@1")
    c.eq(run.rc, 0, "three lcores: exit status")
    c.eq(len(run.records), 900, "three lcores: records")

c.done()

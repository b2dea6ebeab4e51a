#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Sketch uploads through the agent listener and delivery: 4 client threads x
500 JSON uploads (20 sketches each) against the test backend; prints the
accept rate, time until all delivered and mean request latency.
Run: python3 tests/e2e/bench_agent_ingest.py"""
import os, sys, time, threading, tempfile, json
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cflib, dlv, test_agent_ingest as t, test_ctlplane as tc
with tempfile.TemporaryDirectory() as tmp:
    pcap = os.path.join(tmp, "a.pcap"); cflib.gen("v5", "--out", pcap, "--datagrams", "5", "--seed", "1")
    be = dlv.Backend(tmp)
    f = t.Flowd(tmp, pcap, be.url, os.path.join(tmp, "sp"))
    N, T = 500, 4
    body = t.compact({"switch_id": "b", "sketches": [t.edge(i, "b") for i in range(20)], "timestamp": 1, "sketch_count": 20})
    def cl():
        for _ in range(N): f.post(t.SK, body)
    t0 = time.time(); th = [threading.Thread(target=cl) for _ in range(T)]
    [x.start() for x in th]; [x.join() for x in th]; t1 = time.time()
    tc.wait_for(lambda: f.metric("clarion_flowd_delivery_sketches_total", outcome="delivered") >= N*T, 60); t2 = time.time()
    s = f.prom()
    print("uploads %d: accepted in %.2f s (%.0f/s), all delivered after %.2f s; mean request latency %.2f ms" % (
        N*T, t1-t0, N*T/(t1-t0), t2-t0,
        1000*tc.value(s,"clarion_flowd_delivery_request_duration_seconds_sum")/tc.value(s,"clarion_flowd_delivery_request_duration_seconds_count")))
    f.stop(); be.stop()

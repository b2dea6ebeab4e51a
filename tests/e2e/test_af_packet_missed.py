#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Loss before the PMD is visible: clarion-flowd on net_af_packet with a 16-frame kernel
ring, in a network namespace of its own (tests/e2e/netns.py: veth cfa -> cfb). The sender
runs on the RX lcore's CPU and writes 20,000 NetFlow v5 frames back to back (at most
10 s), so the kernel fills the ring while the RX lcore cannot run and drops the rest. The
af_packet PMD of DPDK 22.11 reports imissed 0; the collector reads the kernel's count of
those drops (PACKET_STATISTICS on the PMD's sockets) into imissed. Checked: imissed > 0 in
/metrics and in the final block, and every frame sent is either received or missed.
Skips (77) without root or namespaces."""
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cflib  # noqa: E402
import netns  # noqa: E402
import test_ctlplane as tc  # noqa: E402

NAME = "af_packet_missed"
SEND = 20000


def metric(port, name):
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics?format=prometheus" % port,
                                  timeout=5).read().decode()
    for line in body.splitlines():
        if line.startswith(name + "{"):
            return int(float(line.split()[-1]))
    return None


def main():
    if netns.enter(NAME) is None:
        cflib.skip(NAME, "needs root and network namespaces")
    c = cflib.Checker(NAME)
    with tempfile.TemporaryDirectory() as d:
        pcap, err = os.path.join(d, "v5.pcap"), os.path.join(d, "err.log")
        cflib.gen("v5", "--out", pcap, "--datagrams", "50", "--records", "30",
                  "--exporters", "5", "--seed", "7")
        frames = netns.pcap_frames(pcap)
        port = cflib.free_port()
        cmd = [cflib.BIN] + cflib.eal_args(
            "net_af_packet0,iface=%s,blocksz=4096,framesz=2048,framecnt=16" % netns.RX) + \
            ["--", "--output", "null", "--run-time", "60", "--agent-port", "0",
             "--http-port", str(port), "--rx-backoff", "off", "--log-level", "info"]
        with open(err, "w") as ef:
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=ef)
        try:
            up = False
            for _ in range(150):
                try:
                    urllib.request.urlopen("http://127.0.0.1:%d/health" % port, timeout=1)
                    up = True
                    break
                except OSError:
                    time.sleep(0.2)
            if not c.check(up, "collector started (log: %s)" % open(err).read()[-400:]):
                return c.done()
            # The RX lcore is lcore 1 on CPU 1 (-l 0,1): while we send from CPU 1 it waits.
            os.sched_setaffinity(0, {1})
            s = netns.Sender()
            t0, sent = time.monotonic(), 0
            while sent < SEND and time.monotonic() - t0 < 10:
                s.s.send(frames[sent % len(frames)])
                sent += 1
            s.close()
            os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
            time.sleep(1.5)
            missed_metric = metric(port, "clarion_flowd_port_rx_missed_total")
        finally:
            cflib.stop(proc)
        log = open(err).read()
    final = log.split("==== final ====")[-1]
    rx = missed = None
    for line in final.splitlines():
        if line.startswith("port 0:"):
            kv = dict(p.split("=", 1) for p in line.split()[2:] if "=" in p)
            rx, missed = int(kv["rx_packets"]), int(kv["imissed"])
    print("sent %d frames in %.2f s; port 0: rx_packets=%s imissed=%s (/metrics %s)"
          % (sent, time.monotonic() - t0, rx, missed, missed_metric))
    c.check("kernel socket(s); their ring drops are counted in imissed" in log,
            "the af_packet socket was found (log: %s)" % log[-300:])
    c.check(missed_metric is not None and missed_metric > 0,
            "/metrics clarion_flowd_port_rx_missed_total > 0: %s" % missed_metric)
    c.check(missed is not None and missed > 0, "final block imissed > 0: %s" % missed)
    c.check(rx is not None and missed is not None and rx + missed == sent,
            "every frame received or missed: %s + %s == %d" % (rx, missed, sent))
    return c.done()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The template-state flood live: clarion-flowd on net_af_packet in a network namespace,
a sender in another, joined by a veth pair. For 4 s (at most 80,000 frames) the sender
writes IPFIX messages from ever-new spoofed (address, domain) pairs, each with a template
set, at about 20,000/s; every 50th frame is a legitimate exporter's data (3 records), and
a second legitimate exporter starts half way through. Then 200 legitimate messages.
Every legitimate record must arrive, during the flood and after; the RX lcore's busy
ratio during the flood (clarion_flowd_lcore_busy_ratio, scraped while it runs) is
printed with the records. Skips (77) without root or namespaces."""
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cflib  # noqa: E402
import test_ctlplane as tc  # noqa: E402

NAME = "flood_live"

SENDER = r"""
import socket, sys, time
sys.path.insert(0, sys.argv[1])
import hostile as h
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[2], 0))
phase = sys.argv[3]
seq = {}
def legit(src, dom, tpl, tag, n):
    q = seq.get(src, 0)
    s.send(h.udp(src, "192.0.2.2", 40000, 4739, h.ipfix(dom, q, tpl, [(tag, k) for k in range(n)])))
    seq[src] = q + n
sent = {1: 0, 2: 0, 11: 0, 12: 0}
if phase == "flood":
    legit("192.0.2.10", 1, True, 1, 3); sent[1] += 3
    t0 = time.monotonic(); i = 0
    while i < 80000 and time.monotonic() - t0 < 4:
        for _ in range(200):
            src = "10.%d.%d.%d" % (1 + (i >> 16), (i >> 8) & 255, i & 255)
            s.send(h.udp(src, "192.0.2.2", 50000, 4739, h.ipfix(i, 0, True)))
            if i % 50 == 0:
                legit("192.0.2.10", 1, i % 5000 == 0, 1, 3); sent[1] += 3
            if i >= 40000 and i % 50 == 25:
                legit("192.0.2.11", 2, i % 5000 == 25, 2, 2); sent[2] += 2
            i += 1
        # ~20,000 frames/s: 200 every 10 ms
        while time.monotonic() - t0 < i / 20000:
            time.sleep(0.001)
    print("flood", i, time.monotonic() - t0, sent[1], sent[2])
else:
    for k in range(200):
        legit("192.0.2.10", 1, k == 0, 11, 3); sent[11] += 3
        legit("192.0.2.11", 2, k == 0, 12, 2); sent[12] += 2
        time.sleep(0.001)
    print("after", sent[11], sent[12])
"""


def sh(*cmd, check=True, ns=None):
    if ns is not None:
        cmd = ("ip", "netns", "exec", ns) + cmd
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          check=check, timeout=120)


def busy_ratio(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics?format=prometheus" % port,
                                    timeout=5) as r:
            for line in r.read().decode().splitlines():
                if line.startswith("clarion_flowd_lcore_busy_ratio{"):
                    return float(line.split()[-1])
    except OSError:
        pass
    return None


def main():
    c = cflib.Checker(NAME)
    if os.geteuid() != 0:
        cflib.skip(NAME, "needs root to create network namespaces")
    tag = "%d%d" % (os.getpid() % 100000, random.randrange(100))
    ns_c, ns_e, if_c, if_e = "cfc" + tag, "cfe" + tag, "cfc" + tag, "cfe" + tag
    made = []
    try:
        for ns in (ns_c, ns_e):
            if sh("ip", "netns", "add", ns, check=False).returncode != 0:
                cflib.skip(NAME, "cannot create a network namespace")
            made.append(ns)
        if sh("ip", "link", "add", if_c, "type", "veth", "peer", "name", if_e,
              check=False).returncode != 0:
            cflib.skip(NAME, "cannot create a veth pair")
        sh("ip", "link", "set", if_c, "netns", ns_c)
        sh("ip", "link", "set", if_e, "netns", ns_e)
        sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % if_c, ns=ns_c)
        sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % if_e, ns=ns_e)
        sh("ip", "link", "set", if_c, "up", ns=ns_c)
        sh("ip", "link", "set", if_e, "up", ns=ns_e)
        sh("ip", "link", "set", "lo", "up", ns=ns_c)
        with tempfile.TemporaryDirectory() as d:
            out, err = os.path.join(d, "out.ndjson"), os.path.join(d, "err.log")
            port = cflib.free_port()
            cmd = ["ip", "netns", "exec", ns_c, cflib.BIN] + \
                cflib.eal_args("net_af_packet0,iface=%s,blocksz=65536,framesz=2048,framecnt=8192"
                               % if_c) + \
                ["--", "--output", "ndjson:" + out, "--run-time", "120", "--agent-port", "0",
                 "--http-port", str(port)]
            with open(err, "w") as ef:
                proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=ef)
            sent = {}
            ratios = []
            try:
                up = False
                for _ in range(150):
                    if sh("python3", "-c", "import urllib.request as u; u.urlopen("
                          "'http://127.0.0.1:%d/health', timeout=1)" % port, check=False,
                          ns=ns_c).returncode == 0:
                        up = True
                        break
                    time.sleep(0.2)
                if not c.check(up, "collector started (log: %s)" % open(err).read()[-400:]):
                    return c.done()
                hp = os.path.dirname(os.path.abspath(__file__))
                snd = subprocess.Popen(("ip", "netns", "exec", ns_e, "python3", "-c", SENDER, hp,
                                        if_e, "flood"), stdout=subprocess.PIPE, text=True)
                time.sleep(1.5)
                for _ in range(3):  # the busy ratio over the last scrape interval
                    r = sh("python3", "-c", "import urllib.request as u; print(u.urlopen("
                           "'http://127.0.0.1:%d/metrics?format=prometheus', timeout=5)"
                           ".read().decode())" % port, check=False, ns=ns_c).stdout
                    for line in r.splitlines():
                        if line.startswith("clarion_flowd_lcore_busy_ratio{"):
                            ratios.append(float(line.split()[-1]))
                    time.sleep(0.7)
                fl = snd.communicate(timeout=60)[0].split()
                sent[1], sent[2] = int(fl[3]), int(fl[4])
                flood_n, flood_s = int(fl[1]), float(fl[2])
                af = sh("python3", "-c", SENDER, hp, if_e, "after", ns=ns_e).stdout.split()
                sent[11], sent[12] = int(af[1]), int(af[2])
                time.sleep(1)
            finally:
                cflib.stop(proc)
            log = open(err).read()
            got = {}
            import json
            for line in open(out):
                t = json.loads(line)["src_port"]
                got[t] = got.get(t, 0) + 1
            for t, what in ((1, "known before, during the flood"), (2, "started during, during"),
                            (11, "known before, after"), (12, "started during, after")):
                c.eq(got.get(t, 0), sent[t], "legit %s" % what)
                print("legit %-32s %d of %d records" % (what, got.get(t, 0), sent[t]))
            st = cflib.parse_final(log)
            print("flood: %d spoofed messages in %.1f s (%.0f/s); RX lcore busy ratio during it: %s"
                  % (flood_n, flood_s, flood_n / flood_s, ", ".join("%.3f" % x for x in ratios)))
            print("exporters_evicted=%s tpl_exporters_evicted=%s" %
                  (st.get("exporters_evicted"), st.get("tpl_exporters_evicted")))
            c.check(st.get("tpl_exporters_evicted", 0) > 0, "evictions counted")
    finally:
        for ns in made:
            sh("ip", "netns", "del", ns, check=False)
    return c.done()


if __name__ == "__main__":
    main()

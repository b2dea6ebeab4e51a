#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""One CPU, live traffic (BENCHMARKS.md, issue 18 lever 3), as root:

    scripts/bench_onecpu.py BIN FPS SECONDS [application flags]

Creates a network namespace of its own with a veth pair cfa <-> cfb (removed at exit), runs
BIN on net_af_packet (iface=cfb, framecnt=4096) with both lcores on CPU 0 (--lcores 0@0,1@0)
and NDJSON to a tmpfs file, and a raw-socket sender pinned to CPU 1 that replays the v5 bench
capture (out/v5.pcap: gen_flows.py v5 --datagrams 2000 --records 30 --exporters 200 --seed 1)
at FPS frames/s for SECONDS (bounded). Prints sent, received, imissed, written and the loss."""
import os, re, signal, subprocess, sys, time
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import netns  # noqa: E402
PCAP = os.path.join(ROOT, "out", "v5.pcap")
if not os.path.exists(PCAP):
    os.makedirs(os.path.dirname(PCAP), exist_ok=True)
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_flows.py"), "v5", "--out", PCAP,
                    "--datagrams", "2000", "--records", "30", "--exporters", "200", "--seed", "1"],
                   check=True, stdout=subprocess.DEVNULL)
binp, fps, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
extra = sys.argv[4:]
ns = "cfi18oc%d" % os.getpid()
def sh(*a, check=True):
    return subprocess.run(a, check=check, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
sh("ip", "netns", "add", ns)
out = "/dev/shm/i18oc%d.ndjson" % os.getpid()
try:
    sh("ip", "-n", ns, "link", "add", "cfa", "type", "veth", "peer", "name", "cfb")
    for dev in ("cfa", "cfb"):
        sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % dev)
        sh("ip", "-n", ns, "link", "set", dev, "up")
    frames = netns.pcap_frames(PCAP)
    cmd = ["ip", "netns", "exec", ns, binp, "--no-huge", "-m", "1024", "--no-pci", "--file-prefix",
           ns, "--lcores", "0@0,1@0", "--log-level=lib.*:error",
           "--vdev=net_af_packet0,iface=cfb,framecnt=4096", "--", "--output", "ndjson:" + out,
           "--http-port", "0", "--agent-port", "0", "--run-time", "60"] + extra
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    snd = ("import socket,sys,time,os\nsys.path.insert(0,%r)\n" % os.path.join(ROOT, "tests", "e2e") +
           "import netns\nos.sched_setaffinity(0,{1})\n"
           "fr=netns.pcap_frames(%r)\n" % PCAP +
           "s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW);s.bind(('cfa',0))\n"
           "fps=%d;secs=%f;t0=time.monotonic();n=0\n"
           "while time.monotonic()-t0<secs:\n"
           " tgt=int((time.monotonic()-t0)*fps)\n"
           " while n<tgt:\n  s.send(fr[n%%len(fr)]);n+=1\n"
           " time.sleep(0.0005)\n"
           "print(n, time.monotonic()-t0)\n") % (fps, secs)
    r = sh("ip", "netns", "exec", ns, "python3", "-c", snd)
    sent, dur = r.stdout.split()[:2]
    sent = int(sent)
    time.sleep(2)
    p.send_signal(signal.SIGINT)
    err = p.communicate(timeout=60)[1]
    fin = err.split("==== final ====")[-1]
    m = re.search(r"port 0: rx_packets=(\d+) rx_bytes=\d+ imissed=(\d+)", fin)
    tot = re.search(r"total: records=(\d+) handed=(\d+) output=(\d+)", fin)
    rf = re.search(r"ring_full=(\d+)", fin)
    lines = sum(1 for _ in open(out))
    recs = sent * 30
    print("fps=%d sent=%d frames (%d records) in %s s: rx_packets=%s imissed=%s decoded=%s "
          "written=%d ring_full=%s loss=%.2f%% written/s=%.3f M" % (
              fps, sent, recs, dur, m.group(1) if m else "?", m.group(2) if m else "?",
              tot.group(1) if tot else "?", lines, rf.group(1) if rf else "?",
              100.0 * (recs - lines) / recs, lines / float(dur) / 1e6))
finally:
    try:
        os.unlink(out)
    except OSError:
        pass
    sh("ip", "netns", "del", ns, check=False)

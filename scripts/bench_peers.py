#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The peers side by side (issue 18), as root: scripts/bench-peers.sh [--rates A,B,..] [--time S]

Two network namespaces joined by a veth pair (created here, removed at exit): the sender's
(cfpe, 10.99.0.1) and the collector's (cfpc, 10.99.0.2 on the kernel for the peers; for
clarion-flowd no kernel address, it answers ARP itself with --collector-ip). For each
collector in turn, each rate of the sweep: a fresh collector pinned to CPU 0 (clarion-flowd:
both lcores there, --lcores 0@0,1@0, net_af_packet framecnt=4096), a UDP sender pinned to
CPU 1 replaying the v5 bench capture's datagrams (gen_flows.py v5, 30 records each, 200
exporters' payloads from one source address) at RATE datagrams/s for --time seconds (a fixed
count, bounded in time), then what the collector stored:
  nfcapd   (nfdump 1.7)  flows in its files (nfdump -R DIR), binary files on disk
  nfacctd  (pmacct 1.7)  packets in its print plugin's CSV / packets per record sent
  clarion-flowd          records taken by the output (--output null, and ndjson:/dev/null)
and its CPU time (utime + stime of the process, from the start of the step to 2.5 s
after). The kernel path (sender, veth, the UDP
socket or af_packet) is inside every number; the "null" row measures its ceiling with a
receiver that does nothing (a UDP socket read and discarded, on CPU 0).
"""
import argparse
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import netns  # noqa: E402

NS_C, NS_E = "cfpc%d" % os.getpid(), "cfpe%d" % os.getpid()
IF_C, IF_E = "cfpc0", "cfpe0"
IP_C, IP_E = "10.99.0.2", "10.99.0.1"
PORT = 2055
CLK = os.sysconf("SC_CLK_TCK")


def sh(*a, ns=None, check=True):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(a)
    return subprocess.run(cmd, check=check, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=120)


def payloads():
    pcap = os.path.join(ROOT, "out", "v5.pcap")
    if not os.path.exists(pcap):
        os.makedirs(os.path.dirname(pcap), exist_ok=True)
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_flows.py"), "v5",
                        "--out", pcap, "--datagrams", "2000", "--records", "30", "--exporters",
                        "200", "--seed", "1"], check=True, stdout=subprocess.DEVNULL)
    out = []
    for fr in netns.pcap_frames(pcap):
        ihl = (fr[14] & 15) * 4
        p = fr[14 + ihl + 8:]
        n = struct.unpack(">H", p[2:4])[0]
        pk = sum(struct.unpack(">I", p[24 + 48 * i + 16:24 + 48 * i + 20])[0] for i in range(n))
        out.append((p, n, pk))
    return out


SENDER = r"""
import os, socket, sys, time
os.sched_setaffinity(0, {1})
pl = [bytes.fromhex(l) for l in open(sys.argv[1]).read().split()]
rate, secs = int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
s.bind((sys.argv[4], 0))
dst = (sys.argv[5], int(sys.argv[6]))
total = int(rate * secs)
t0 = time.monotonic(); n = 0
while n < total and time.monotonic() - t0 < secs + 2:
    tgt = min(total, int((time.monotonic() - t0) * rate) + 1)
    while n < tgt:
        try:
            s.sendto(pl[n % len(pl)], dst)
        except OSError:
            break
        n += 1
    time.sleep(0.0002)
print(n, time.monotonic() - t0)
"""

NULL_RX = r"""
import os, socket, sys, time
os.sched_setaffinity(0, {0})
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(0.5)
n = 0; t0 = last = time.monotonic()
while (n == 0 or time.monotonic() - last < 2) and time.monotonic() - t0 < 60:
    try:
        s.recv(2048); n += 1; last = time.monotonic()
    except socket.timeout:
        pass
print(n)
"""


def cpu_s(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fl = f.read().rsplit(")", 1)[1].split()
        return (int(fl[11]) + int(fl[12])) / CLK
    except OSError:
        return 0.0


def setup():
    for ns in (NS_C, NS_E):
        sh("ip", "netns", "add", ns)
    sh("ip", "link", "add", IF_C, "type", "veth", "peer", "name", IF_E)
    sh("ip", "link", "set", IF_C, "netns", NS_C)
    sh("ip", "link", "set", IF_E, "netns", NS_E)
    for ns, dev in ((NS_C, IF_C), (NS_E, IF_E)):
        sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % dev, ns=ns)
        sh("ip", "link", "set", dev, "up", ns=ns)
        sh("ip", "link", "set", "lo", "up", ns=ns)
    sh("ip", "addr", "add", IP_E + "/24", "dev", IF_E, ns=NS_E)
    mac = sh("cat", "/sys/class/net/%s/address" % IF_C, ns=NS_C).stdout.strip()
    sh("ip", "neigh", "replace", IP_C, "lladdr", mac, "dev", IF_E, "nud", "permanent", ns=NS_E)


def kernel_addr(on):
    sh("ip", "addr", "flush", "dev", IF_C, ns=NS_C)
    if on:
        sh("ip", "addr", "add", IP_C + "/24", "dev", IF_C, ns=NS_C)


def send(plfile, rate, secs):
    r = sh(sys.executable, "-c", SENDER, plfile, str(rate), str(secs), IP_E, IP_C, str(PORT),
           ns=NS_E)
    n, dur = r.stdout.split()[:2]
    return int(n), float(dur)


def run_one(name, rate, secs, plfile, pl, work):
    """(datagrams sent, records sent, records stored, collector CPU seconds)."""
    d = tempfile.mkdtemp(dir=work)
    pin = ["taskset", "-c", "0"]
    kernel_addr(name != "clarion-null" and name != "clarion-ndjson")
    if name == "nfcapd":
        os.mkdir(os.path.join(d, "data"))
        cmd = pin + ["nfcapd", "-w", os.path.join(d, "data"), "-b", IP_C, "-p", str(PORT), "-t", "3600"]
    elif name == "nfacctd":
        conf = os.path.join(d, "nfacctd.conf")
        with open(conf, "w") as f:
            f.write("daemonize: false\nnfacctd_ip: %s\nnfacctd_port: %d\nplugins: print[p]\n"
                    "aggregate[p]: src_host, dst_host, src_port, dst_port, proto\n"
                    "print_output[p]: csv\nprint_output_file[p]: %s/out.csv\n"
                    "print_output_file_append[p]: true\nprint_refresh_time[p]: 1\n"
                    % (IP_C, PORT, d))
        cmd = pin + ["nfacctd", "-f", conf]
    elif name == "null":
        cmd = [sys.executable, "-c", NULL_RX, IP_C, str(PORT)]
    else:
        out = "null" if name == "clarion-null" else "ndjson:/dev/null"
        cmd = [os.environ.get("CF_BIN", os.path.join(ROOT, "build", "app", "clarion-flowd")),
               "--no-huge", "-m", "1024", "--no-pci", "--file-prefix", "cfpeer%d" % os.getpid(),
               "--lcores", "0@0,1@0", "--log-level=lib.*:error",
               "--vdev=net_af_packet0,iface=%s,framecnt=4096" % IF_C, "--", "--output", out,
               "--collector-ip", IP_C, "--http-port", "0", "--agent-port", "0"]
    log = open(os.path.join(d, "log"), "w+")
    p = subprocess.Popen(["ip", "netns", "exec", NS_C] + cmd, stdout=subprocess.PIPE
                         if name == "null" else log, stderr=log, text=True)
    time.sleep(2.5)
    cpu0 = cpu_s(p.pid)
    n, _ = send(plfile, rate, secs)
    time.sleep(2.5)
    cpu = cpu_s(p.pid) - cpu0  # the step and 2.5 s of draining, not the start-up
    if name != "null":
        p.send_signal(signal.SIGINT if name.startswith("clarion") else signal.SIGTERM)
    try:
        o = p.communicate(timeout=60)[0]
    except subprocess.TimeoutExpired:
        p.kill()
        o = p.communicate()[0]
    recs = sum(pl[i % len(pl)][1] for i in range(n))
    pkts = sum(pl[i % len(pl)][2] for i in range(n))
    log.seek(0)
    text = log.read()
    if name == "nfcapd":
        r = subprocess.run(["nfdump", "-R", os.path.join(d, "data"), "-I"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        m = re.search(r"^Flows: (\d+)", r.stdout, re.M)
        stored = int(m.group(1)) if m else 0
        if m is None:
            print("nfcapd: no flows read back: %s / %s" % (r.stdout.strip()[-200:], text[-300:]))
    elif name == "nfacctd":
        got = 0
        path = os.path.join(d, "out.csv")
        if os.path.exists(path):
            hdr = None
            for line in open(path):
                f = line.strip().split(",")
                if f and f[0] == "SRC_IP":
                    hdr = f
                    continue
                if hdr and len(f) == len(hdr):
                    got += int(f[hdr.index("PACKETS")])
        stored = round(got * recs / pkts) if pkts else 0
    elif name == "null":
        stored = int(o.split()[0]) * 30 if o.strip() else 0
    else:
        fin = text.split("==== final ====")[-1]
        m = re.search(r"total: records=\d+ handed=\d+ output=(\d+)", fin)
        stored = int(m.group(1)) if m else 0
    shutil.rmtree(d, ignore_errors=True)
    return n, recs, stored, cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rates", default="10000,20000,40000,80000", help="datagrams/s (30 records each)")
    ap.add_argument("--time", type=float, default=4.0, help="seconds per step")
    ap.add_argument("--only", default="null,nfcapd,nfacctd,clarion-null,clarion-ndjson")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench-peers: needs root (network namespaces)")
    need = {"nfcapd": ("nfcapd", "nfdump"), "nfacctd": ("nfacctd",)}
    for tool in [t for n in a.only.split(",") for t in need.get(n, ())]:
        if shutil.which(tool) is None:
            sys.exit("bench-peers: %s missing (scripts/deps.sh --test installs nfdump and pmacct)"
                     % tool)
    pl = payloads()
    work = tempfile.mkdtemp(prefix="cfpeers")
    plfile = os.path.join(work, "payloads.hex")
    with open(plfile, "w") as f:
        f.write("\n".join(p.hex() for p, _, _ in pl))
    rows = []
    try:
        setup()
        for name in a.only.split(","):
            best = None
            for rate in [int(x) for x in a.rates.split(",")]:
                n, recs, stored, cpu = run_one(name, rate, a.time, plfile, pl, work)
                loss = 100.0 * (recs - stored) / recs if recs else 100.0
                per_m = cpu / (stored / 1e6) if stored else float("nan")
                print("%-15s %6d dgram/s: sent %7d dgrams %9d records, stored %9d, loss %6.2f %%, "
                      "CPU %.2f s (%.2f s per M records)" % (name, rate, n, recs, stored, loss, cpu,
                                                            per_m), flush=True)
                if loss < 0.1 and (best is None or recs > best[1]):
                    best = (rate, recs / a.time, per_m)
            rows.append((name, best))
    finally:
        for ns in (NS_C, NS_E):
            sh("ip", "netns", "del", ns, check=False)
        shutil.rmtree(work, ignore_errors=True)
    print("\n| collector (CPU 0) | highest rate with < 0.1 % loss (records/s) | CPU s per M records there |")
    print("|---|---:|---:|")
    for name, best in rows:
        if best is None:
            print("| %s | below the lowest rate of the sweep | |" % name)
        else:
            print("| %s | %.2f M (%d dgram/s) | %.2f |" % (name, best[1] / 1e6, best[0], best[2]))


if __name__ == "__main__":
    main()

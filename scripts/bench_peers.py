#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The peers side by side (issue 18), as root:
  scripts/bench-peers.sh [--protos v5,v9,ipfix] [--rates R1,R2,..] [--time S] [--only ..]
                         [--refine] [--stop-loss PCT] [--sender c|python] [--burst N]

Two network namespaces joined by a veth pair, MTU 9000 (created here, removed at exit): the
sender's (cfpe, 10.99.0.1) and the collector's (cfpc, 10.99.0.2 on the kernel for the peers;
for clarion-flowd no kernel address, it answers ARP itself with --collector-ip). For each
protocol, each collector in turn, each rate of the sweep: a fresh collector pinned to CPU 0
(clarion-flowd: both lcores there, --lcores 0@0,1@0, net_af_packet framecnt=4096; for
IPFIX 8 KiB frames and --mbuf-size 9216, as the bench row), a sender
pinned to CPU 1 replaying one bench row's datagrams at RATE records/s for --time seconds (a
fixed count, bounded in time), then what the collector stored.

The export replayed is the bench rows' (scripts/bench.py), generated here into a temporary
directory:
  v5     gen_flows.py v5, 200 exporters, 2,000 datagrams of 30 records        -> port 2055
  v9     gen_template.py cisco18, 100 exporters, 2,000 datagrams of 20 records,
         templates in each exporter's first datagram and every 20th           -> port 2055
  ipfix  as v9 with --varlen (applicationName): messages of 1.5-5 kB          -> port 4739
All come from one source address (10.99.0.1); each of the 100 v9/IPFIX exporters keeps its own
identity through its source ID / observation domain (rewritten to 1..100), and the sender
rewrites every sequence number so each exporter's sequence runs on across laps of the list. The
list is cycled from its start, so every exporter's template comes before its data, and again
every 20 of its datagrams (in-band refresh: a receiver that missed one learns it again).

Senders: build/tests/cf_bench_udpsend (sendmmsg, bursts of --burst (8) paced on the monotonic clock;
built by meson) or, with --sender python or when it is not built, a Python sendto loop (tops
out near 80k datagrams/s). Receivers, and how the count of stored records is taken:
  null            build/tests/cf_bench_udpsink: recvmmsg, counts datagrams, does nothing else:
                  the kernel path's ceiling (sender, veth, UDP socket, default buffer)
  null-8m         the same with an 8 MiB socket buffer (SO_RCVBUFFORCE), the size of
                  clarion-flowd's af_packet ring (4096 frames of 2 kB): what a receiver that
                  is descheduled for milliseconds needs not to lose
  nfcapd          (nfdump 1.7) flows in its files (nfdump -R DIR -I)
  nfacctd         (pmacct 1.7) packets in its print plugin's CSV / packets per record sent;
                  print_refresh_time 1, and the CSV is read only once it has stopped growing
                  (the last interval written) before SIGTERM and again after exit
  nfacctd-tuned   the same with the core -> plugin queue enlarged as pmacct's CONFIG-KEYS
                  advises for heavy load (plugin_pipe_size 40960000, plugin_buffer_size 40960)
  clarion-null    clarion-flowd --output null: records the output took (final stats)
  clarion-ndjson  clarion-flowd --output ndjson:/dev/null
and its CPU time (utime + stime of the process and its children, from the start of the step
to 2.5 s after the sender ends), and how much of CPU 0 the hypervisor gave to others meanwhile
(/proc/stat steal). For clarion-flowd, where a loss went: its port's imissed (the af_packet
ring overflowing) and each drop reason that is not zero. For the kernel receivers the UDP
socket's own drop count (/proc/net/udp in the collector's namespace) is printed too: loss
there is the kernel's receive buffer overflowing because the receiver did not read fast
enough. The kernel path is inside every number; on a veth the receive softirq (IP, UDP, the
socket or af_packet ring enqueue) runs on the sender's CPU, so CPU 0 carries the receiver's
own work and its copies.

After the first rate with more than --stop-loss % loss a collector's sweep stops (the higher
rates are not run). --refine adds one step between the highest passing rate and the next one
(x sqrt 2) to narrow the knee.
"""
import argparse
import math
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
MTU = 9000
CLK = os.sysconf("SC_CLK_TCK")
BUILD = os.environ.get("CF_BUILD", os.path.join(ROOT, "build"))
NO_SEQ = 0xFFFF
PORTS = {"v5": 2055, "v9": 2055, "ipfix": 4739}


def sh(*a, ns=None, check=True):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(a)
    return subprocess.run(cmd, check=check, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=120)


# ------------------------------------------------------------------ the export replayed

def generate(proto, work):
    pcap = os.path.join(work, proto + ".pcap")
    if proto == "v5":
        args = [os.path.join(ROOT, "scripts", "gen_flows.py"), "v5", "--datagrams", "2000",
                "--records", "30", "--exporters", "200", "--seed", "1"]
    else:
        args = [os.path.join(ROOT, "scripts", "gen_template.py"), "--proto", proto, "--template",
                "cisco18", "--refresh", "20", "--exporters", "100", "--datagrams", "2000"]
        if proto == "ipfix":
            args.append("--varlen")
    subprocess.run([sys.executable] + args + ["--out", pcap], check=True, stdout=subprocess.DEVNULL)
    return pcap


def tpl_records(proto, sets, templates):
    """(records, packets) of a v9/IPFIX message's sets, learning its templates."""
    recs = pkts = 0
    off = 0
    while off + 4 <= len(sets):
        sid, ln = struct.unpack(">HH", sets[off:off + 4])
        body = sets[off + 4:off + ln]
        off += max(ln, 4)
        if sid in (0, 2):  # template set: (tid, count, fields)
            t = 0
            while t + 4 <= len(body):
                tid, cnt = struct.unpack(">HH", body[t:t + 4])
                t += 4
                fields = []
                for _ in range(cnt):
                    ie, flen = struct.unpack(">HH", body[t:t + 4])
                    t += 4
                    pen = 0
                    if proto == "ipfix" and ie & 0x8000:
                        pen = struct.unpack(">I", body[t:t + 4])[0]
                        t += 4
                        ie &= 0x7FFF
                    fields.append((pen, ie, flen))
                templates[tid] = fields
        elif sid >= 256:
            fields = templates[sid]
            minlen = sum(1 if f[2] == 65535 else f[2] for f in fields)
            p = 0
            while len(body) - p >= minlen and minlen > 0:
                for pen, ie, flen in fields:
                    if flen == 65535:
                        flen = body[p]
                        p += 1
                        if flen == 255:
                            flen = struct.unpack(">H", body[p:p + 2])[0]
                            p += 2
                    if pen == 0 and ie == 2:  # packets (v9 IN_PKTS, IPFIX packetDeltaCount)
                        pkts += int.from_bytes(body[p:p + flen], "big")
                    p += flen
                recs += 1
    return recs, pkts


def payloads(proto, work):
    """[(payload, records, packets, seq offset, stream, sequence step)] of a bench row."""
    out, exporters, templates = [], {}, {}
    for fr in netns.pcap_frames(generate(proto, work)):
        ihl = (fr[14] & 15) * 4
        src = fr[14 + 12:14 + 16]
        p = bytearray(fr[14 + ihl + 8:])
        idx = exporters.setdefault(src, len(exporters))
        if proto == "v5":
            n = struct.unpack(">H", p[2:4])[0]
            pk = sum(struct.unpack(">I", p[24 + 48 * i + 16:24 + 48 * i + 20])[0] for i in range(n))
            # v5's engine type/id is its identity beside the source address.
            out.append((bytes(p), n, pk, 16, struct.unpack(">H", p[20:22])[0], n))
            continue
        dom_off, hdr = (16, 20) if proto == "v9" else (12, 16)
        struct.pack_into(">I", p, dom_off, idx + 1)
        n, pk = tpl_records(proto, bytes(p[hdr:]), templates.setdefault(idx, {}))
        out.append((bytes(p), n, pk, 12 if proto == "v9" else 8, idx, 1 if proto == "v9" else n))
    return out


def write_payloads(pl, path):
    with open(path, "wb") as f:
        for p, _, _, seq_off, stream, step in pl:
            f.write(struct.pack(">HHHI", len(p), seq_off, stream, step) + p)


# ------------------------------------------------------------------ fallbacks in Python

SENDER = r"""
import os, socket, struct, sys, time
os.sched_setaffinity(0, {1})
data = open(sys.argv[1], "rb").read()
pl, off = [], 0
while off < len(data):
    ln, so, st, step = struct.unpack(">HHHI", data[off:off + 10])
    pl.append([bytearray(data[off + 10:off + 10 + ln]), so, st, step]); off += 10 + ln
seq = {}
for p, so, st, step in pl:
    if so != 0xFFFF:
        seq.setdefault(st, struct.unpack(">I", p[so:so + 4])[0])
rate, secs = float(sys.argv[5]), float(sys.argv[6])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
s.bind((sys.argv[2], 0))
dst = (sys.argv[3], int(sys.argv[4]))
total = int(rate * secs)
t0 = time.monotonic(); n = 0; err = 0
while n < total and time.monotonic() - t0 < secs + 2:
    tgt = min(total, int((time.monotonic() - t0) * rate) + 1)
    while n < tgt:
        p, so, st, step = pl[n % len(pl)]
        if so != 0xFFFF:
            struct.pack_into(">I", p, so, seq[st]); seq[st] = (seq[st] + step) & 0xFFFFFFFF
        try:
            s.sendto(p, dst)
        except OSError:
            err += 1
            break
        n += 1
    time.sleep(0.0002)
print(n, time.monotonic() - t0, err)
"""

NULL_RX = r"""
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(0.2)
n = b = 0; t0 = last = time.monotonic()
idle, limit = float(sys.argv[4]), float(sys.argv[3])
while (n == 0 or time.monotonic() - last < idle) and time.monotonic() - t0 < limit:
    try:
        b += len(s.recv(65536)); n += 1; last = time.monotonic()
    except socket.timeout:
        pass
print(n, b, 0)
"""


def tool(name):
    path = os.path.join(BUILD, "tests", name)
    return path if os.access(path, os.X_OK) else None


# ------------------------------------------------------------------ one step

def steal_ms(cpu=0):
    """Time the hypervisor ran something else on this VM's CPU (ms, /proc/stat 'steal')."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu%d " % cpu):
                return int(line.split()[8]) * 1000 // os.sysconf("SC_CLK_TCK")
    return 0


def cpu_s(pid):
    """utime + stime of pid and of every process under it (nfacctd's print plugin is a child
    of its core process, and forks a writer per purge), with the reaped children's times."""
    stats = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    fl = f.read().rsplit(")", 1)[1].split()
                stats[int(d)] = (int(fl[1]), sum(int(x) for x in fl[11:15]))
            except OSError:
                pass
    tree, total, grew = {pid}, 0, True
    while grew:
        grew = False
        for q, (ppid, _) in stats.items():
            if ppid in tree and q not in tree:
                tree.add(q)
                grew = True
    for q in tree:
        total += stats.get(q, (0, 0))[1]
    return total / CLK


def setup():
    for ns in (NS_C, NS_E):
        sh("ip", "netns", "add", ns)
    sh("ip", "link", "add", IF_C, "mtu", str(MTU), "type", "veth", "peer", "name", IF_E, "mtu",
       str(MTU))
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


def send(sender, plfile, port, dgram_rate, secs, burst):
    if sender == "c":
        cmd = ["taskset", "-c", "1", tool("cf_bench_udpsend")]
        tail = [str(burst)]
    else:
        cmd, tail = [sys.executable, "-c", SENDER], []
    r = sh(*(cmd + [plfile, IP_E, IP_C, str(port), "%.3f" % dgram_rate, str(secs)] + tail), ns=NS_E)
    f = r.stdout.split()
    return int(f[0]), float(f[1]), int(f[2])


def udp_drops(port):
    """The kernel's drop count of the UDP socket bound to port in the collector's namespace."""
    r = sh("cat", "/proc/net/udp", ns=NS_C, check=False)
    for line in r.stdout.splitlines()[1:]:
        f = line.split()
        if len(f) > 12 and f[1].endswith(":%04X" % port):
            return int(f[-1])
    return None


def csv_packets(path):
    got = 0
    if os.path.exists(path):
        hdr = None
        for line in open(path):
            f = line.strip().split(",")
            if f and f[0] == "SRC_IP":
                hdr = f
                continue
            if hdr and len(f) == len(hdr):
                got += int(f[hdr.index("PACKETS")])
    return got


def collector_cmd(name, proto, port, d):
    pin = ["taskset", "-c", "0"]
    if name == "nfcapd":
        os.mkdir(os.path.join(d, "data"))
        return pin + ["nfcapd", "-w", os.path.join(d, "data"), "-b", IP_C, "-p", str(port), "-t",
                      "3600"]
    if name.startswith("nfacctd"):
        conf = os.path.join(d, "nfacctd.conf")
        # nfacctd-tuned: the core -> plugin queue as CONFIG-KEYS advises for heavy load (a
        # larger plugin_pipe_size, buffered in chunks of 1/1000 of it); the socket as default.
        tuned = "plugin_pipe_size[p]: 40960000\nplugin_buffer_size[p]: 40960\n" \
            if name == "nfacctd-tuned" else ""
        with open(conf, "w") as f:
            f.write("daemonize: false\nnfacctd_ip: %s\nnfacctd_port: %d\nplugins: print[p]\n"
                    "aggregate[p]: src_host, dst_host, src_port, dst_port, proto\n"
                    "print_output[p]: csv\nprint_output_file[p]: %s/out.csv\n"
                    "print_output_file_append[p]: true\nprint_refresh_time[p]: 1\n%s"
                    % (IP_C, port, d, tuned))
        return pin + ["nfacctd", "-f", conf]
    if name.startswith("null"):
        sink = tool("cf_bench_udpsink")
        args = [IP_C, str(port), "60", "2"]
        if name == "null-8m":  # a socket buffer the size of clarion-flowd's af_packet ring
            args.append(str(8 << 20))
        return pin + ([sink] + args if sink else [sys.executable, "-c", NULL_RX] + args)
    out = "null" if name == "clarion-null" else "ndjson:/dev/null"
    # IPFIX messages reach 5 kB: af_packet frames and mbufs that hold a whole jumbo frame (as
    # the bench row's --mbuf-size 9216).
    ring = "framecnt=4096" if proto != "ipfix" else "blocksz=8192,framesz=8192,framecnt=4096"
    extra = ["--mbuf-size", "9216"] if proto == "ipfix" else []
    return pin + [os.environ.get("CF_BIN", os.path.join(BUILD, "app", "clarion-flowd")),
                  "--no-huge", "-m", "1024", "--no-pci", "--file-prefix", "cfpeer%d" % os.getpid(),
                  "--lcores", "0@0,1@0", "--log-level=lib.*:error",
                  "--vdev=net_af_packet0,iface=%s,%s" % (IF_C, ring), "--", "--output", out,
                  "--collector-ip", IP_C, "--http-port", "0", "--agent-port", "0"] + extra


def run_one(name, proto, dgram_rate, secs, plfile, pl, work, sender, burst):
    """A dict: sent datagrams/records, stored records, CPU s, socket drops, notes."""
    d = tempfile.mkdtemp(dir=work)
    port = PORTS[proto]
    kernel_addr(not name.startswith("clarion"))
    log = open(os.path.join(d, "log"), "w+")
    p = subprocess.Popen(["ip", "netns", "exec", NS_C] + collector_cmd(name, proto, port, d),
                         stdout=subprocess.PIPE if name.startswith("null") else log, stderr=log,
                         text=True)
    r = {"note": ""}
    try:
        time.sleep(2.5)
        cpu0, st0 = cpu_s(p.pid), steal_ms(0)
        n, r["elapsed"], r["send_err"] = send(sender, plfile, port, dgram_rate, secs, burst)
        time.sleep(2.5)
        r["cpu"] = cpu_s(p.pid) - cpu0  # the step and 2.5 s of draining, not the start-up
        r["steal"] = steal_ms(0) - st0  # the collector's CPU taken by the host meanwhile
        r["drops"] = udp_drops(port) if not name.startswith("clarion") else None
        if name.startswith("nfacctd"):
            # Wait for the print plugin's last interval: the CSV stops growing (bounded, 10 s;
            # its size is the test, the CSV is parsed only at 2.5 s and once stable).
            path, prev, t0 = os.path.join(d, "out.csv"), -1, time.monotonic()
            r["csv_at_2_5s"] = csv_packets(path)  # when the first run stopped it
            while time.monotonic() - t0 < 10:
                cur = os.path.getsize(path) if os.path.exists(path) else 0
                if cur == prev:
                    break
                prev = cur
                time.sleep(1.5)
            prev = csv_packets(path)
            r["csv_before_stop"] = prev
        if not name.startswith("null"):
            p.send_signal(signal.SIGINT if name.startswith("clarion") else signal.SIGTERM)
        o = p.communicate(timeout=60)[0]
    except subprocess.TimeoutExpired:
        p.kill()
        o = p.communicate()[0]
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    recs = sum(pl[i % len(pl)][1] for i in range(n))
    pkts = sum(pl[i % len(pl)][2] for i in range(n))
    log.seek(0)
    text = log.read()
    log.close()
    if os.environ.get("CF_PEERS_LOG"):
        print("---- %s log ----\n%s" % (name, text[-1500:]))
    if name == "nfcapd":
        q = subprocess.run(["nfdump", "-R", os.path.join(d, "data"), "-I"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=120)
        m = re.search(r"^Flows: (\d+)", q.stdout, re.M)
        stored = int(m.group(1)) if m else 0
        if m is None:
            r["note"] = "no flows read back: %s / %s" % (q.stdout.strip()[-200:], text[-300:])
    elif name.startswith("nfacctd"):
        got = csv_packets(os.path.join(d, "out.csv"))
        stored = round(got * recs / pkts) if pkts else 0
        sc = (lambda v: round(v * recs / pkts)) if pkts else (lambda v: 0)
        r["note"] = "CSV 2.5 s after the sender %d records, once stable %d, after exit %d" % (
            sc(r["csv_at_2_5s"]), sc(r["csv_before_stop"]), stored)
        miss = re.findall(r"^.*(?:missing|full|ERROR|WARN).*$", text, re.M)
        if miss:
            r["note"] += "; log: %s (%d lines)" % (miss[-1].strip()[-160:], len(miss))
    elif name.startswith("null"):
        f = (o or "").split()
        got = int(f[0]) if f else 0
        stored = round(recs * got / n) if n else 0
        r["drops"] = int(f[2]) if len(f) > 2 else None  # its own SO_RXQ_OVFL count
        r["note"] = "%d of %d datagrams" % (got, n)
    else:
        fin = text.split("==== final ====")[-1]
        m = re.search(r"total: records=\d+ handed=\d+ output=(\d+)", fin)
        stored = int(m.group(1)) if m else 0
        if m is None:
            r["note"] = "no final stats: " + text[-300:]
        else:
            # Where a loss went: the port's imissed (the kernel ring) and every drop reason
            # that is not zero, from the collector's own final block.
            lost = re.findall(r"\b(imissed|rx_nombuf|ierrors)=([1-9]\d*)", fin)
            dl = re.search(r"^drops: (.*)$", fin, re.M)
            if dl:
                lost += [kv for kv in re.findall(r"(\w+)=(\d+)", dl.group(1)) if kv[1] != "0"]
            if lost:
                r["note"] = " ".join("%s=%s" % kv for kv in lost)
    shutil.rmtree(d, ignore_errors=True)
    r.update(n=n, recs=recs, stored=stored)
    return r


# ------------------------------------------------------------------ the sweep

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--protos", default="v5,v9,ipfix")
    ap.add_argument("--rates", default="150000,300000,600000,1200000,2400000,4800000,9600000",
                    help="offered records/s (datagrams/s = this / records per datagram)")
    ap.add_argument("--time", type=float, default=4.0, help="seconds per step")
    ap.add_argument("--only",
                    default="null,null-8m,nfcapd,nfacctd,nfacctd-tuned,clarion-null,clarion-ndjson")
    ap.add_argument("--stop-loss", type=float, default=20.0,
                    help="skip a collector's higher rates after a step losing more than this %%")
    ap.add_argument("--refine", action="store_true", help="one step (x sqrt 2) above the best")
    ap.add_argument("--sender", choices=("c", "python"), default="c")
    ap.add_argument("--burst", type=int, default=8, help="datagrams per sendmmsg (C sender)")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench-peers: needs root (network namespaces)")
    need = {"nfcapd": ("nfcapd", "nfdump"), "nfacctd": ("nfacctd",), "nfacctd-tuned": ("nfacctd",)}
    for t in [t for n in a.only.split(",") for t in need.get(n, ())]:
        if shutil.which(t) is None:
            sys.exit("bench-peers: %s missing (scripts/deps.sh --test installs nfdump and pmacct)"
                     % t)
    sender = a.sender
    if sender == "c" and tool("cf_bench_udpsend") is None:
        print("bench-peers: %s/tests/cf_bench_udpsend not built: Python sender" % BUILD)
        sender = "python"
    if any(n.startswith("null") for n in a.only.split(",")) and tool("cf_bench_udpsink") is None:
        print("bench-peers: cf_bench_udpsink not built: Python null receiver (slow)")
    rates = [int(float(x)) for x in a.rates.split(",")]
    # SIGTERM takes the finally below too: namespaces, veths and files never outlive the run.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("bench-peers: terminated"))
    work = tempfile.mkdtemp(prefix="cfpeers")
    rows = []
    try:
        setup()
        for proto in a.protos.split(","):
            pl = payloads(proto, work)
            plfile = os.path.join(work, proto + ".bin")
            write_payloads(pl, plfile)
            per_dg = sum(x[1] for x in pl) / len(pl)
            for name in a.only.split(","):
                best, steps, fail = None, [], None

                def step(rate):
                    r = run_one(name, proto, rate / per_dg, a.time, plfile, pl, work, sender,
                                a.burst)
                    loss = 100.0 * (r["recs"] - r["stored"]) / r["recs"] if r["recs"] else 100.0
                    per_m = r["cpu"] / (r["stored"] / 1e6) if r["stored"] else float("nan")
                    # What was offered: the sender may take longer than --time when it is the limit.
                    achieved = r["recs"] / max(r["elapsed"], a.time)
                    print("%-5s %-14s %8d rec/s: sent %7d dgrams %9d records (%.0f rec/s), "
                          "stored %9d, loss %6.2f %%, CPU %.2f s (%.2f s/M), CPU 0 stolen %d ms, "
                          "socket drops %s%s%s"
                          % (proto, name, rate, r["n"], r["recs"], achieved,
                             r["stored"], loss, r["cpu"], per_m, r.get("steal", 0), r["drops"],
                             ", send errors %d" % r["send_err"] if r["send_err"] else "",
                             "; " + r["note"] if r["note"] else ""), flush=True)
                    steps.append((achieved, loss, per_m))
                    return loss, per_m, achieved

                for rate in rates:
                    loss, per_m, achieved = step(rate)
                    if loss < 0.1 and (best is None or achieved > best[1]):
                        best = (rate, achieved, per_m)
                    elif loss >= 0.1 and fail is None:
                        fail = rate
                    if loss > a.stop_loss:
                        break
                if a.refine and best is not None and fail is not None and fail > best[0]:
                    rate = int(best[0] * math.sqrt(2))
                    if rate < fail:
                        loss, per_m, achieved = step(rate)
                        if loss < 0.1 and achieved > best[1]:
                            best = (rate, achieved, per_m)
                rows.append((proto, name, best, fail, steps))
    finally:
        for ns in (NS_C, NS_E):
            sh("ip", "netns", "del", ns, check=False)
        shutil.rmtree(work, ignore_errors=True)
    print("\n| protocol | receiver (CPU 0) | highest rate with < 0.1 % loss (records/s) | "
          "first rate with loss | CPU-s per M records there |")
    print("|---|---|---:|---:|---:|")
    for proto, name, best, fail, _ in rows:
        f = "%.2f M" % (fail / 1e6) if fail else "none in the sweep"
        if best is None:
            print("| %s | %s | below %.2f M | %s | |" % (proto, name, rates[0] / 1e6, f))
        else:
            print("| %s | %s | %.2f M | %s | %.2f |" % (proto, name, best[1] / 1e6, f, best[2]))
    print("\nall steps (offered records/s: loss %, CPU-s per M records):")
    for proto, name, _, _, steps in rows:
        print("%-5s %-14s " % (proto, name) + "  ".join(
            "%.2fM: %.2f%% %.2f" % (r / 1e6, lo, c) for r, lo, c in sorted(steps)))


if __name__ == "__main__":
    main()

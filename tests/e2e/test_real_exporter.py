#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A real NetFlow v9 / IPFIX exporter: softflowd reads a traffic capture built here
(Ethernet, known TCP/UDP flows) and exports to a UDP socket of this test; the
datagrams received are written to a pcap and replayed through clarion-flowd.
Every record is checked against the flows in the traffic (addresses, ports,
protocol, packets, bytes, TCP flags) and the record count against what softflowd
says it exported.

softflowd in -r mode reads the file, flushes every flow at end of file and exits.
It needs a link type it knows (Ethernet here): on a raw-IP capture (link type 101)
softflowd 1.1.0 processes 0 packets and never exits. With a control socket, -r
mode now and then blocks for good in accept() on that socket with no client
(gdb/strace show it; more often under -v 10): -c none turns the socket off, and
the pid file goes to the test's temporary directory (-p)."""
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "scripts"))
import cflib  # noqa: E402
from gen_flows import Pcap, eth, ip_checksum, udp4  # noqa: E402

NAME = "real_exporter"


def tcp4(src, dst, sport, dport, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, flags, 1024, 0, 0) + payload
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack("!H", ip_checksum(hdr)) + hdr[12:]
    return eth(hdr + tcp, 0x0800)


def traffic(path):
    """Writes the flows; returns {(src, dst, sport, dport, proto): {packets, bytes, tcp_flags}}.

    Bytes are IP bytes (header included), as NetFlow counts them. One UDP
    conversation goes both ways: softflowd tracks it as one flow and exports one
    record per direction."""
    want = {}
    frames = []

    def add(key, frame, flags=None):
        w = want.setdefault(key, {"packets": 0, "bytes": 0})
        w["packets"] += 1
        w["bytes"] += len(frame) - 14
        if flags is not None:
            w["tcp_flags"] = w.get("tcp_flags", 0) | flags
        frames.append(frame)

    for i in range(6):
        src, dst, sport, dport = "10.1.0.%d" % (i + 1), "10.2.0.9", 5000 + i, 53
        for n in range(i + 1):
            add((src, dst, sport, dport, 17), udp4(src, dst, sport, dport, bytes(30 + 11 * n + i)))
    for i in range(4):
        src, dst, sport, dport = "172.16.0.%d" % (i + 1), "198.51.100.7", 40000 + i, 443
        seq = [0x02] + [0x18] * (2 * i + 1) + [0x11]
        for n, fl in enumerate(seq):
            add((src, dst, sport, dport, 6), tcp4(src, dst, sport, dport, fl, bytes(0 if fl != 0x18 else 100 + 50 * n)),
                fl)
    # A request/response pair, interleaved with the rest by time order below.
    for n in range(3):
        add(("192.0.2.10", "192.0.2.20", 123, 123, 17), udp4("192.0.2.10", "192.0.2.20", 123, 123, bytes(48)))
        add(("192.0.2.20", "192.0.2.10", 123, 123, 17), udp4("192.0.2.20", "192.0.2.10", 123, 123, bytes(48 + n)))
    p = Pcap(path)
    for f in frames:
        p.write(f)
    p.close()
    return want


class Receiver(threading.Thread):
    """Collects every datagram sent to a free UDP port on 127.0.0.1."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.dgrams = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                d, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            self.dgrams.append((addr, d))

    def finish(self):
        # softflowd has exited: everything it sent is in the socket buffer.
        self.stop.set()
        self.join()
        self.sock.settimeout(0)
        while True:
            try:
                d, addr = self.sock.recvfrom(65535)
            except (BlockingIOError, socket.timeout):
                break
            self.dgrams.append((addr, d))
        self.sock.close()


def export(d, traffic_pcap, version):
    """Runs softflowd -v version on the traffic; returns (rc, log, datagrams, port)."""
    rx = Receiver()
    rx.start()
    try:
        p = subprocess.run(["softflowd", "-d", "-r", traffic_pcap, "-n", "127.0.0.1:%d" % rx.port,
                            # -c none: no control socket (see the top comment).
                            "-v", str(version), "-c", "none", "-p", os.path.join(d, "pid%d" % version)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    finally:
        rx.finish()
    return p.returncode, p.stdout, rx.dgrams, rx.port


def main():
    c = cflib.Checker(NAME)
    if shutil.which("softflowd") is None:
        cflib.skip(NAME, "softflowd not installed (Debian: softflowd)")
    if not os.path.exists(cflib.BIN):
        cflib.skip(NAME, "binary %s not built" % cflib.BIN)
    with tempfile.TemporaryDirectory() as d:
        tpcap = os.path.join(d, "traffic.pcap")
        want = traffic(tpcap)
        for version, proto, flag in ((9, "netflow_v9", "--netflow-port"), (10, "ipfix", "--ipfix-port")):
            tag = "v%d" % version
            try:
                rc, log, dgrams, port = export(d, tpcap, version)
            except subprocess.TimeoutExpired:
                c.check(False, "%s: softflowd -r exits after the capture (60 s)" % tag)
                continue
            if not c.eq(rc, 0, "%s: softflowd exit status" % tag):
                print(log[-1500:])
                continue
            m = re.search(r"Flows exported: (\d+) \((\d+) records\) in (\d+) packets \((\d+) failures\)", log)
            if not c.check(m is not None, "%s: softflowd printed its export summary" % tag):
                print(log[-1500:])
                continue
            n_flows, n_records, n_packets, n_fail = map(int, m.groups())
            pk = re.search(r"Packets processed: (\d+)", log)
            c.eq(int(pk.group(1)) if pk else None, sum(w["packets"] for w in want.values()),
                 "%s: softflowd processed every frame" % tag)
            c.eq(n_fail, 0, "%s: softflowd send failures" % tag)
            c.eq(len(dgrams), n_packets, "%s: datagrams received = datagrams softflowd sent" % tag)
            c.check(all(struct.unpack("!H", g[:2])[0] == version for _, g in dgrams),
                    "%s: every datagram carries version %d" % (tag, version))
            export_pcap = os.path.join(d, "export%d.pcap" % version)
            p = Pcap(export_pcap)
            for (addr, g) in dgrams:
                p.write(udp4(addr[0], "127.0.0.1", addr[1], port, g))
            p.close()
            if os.environ.get("RE_KEEP"):
                shutil.copy(export_pcap, "%s.v%d.pcap" % (os.environ["RE_KEEP"], version))
            run = cflib.run_pcap(export_pcap, [flag, str(port)])
            c.eq(run.rc, 0, "%s: clarion-flowd exit status" % tag)
            c.eq({k: v for k, v in run.stats["drops"].items() if v}, {}, "%s: no drops" % tag)
            c.eq(len(run.records), n_records, "%s: one record per record softflowd exported" % tag)
            c.eq(len(run.records), len(want), "%s: one record per flow direction in the traffic" % tag)
            got = {}
            bad = 0
            for r in run.records:
                key = (r.get("src_ip"), r.get("dst_ip"), r.get("src_port"), r.get("dst_port"),
                       r.get("protocol"))
                if key in got:
                    bad += 1
                    print("%s: flow %r twice" % (tag, key))
                got[key] = r
                if r.get("export_protocol") != proto:
                    bad += 1
                    print("%s: %r export_protocol %r" % (tag, key, r.get("export_protocol")))
            c.eq(sorted(got), sorted(want), "%s: flow keys (addresses, ports, protocol)" % tag)
            for key, w in want.items():
                r = got.get(key)
                if r is None:
                    continue
                for k, v in w.items():
                    if r.get(k) != v:
                        bad += 1
                        print("%s: %r %s: got %r want %r" % (tag, key, k, r.get(k), v))
            c.eq(bad, 0, "%s: packets, bytes, TCP flags and protocol name per flow" % tag)
    c.done()


if __name__ == "__main__":
    main()

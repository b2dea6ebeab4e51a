#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A real sFlow agent: pmacctd's sfprobe plugin reads a traffic capture built here
and exports sFlow v5 to 127.0.0.1; dumpcap captures the export on lo, and the
capture is replayed through clarion-flowd. Every record is checked against the
frame it sampled (sampling rate 1: one flow sample per frame)."""
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "scripts"))
import cflib  # noqa: E402
from gen_flows import Pcap, eth, ip_checksum, udp4  # noqa: E402

NAME = "sflow_pmacct"
AGENT = "192.0.2.77"


def tcp4(src, dst, sport, dport, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, flags, 1024, 0, 0) + payload
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0x28, 20 + len(tcp), 0, 0x4000, 64, 6, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack("!H", ip_checksum(hdr)) + hdr[12:]
    return eth(hdr + tcp, 0x0800)


def traffic(path):
    """Frames with distinct source ports; returns {src_port: expected fields}."""
    want = {}
    p = Pcap(path)
    for i in range(30):
        src, dst, sport, dport = "10.20.0.%d" % (i + 1), "10.30.0.%d" % (i % 5 + 1), 1000 + i, 53
        f = udp4(src, dst, sport, dport, bytes(20 + 7 * i))
        p.write(f)
        want[sport] = dict(src_ip=src, dst_ip=dst, dst_port=dport, protocol=17, bytes=len(f) + 4,
                           tos=0)
    for i in range(20):
        src, dst, sport, dport = "172.16.1.%d" % (i + 1), "198.18.0.9", 2000 + i, 443
        flags = (0x02, 0x10, 0x18, 0x11)[i % 4]
        # Frames stay within a 1500-byte MTU: sfprobe skips larger ones.
        f = tcp4(src, dst, sport, dport, flags, bytes(70 * i))
        p.write(f)
        want[sport] = dict(src_ip=src, dst_ip=dst, dst_port=dport, protocol=6, bytes=len(f) + 4,
                           tos=0x28, tcp_flags=flags)
    p.close()
    return want


def exported_samples(export, port):
    """Flow samples in the export by tshark's count, or None without tshark."""
    if shutil.which("tshark") is None:
        return None
    p = subprocess.run(["tshark", "-r", export, "-d", "udp.port==%d,sflow" % port, "-T", "fields",
                        "-e", "sflow.flow_sample.sequence_number"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, timeout=60)
    return sum(len(x.split(",")) for x in p.stdout.split() if x)


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    c = cflib.Checker(NAME)
    for tool in ("pmacctd", "dumpcap"):
        if shutil.which(tool) is None:
            cflib.skip(NAME, "%s not installed (Debian: pmacct, wireshark-common)" % tool)
    if not os.path.exists(cflib.BIN):
        cflib.skip(NAME, "binary %s not built" % cflib.BIN)
    with tempfile.TemporaryDirectory() as d:
        want = traffic(os.path.join(d, "traffic.pcap"))
        port = free_udp_port()
        conf = os.path.join(d, "sfprobe.conf")
        with open(conf, "w") as f:
            f.write("daemonize: false\npcap_savefile: %s\nplugins: sfprobe\n"
                    "sfprobe_receiver: 127.0.0.1:%d\nsfprobe_agentip: %s\nsampling_rate: 1\n"
                    % (os.path.join(d, "traffic.pcap"), port, AGENT))
        export = os.path.join(d, "export.pcap")
        # -P: classic pcap, which the pcap PMD and cflib read.
        dc = subprocess.Popen(["dumpcap", "-q", "-P", "-i", "lo", "-f", "udp port %d" % port, "-w", export],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            for _ in range(100):
                if os.path.exists(export) and os.path.getsize(export) > 0:
                    break
                time.sleep(0.1)
            time.sleep(0.5)
            pm = subprocess.run(["pmacctd", "-f", conf], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, timeout=120)
            time.sleep(1)
        finally:
            dc.send_signal(signal.SIGINT)
            try:
                dc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                dc.kill()
                dc.wait()
        if pm.returncode != 0:
            # The agent, not the collector, failed: nothing to check against.
            print(pm.stdout[-1500:])
            cflib.skip(NAME, "pmacctd exited %d (log above)" % pm.returncode)
        if not c.check(os.path.exists(export), "dumpcap wrote the export"):
            c.done()
        exported = exported_samples(export, port)
        if os.environ.get("SFL_KEEP"):
            shutil.copy(export, os.environ["SFL_KEEP"])
        run = cflib.run_pcap(export, ["--sflow-port", str(port)])
        c.eq(run.rc, 0, "clarion-flowd exit status")
        c.check(run.stats.get("sflow", 0) > 0, "sFlow datagrams seen")
        c.eq({k: v for k, v in run.stats["drops"].items() if v}, {}, "no drops")
        c.eq(run.stats.get("seq_lost"), 0, "no datagram lost on loopback")
        # sfprobe now and then loses a few samples itself (its buffers, at shutdown):
        # the collector must decode exactly what was exported, and that must be
        # nearly every frame.
        if exported is not None:
            c.eq(len(run.records), exported, "one record per exported flow sample (tshark's count)")
        else:
            c.eq(len(run.records), len(want), "one record per frame (sampling 1/1)")
        c.check(len(run.records) >= len(want) * 8 // 10, "most frames sampled (1/1 sampling)")
        bad = 0
        seen = set()
        for r in run.records:
            w = want.get(r["src_port"])
            if w is None:
                bad += 1
                print("unexpected record %r" % r)
                continue
            seen.add(r["src_port"])
            for k, v in w.items():
                if r.get(k) != v:
                    bad += 1
                    print("src_port %d %s: got %r want %r" % (r["src_port"], k, r.get(k), v))
            for k, v in (("switch_id", AGENT), ("sampling_rate", 1), ("packets", 1),
                         ("src_mac", "02:00:00:00:00:01"), ("dst_mac", "02:00:00:00:00:02"),
                         ("export_protocol", "sflow_v5")):
                if r.get(k) != v:
                    bad += 1
                    print("src_port %d %s: got %r want %r" % (r["src_port"], k, r.get(k), v))
        c.eq(bad, 0, "fields differing from the sampled frames")
        c.eq(len(seen), len(run.records), "no frame sampled twice")
        if len(seen) != len(want):
            print("note: sfprobe did not export source ports %s" % sorted(set(want) - seen))
    c.done()


if __name__ == "__main__":
    main()

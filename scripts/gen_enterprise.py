#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Enterprise-shaped flow export: a pcap of IPFIX datagrams from access switches (and
optionally a data-centre switch) over some minutes of traffic, plus a truth file with
what the collector must make of it. For the aggregation and sketch benchmarks and tests.

  gen_enterprise.py --out F.pcap [--truth F.json] [--records F.ndjson] [--switches 8]
                    [--endpoints 100] [--minutes 10] [--active-timeout 60]
                    [--server-export] [--bytes-scale N] [--seed 1]

The model (per endpoint and minute, Poisson counts; what each line costs in records):
  workstations (70 %)  DNS queries 12 (to 2 resolvers, 90/10), HTTPS connections 10 to a
                       pool of 40 SaaS addresses (Zipf), 3 to the long tail of the Internet
                       (a new address each time), LDAP/Kerberos 3 (2 domain controllers),
                       mDNS/SSDP/LLMNR chatter 4 (fixed groups and ports), and 2 long-lived
                       flows (SMB to the file server, a Teams media flow) for the whole run
  printers/IoT (20 %)  DNS 2, one long-lived MQTT/TLS flow to a cloud address, SNMP answers
                       to the monitoring server 1 (from port 161 to its ephemeral port)
  phones (10 %)        DNS 1, one long-lived SIP/TLS flow to the call manager
Short flows end within 5 s and are exported 15 s later (inactive timeout); long-lived ones
are exported every --active-timeout seconds, one record per slice, as Cisco and softflowd
do. Every access switch exports its endpoints' flows (ingress on the access ports); with
--server-export a data-centre switch also exports the servers' answers (server -> client,
destination port = the client's ephemeral port: records aggregation cannot fold). The
endpoint's MAC, VLAN (one per switch) and SGT (10 workstation, 20 IoT, 30 phone, 100
server) are in every record; destination MAC is the switch's gateway (or the multicast MAC).

IPFIX template (one per switch, resent every 100 datagrams): sourceIPv4Address,
destinationIPv4Address, ports, protocol, tcpControlBits, octetDeltaCount (8),
packetDeltaCount (8), flowStart/EndMilliseconds, sourceMacAddress, destinationMacAddress,
vlanId, ingress/egressInterface, Cisco PEN 9 1232/1233 (SGT). Datagrams carry up to 19
records; pcap time is the export time.

--truth writes {"records", "bytes", "packets", "switches", "endpoints", "minutes",
"aggregates": {"<interval>": n}} (distinct default-key tuples per flow_end window, the
aggregates clarion-flowd must send when its table is big enough) and "sketches":
{"<switch> <endpoint>": {"unique_peers", "unique_ports", "bytes_out", "bytes_in",
"flow_count", "first_seen", "last_seen", "active_hours"}} computed exactly from the
records, in the order the collector receives them (bytes_in counts only for an endpoint
already seen as a source, as clarion-flowd does). --records writes every record as the
collector prints it (Clarion keys), for tests.

--traffic F.pcap writes packets instead (Ethernet, the same endpoints, servers and rates,
each flow's packets spread over its life, at most --max-packets per flow slice) for a real
exporter to turn into flow export: softflowd -r F.pcap, as scripts/bench.sh does.
"""
import argparse
import ipaddress
import json
import math
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_flows import Pcap, eth, ip_checksum, udp4  # noqa: E402

COLLECTOR = "192.0.2.2"
IPFIX_PORT = 4739
T0 = 1_767_225_600  # 2026-01-01 00:00:00 UTC
TID = 256
# (IPFIX element id, length, enterprise number or 0)
TEMPLATE = [(8, 4, 0), (12, 4, 0), (7, 2, 0), (11, 2, 0), (4, 1, 0), (6, 1, 0), (1, 8, 0),
            (2, 8, 0), (152, 8, 0), (153, 8, 0), (56, 6, 0), (80, 6, 0), (58, 2, 0), (10, 4, 0),
            (14, 4, 0), (1232, 2, 9), (1233, 2, 9)]
REC = struct.Struct("!4s4sHHBBQQQQ6s6sHIIHH")
PER_DGRAM = 19
AGG_KEYS = ("src_ip", "dst_ip", "dst_port", "protocol", "src_sgt", "dst_sgt", "switch_id",
            "vlan_id", "src_mac", "dst_mac")


def mac(*b):
    return ":".join("%02x" % x for x in b)


def poisson(rng, lam):
    # Knuth; lam is small here.
    el, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= el:
            return k
        k += 1


class World:
    def __init__(self, a, rng):
        self.rng = rng
        self.resolvers = ["10.200.0.53", "10.200.0.54"]
        self.dcs = ["10.200.0.10", "10.200.0.11"]
        self.files = "10.200.0.20"
        self.callmgr = "10.200.0.30"
        self.nms = "10.200.0.40"
        self.servers = self.resolvers + self.dcs + [self.files, self.callmgr, self.nms]
        self.server_mac = {s: mac(2, 0xc8, 0, 0, 0, i + 1) for i, s in enumerate(self.servers)}
        self.saas = ["%d.%d.%d.%d" % (rng.choice((13, 20, 40, 52, 104, 142, 151)), rng.randrange(256),
                                       rng.randrange(256), rng.randrange(1, 255)) for _ in range(40)]
        self.zipf = [1.0 / (i + 1) for i in range(len(self.saas))]
        self.cloud = ["3.120.%d.%d" % (rng.randrange(256), rng.randrange(1, 255)) for _ in range(5)]
        self.switches = ["10.254.0.%d" % (s + 1) for s in range(a.switches)]
        self.dc_switch = "10.254.1.1"
        self.eps = []   # (switch index, ip, mac, kind, sgt)
        for s in range(a.switches):
            for e in range(a.endpoints):
                u = rng.random()
                kind = "ws" if u < 0.7 else ("iot" if u < 0.9 else "phone")
                ip = "10.%d.%d.%d" % (s + 1, e // 250, e % 250 + 2)
                self.eps.append((s, ip, mac(2, 0, s, e >> 8, e & 0xff, 1), kind,
                                 {"ws": 10, "iot": 20, "phone": 30}[kind]))


class Gen:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.w = World(a, self.rng)
        self.recs = []  # (export_time_ms, switch_ip, record dict)

    def add(self, sw, export_ms, ep_or_server, dst, sport, dport, proto, pkts, nbytes,
            start_ms, end_ms, flags, dst_mac, src_sgt, dst_sgt, vlan, src_ip=None, src_mac=None):
        nbytes *= self.a.bytes_scale
        self.recs.append((export_ms, sw, {
            "src_ip": src_ip, "dst_ip": dst, "src_port": sport, "dst_port": dport,
            "protocol": proto, "bytes": nbytes, "packets": pkts, "flow_start_ms": start_ms,
            "flow_end_ms": end_ms, "switch_id": sw, "src_sgt": src_sgt, "dst_sgt": dst_sgt,
            "src_mac": src_mac, "dst_mac": dst_mac, "vlan_id": vlan, "tcp_flags": flags}))

    def short(self, ep, t_ms, dst, dport, proto, pkts, nbytes, dst_mac, dst_sgt):
        """One client-initiated short flow, and the server's answer when it is exported."""
        a, rng, w = self.a, self.rng, self.w
        s, ip, m, _, sgt = ep
        sport = rng.randrange(49152, 65536)
        dur = rng.randrange(0, 5000)
        flags = 0x1b if proto == 6 else 0
        sw = w.switches[s]
        self.add(sw, t_ms + dur + 15000, ep, dst, sport, dport, proto, pkts, nbytes, t_ms,
                 t_ms + dur, flags, dst_mac, sgt, dst_sgt, 100 + s, ip, m)
        if a.server_export and dst in w.server_mac:
            rb = max(40, nbytes * rng.randrange(1, 6))
            self.add(w.dc_switch, t_ms + dur + 15000, None, ip, dport, sport, proto, pkts, rb,
                     t_ms + 1, t_ms + dur, flags, mac(0, 0, 0x5e, 0, 1, 200), 100, sgt, 200,
                     dst, w.server_mac[dst])

    def long(self, ep, dst, dport, proto, rate_bps, dst_mac, dst_sgt):
        """A flow for the whole run, one record per active-timeout slice."""
        a, rng, w = self.a, self.rng, self.w
        s, ip, m, _, sgt = ep
        sport = rng.randrange(49152, 65536)
        at = a.active_timeout * 1000
        t = rng.randrange(0, at)
        end = a.minutes * 60000
        while t < end:
            t1 = min(t + at, end)
            pkts = max(1, int(rate_bps * (t1 - t) / 1000 / 8 / 800 * rng.uniform(0.5, 1.5)))
            nbytes = pkts * rng.randrange(200, 1400)
            sw = w.switches[s]
            self.add(sw, T0 * 1000 + t1 + 100, ep, dst, sport, dport, proto, pkts, nbytes,
                     T0 * 1000 + t, T0 * 1000 + t1 - 1, 0x18 if proto == 6 else 0, dst_mac, sgt,
                     dst_sgt, 100 + s, ip, m)
            if a.server_export and dst in w.server_mac:
                self.add(w.dc_switch, T0 * 1000 + t1 + 100, None, ip, dport, sport, proto, pkts,
                         nbytes * 2, T0 * 1000 + t, T0 * 1000 + t1 - 1, 0x18, mac(0, 0, 0x5e, 0, 1, 200),
                         100, sgt, 200, dst, w.server_mac[dst])
            t = t1

    def run(self):
        a, rng, w = self.a, self.rng, self.w
        for ep in w.eps:
            s, ip, m, kind, sgt = ep
            gw = mac(0, 0, 0x5e, 0, 1, s + 1)
            if kind == "ws":
                self.long(ep, w.files, 445, 6, 20_000, gw, 100)
                self.long(ep, rng.choice(w.saas), 3479, 17, 100_000, gw, 0)
            elif kind == "iot":
                self.long(ep, rng.choice(w.cloud), 8883, 6, 500, gw, 0)
            else:
                self.long(ep, w.callmgr, 5061, 6, 1_000, gw, 100)
            for minute in range(a.minutes):
                base = (T0 + 60 * minute) * 1000

                def at():
                    return base + rng.randrange(60000)
                n_dns = poisson(rng, {"ws": 12, "iot": 2, "phone": 1}[kind])
                for _ in range(n_dns):
                    res = w.resolvers[0] if rng.random() < 0.9 else w.resolvers[1]
                    self.short(ep, at(), res, 53, 17, 1, rng.randrange(60, 90), gw, 100)
                if kind == "ws":
                    for _ in range(poisson(rng, 10)):
                        dst = rng.choices(w.saas, w.zipf)[0]
                        p = rng.randrange(8, 60)
                        self.short(ep, at(), dst, 443, 6, p, p * rng.randrange(300, 1200), gw, 0)
                    for _ in range(poisson(rng, 3)):
                        dst = str(ipaddress.IPv4Address(rng.randrange(0x0b000000, 0xdf000000)))
                        p = rng.randrange(8, 40)
                        self.short(ep, at(), dst, 443, 6, p, p * rng.randrange(300, 1200), gw, 0)
                    for _ in range(poisson(rng, 3)):
                        port = rng.choice((88, 389))
                        self.short(ep, at(), rng.choice(w.dcs), port, 6, rng.randrange(4, 12),
                                   rng.randrange(800, 4000), gw, 100)
                    for _ in range(poisson(rng, 4)):
                        grp, port, gmac = rng.choice((("224.0.0.251", 5353, mac(1, 0, 0x5e, 0, 0, 0xfb)),
                                                      ("239.255.255.250", 1900, mac(1, 0, 0x5e, 0x7f, 0xff, 0xfa)),
                                                      ("224.0.0.252", 5355, mac(1, 0, 0x5e, 0, 0, 0xfc))))
                        self.short(ep, at(), grp, port, 17, 1, rng.randrange(80, 300), gmac, 0)
                elif kind == "iot":
                    for _ in range(poisson(rng, 1)):
                        # The printer answers the monitoring server's poll: ephemeral dst port.
                        t = at()
                        self.add(w.switches[s], t + 15000, ep, w.nms, 161, rng.randrange(49152, 65536),
                                 17, 1, rng.randrange(100, 400), t, t, 0, gw, sgt, 100, 100 + s, ip, m)
        self.recs.sort(key=lambda x: x[0])

    # ---------------------------------------------------------------- output

    def write_pcap(self, path):
        w = self.w
        pcap = Pcap(path)
        pending = {}
        seq = {}
        dgrams = {}
        first_ts = self.recs[0][0] / 1000.0 if self.recs else T0
        pcap.ts = first_ts

        def tmpl():
            body = struct.pack("!HH", TID, len(TEMPLATE))
            for eid, ln, pen in TEMPLATE:
                if pen:
                    body += struct.pack("!HHI", eid | 0x8000, ln, pen)
                else:
                    body += struct.pack("!HH", eid, ln)
            return struct.pack("!HH", 2, 4 + len(body)) + body

        pend_recs = {}

        def flush(sw, export_ms):
            recs = pending.pop(sw, [])
            self.written.extend(pend_recs.pop(sw, []))
            if not recs:
                return
            n = dgrams.get(sw, 0)
            dgrams[sw] = n + 1
            sets = tmpl() if n % 100 == 0 else b""
            data = b"".join(recs)
            sets += struct.pack("!HH", TID, 4 + len(data)) + data
            hdr = struct.pack("!HHIII", 10, 16 + len(sets), export_ms // 1000, seq.get(sw, 0), 1)
            seq[sw] = seq.get(sw, 0) + len(recs)
            pcap.ts = max(pcap.ts, export_ms / 1000.0) - 0.001  # Pcap.write adds 1 ms
            pcap.write(udp4(sw, COLLECTOR, 50000, IPFIX_PORT, hdr + sets))

        self.written = []  # records in the order the collector will see them

        for export_ms, sw, r in self.recs:
            buf = pending.setdefault(sw, [])
            pend_recs.setdefault(sw, []).append((export_ms, sw, r))
            buf.append(REC.pack(
                ipaddress.IPv4Address(r["src_ip"]).packed, ipaddress.IPv4Address(r["dst_ip"]).packed,
                r["src_port"], r["dst_port"], r["protocol"], r["tcp_flags"], r["bytes"], r["packets"],
                r["flow_start_ms"], r["flow_end_ms"], bytes.fromhex(r["src_mac"].replace(":", "")),
                bytes.fromhex(r["dst_mac"].replace(":", "")), r["vlan_id"], 1, 49, r["src_sgt"],
                r["dst_sgt"]))
            if len(buf) == PER_DGRAM:
                flush(sw, export_ms)
        for sw in list(pending):
            flush(sw, self.recs[-1][0])
        pcap.close()
        _ = w
        assert len(self.written) == len(self.recs)

    def truth(self, intervals):
        tot_b = tot_p = 0
        windows = {iv: set() for iv in intervals}
        sk = {}
        for _, sw, r in self.written:
            tot_b += r["bytes"]
            tot_p += r["packets"]
            key = tuple(r[k] for k in AGG_KEYS)
            for iv in intervals:
                windows[iv].add((key, r["flow_end_ms"] // (iv * 1000)))
            src = "%s %s" % (sw, r["src_mac"])
            e = sk.setdefault(src, {"peers": set(), "ports": set(), "bytes_out": 0,
                                    "bytes_in": 0, "flow_count": 0, "first_seen": 1 << 62,
                                    "last_seen": 0, "active_hours": 0})
            s0, s1 = r["flow_start_ms"] // 1000, r["flow_end_ms"] // 1000
            e["first_seen"] = min(e["first_seen"], s0)
            e["last_seen"] = max(e["last_seen"], s1)
            for h in range(s0 // 3600, min(s1 // 3600, s0 // 3600 + 23) + 1):
                e["active_hours"] |= 1 << (h % 24)
            e["peers"].add(r["dst_ip"])
            e["ports"].add((r["protocol"], r["dst_port"]))
            e["bytes_out"] += r["bytes"]
            e["flow_count"] += 1
            d = sk.get("%s %s" % (sw, r["dst_mac"]))
            if d is not None:
                d["bytes_in"] += r["bytes"]
        return {"records": len(self.recs), "bytes": tot_b, "packets": tot_p,
                "switches": len({sw for _, sw, _ in self.recs}), "endpoints": len(sk),
                "minutes": self.a.minutes, "active_timeout": self.a.active_timeout,
                "aggregates": {str(iv): len(windows[iv]) for iv in intervals},
                "sketches": {k: {"unique_peers": len(v["peers"]), "unique_ports": len(v["ports"]),
                                 "bytes_out": v["bytes_out"], "bytes_in": v["bytes_in"],
                                 "flow_count": v["flow_count"], "first_seen": v["first_seen"],
                                 "last_seen": v["last_seen"], "active_hours": v["active_hours"]}
                             for k, v in sk.items()}}


def tcp4(src, dst, sport, dport, flags, payload_len, smac, dmac):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, flags, 1024, 0, 0) + bytes(payload_len)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0,
                      ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed)
    hdr = hdr[:10] + struct.pack("!H", ip_checksum(hdr)) + hdr[12:]
    return bytes.fromhex(dmac.replace(":", "")) + bytes.fromhex(smac.replace(":", "")) + \
        struct.pack("!H", 0x0800) + hdr + tcp


def udp4m(src, dst, sport, dport, payload_len, smac, dmac):
    f = udp4(src, dst, sport, dport, bytes(payload_len))
    return bytes.fromhex(dmac.replace(":", "")) + bytes.fromhex(smac.replace(":", "")) + f[12:]


def write_traffic(g, path, max_packets):
    """Packets of every flow slice of g.recs (client direction, and the answer for TCP and
    DNS), time-ordered; returns the packet count."""
    pk = []
    rng = random.Random(g.a.seed + 1)
    for _, sw, r in g.recs:
        if sw == g.w.dc_switch:
            continue  # answers are made below, from the client's flow
        n = max(1, min(r["packets"], max_packets))
        t0, t1 = r["flow_start_ms"], max(r["flow_end_ms"], r["flow_start_ms"])
        size = max(0, min(200, r["bytes"] // (r["packets"] or 1) - 40))
        for k in range(n):
            t = t0 + (t1 - t0) * k // n
            if r["protocol"] == 6:
                fl = 0x02 if k == 0 else (0x11 if k == n - 1 and n > 2 else 0x18)
                pk.append((t, tcp4(r["src_ip"], r["dst_ip"], r["src_port"], r["dst_port"], fl,
                                   size if fl == 0x18 else 0, r["src_mac"], r["dst_mac"])))
                pk.append((t + 1, tcp4(r["dst_ip"], r["src_ip"], r["dst_port"], r["src_port"],
                                       0x10 if fl != 0x02 else 0x12, 0, r["dst_mac"], r["src_mac"])))
            else:
                pk.append((t, udp4m(r["src_ip"], r["dst_ip"], r["src_port"], r["dst_port"],
                                    min(size, 1200), r["src_mac"], r["dst_mac"])))
                if r["dst_port"] == 53:
                    pk.append((t + rng.randrange(1, 30), udp4m(r["dst_ip"], r["src_ip"], 53,
                                                               r["src_port"], 120, r["dst_mac"],
                                                               r["src_mac"])))
    pk.sort(key=lambda x: x[0])
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, frame in pk:
            f.write(struct.pack("<IIII", t // 1000, (t % 1000) * 1000, len(frame), len(frame)))
            f.write(frame)
    return len(pk)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", help="the IPFIX export")
    ap.add_argument("--traffic", help="packets instead, for a real exporter (softflowd -r)")
    ap.add_argument("--max-packets", type=int, default=12)
    ap.add_argument("--truth")
    ap.add_argument("--records")
    ap.add_argument("--switches", type=int, default=8)
    ap.add_argument("--endpoints", type=int, default=100, help="per access switch")
    ap.add_argument("--minutes", type=int, default=10)
    ap.add_argument("--active-timeout", type=int, default=60)
    ap.add_argument("--server-export", action="store_true")
    ap.add_argument("--intervals", default="60,300", help="aggregation intervals for --truth")
    ap.add_argument("--bytes-scale", type=int, default=1,
                    help="multiply every octetDeltaCount (64-bit totals in tests)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if not a.out and not a.traffic:
        ap.error("--out or --traffic")
    g = Gen(a)
    g.run()
    if a.traffic:
        print("packets: %d" % write_traffic(g, a.traffic, a.max_packets))
        if not a.out:
            return 0
    g.write_pcap(a.out)
    if a.records:
        with open(a.records, "w") as f:
            for _, _, r in g.written:
                o = dict(r)
                o["flow_start"] = r["flow_start_ms"] // 1000
                o["flow_end"] = r["flow_end_ms"] // 1000
                f.write(json.dumps(o) + "\n")
    if a.truth:
        with open(a.truth, "w") as f:
            json.dump(g.truth([int(x) for x in a.intervals.split(",")]), f)
    return 0


if __name__ == "__main__":
    sys.exit(main())

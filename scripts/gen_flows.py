#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Workload generator: writes pcaps of flow-export datagrams whose every record
is known, plus (optionally) the NDJSON records clarion-flowd must print for them.

  gen_flows.py v5 --out F.pcap [--expect F.ndjson] [--datagrams N] [--records N]
                  [--exporters N] [--seed N] [--vlan ID] [--qinq ID] [--ipv6] [--plausible]

--plausible draws flows a campus network would export (scripts/demo.sh's sample):
clients in 10.20.0.0/16 talking to campus servers and to real services on the
Internet with their real protocol/port pairs, packet sizes that make bytes a sensible
multiple of packets, TCP flags and AS numbers that fit; without it every field is
uniformly random (for decoders, not for reading).
  gen_flows.py garbage --out F.pcap --expect-drops F.json

The expected records are computed here, independently of the C encoder, from
the values the generator chose; tests compare them as parsed JSON objects.
"""
import argparse
import ipaddress
import json
import random
import struct
import sys

COLLECTOR4 = "192.0.2.2"
COLLECTOR6 = "2001:db8::2"
NETFLOW_PORT = 2055


# ---------------------------------------------------------------- pcap + frames

class Pcap:
    def __init__(self, path):
        self.f = open(path, "wb")
        # Classic pcap, microsecond timestamps, Ethernet link type.
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.ts = 1_700_000_000

    def write(self, frame):
        self.ts += 0.001
        sec = int(self.ts)
        usec = int(round((self.ts - sec) * 1e6)) % 1_000_000
        self.f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
        self.f.write(frame)

    def close(self):
        self.f.close()


def ip_checksum(hdr):
    s = 0
    for i in range(0, len(hdr), 2):
        s += (hdr[i] << 8) | hdr[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(payload, ethertype, vlans=()):
    hdr = bytes.fromhex("020000000002") + bytes.fromhex("020000000001")
    tpids = [0x88A8, 0x8100] if len(vlans) == 2 else [0x8100]
    for tpid, vid in zip(tpids, vlans):
        hdr += struct.pack("!HH", tpid, vid & 0x0FFF)
    return hdr + struct.pack("!H", ethertype) + payload


def udp4(src, dst, sport, dport, payload, vlans=(), ip_options=b""):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ihl = 5 + len(ip_options) // 4
    total = ihl * 4 + len(udp)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, 0, 0x4000, 64, 17, 0,
                      ipaddress.IPv4Address(src).packed,
                      ipaddress.IPv4Address(dst).packed) + ip_options
    hdr = hdr[:10] + struct.pack("!H", ip_checksum(hdr)) + hdr[12:]
    return eth(hdr + udp, 0x0800, vlans)


def udp6(src, dst, sport, dport, payload, vlans=(), ext=b"", first_nh=17):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    hdr = struct.pack("!IHBB16s16s", 0x60000000, len(ext) + len(udp), first_nh, 64,
                      ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(dst).packed)
    return eth(hdr + ext + udp, 0x86DD, vlans)


# ---------------------------------------------------------------- NetFlow v5

# (weight, protocol, server port, server pool, packets range, bytes per packet range, AS)
SERVICES = [
    (30, 6, 443, "web", (8, 4000), (120, 1400)),
    (8, 17, 443, "web", (10, 3000), (200, 1350)),     # QUIC
    (6, 6, 80, "web", (5, 800), (100, 1400)),
    (14, 17, 53, "dns", (1, 2), (60, 180)),
    (4, 17, 123, "ntp", (1, 1), (76, 76)),
    (5, 6, 22, "campus", (20, 3000), (60, 900)),
    (7, 6, 445, "campus", (10, 5000), (100, 1400)),
    (3, 6, 3389, "campus", (50, 8000), (80, 1200)),
    (3, 6, 25, "mail", (10, 200), (80, 1400)),
    (2, 17, 514, "campus", (1, 40), (80, 400)),
    (4, 1, 0, "web", (1, 10), (64, 84)),              # ping: ICMP echo
]
POOLS = {
    "web": [("142.250.64.78", 15169), ("142.250.185.14", 15169), ("151.101.1.69", 54113),
            ("104.16.132.229", 13335), ("13.107.42.14", 8075), ("52.94.236.248", 16509),
            ("140.82.112.4", 36459)],
    "dns": [("8.8.8.8", 15169), ("1.1.1.1", 13335), ("10.10.1.53", 0)],
    "ntp": [("162.159.200.1", 13335), ("10.10.1.123", 0)],
    "campus": [("10.10.1.%d" % i, 0) for i in (10, 11, 12, 20, 21, 30)],
    "mail": [("10.10.1.25", 0), ("40.97.120.242", 8075)],
}


def plausible_flow(rng, uptime):
    """One flow record of a campus: fields as a v5 record carries them."""
    weights = [s[0] for s in SERVICES]
    _, proto, port, pool, (p_lo, p_hi), (b_lo, b_hi) = rng.choices(SERVICES, weights)[0]
    client = "10.20.%d.%d" % (rng.randrange(0, 16), rng.randrange(2, 250))
    server, asn = rng.choice(POOLS[pool])
    pkts = rng.randint(p_lo, p_hi)
    octets = pkts * rng.randint(b_lo, b_hi)
    cport = rng.randrange(32768, 61000)
    if proto == 1:
        cport, port = 0, 8 << 8              # v5 carries ICMP type.code in dst port
    # Replies carry most of the bytes of a download; either direction is a record.
    if proto != 1 and rng.random() < 0.5:
        src, dst, sport, dport, sas, das = server, client, port, cport, asn, 0
        octets = octets * rng.randint(2, 8)
    else:
        src, dst, sport, dport, sas, das = client, server, cport, port, 0, asn
    dur = rng.randrange(0, 120_000) if pkts > 2 else 0
    last = (uptime - rng.randrange(0, 30_000)) & 0xFFFFFFFF
    first = (last - dur) & 0xFFFFFFFF
    inside = lambda a: a.startswith("10.")  # noqa: E731
    return dict(src=src, dst=dst, nh="10.0.255.1", inif=rng.randrange(1, 49),
                outif=rng.randrange(49, 53), pkts=pkts, octets=octets, first=first, last=last,
                sport=sport, dport=dport, flags=0x1b if proto == 6 else 0, proto=proto,
                tos=0, sas=sas, das=das, smask=24 if inside(src) else 16,
                dmask=24 if inside(dst) else 16)


def v5_datagram(rng, exporter, seq, nrec, engine, sampling, uptime=None, secs=None,
                plausible=False):
    if uptime is None:
        uptime = rng.randrange(100_000, 4_000_000_000)
    if secs is None:
        secs = rng.randrange(1_600_000_000, 1_800_000_000)
    nsecs = rng.randrange(0, 1_000_000_000)
    export_ms = secs * 1000 + nsecs // 1_000_000
    hdr = struct.pack("!HHIIIIBBH", 5, nrec, uptime, secs, nsecs, seq, engine[0], engine[1],
                      sampling)
    body = b""
    recs = []
    rate = sampling & 0x3FFF
    for _ in range(nrec):
        if plausible:
            f = plausible_flow(rng, uptime)
            src, dst, nh, inif, outif = f["src"], f["dst"], f["nh"], f["inif"], f["outif"]
            pkts, octets, first, last = f["pkts"], f["octets"], f["first"], f["last"]
            sport, dport, flags, proto, tos = f["sport"], f["dport"], f["flags"], f["proto"], f["tos"]
            sas, das, smask, dmask = f["sas"], f["das"], f["smask"], f["dmask"]
        else:
            src = str(ipaddress.IPv4Address(rng.getrandbits(32)))
            dst = str(ipaddress.IPv4Address(rng.getrandbits(32)))
            nh = str(ipaddress.IPv4Address(rng.getrandbits(32)))
            inif, outif = rng.getrandbits(16), rng.getrandbits(16)
            pkts, octets = rng.getrandbits(32), rng.getrandbits(32)
            # First/Last up to an hour before export, sometimes across an uptime wrap.
            first = (uptime - rng.randrange(0, 3_600_000)) & 0xFFFFFFFF
            last = (uptime - rng.randrange(0, 60_000)) & 0xFFFFFFFF
            sport, dport = rng.getrandbits(16), rng.getrandbits(16)
            flags, proto, tos = rng.getrandbits(8), rng.choice([6, 17, 1, 47]), rng.getrandbits(8)
            sas, das = rng.getrandbits(16), rng.getrandbits(16)
            smask, dmask = rng.randrange(0, 33), rng.randrange(0, 33)
        body += struct.pack("!4s4s4sHHIIIIHHBBBBHHBBH",
                            ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed,
                            ipaddress.IPv4Address(nh).packed, inif, outif, pkts, octets, first,
                            last, sport, dport, 0, flags, proto, tos, sas, das, smask, dmask, 0)

        def to_ms(t):
            d = (t - uptime) & 0xFFFFFFFF
            if d >= 0x80000000:
                d -= 0x100000000
            return export_ms + d

        start_ms, end_ms = to_ms(first), to_ms(last)
        recs.append({
            "src_ip": src, "dst_ip": dst, "src_port": sport, "dst_port": dport,
            "protocol": proto, "bytes": octets, "packets": pkts,
            "flow_start": start_ms // 1000, "flow_end": end_ms // 1000,
            "switch_id": exporter, "src_sgt": None, "dst_sgt": None,
            "src_mac": None, "dst_mac": None, "vlan_id": None,
            "flow_start_ms": start_ms, "flow_end_ms": end_ms,
            "tcp_flags": flags, "tos": tos, "input_if": inif, "output_if": outif,
            "src_as": sas, "dst_as": das, "src_mask": smask, "dst_mask": dmask,
            "next_hop": nh, "sampling_rate": rate if rate else None,
            "time_source": "flow",
            "exporter_version": 5, "export_protocol": "netflow_v5",
            "observation_domain": engine[0] << 8 | engine[1],
        })
    return hdr + body, recs


def cmd_v5(a):
    rng = random.Random(a.seed)
    pcap = Pcap(a.out)
    vlans = tuple(v for v in (a.qinq, a.vlan) if v is not None)
    exporters = []
    for i in range(a.exporters):
        if a.ipv6:
            exporters.append(str(ipaddress.IPv6Address("2001:db8:1::") + i + 1))
        else:
            exporters.append(str(ipaddress.IPv4Address("10.0.0.0") + i + 1))
    seqs = {e: rng.getrandbits(32) for e in exporters}
    # Per exporter, uptime and clock move forward as on a real device.
    clocks = {e: [rng.randrange(100_000, 3_000_000_000), rng.randrange(1_600_000_000, 1_800_000_000)]
              for e in exporters}
    expected = []
    for n in range(a.datagrams):
        exp = exporters[n % len(exporters)]
        engine = (1, n % len(exporters) & 0xFF)
        sampling = (1 << 14) | 100 if a.sampled else 0
        clk = clocks[exp]
        clk[0] += 1000
        clk[1] += 1
        payload, recs = v5_datagram(rng, exp, seqs[exp], a.records, engine, sampling, clk[0], clk[1],
                                    a.plausible)
        seqs[exp] = (seqs[exp] + a.records) & 0xFFFFFFFF
        payload += bytes(a.pad)  # trailing bytes: tolerated and counted by the collector
        if a.ipv6:
            frame = udp6(exp, COLLECTOR6, 50000, NETFLOW_PORT, payload, vlans)
        else:
            frame = udp4(exp, COLLECTOR4, 50000, NETFLOW_PORT, payload, vlans)
        pcap.write(frame)
        expected.extend(recs)
    pcap.close()
    if a.expect:
        with open(a.expect, "w") as f:
            for r in expected:
                f.write(json.dumps(r) + "\n")


# ---------------------------------------------------------------- garbage

def cmd_garbage(a):
    """One frame per malformation, each named with the drop counter it must hit."""
    rng = random.Random(a.seed)
    pcap = Pcap(a.out)
    good_v5, _ = v5_datagram(rng, "10.0.0.1", 0, 2, (0, 0), 0)
    src, dst = "10.0.0.1", COLLECTOR4
    cases = []

    def add(name, frame):
        pcap.write(frame)
        cases.append(name)

    add("l2_truncated", bytes(10))
    add("l2_not_ip", eth(bytes(28), 0x88CC))  # LLDP
    add("arp_ignored", eth(bytes(28), 0x0806))  # ARP, and no --collector-ip to answer for
    add("vlan_too_deep", eth(struct.pack("!HH", 0x8100, 3) + bytes(40), 0x8100, (1, 2)))
    add("ip_truncated", udp4(src, dst, 1, NETFLOW_PORT, good_v5)[:40])
    bad_ihl = bytearray(udp4(src, dst, 1, NETFLOW_PORT, good_v5))
    bad_ihl[14] = 0x43
    add("ip_bad_header", bytes(bad_ihl))
    # Fragments carrying no data: refused before the reassembly table, at once.
    # (Whole fragmented datagrams are tested in tests/e2e/test_netpres.py.)
    frag = bytearray(udp4(src, dst, 1, NETFLOW_PORT, b"")[:34])
    frag[16:18] = struct.pack("!H", 20)
    frag[20:22] = struct.pack("!H", 0x2000)  # MF
    frag[24:26] = b"\x00\x00"
    frag[24:26] = struct.pack("!H", ip_checksum(bytes(frag[14:34])))
    add("frag_bad", bytes(frag) + bytes(26))
    frag6 = bytearray(udp6("2001:db8::1", COLLECTOR6, 1, NETFLOW_PORT, b"",
                           ext=struct.pack("!BBHI", 17, 0, 1, 7), first_nh=44)[:62])
    frag6[18:20] = struct.pack("!H", 8)  # the Fragment header alone
    add("frag_bad", bytes(frag6))
    add("ip6_ext_bad", udp6("2001:db8::1", COLLECTOR6, 1, NETFLOW_PORT, b"",
                            ext=struct.pack("!BB", 17, 200) + bytes(6), first_nh=0))
    tcp = bytearray(udp4(src, dst, 1, NETFLOW_PORT, good_v5))
    tcp[23] = 6
    add("not_udp", bytes(tcp))
    ulie = bytearray(udp4(src, dst, 1, NETFLOW_PORT, good_v5))
    ulie[38:40] = struct.pack("!H", len(good_v5) + 100)
    add("udp_truncated", bytes(ulie))
    add("udp_port", udp4(src, dst, 1, 9999, good_v5))
    add("unknown_version", udp4(src, dst, 1, NETFLOW_PORT, struct.pack("!HH", 7, 1) + bytes(40)))
    add("unknown_version", udp4(src, dst, 1, NETFLOW_PORT, b"\x00"))
    add("v5_short", udp4(src, dst, 1, NETFLOW_PORT, good_v5[:20]))
    zero = bytearray(good_v5)
    zero[2:4] = b"\x00\x00"
    add("v5_bad_count", udp4(src, dst, 1, NETFLOW_PORT, bytes(zero)))
    many = bytearray(good_v5)
    many[2:4] = struct.pack("!H", 31)
    add("v5_bad_count", udp4(src, dst, 1, NETFLOW_PORT, bytes(many)))
    add("v5_truncated", udp4(src, dst, 1, NETFLOW_PORT, good_v5[:24 + 48 + 10]))
    for _ in range(20):
        junk = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 200)))
        add("random", udp4(src, dst, 1, NETFLOW_PORT, junk))
    # A good datagram last, so the test can see decoding still works after the junk.
    add("good", udp4(src, dst, 1, NETFLOW_PORT, good_v5))
    pcap.close()
    with open(a.expect_drops, "w") as f:
        json.dump(cases, f)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    v5 = sub.add_parser("v5")
    v5.add_argument("--out", required=True)
    v5.add_argument("--expect")
    v5.add_argument("--datagrams", type=int, default=100)
    v5.add_argument("--records", type=int, default=30)
    v5.add_argument("--exporters", type=int, default=4)
    v5.add_argument("--seed", type=int, default=1)
    v5.add_argument("--vlan", type=int)
    v5.add_argument("--qinq", type=int)
    v5.add_argument("--ipv6", action="store_true")
    v5.add_argument("--sampled", action="store_true")
    v5.add_argument("--pad", type=int, default=0, help="zero bytes after the records (jumbo frames)")
    v5.add_argument("--plausible", action="store_true",
                    help="campus-like flows (real protocol/port pairs, bytes > packets)")
    g = sub.add_parser("garbage")
    g.add_argument("--out", required=True)
    g.add_argument("--expect-drops", required=True)
    g.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    {"v5": cmd_v5, "garbage": cmd_garbage}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())

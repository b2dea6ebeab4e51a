#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sFlow v5 workload generator: writes a pcap of sFlow datagrams whose every flow
sample is known, and (optionally) the NDJSON records clarion-flowd must print.

  gen_sflow.py --out F.pcap [--expect F.ndjson] [--datagrams N]
               [--samples-per-datagram K] [--agents N] [--seed N] [--ipv6-agents]
               [--expanded] [--counters [--counters-expect F.ndjson]]
               [--skip-every N] [--unknown]

Each flow sample carries a raw packet header (Ethernet, optional 802.1Q tag,
IPv4 or IPv6, TCP or UDP, cut at 128 bytes like a real agent) and, on every
other sample, an extended switch and an extended router record. --counters adds
one generic interface counter sample per datagram (ifindex 1 + n % 16);
--counters-expect writes the values of each one, in order. --unknown adds, per datagram,
a vendor sample (enterprise 4413, format 5) and, in its first flow sample, an
unknown flow record (0:2100): both must be skipped and counted. --skip-every N leaves every
Nth datagram out of the capture (its sequence number is still used), so the
collector must count exactly the missing datagrams as seq_lost.

The expected records are computed here from the values chosen, independently of
the C decoder. flow_start/flow_end are receive times and are not in them.
"""
import argparse
import ipaddress
import json
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_flows import Pcap, udp4, udp6  # noqa: E402

COLLECTOR4 = "192.0.2.2"
COLLECTOR6 = "2001:db8::2"
SFLOW_PORT = 6343
HEADER_CUT = 128


def xdr_opaque(b):
    return b + b"\0" * ((4 - len(b) % 4) % 4)


def tlv(fmt, body, enterprise=0):
    return struct.pack("!II", enterprise << 12 | fmt, len(body)) + body


def mac(rng):
    return bytes([0x02] + [rng.randrange(256) for _ in range(5)])


def mac_str(b):
    return ":".join("%02x" % x for x in b)


def sampled_packet(rng):
    """A random frame and the record fields it must yield."""
    v6 = rng.random() < 0.3
    proto = 6 if rng.random() < 0.6 else 17
    vlan = rng.randrange(1, 4095) if rng.random() < 0.5 else None
    sport, dport = rng.randrange(1024, 65536), rng.choice([53, 80, 443, 8080, rng.randrange(1, 65536)])
    tos = rng.choice([0, 0x20, 0xb8])
    flags = rng.choice([0x02, 0x10, 0x18, 0x11]) if proto == 6 else None
    dmac, smac = mac(rng), mac(rng)
    plen = rng.randrange(0, 1400)
    if proto == 6:
        l4 = struct.pack("!HHIIBBHHH", sport, dport, rng.getrandbits(32), 0, 0x50, flags, 1024, 0, 0)
    else:
        l4 = struct.pack("!HHHH", sport, dport, 8 + plen, 0)
    payload = l4 + bytes(plen)
    if v6:
        src = str(ipaddress.IPv6Address(0x20010db8 << 96 | rng.getrandbits(64)))
        dst = str(ipaddress.IPv6Address(0x20010db8 << 96 | 1 << 64 | rng.getrandbits(64)))
        ip = struct.pack("!IHBB16s16s", 0x60000000 | tos << 20, len(payload), proto, 64,
                         ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(dst).packed)
        etype = 0x86DD
    else:
        src = str(ipaddress.IPv4Address(0x0A000000 | rng.getrandbits(24)))
        dst = str(ipaddress.IPv4Address(0xC6120000 | rng.getrandbits(16)))
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(payload), 0, 0x4000, 64, proto, 0,
                         ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed)
        etype = 0x0800
    l2 = dmac + smac
    if vlan is not None:
        l2 += struct.pack("!HH", 0x8100, vlan)
    frame = l2 + struct.pack("!H", etype) + ip + payload
    rec = {"src_ip": src, "dst_ip": dst, "src_port": sport, "dst_port": dport, "protocol": proto,
           "tos": tos, "tcp_flags": flags, "src_mac": mac_str(smac), "dst_mac": mac_str(dmac),
           "vlan_id": vlan, "bytes": len(frame) + 4}  # frame_length counts the FCS
    return frame, rec


def flow_sample(rng, seq, expanded, unknown=False):
    frame, rec = sampled_packet(rng)
    rate = rng.choice([1, 64, 512, 2048, 10000])
    src_if = rng.randrange(1, 1 << 20)
    out_if = rng.randrange(1, 1 << 20)
    hdr = frame[:HEADER_CUT]
    records = [tlv(1, struct.pack("!IIII", 1, len(frame) + 4, len(frame) + 4 - len(hdr), len(hdr))
                   + xdr_opaque(hdr))]
    if seq % 2:
        in_vlan = rec["vlan_id"] or 0
        out_vlan = rng.randrange(1, 4095)
        records.append(tlv(1001, struct.pack("!IIII", in_vlan, 0, out_vlan, 0)))
        rec["post_vlan_id"] = out_vlan
        nh = str(ipaddress.IPv4Address(0x0A0000FE | rng.getrandbits(8) << 8))
        records.append(tlv(1002, struct.pack("!I4sII", 1, ipaddress.IPv4Address(nh).packed, 24, 16)))
        rec.update(next_hop=nh, src_mask=24, dst_mask=16)
    else:
        rec.update(next_hop=None, src_mask=None, dst_mask=None, post_vlan_id=None)
    if unknown:
        records.append(tlv(2100, b"\x00\x00\x00\x07"))
    if expanded:
        body = struct.pack("!IIIIIIIIIII", seq, 0, src_if, rate, rate * seq, 0, 0, src_if, 0,
                           out_if, len(records))
        fmt = 3
    else:
        body = struct.pack("!IIIIIIII", seq, src_if, rate, rate * seq, 0, src_if, out_if, len(records))
        fmt = 1
    rec.update(packets=1, sampling_rate=rate, input_if=src_if, output_if=out_if, direction=0)
    return tlv(fmt, body + b"".join(records)), rec


CTR_IN = ("in_octets", "in_ucast", "in_mcast", "in_bcast", "in_discards", "in_errors",
          "in_unknown_protos")
CTR_OUT = ("out_octets", "out_ucast", "out_mcast", "out_bcast", "out_discards", "out_errors")


def counter_sample(rng, seq, ifindex):
    """(sample, values): one generic interface counter sample and what it holds."""
    vin = [rng.getrandbits(48)] + [rng.getrandbits(31) for _ in range(6)]
    vout = [rng.getrandbits(48)] + [rng.getrandbits(31) for _ in range(5)]
    body = struct.pack("!IIQIIQIIIIIIQIIIIII", ifindex, 6, 10_000_000_000, 1, 3, *vin, *vout, 0)
    values = dict(zip(CTR_IN + CTR_OUT, vin + vout), ifindex=ifindex, if_speed=10_000_000_000,
                  if_status=3, sequence=seq)
    return tlv(2, struct.pack("!III", seq, ifindex, 1) + tlv(1, body)), values


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--expect")
    ap.add_argument("--datagrams", type=int, default=100)
    ap.add_argument("--samples-per-datagram", type=int, default=8)
    ap.add_argument("--agents", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ipv6-agents", action="store_true")
    ap.add_argument("--expanded", action="store_true", help="expanded flow samples (format 3)")
    ap.add_argument("--counters", action="store_true", help="add a counter sample per datagram")
    ap.add_argument("--unknown", action="store_true", help="add unknown sample/record types")
    ap.add_argument("--counters-expect", help="write each counter sample's values (NDJSON) here")
    ap.add_argument("--skip-every", type=int, default=0, help="leave every Nth datagram out")
    a = ap.parse_args()

    rng = random.Random(a.seed)
    agents = []
    for i in range(a.agents):
        if a.ipv6_agents:
            agents.append(str(ipaddress.IPv6Address("2001:db8:5::") + i + 1))
        else:
            agents.append(str(ipaddress.IPv4Address("10.5.0.0") + i + 1))
    seqs = {ag: rng.randrange(1, 1 << 30) for ag in agents}
    sample_seq = 0
    pcap = Pcap(a.out)
    expected, counters = [], []
    for n in range(a.datagrams):
        ag = agents[n % len(agents)]
        sub = n % 2 if a.agents == 1 else 0
        samples, recs = [], []
        for k in range(a.samples_per_datagram):
            sample_seq += 1
            s, r = flow_sample(rng, sample_seq, a.expanded, a.unknown and k == 0)
            r.update(switch_id=ag, observation_domain=sub, export_protocol="sflow_v5")
            samples.append(s)
            recs.append(r)
        ctr = None
        if a.counters:
            s, ctr = counter_sample(rng, n, 1 + n % 16)
            ctr["agent"] = ag
            samples.append(s)
        if a.unknown:
            samples.append(tlv(5, b"\x00" * 12, enterprise=4413))
        if a.ipv6_agents:
            head = struct.pack("!II16s", 5, 2, ipaddress.IPv6Address(ag).packed)
        else:
            head = struct.pack("!II4s", 5, 1, ipaddress.IPv4Address(ag).packed)
        key = (ag, sub)
        seq = seqs.setdefault(key, rng.randrange(1, 1 << 30))
        seqs[key] = seq + 1
        head += struct.pack("!IIII", sub, seq, 1000 + n, len(samples))
        if a.skip_every and n % a.skip_every == a.skip_every - 1:
            continue
        payload = head + b"".join(samples)
        # The UDP source is not the agent: the collector must take the agent from the datagram.
        if a.ipv6_agents:
            frame = udp6("2001:db8:99::1", COLLECTOR6, 40000, SFLOW_PORT, payload)
        else:
            frame = udp4("192.0.2.99", COLLECTOR4, 40000, SFLOW_PORT, payload)
        pcap.write(frame)
        expected.extend(recs)
        if ctr is not None:
            counters.append(ctr)
    pcap.close()
    if a.counters_expect:
        with open(a.counters_expect, "w") as f:
            for c in counters:
                f.write(json.dumps(c) + "\n")
    if a.expect:
        with open(a.expect, "w") as f:
            for r in expected:
                f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()

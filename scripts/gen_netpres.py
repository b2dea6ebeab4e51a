#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Frames for the network presence tests, built byte by byte from the RFCs.

  gen_netpres.py presence --out F.pcap --cases F.json [--port-mac MAC]
      ARP (RFC 826), ICMP echo (RFC 792), ICMPv6 echo (RFC 4443) and Neighbor
      Solicitations (RFC 4861) for our addresses and for others, on and off
      VLANs. F.json lists each frame with the reply it must get (or none).
  gen_netpres.py frag --out F.pcap --expect F.ndjson --cases F.json [--mtu 576]
      NetFlow v5 datagrams of 30 records cut into IP fragments (IPv4 and IPv6):
      in order, out of order, overlapping, one fragment missing. F.ndjson holds
      the records of the whole datagrams only.

Addresses (the test passes them to --collector-ip):
  192.0.2.2@vlan0  (untagged only)     198.51.100.7@port0@vlan100
  2001:db8::2      (any VLAN)          2001:db8:64::7@vlan100
"""
import argparse
import ipaddress
import json
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_flows import Pcap, eth, udp4, udp6, ip_checksum, v5_datagram  # noqa: E402

US4 = "192.0.2.2"
US4_VLAN = "198.51.100.7"
US6 = "2001:db8::2"
US6_VLAN = "2001:db8:64::7"
VLAN = 100
PEER4 = "192.0.2.10"
PEER6 = "2001:db8::10"
PEER_MAC = "02:00:00:00:00:01"       # gen_flows.eth() source MAC
COLLECTOR_ARGS = ["--collector-ip", US4 + "@vlan0",
                  "--collector-ip", US4_VLAN + "/24@port0@vlan%d" % VLAN,
                  "--collector-ip", US6,
                  "--collector-ip", US6_VLAN + "/64@vlan%d" % VLAN]


def mac_bytes(m):
    return bytes(int(x, 16) for x in m.split(":"))


def ll6_from_mac(mac):
    """fe80::/64 with the modified EUI-64 of mac (RFC 4291 appendix A)."""
    b = bytearray(mac_bytes(mac))
    iid = bytes([b[0] ^ 2, b[1], b[2], 0xFF, 0xFE, b[3], b[4], b[5]])
    return str(ipaddress.IPv6Address(b"\xfe\x80" + bytes(6) + iid))


def solicited(addr):
    a = ipaddress.IPv6Address(addr).packed
    return str(ipaddress.IPv6Address(bytes.fromhex("ff0200000000000000000001ff") + a[13:]))


def csum(data):
    if len(data) % 2:
        data += b"\x00"
    return ip_checksum(data)


def frame(payload, ethertype, vlans=(), dst_mac=None):
    f = eth(payload, ethertype, vlans)
    if dst_mac is not None:
        f = mac_bytes(dst_mac) + f[6:]
    # Ethernet minimum: 60 bytes before the FCS.
    return f + bytes(max(0, 60 - len(f)))


def arp_request(spa, tpa, vlans=(), op=1):
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, mac_bytes(PEER_MAC),
                       ipaddress.IPv4Address(spa).packed, bytes(6),
                       ipaddress.IPv4Address(tpa).packed)
    return frame(body, 0x0806, vlans, "ff:ff:ff:ff:ff:ff")


def ip4(src, dst, proto, payload, ttl=64):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0x1234, 0, ttl, proto, 0,
                      ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed)
    hdr = hdr[:10] + struct.pack("!H", ip_checksum(hdr)) + hdr[12:]
    return hdr + payload


def echo4(src, dst, seq, vlans=(), itype=8, bad_sum=False):
    data = bytes(range(32))
    icmp = struct.pack("!BBHHH", itype, 0, 0, 0x4242, seq) + data
    s = csum(icmp) ^ (0x5555 if bad_sum else 0)
    icmp = icmp[:2] + struct.pack("!H", s) + icmp[4:]
    return frame(ip4(src, dst, 1, icmp), 0x0800, vlans)


def ip6(src, dst, nh, payload, hlim=64):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, hlim,
                       ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(dst).packed) + payload


def icmp6_sum(src, dst, msg):
    pseudo = (ipaddress.IPv6Address(src).packed + ipaddress.IPv6Address(dst).packed +
              struct.pack("!IxxxB", len(msg), 58))
    return csum(pseudo + msg)


def icmp6(src, dst, msg, hlim=64, vlans=(), dst_mac=None):
    msg = msg[:2] + struct.pack("!H", icmp6_sum(src, dst, msg)) + msg[4:]
    return frame(ip6(src, dst, 58, msg, hlim), 0x86DD, vlans, dst_mac)


def echo6(src, dst, seq, vlans=()):
    return icmp6(src, dst, struct.pack("!BBHHH", 128, 0, 0, 0x4243, seq) + bytes(range(24)),
                 vlans=vlans)


def ns(target, src=PEER6, dst=None, vlans=(), hlim=255, slla=True):
    dst = dst or solicited(target)
    msg = struct.pack("!BBHI16s", 135, 0, 0, 0, ipaddress.IPv6Address(target).packed)
    if slla:
        msg += struct.pack("!BB6s", 1, 1, mac_bytes(PEER_MAC))
    a = ipaddress.IPv6Address(dst).packed
    dmac = "33:33:" + ":".join("%02x" % x for x in a[12:]) if a[0] == 0xFF else None
    return icmp6(src, dst, msg, hlim, vlans, dmac)


def cmd_presence(a):
    pcap = Pcap(a.out)
    cases = []

    def add(name, f, reply=None, **kw):
        pcap.write(f)
        c = {"name": name, "reply": reply}
        c.update(kw)
        cases.append(c)

    v = (VLAN,)
    add("arp for us", arp_request(PEER4, US4), "arp", ip=US4, vlan=None)
    add("arp for other", arp_request(PEER4, "192.0.2.99"))
    add("arp for us, untagged-only address on vlan", arp_request(PEER4, US4, v))
    add("arp for vlan address on its vlan", arp_request("198.51.100.10", US4_VLAN, v), "arp",
        ip=US4_VLAN, vlan=VLAN)
    add("arp for vlan address untagged", arp_request("198.51.100.10", US4_VLAN))
    add("arp for vlan address on wrong vlan", arp_request("198.51.100.10", US4_VLAN, (101,)))
    add("arp reply to us (not a request)", arp_request(PEER4, US4, op=2))
    add("echo4 for us", echo4(PEER4, US4, 1), "echo4", ip=US4, vlan=None)
    add("echo4 for us on vlan", echo4("198.51.100.10", US4_VLAN, 2, v), "echo4", ip=US4_VLAN,
        vlan=VLAN)
    add("echo4 for other", echo4(PEER4, "192.0.2.99", 3))
    add("echo4 bad checksum", echo4(PEER4, US4, 4, bad_sum=True))
    add("icmp4 timestamp request", echo4(PEER4, US4, 5, itype=13))
    add("echo6 for us", echo6(PEER6, US6, 1), "echo6", ip=US6, vlan=None)
    add("echo6 for us on vlan (any-vlan address)", echo6(PEER6, US6, 2, v), "echo6", ip=US6,
        vlan=VLAN)
    add("echo6 for other", echo6(PEER6, "2001:db8::99", 3))
    add("ns for us", ns(US6), "na", ip=US6, vlan=None)
    add("ns for us unicast", ns(US6, dst=US6), "na", ip=US6, vlan=None)
    add("ns for vlan address on its vlan", ns(US6_VLAN, vlans=v), "na", ip=US6_VLAN, vlan=VLAN)
    add("ns for vlan address untagged", ns(US6_VLAN))
    add("ns for other", ns("2001:db8::99"))
    add("ns hop limit 64", ns(US6, hlim=64))
    add("ns for us without slla (reply to eth source)", ns(US6, slla=False), "na", ip=US6,
        vlan=None)
    if a.port_mac:
        add("ns for our link-local", ns(ll6_from_mac(a.port_mac), src="fe80::1"), "na",
            ip=ll6_from_mac(a.port_mac), vlan=None)
        add("echo6 to our link-local", echo6("fe80::1", ll6_from_mac(a.port_mac), 9), "echo6",
            ip=ll6_from_mac(a.port_mac), vlan=None)
    # A UDP datagram still goes to the decoder between the presence frames.
    rng = random.Random(3)
    payload, _ = v5_datagram(rng, PEER4, 1, 2, (0, 0), 0)
    add("v5 datagram", udp4(PEER4, US4, 50000, 2055, payload), decoded=True)
    add("v5 datagram to vlan address on its vlan",
        udp4("198.51.100.10", US4_VLAN, 50000, 2055, payload, (VLAN,)), decoded=True)
    add("v5 datagram to vlan address on wrong vlan",
        udp4("198.51.100.10", US4_VLAN, 50000, 2055, payload, (101,)), decoded=False)
    add("v5 datagram to untagged-only address on vlan",
        udp4(PEER4, US4, 50000, 2055, payload, (VLAN,)), decoded=False)
    pcap.close()
    with open(a.cases, "w") as f:
        json.dump(cases, f, indent=1)


# ---------------------------------------------------------------- fragments

def fragments4(frame, mtu):
    """Cuts the IPv4 packet of an untagged frame into fragments of at most mtu."""
    l2, ip = frame[:14], frame[14:]
    hdr, body = ip[:20], ip[20:]
    step = (mtu - 20) // 8 * 8
    out = []
    for off in range(0, len(body), step):
        chunk = body[off:off + step]
        mf = 0x2000 if off + step < len(body) else 0
        h = bytearray(hdr)
        h[2:4] = struct.pack("!H", 20 + len(chunk))
        h[6:8] = struct.pack("!H", mf | off // 8)
        h[10:12] = b"\x00\x00"
        h[10:12] = struct.pack("!H", ip_checksum(bytes(h)))
        out.append((off, l2 + bytes(h) + chunk))
    return out


def fragments6(frame, mtu, ident):
    l2, ip = frame[:14], frame[14:]
    hdr, body = ip[:40], ip[40:]
    nh = hdr[6]
    step = (mtu - 48) // 8 * 8
    out = []
    for off in range(0, len(body), step):
        chunk = body[off:off + step]
        m = 1 if off + step < len(body) else 0
        h = bytearray(hdr)
        h[4:6] = struct.pack("!H", 8 + len(chunk))
        h[6] = 44
        fh = struct.pack("!BBHI", nh, 0, off | m, ident)
        out.append((off, l2 + bytes(h) + fh + chunk))
    return out


def overlap_of(frags, v6):
    """A fragment covering the second half of fragment 0 and the start of fragment 1."""
    off0, f0 = frags[0]
    off1, f1 = frags[1]
    hl = 14 + (48 if v6 else 20)
    data = f0[hl:] + f1[hl:]
    start = (len(f0) - hl) // 2 // 8 * 8
    chunk = data[start:start + (len(f0) - hl)]
    f = bytearray(f0[:hl] + chunk)
    if v6:
        f[18:20] = struct.pack("!H", 8 + len(chunk))
        f[56:58] = struct.pack("!H", start | 1)
    else:
        f[16:18] = struct.pack("!H", 20 + len(chunk))
        f[20:22] = struct.pack("!H", 0x2000 | start // 8)
        f[24:26] = b"\x00\x00"
        f[24:26] = struct.pack("!H", ip_checksum(bytes(f[14:34])))
    return bytes(f)


def cmd_frag(a):
    rng = random.Random(a.seed)
    pcap = Pcap(a.out)
    expected, cases = [], []
    ident = 0x100
    for v6 in (False, True):
        exporter = "2001:db8:1::1" if v6 else "10.0.0.1"
        for kind in ("in_order", "out_of_order", "overlap", "missing", "not_ours",
                     "in_order_again"):
            payload, recs = v5_datagram(rng, exporter, ident * 30, 30, (1, 0), 0)
            if kind == "not_ours":
                dst = "2001:db8::99" if v6 else "192.0.2.99"
            else:
                dst = US6 if v6 else US4
            if v6:
                whole = udp6(exporter, dst, 50000, 2055, payload)
                frags = fragments6(whole, a.mtu, ident)
            else:
                whole = bytearray(udp4(exporter, dst, 50000, 2055, payload))
                whole[18:20] = struct.pack("!H", ident)
                whole[20:22] = b"\x00\x00"  # DF off: this one is fragmented
                whole[24:26] = b"\x00\x00"
                whole[24:26] = struct.pack("!H", ip_checksum(bytes(whole[14:34])))
                frags = fragments4(bytes(whole), a.mtu)
            ident += 1
            seq = [f for _, f in frags]
            if kind == "out_of_order":
                seq = seq[::-1]
            elif kind == "overlap":
                seq = [seq[0], overlap_of(frags, v6)] + seq[1:]
            elif kind == "missing":
                seq = seq[:1] + seq[2:]
            for f in seq:
                pcap.write(f)
            whole_ok = kind not in ("overlap", "missing", "not_ours")
            if whole_ok:
                expected.extend(recs)
            cases.append({"v6": v6, "kind": kind, "fragments": len(seq), "whole": whole_ok,
                          "records": len(recs)})
    # Malformed fragments: never handed to rte_ip_frag, counted frag_bad.
    bad = []
    ip = bytearray(udp4("10.0.0.1", US4, 50000, 2055, b"\x00" * 40)[14:34])
    ip[2:4] = struct.pack("!H", 20)                     # header only, no data
    ip[6:8] = struct.pack("!H", 0x2000 | 10)
    ip[10:12] = b"\x00\x00"
    ip[10:12] = struct.pack("!H", ip_checksum(bytes(ip)))
    bad.append(eth(bytes(ip) + bytes(26), 0x0800))
    v6hdr = udp6("2001:db8:1::1", US6, 50000, 2055, b"")[14:54]
    short = bytearray(v6hdr)
    short[4:6] = struct.pack("!H", 4)                   # Fragment header cut short
    short[6] = 44
    bad.append(eth(bytes(short) + struct.pack("!BBH", 17, 0, 1), 0x86DD))
    hbh = bytearray(v6hdr)                              # hop-by-hop, then Fragment
    hbh[4:6] = struct.pack("!H", 8 + 8 + 16)
    hbh[6] = 0
    bad.append(eth(bytes(hbh) + struct.pack("!BB6x", 44, 0) +
                   struct.pack("!BBHI", 17, 0, 1, 99) + bytes(16), 0x86DD))
    for f in bad:
        pcap.write(f)
    cases.append({"v6": None, "kind": "malformed", "fragments": len(bad), "whole": False,
                  "records": 0})
    pcap.close()
    with open(a.expect, "w") as f:
        for r in expected:
            f.write(json.dumps(r) + "\n")
    with open(a.cases, "w") as f:
        json.dump(cases, f, indent=1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    pr = sub.add_parser("presence")
    pr.add_argument("--out", required=True)
    pr.add_argument("--cases", required=True)
    pr.add_argument("--port-mac", help="MAC of the DPDK port (adds link-local cases)")
    fr = sub.add_parser("frag")
    fr.add_argument("--out", required=True)
    fr.add_argument("--expect", required=True)
    fr.add_argument("--cases", required=True)
    fr.add_argument("--mtu", type=int, default=576)
    fr.add_argument("--seed", type=int, default=5)
    a = p.parse_args()
    {"presence": cmd_presence, "frag": cmd_frag}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())

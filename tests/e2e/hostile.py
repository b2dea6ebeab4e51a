# SPDX-License-Identifier: BSD-3-Clause
"""Frames for the hostile-network tests, built byte by byte: Ethernet/IPv4/UDP around
NetFlow v5, IPFIX (RFC 7011) and sFlow v5 payloads, IPv4 fragments (RFC 791), and a
classic pcap writer. Also reads what the final stderr block says per lcore."""
import re
import struct

ETH = bytes.fromhex("020000000002020000000001") + b"\x08\x00"


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def ipv4(src, dst, proto, payload, ident=0, frag_off=0, more=False):
    flags = (0x2000 if more else 0) | (frag_off // 8)
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, flags, 64, proto, 0,
                    ip4(src), ip4(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def udp(src, dst, sport, dport, payload, ident=0):
    u = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    return ETH + ipv4(src, dst, 17, u, ident)


def udp_fragments(src, dst, sport, dport, payload, ident, size=1000):
    """The IPv4 fragments of one UDP datagram, each carrying at most size bytes (a multiple of 8)."""
    u = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    out = []
    for off in range(0, len(u), size):
        out.append(ETH + ipv4(src, dst, 17, u[off:off + size], ident, off, off + size < len(u)))
    return out


def v5(count, seq, src_port=1, dst_port=80, engine=0):
    """A NetFlow v5 datagram of count records; each record's ports say which it is."""
    hdr = struct.pack("!HHIIIIBBH", 5, count, 100000, 1700000000, 0, seq, 0, engine, 0)
    recs = b""
    for i in range(count):
        recs += struct.pack("!4s4s4sHHIIIIHHBBBBHHBBH", ip4("10.1.0.1"), ip4("10.2.0.2"),
                            b"\0" * 4, 1, 2, 1, 100, 99000, 99500, src_port, dst_port + i, 0, 0,
                            6, 0, 0, 0, 24, 24, 0)
    return hdr + recs


def ipfix(domain, seq, template=True, records=(), tid=256):
    """IPFIX message: template tid {sourceTransportPort, destinationTransportPort,
    packetDeltaCount (4 bytes)}, then one data set of (src_port, dst_port) records, one packet
    each (8 bytes: the smallest record the amplification bound, one per 8 bytes, decodes)."""
    body = b""
    if template:
        tset = struct.pack("!HH", tid, 3) + struct.pack("!HHHHHH", 7, 2, 11, 2, 2, 4)
        body += struct.pack("!HH", 2, 4 + len(tset)) + tset
    if records:
        d = b"".join(struct.pack("!HHI", a, b, 1) for a, b in records)
        body += struct.pack("!HH", tid, 4 + len(d)) + d
    return struct.pack("!HHIII", 10, 16 + len(body), 1700000000, seq, domain) + body


def sflow_counters(agent, seq, ifindex, in_octets):
    """sFlow v5 datagram with one counter sample holding generic interface counters."""
    gen = struct.pack("!IIQIIQIIIIIIQIIIIII", ifindex, 6, 10 ** 10, 1, 3, in_octets,
                      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1)
    rec = struct.pack("!II", 1, len(gen)) + gen
    sample = struct.pack("!III", seq, ifindex, 1) + rec
    return struct.pack("!II4sIIII", 5, 1, ip4(agent), 0, seq, 1000, 1) + \
        struct.pack("!II", 2, len(sample)) + sample


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i // 1000000, i % 1000000, len(fr), len(fr)))
            f.write(fr)


def lcore_lines(stderr):
    """Per RX lcore of the final block: {rx_packets, flow_datagrams, records, busy_us}."""
    block = stderr.split("==== final ====")[-1]
    out = []
    for m in re.finditer(r"^lcore \d+: (.*)$", block, re.M):
        out.append({k: int(v) for k, v in re.findall(r"(\w+)=(\d+)(?!\.)", m.group(1))})
    return out


def port_nombuf(stderr):
    block = stderr.split("==== final ====")[-1]
    return sum(int(x) for x in re.findall(r"rx_nombuf=(\d+)", block))

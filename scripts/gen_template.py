#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""NetFlow v9 / IPFIX workload generator: pcaps of template-based export whose
every record is known, plus (optionally) the NDJSON records clarion-flowd must
print for them, computed here from the values chosen, not by the C decoder.

  gen_template.py --proto v9|ipfix --template cisco18 --out F.pcap [--expect F.ndjson]
                  [--datagrams N] [--records N] [--exporters N] [--templates-per-exporter T]
                  [--refresh N] [--varlen] [--seed N]

cisco18: a Cisco IOS-XE-like IPv4 template of 19 elements: addresses, next hop,
ports, protocol, ToS, TCP flags, octets (8 bytes), packets, start/end times,
interfaces, masks, direction and SGT: NetFlow v9 types 34000/34001, IPFIX
Cisco PEN 9 elements 1232/1233. v9 times are sysUptime-relative
(FIRST/LAST_SWITCHED), IPFIX times are flowStart/EndMilliseconds. --varlen (IPFIX)
adds applicationName (IANA 96), a variable-length string the collector skips.

Every exporter sends its template(s) in its first datagram and then every
--refresh datagrams; data cycles through its --templates-per-exporter ids.
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
PORTS = {"v9": 2055, "ipfix": 4739}
PEN_CISCO = 9

# (name, v9 type, IPFIX (pen, id), length); None = not in that protocol's template.
CISCO18 = [
    ("src", 8, (0, 8), 4), ("dst", 12, (0, 12), 4), ("nh", 15, (0, 15), 4),
    ("sport", 7, (0, 7), 2), ("dport", 11, (0, 11), 2), ("proto", 4, (0, 4), 1),
    ("tos", 5, (0, 5), 1), ("flags", 6, (0, 6), 1), ("octets", 1, (0, 1), 8),
    ("pkts", 2, (0, 2), 4), ("first", 22, (0, 152), None), ("last", 21, (0, 153), None),
    ("inif", 10, (0, 10), 4), ("outif", 14, (0, 14), 4), ("smask", 9, (0, 9), 1),
    ("dmask", 13, (0, 13), 1), ("dir", 61, (0, 61), 1),
    ("sgt_s", 34000, (PEN_CISCO, 1232), 4), ("sgt_d", 34001, (PEN_CISCO, 1233), 4),
]


def layout(proto, varlen):
    """[(name, v9 type or (pen, id), length)]; length 65535 = variable."""
    out = []
    for name, t9, tip, ln in CISCO18:
        if ln is None:
            ln = 4 if proto == "v9" else 8  # sysUptime ms vs absolute ms
        out.append((name, t9 if proto == "v9" else tip, ln))
    if varlen:
        if proto == "v9":
            sys.exit("gen_template.py: --varlen is IPFIX only")
        out.insert(6, ("appname", (0, 96), 65535))
    return out


def template_set(proto, fields, tids):
    body = b""
    for tid in tids:
        body += struct.pack("!HH", tid, len(fields))
        for _, t, ln in fields:
            if proto == "v9":
                body += struct.pack("!HH", t, ln)
            elif t[0]:
                body += struct.pack("!HHI", t[1] | 0x8000, ln, t[0])
            else:
                body += struct.pack("!HH", t[1], ln)
    sid = 0 if proto == "v9" else 2
    return struct.pack("!HH", sid, 4 + len(body)) + body


def one_record(rng, proto, fields, clk, exporter, domain):
    uptime, secs = clk
    export_ms = secs * 1000
    v = {
        "src": str(ipaddress.IPv4Address(rng.getrandbits(32))),
        "dst": str(ipaddress.IPv4Address(rng.getrandbits(32))),
        "nh": str(ipaddress.IPv4Address(rng.getrandbits(32))),
        "sport": rng.getrandbits(16), "dport": rng.getrandbits(16),
        "proto": rng.choice([6, 17, 1, 47, 50]), "tos": rng.getrandbits(8),
        "flags": rng.getrandbits(8), "octets": rng.getrandbits(40), "pkts": rng.getrandbits(32),
        "inif": rng.getrandbits(32), "outif": rng.getrandbits(32),
        "smask": rng.randrange(0, 33), "dmask": rng.randrange(0, 33), "dir": rng.randrange(0, 2),
        "sgt_s": rng.choice([0, 2, 17, 65535, rng.getrandbits(32)]),
        "sgt_d": rng.choice([0, 4, 100, rng.getrandbits(16)]),
        "appname": bytes(rng.choice(b"abcdefghij") for _ in range(rng.choice([0, 3, 12, 300]))),
    }
    age_first, age_last = rng.randrange(0, 3_600_000), rng.randrange(0, 60_000)
    if proto == "v9":
        # FIRST/LAST_SWITCHED may sit before an uptime wrap: signed difference.
        v["first"] = (uptime - age_first) & 0xFFFFFFFF
        v["last"] = (uptime - age_last) & 0xFFFFFFFF
    else:
        v["first"] = export_ms - age_first
        v["last"] = export_ms - age_last
    start_ms, end_ms = export_ms - age_first, export_ms - age_last
    raw = b""
    for name, _, ln in fields:
        x = v[name]
        if ln == 65535:
            raw += (bytes([len(x)]) if len(x) < 255 else b"\xff" + struct.pack("!H", len(x))) + x
        elif name in ("src", "dst", "nh"):
            raw += ipaddress.IPv4Address(x).packed
        else:
            raw += x.to_bytes(ln, "big")
    rec = {
        "src_ip": v["src"], "dst_ip": v["dst"], "src_port": v["sport"], "dst_port": v["dport"],
        "protocol": v["proto"], "bytes": v["octets"], "packets": v["pkts"],
        "flow_start": start_ms // 1000, "flow_end": end_ms // 1000, "switch_id": exporter,
        "src_sgt": v["sgt_s"], "dst_sgt": v["sgt_d"], "src_mac": None, "dst_mac": None,
        "vlan_id": None, "flow_start_ms": start_ms, "flow_end_ms": end_ms,
        "tcp_flags": v["flags"], "tos": v["tos"], "input_if": v["inif"], "output_if": v["outif"],
        "src_as": None, "dst_as": None, "src_mask": v["smask"], "dst_mask": v["dmask"],
        "next_hop": v["nh"], "sampling_rate": None, "direction": v["dir"],
        "time_source": "flow",
        "exporter_version": 9 if proto == "v9" else 10,
        "export_protocol": "netflow_v9" if proto == "v9" else "ipfix",
        "observation_domain": domain,
    }
    return raw, rec


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proto", choices=("v9", "ipfix"), required=True)
    ap.add_argument("--template", choices=("cisco18",), default="cisco18")
    ap.add_argument("--varlen", action="store_true")
    ap.add_argument("--refresh", type=int, default=20, help="template every N datagrams per exporter")
    ap.add_argument("--exporters", type=int, default=1)
    ap.add_argument("--templates-per-exporter", type=int, default=1)
    ap.add_argument("--datagrams", type=int, default=100)
    ap.add_argument("--records", type=int, default=20, help="records per datagram")
    ap.add_argument("--ipv6", action="store_true", help="exporters send over IPv6")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("--expect")
    a = ap.parse_args()
    if a.refresh < 1 or a.exporters < 1 or a.templates_per_exporter < 1 or a.records < 1:
        ap.error("--refresh, --exporters, --templates-per-exporter and --records must be >= 1")

    rng = random.Random(a.seed)
    fields = layout(a.proto, a.varlen)
    tids = [256 + i for i in range(a.templates_per_exporter)]
    exporters = []
    for i in range(a.exporters):
        base = ipaddress.IPv6Address("2001:db8:1::") if a.ipv6 else ipaddress.IPv4Address("10.0.0.0")
        exporters.append(str(base + i + 1))
    state = {e: {"seq": rng.getrandbits(32), "sent": 0,
                 "clk": [rng.randrange(100_000, 3_000_000_000), rng.randrange(1_600_000_000, 1_800_000_000)]}
             for e in exporters}
    pcap = Pcap(a.out)
    expected = []
    for n in range(a.datagrams):
        exp = exporters[n % len(exporters)]
        st = state[exp]
        domain = 1 + exporters.index(exp) % 4
        st["clk"][0] = (st["clk"][0] + 1000) & 0xFFFFFFFF
        st["clk"][1] += 1
        sets = b""
        if st["sent"] % a.refresh == 0:
            sets += template_set(a.proto, fields, tids)
        tid = tids[st["sent"] % len(tids)]
        body = b""
        for _ in range(a.records):
            raw, rec = one_record(rng, a.proto, fields, st["clk"], exp, domain)
            body += raw
            expected.append(rec)
        pad = (-len(body)) % 4
        sets += struct.pack("!HH", tid, 4 + len(body) + pad) + body + bytes(pad)
        if a.proto == "v9":
            nrec = a.records + (len(tids) if st["sent"] % a.refresh == 0 else 0)
            payload = struct.pack("!HHIIII", 9, nrec, st["clk"][0], st["clk"][1], st["seq"],
                                  domain) + sets
            st["seq"] = (st["seq"] + 1) & 0xFFFFFFFF
        else:
            payload = struct.pack("!HHIII", 10, 16 + len(sets), st["clk"][1], st["seq"], domain) + sets
            st["seq"] = (st["seq"] + a.records) & 0xFFFFFFFF
            if len(payload) > 65535:
                sys.exit("gen_template.py: message longer than 65535 bytes; lower --records")
        st["sent"] += 1
        port = PORTS[a.proto]
        frame = udp6(exp, COLLECTOR6, 50000, port, payload) if a.ipv6 else \
            udp4(exp, COLLECTOR4, 50000, port, payload)
        pcap.write(frame)
    pcap.close()
    if a.expect:
        with open(a.expect, "w") as f:
            for r in expected:
                f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Seed inputs for a fuzz target (tests/fuzz), written into DIR:

  make_seeds.py TARGET DIR

Real captures from ../shared/corpus when it is there (each Logstash test case's
datagrams in order, as one input; the sFlow datagrams; the corpus pcaps' frames),
plus inputs built by the generators (scripts/gen_flows.py, gen_netpres.py and
tests/e2e/hostile.py): fragments, ARP/ICMP/ND, spool segments, template files, agent
requests. Inputs use the piece format of tests/fuzz/cf_fuzz.h:
[u16 length][u8 flags][bytes]..."""
import json
import os
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import hostile as h  # noqa: E402

SHARED = os.environ.get("CF_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
NF = os.path.join(SHARED, "corpus", "netflow-logstash")
SF = os.path.join(SHARED, "corpus", "sflow-logstash")


def piece(data, flags=0):
    data = data[:65535]
    return struct.pack("!HB", len(data), flags) + data


def pcap_frames(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    e = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    link = struct.unpack(e + "I", data[20:24])[0]
    off, out = 24, []
    while off + 16 <= len(data):
        incl = struct.unpack(e + "IIII", data[off:off + 16])[2]
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if link != 1:  # raw IP: give it an Ethernet header as a NIC would
            pkt = h.ETH[:12] + (b"\x86\xdd" if pkt and pkt[0] >> 4 == 6 else b"\x08\x00") + pkt
        out.append(pkt)
    return out


def crc32c(b):
    crc = 0xFFFFFFFF
    for x in b:
        crc ^= x
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def seg_entry(seq, nrec, body, flags=0):
    hdr = struct.pack("<IIII QQI", 0x50534643, len(body), nrec, crc32c(body), 1, seq, flags)
    return hdr + struct.pack("<I", crc32c(hdr)) + body


def tpl_file(templates):
    """--template-file format (lib/tpl/cf_tpl_persist.c): one IPFIX exporter, its templates."""
    exp = bytes(h.ip4("192.0.2.1")) + bytes(12) + struct.pack("<IBB2xII", 1, 10, 0, 0, 0) + \
        bytes(64) + struct.pack("<Q", 0)
    body = exp
    for tid, fields in templates:
        body += struct.pack("<IHBBHH", 0, tid, 0, 0, 0, len(fields))
        for fid, flen in fields:
            body += struct.pack("<IHH", 0, fid, flen)
    s = 0xcbf29ce484222325
    for x in body:
        s = ((s ^ x) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return b"CFTPL\x01\r\n" + struct.pack("<IIQQ", 1, len(templates), len(body), s) + body


def garbage_frames():
    """scripts/gen_flows.py garbage: malformed frames, one per drop reason, and good ones."""
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "g.pcap")
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_flows.py"), "garbage",
                        "--out", p, "--expect-drops", os.path.join(d, "g.json")], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return pcap_frames(p) if os.path.exists(p) else []


def seeds(target):
    out = {}
    if target == "v9ipfix":
        spec = os.path.join(NF, "expected_logstash_spec.json")
        if os.path.exists(spec):
            with open(spec) as f:
                cases = json.load(f)
            for i, case in enumerate(cases if isinstance(cases, list) else cases.get("cases", [])):
                files = case.get("files") or case.get("dat_files") or []
                data = b""
                for name in files:
                    p = os.path.join(NF, "dat", os.path.basename(name))
                    if os.path.exists(p):
                        with open(p, "rb") as f:
                            data += piece(f.read(), 8)
                if data:
                    out["case%02d" % i] = data
            for name in sorted(os.listdir(os.path.join(NF, "dat"))):
                with open(os.path.join(NF, "dat", name), "rb") as f:
                    out["dat-" + name] = piece(f.read())
        out["gen-ipfix"] = piece(h.ipfix(1, 0, True, [(1, 2)] * 3)) + \
            piece(h.ipfix(1, 3, False, [(5, 6)]), 1) + piece(h.ipfix(2, 0, True), 2 | 8)
        out["gen-v5"] = piece(h.v5(3, 0)) + piece(h.v5(2, 3), 8)
        for k, fr in enumerate(garbage_frames()):
            if len(fr) > 42:
                out["garbage%03d" % k] = piece(fr[42:])
    elif target == "sflow":
        if os.path.isdir(os.path.join(SF, "dat")):
            for name in sorted(os.listdir(os.path.join(SF, "dat"))):
                with open(os.path.join(SF, "dat", name), "rb") as f:
                    out["dat-" + name] = piece(f.read())
        out["gen-counters"] = piece(h.sflow_counters("192.0.2.9", 1, 3, 100)) + \
            piece(h.sflow_counters("192.0.2.9", 2, 3, 200), 8)
    elif target == "rx":
        if os.path.isdir(os.path.join(NF, "tests_pcap")):
            for name in sorted(os.listdir(os.path.join(NF, "tests_pcap")))[:20]:
                fr = pcap_frames(os.path.join(NF, "tests_pcap", name))
                out["pcap-" + name] = b"".join(piece(x) for x in fr[:8])
        fr = garbage_frames()
        for k in range(0, len(fr), 8):
            out["garbage%03d" % k] = b"".join(piece(x) for x in fr[k:k + 8])
        out["frag"] = b"".join(piece(x) for x in h.udp_fragments(
            "192.0.2.40", "192.0.2.2", 4000, 2055, h.v5(30, 0), 7, 504))
        with tempfile.TemporaryDirectory() as d:
            for mode in ("presence", "frag"):
                p = os.path.join(d, mode + ".pcap")
                args = [sys.executable, os.path.join(ROOT, "scripts", "gen_netpres.py"), mode,
                        "--out", p, "--cases", os.path.join(d, mode + ".json")]
                if mode == "frag":
                    args += ["--expect", os.path.join(d, "e.ndjson")]
                subprocess.run(args, check=False, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
                if os.path.exists(p):
                    fr = pcap_frames(p)
                    for k in range(0, len(fr), 6):
                        out["%s%03d" % (mode, k)] = b"".join(piece(x) for x in fr[k:k + 6])
    elif target == "spool":
        a = seg_entry(1, 5, b'{"records":[1,2,3,4,5]}') + seg_entry(2, 2, b"xy")
        out["one-seg"] = piece(a, 1)
        out["torn"] = piece(a + a[:30], 1) + piece(seg_entry(3, 4, b"body"), 2)
        out["planted"] = piece(b"not a segment", 3) + piece(a, 4 | 64) + piece(b"", 5 | 32) + \
            piece(a, 6 | 16)
    elif target == "stages":
        # [selector byte: keys (bits 0-1), bytes scaled by sampling (2), sketch reset (3)]
        # then datagrams: the decoders' seeds, and enterprise-shaped IPFIX (MACs, SGTs,
        # VLANs, servers' answers) so the keys and endpoints are real ones.
        k = 0
        for name, data in sorted(seeds("v9ipfix").items()) + sorted(seeds("sflow").items()):
            if name.startswith("garbage"):
                continue
            out["dec-" + name] = bytes([k % 16]) + data
            k += 1
        # Octets x 2^40 (the most the generator's flows take): sums pass 2^64 and split.
        for tag, scale in (("ent", 1), ("big", 1 << 40)):
            with tempfile.TemporaryDirectory() as d:
                p = os.path.join(d, "ent.pcap")
                subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_enterprise.py"),
                                "--out", p, "--switches", "2", "--endpoints", "6", "--minutes",
                                "3", "--server-export", "--bytes-scale", str(scale)],
                               check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                fr = pcap_frames(p) if os.path.exists(p) else []
            for sel in range(16) if tag == "ent" else (0, 3, 7):
                out["%s-%02d" % (tag, sel)] = bytes([sel]) + b"".join(
                    piece(x[42:], (i % 4 == 3) * 8 | (x[29] & 3)) for i, x in enumerate(fr[:64]))
    elif target == "tplfile":
        out["one"] = tpl_file([(256, [(7, 2), (11, 2)])])
        out["two"] = tpl_file([(256, [(8, 4), (12, 4), (1, 8)]), (300, [(7, 2)])])
    elif target == "agent":
        out["json"] = b"\x00" + b'{"switch_id":"sw1","sketches":[{"a":1}],"sketch_count":1}'
        out["binary"] = b"\x0f" + piece(b"sw1") + piece(b"3") + piece(b"gzip") + b"\x1f\x8b..."
        out["trailing"] = b"\x00" + b'{"switch_id":"s","sketches":[1]} x'
    return out


def main():
    target, d = sys.argv[1], sys.argv[2]
    os.makedirs(d, exist_ok=True)
    for name, data in seeds(target).items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()

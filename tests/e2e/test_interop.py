#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""What real routers send (issue 15), through the real binary: an IPFIX exporter
built here byte by byte (RFC 7011) sends an interface table and a VRF table as
options data, a PSAMP selector report (RFC 5477), a tunnel template with the
flow key twice (RFC 7011 sec. 8) and an event template with only an
observation time. Checked in the NDJSON output: inner_* keys, names,
sampling_rate from the selector, time_source, null for absent keys; and the
template view on HTTP /templates and telemetry /clarion/templates,<exporter>,
while the collector runs."""
import ipaddress
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

import cflib

sys.path.insert(0, os.path.join(cflib.ROOT, "scripts"))
from gen_flows import Pcap, udp4  # noqa: E402

NAME = "interop"
EXPORTER = "192.0.2.10"
SECS = 1700000000
DOMAIN = 5


def fld(eid, length):
    return struct.pack("!HH", eid, length)


def set_(sid, body):
    pad = (-len(body)) % 4
    return struct.pack("!HH", sid, 4 + len(body) + pad) + body + b"\0" * pad


def msg(seq, *sets):
    body = b"".join(sets)
    return struct.pack("!HHIII", 10, 16 + len(body), SECS, seq, DOMAIN) + body


def ip4(a):
    return ipaddress.IPv4Address(a).packed


def ip6(a):
    return ipaddress.IPv6Address(a).packed


def name_field(text, size):
    return text.encode().ljust(size, b"\0")


def capture(path):
    opt_tpl = set_(3,
                   # interface table: scope ingressInterface, interfaceName (32 bytes, padded)
                   struct.pack("!HHH", 400, 2, 1) + fld(10, 4) + fld(82, 32) +
                   # VRF table: scope ingressVRFID, VRFname
                   struct.pack("!HHH", 401, 2, 1) + fld(234, 4) + fld(236, 32) +
                   # selector report: scope selectorId, algorithm 3, samplingSize/Population
                   struct.pack("!HHH", 402, 4, 1) + fld(302, 4) + fld(304, 2) + fld(309, 4) +
                   fld(310, 4))
    tpl = set_(2,
               # tunnel: outer IPv6 + protocol, inner IPv4 + protocol + ports
               struct.pack("!HH", 300, 11) + fld(27, 16) + fld(28, 16) + fld(4, 1) +
               fld(8, 4) + fld(12, 4) + fld(4, 1) + fld(7, 2) + fld(11, 2) + fld(1, 8) +
               fld(10, 4) + fld(302, 4) +
               # event: addresses, VRF, observationTimeMilliseconds only (an NSEL-like record)
               struct.pack("!HH", 301, 4) + fld(8, 4) + fld(12, 4) + fld(234, 4) + fld(323, 8))
    opts = (set_(400, struct.pack("!I", 3) + name_field("Gi0/0/0/3", 32) +
                 struct.pack("!I", 4) + name_field("Gi0/0/0/4", 32)) +
            set_(401, struct.pack("!I", 7) + name_field("blue", 32)) +
            set_(402, struct.pack("!IHII", 9, 3, 1, 1000)))
    data = (set_(300, ip6("2001:db8::1") + ip6("2001:db8::2") + b"\x04" + ip4("10.0.0.1") +
                 ip4("10.0.0.2") + b"\x06" + struct.pack("!HHQII", 40000, 443, 1500, 3, 9)) +
            set_(301, ip4("10.1.0.1") + ip4("10.1.0.2") + struct.pack("!IQ", 7, SECS * 1000 - 250)))
    p = Pcap(path)
    for m in (msg(0, opt_tpl, tpl), msg(0, opts), msg(4, data)):
        p.write(udp4(EXPORTER, "192.0.2.1", 50000, 4739, m))
    p.close()



def get_json(port, path):
    """The JSON body of GET path, or None (an HTTP error or no answer)."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5) as r:
            return json.loads(r.read())
    except (OSError, ValueError):
        return None



c = cflib.Checker(NAME)
with tempfile.TemporaryDirectory() as d:
    pcap, out = os.path.join(d, "x.pcap"), os.path.join(d, "out.ndjson")
    capture(pcap)
    port = cflib.free_port()
    eal = cflib.eal_args("net_pcap0,rx_pcap=%s" % pcap)
    prefix = eal[eal.index("--file-prefix") + 1]
    errf = tempfile.TemporaryFile(mode="w+")
    p = subprocess.Popen([cflib.BIN] + eal + ["--", "--http-port", str(port), "--agent-port", "0",
                                              "--run-time", "60", "--output", "ndjson:" + out],
                         stdout=subprocess.DEVNULL, stderr=errf)
    view = None
    try:
        deadline = time.time() + 30
        while time.time() < deadline and view is None:
            v = get_json(port, "/templates")
            if v and v["exporters"] and len(v["exporters"][0]["templates"]) == 5 and \
                    sum(t["records"] for t in v["exporters"][0]["templates"]) >= 6:
                view = v
            time.sleep(0.2)
        c.check(view is not None, "GET /templates lists the exporter's 5 templates")
        if view is not None:
            e = view["exporters"][0]
            c.eq(e["exporter"], EXPORTER, "/templates: exporter")
            c.eq(e["version"], "ipfix", "/templates: version")
            c.eq(e["domain"], DOMAIN, "/templates: domain")
            c.eq(e["names"], 3, "/templates: names kept from options data")
            t = {x["id"]: x for x in e["templates"]}
            c.eq(sorted(t), [300, 301, 400, 401, 402], "/templates: ids")
            c.eq(t[300]["kind"], "data", "/templates: kind")
            c.eq(t[402]["kind"], "options", "/templates: options kind")
            c.eq([(f["id"], f["length"]) for f in t[301]["fields"]],
                 [(8, 4), (12, 4), (234, 4), (323, 8)], "/templates: fields of 301")
            c.eq(t[300]["records"], 1, "/templates: records decoded with 300")
            c.eq(t[400]["records"], 2, "/templates: options records decoded with 400")
            c.check(0 < t[300]["first_seen_ms"] <= t[300]["last_seen_ms"], "/templates: seen times")
        c.eq(get_json(port, "/templates?exporter=192.0.2.99"), {"exporters": []},
             "/templates?exporter= filters")
        tl = cflib.telemetry(prefix, "/clarion/templates") or {}
        c.eq(tl.get("exporter"), [EXPORTER], "telemetry /clarion/templates: exporters")
        c.eq(tl.get("templates"), [5], "telemetry /clarion/templates: template count")
        tl = cflib.telemetry(prefix, "/clarion/templates," + EXPORTER) or {}
        c.eq(sorted(tl.get("id", [])), [300, 301, 400, 401, 402],
             "telemetry /clarion/templates,<exporter>: ids")
        c.check(any(f.startswith("27:16,28:16,4:1,8:4") for f in tl.get("fields", [])),
                "telemetry /clarion/templates,<exporter>: fields as id:length")
    finally:
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=60)
    errf.seek(0)
    stderr = errf.read()
    c.eq(rc, 0, "exit status")
    with open(out) as f:
        recs = [json.loads(line) for line in f if line.strip()]
    c.eq(len(recs), 2, "flow records (options data are not flows)")
    if len(recs) == 2:
        t, ev = recs
        c.eq((t.get("src_ip"), t.get("dst_ip"), t.get("protocol")), ("2001:db8::1", "2001:db8::2", 4),
             "tunnel: the outer header is the flow")
        c.eq((t.get("src_port"), t.get("dst_port")), (None, None), "tunnel: the outer header has no ports")
        c.eq((t.get("inner_src_ip"), t.get("inner_dst_ip"), t.get("inner_protocol"),
              t.get("inner_src_port"), t.get("inner_dst_port")),
             ("10.0.0.1", "10.0.0.2", 6, 40000, 443), "tunnel: inner_* keys")
        c.eq(t.get("input_if_name"), "Gi0/0/0/3", "input_if_name from the interface table")
        c.eq(t.get("sampling_rate"), 1000, "sampling_rate from the selector report (1 of 1000)")
        c.eq(t.get("time_source"), "export", "no flow times: the export time")
        c.eq(t.get("flow_start"), SECS, "flow_start = export time")
        c.eq(ev.get("flow_start_ms"), SECS * 1000 - 250, "event record: observation time")
        c.eq(ev.get("time_source"), "observation", "event record: time_source")
        c.eq((ev.get("bytes"), ev.get("packets"), ev.get("src_port"), ev.get("protocol")), (None,) * 4,
             "event record: keys it did not carry are null")
        c.eq((ev.get("vrf_id"), ev.get("vrf_name")), (7, "blue"), "vrf_id and vrf_name")
    st = cflib.parse_final(stderr)
    c.eq(sum(st.get("drops", {}).values()), 0, "no drops")
c.done()

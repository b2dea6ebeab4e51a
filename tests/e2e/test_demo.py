#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""What a newcomer sees first: scripts/demo.sh replays plausible traffic (real
protocol/port pairs, bytes larger than packets, campus addresses) and ends, after the
records, with a summary whose numbers are the records' own: records by exporter and
protocol, top talkers by bytes, drops by reason (only those that happened)."""
import collections
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cflib  # noqa: E402

NAME = "demo"
C = cflib.Checker(NAME)
DEMO = os.path.join(cflib.ROOT, "scripts", "demo.sh")
# (IP protocol, the service's port) a campus exports; ICMP echo is type 8 in dst_port.
SERVICES = {(6, 443), (17, 443), (6, 80), (17, 53), (17, 123), (6, 22), (6, 445), (6, 3389),
            (6, 25), (17, 514), (1, 8 << 8)}


def demo(*args):
    env = dict(os.environ, CF_DEMO_NO_BUILD="1", CF_BIN=cflib.BIN)
    return subprocess.run([DEMO] + list(args), capture_output=True, text=True, timeout=120, env=env)


def split(stdout):
    lines = stdout.splitlines()
    recs = [json.loads(ln) for ln in lines if ln.startswith("{")]
    start = next((i for i, ln in enumerate(lines) if ln.startswith("==== summary")), None)
    last_rec = max((i for i, ln in enumerate(lines) if ln.startswith("{")), default=-1)
    return recs, lines[start:] if start is not None else [], start, last_rec


def main():
    if not os.path.exists(cflib.BIN):
        cflib.skip(NAME, "no binary at %s (run scripts/build.sh)" % cflib.BIN)
    p = demo()
    C.eq(p.returncode, 0, "demo exit status")
    recs, summary, start, last_rec = split(p.stdout)
    C.eq(len(recs), 600, "the sample's 600 records on stdout")
    C.check(start is not None and start > last_rec, "the summary comes after the records")

    def pair(r):
        if r["protocol"] == 1:
            return (1, r["dst_port"])
        return (r["protocol"], min(r["src_port"], r["dst_port"]))
    odd = [r for r in recs if pair(r) not in SERVICES]
    C.eq(len(odd), 0, "real protocol/port pairs (%r)" % [pair(r) for r in odd[:3]])
    C.check(all(r["bytes"] > r["packets"] > 0 for r in recs), "bytes larger than packets")
    C.check(all(r["src_ip"].startswith("10.20.") or r["dst_ip"].startswith("10.20.") for r in recs),
            "every flow has a campus client (10.20.0.0/16)")
    C.check(len({r["src_ip"] for r in recs} | {r["dst_ip"] for r in recs}) > 100, "many hosts, not a few")

    text = "\n".join(summary)
    m = re.search(r"==== summary: (\d+) records from (\d+) exporter\(s\) in (\d+) datagrams", text)
    C.check(m is not None and m.groups() == ("600", "3", "20"), "summary header: %r" % summary[:1])
    by = collections.Counter((r["switch_id"], r["protocol"]) for r in recs)
    for sw in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        row = re.search(r"^  %s\s+netflow_v5\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$" % re.escape(sw),
                        text, re.M)
        want = (by[(sw, 6)], by[(sw, 17)], by[(sw, 1)], 0, sum(v for (s, _), v in by.items() if s == sw))
        C.eq(tuple(int(x) for x in row.groups()) if row else None, want,
             "records of exporter %s by protocol" % sw)
    top = re.search(r"^  1\. (\S+)\s+-> (\S+)\s+(\S+)\s+([\d.]+) (\w?B)", text, re.M)
    talk = collections.Counter()
    for r in recs:
        talk[(r["src_ip"], r["dst_ip"])] += r["bytes"]
    best = talk.most_common(1)[0][0]
    C.check(top is not None and (top.group(1), top.group(2)) == best,
            "top talker is the largest by bytes: %r, want %r" % (top and top.groups(), best))
    C.check("drops by reason: none" in text, "no drops in the sample: said so")

    # With drops: every datagram on a port the collector does not listen on.
    p = demo("--", "--netflow-port", "2056")
    recs, summary, start, _ = split(p.stdout)
    C.eq(len(recs), 0, "port 2056: no records")
    C.check("drops by reason: udp_port 20" in "\n".join(summary),
            "port 2056: the drop and its count in the summary: %r" % summary[-1:])
    C.done()


if __name__ == "__main__":
    main()

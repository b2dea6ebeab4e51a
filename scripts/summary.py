#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A short human summary of a clarion-flowd run (scripts/demo.sh prints it after the
records): records by exporter and protocol, top talkers by bytes, drops by reason.

  summary.py --records FILE.ndjson --log STDERR.txt

--records is what --output ndjson: wrote; --log the collector's stderr, whose final
counter block gives the datagrams and the drop reasons (only those not zero).
"""
import argparse
import collections
import json
import re
import sys

PROTO = {1: "icmp", 6: "tcp", 17: "udp", 47: "gre", 50: "esp", 58: "icmpv6"}


def human(n):
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return ("%d %s" % (n, unit)) if unit == "B" else ("%.1f %s" % (n, unit))
        n /= 1000.0
    return str(n)


def final_block(log):
    """total: and drops:/delivery_drops: of the final block: (totals, drops)."""
    block = log.split("==== final ====")[-1] if "==== final ====" in log else ""
    totals, drops = {}, collections.Counter()
    for line in block.splitlines():
        tag = line.split(":", 1)[0]
        for k, v in re.findall(r"(\w+)=(\d+)", line):
            if tag in ("drops", "delivery_drops"):
                drops[k] += int(v)
            elif tag == "total":
                totals[k] = int(v)
    return totals, drops


def service(r):
    p = PROTO.get(r.get("protocol"), str(r.get("protocol")))
    if p in ("icmp", "icmpv6"):
        return p
    # The well-known side of the conversation names the service.
    port = min(r.get("src_port") or 0, r.get("dst_port") or 0) or r.get("dst_port")
    return "%s/%s" % (p, port)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--top", type=int, default=5)
    a = ap.parse_args()
    recs = []
    with open(a.records) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                recs.append(json.loads(line))
    with open(a.log) as f:
        totals, drops = final_block(f.read())
    out = sys.stdout
    exporters = collections.OrderedDict()
    for r in recs:
        e = exporters.setdefault((r.get("switch_id"), r.get("export_protocol")), collections.Counter())
        e[PROTO.get(r.get("protocol"), "other")] += 1
    out.write("==== summary: %d records from %d exporter(s) in %d datagrams ====\n"
              % (len(recs), len({k[0] for k in exporters}), totals.get("flow_datagrams", 0)))
    cols = ["tcp", "udp", "icmp", "other"]
    out.write("records by exporter and protocol:\n")
    out.write("  %-18s %-11s %6s %6s %6s %6s %7s\n" % ("exporter", "export", *cols, "total"))
    for (sw, ep), cnt in sorted(exporters.items(), key=lambda kv: str(kv[0])):
        other = sum(v for k, v in cnt.items() if k not in cols[:3])
        out.write("  %-18s %-11s %6d %6d %6d %6d %7d\n" % (sw, ep, cnt["tcp"], cnt["udp"], cnt["icmp"],
                                                        other, sum(cnt.values())))
    talk = collections.Counter()
    pkts = collections.Counter()
    for r in recs:
        k = (r.get("src_ip"), r.get("dst_ip"), service(r))
        talk[k] += r.get("bytes") or 0
        pkts[k] += r.get("packets") or 0
    out.write("top talkers by bytes:\n")
    for i, ((src, dst, svc), b) in enumerate(talk.most_common(a.top), 1):
        out.write("  %d. %-15s -> %-15s %-9s %10s %9d packets\n"
                  % (i, src, dst, svc, human(b), pkts[(src, dst, svc)]))
    nz = [(k, v) for k, v in drops.items() if v]
    out.write("drops by reason: %s\n" % (", ".join("%s %d" % kv for kv in sorted(nz, key=lambda kv: -kv[1]))
                                          if nz else "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""--aggregate on the real binary: an enterprise-shaped IPFIX capture
(scripts/gen_enterprise.py, octet counts scaled by 2^32 so sums pass 2^32 and
2^53) replayed once; every aggregate checked against the sums, flows, earliest
start and latest end worked out here from the generator's own records, per key
and flow_end window; the totals identical; the ledger line balanced; a table too
small for the workload flushing early without losing a record; a custom key
list; the aggregates through HTTP delivery to the test backend (which validates
the Clarion schema) with /metrics (reduction ratio) read while they are still
open; and bad flags refused."""
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cflib  # noqa: E402
import dlv  # noqa: E402
import test_ctlplane as tc  # noqa: E402

C = cflib.Checker("aggregate")
GEN = os.path.join(cflib.ROOT, "scripts", "gen_enterprise.py")
DEFAULT = ("src_ip", "dst_ip", "dst_port", "protocol", "src_sgt", "dst_sgt", "switch_id",
           "vlan_id", "src_mac", "dst_mac")
# Fields that are not keys come out null (or 0 for the integers Clarion requires).
DROPPED_NULL = ("tcp_flags", "input_if", "output_if")


def want_aggregates(records, keys, interval):
    """{(key values, window): [bytes, packets, flows, min start ms, max end ms]}"""
    out = {}
    for r in records:
        k = (tuple(r[f] for f in keys), r["flow_end_ms"] // (interval * 1000))
        a = out.get(k)
        if a is None:
            out[k] = [r["bytes"], r["packets"], 1, r["flow_start_ms"], r["flow_end_ms"]]
        else:
            a[0] += r["bytes"]
            a[1] += r["packets"]
            a[2] += 1
            a[3] = min(a[3], r["flow_start_ms"])
            a[4] = max(a[4], r["flow_end_ms"])
    return out


def got_aggregates(records, keys, interval):
    out = {}
    for r in records:
        k = (tuple(r[f] for f in keys), r["flow_end_ms"] // (interval * 1000))
        C.check(k not in out, "one aggregate per key and window (%r twice)" % (k,))
        out[k] = [r["bytes"], r["packets"], r["flows"], r["flow_start_ms"], r["flow_end_ms"]]
    return out


def agg_line(stderr):
    block = stderr.split("==== final ====")[-1]
    for line in block.splitlines():
        if line.startswith("aggregate:"):
            return {k: float(v) if "." in v else int(v)
                    for k, v in re.findall(r"(\w+)=([\d.]+)", line)}
    return {}


def main():
    with tempfile.TemporaryDirectory() as tmp:
        pcap = os.path.join(tmp, "ent.pcap")
        recs_path = os.path.join(tmp, "ent.ndjson")
        subprocess.run([sys.executable, GEN, "--out", pcap, "--records", recs_path,
                        "--switches", "3", "--endpoints", "30", "--minutes", "4",
                        "--server-export", "--bytes-scale", str(1 << 32), "--seed", "16"],
                       check=True)
        src = dlv.read_ndjson(recs_path)
        total_b = sum(r["bytes"] for r in src)
        total_p = sum(r["packets"] for r in src)
        C.check(total_b > 1 << 53, "the workload's byte total passes 2^53 (%d)" % total_b)

        # 1. Default keys, table big enough: exactly the aggregates worked out here.
        r = cflib.run_pcap(pcap, ["--aggregate", "on", "--aggregate-max-entries", "50000"])
        C.eq(r.rc, 0, "default keys: exit status")
        want = want_aggregates(src, DEFAULT, 60)
        got = got_aggregates(r.records, DEFAULT, 60)
        C.eq(len(r.records), len(want), "default keys: one aggregate per key and window")
        bad = [k for k in want if got.get(k) != want[k]]
        C.check(not bad, "default keys: %d of %d aggregates differ, e.g. %r: got %r want %r" % (
            len(bad), len(want), bad[:1], got.get(bad[0]) if bad else None,
            want[bad[0]] if bad else None))
        C.eq(sum(x["bytes"] for x in r.records), total_b, "default keys: byte total identical")
        C.eq(sum(x["packets"] for x in r.records), total_p, "default keys: packet total identical")
        C.eq(sum(x["flows"] for x in r.records), len(src), "default keys: flows sum to the records")
        C.check(max(x["bytes"] for x in r.records) > 1 << 53,
                "some aggregate passes 2^53 (exact in JSON as an integer)")
        C.check(len(src) / len(r.records) > 1.2, "records folded (%d -> %d)" % (
            len(src), len(r.records)))
        led = agg_line(r.stderr)
        C.eq((led.get("records_in"), led.get("aggregates_out"), led.get("open"),
              led.get("balanced")), (len(src), len(want), 0, 1),
             "ledger: records_in = folded + aggregates_out + open")
        C.eq(led.get("folded"), len(src) - len(want), "ledger: folded")
        C.eq(r.stats.get("output"), len(want), "the output took exactly the aggregates")
        x = r.records[0]
        C.eq([x[k] for k in DROPPED_NULL], [None] * len(DROPPED_NULL), "non-key fields dropped")
        C.eq(x["src_port"], 0, "src_port (required integer, not a key) is 0")
        C.check(x["export_protocol"] == "ipfix" and x["exporter_version"] == 10,
                "every record agreed: export protocol kept")
        batch = {"records": r.records}
        sys.path.insert(0, os.path.join(cflib.ROOT, "tests", "backend"))
        import clarion_backend  # noqa: E402
        C.eq(clarion_backend.validate(batch), None, "aggregates are valid Clarion records")

        # 2. A table of 200 for thousands of keys: early flushes, not one record lost.
        r = cflib.run_pcap(pcap, ["--aggregate", "on", "--aggregate-max-entries", "200"])
        led = agg_line(r.stderr)
        C.check(led.get("early_flushes", 0) > 0, "small table: early flushes counted (%r)" % led)
        C.eq(led.get("balanced"), 1, "small table: ledger balanced")
        C.eq(sum(x["flows"] for x in r.records), len(src), "small table: every record in a flows count")
        C.eq(sum(x["bytes"] for x in r.records), total_b, "small table: byte total identical")
        C.eq(sum(x["packets"] for x in r.records), total_p, "small table: packet total identical")
        C.check(len(r.records) >= len(want), "small table: no more folding than the table allows")

        # 3. Another key list and interval: what was asked for, nothing else.
        keys = ("src_ip", "dst_port", "protocol")
        r = cflib.run_pcap(pcap, ["--aggregate", ",".join(keys), "--aggregate-interval", "300"])
        want3 = want_aggregates(src, keys, 300)
        got3 = got_aggregates(r.records, keys, 300)
        C.eq(len(r.records), len(want3), "src_ip,dst_port,protocol per 300 s: aggregate count")
        C.check(all(got3.get(k) == v for k, v in want3.items()),
                "src_ip,dst_port,protocol per 300 s: every sum")
        C.check(all(x["dst_ip"] is None and x["src_mac"] is None and x["vlan_id"] is None
                    for x in r.records), "custom keys: other fields dropped")

        # 3b. service_port for dst_port: a server's answers to ephemeral ports fold like its
        # requests (the lower port is the server's; the client's port is 0 in the aggregate).
        svc = [k if k != "dst_port" else "service_port" for k in DEFAULT]
        r = cflib.run_pcap(pcap, ["--aggregate", ",".join(svc), "--aggregate-max-entries", "50000"])
        moved = []
        for x in src:
            y = dict(x)
            if x["src_port"] < x["dst_port"]:
                y["dst_port"] = 0
            else:
                y["src_port"] = 0
            moved.append(y)
        keys_sp = tuple(k for k in DEFAULT if k != "dst_port") + ("src_port", "dst_port")
        want_sp = want_aggregates(moved, keys_sp, 60)
        got_sp = got_aggregates(r.records, keys_sp, 60)
        C.eq(len(r.records), len(want_sp), "service_port: one aggregate per key and window")
        C.check(all(got_sp.get(k) == v for k, v in want_sp.items()), "service_port: every sum")
        C.check(len(want_sp) < len(want) and
                any(x["src_port"] in (53, 389, 88) and x["dst_port"] == 0 and x["flows"] > 1
                    for x in r.records),
                "service_port: answers fold (%d aggregates, %d with dst_port)"
                % (len(want_sp), len(want)))

        # 4. Through HTTP delivery to the validating backend; /metrics while aggregates are open.
        be = dlv.Backend(tmp)
        port = cflib.free_port()
        f = dlv.Flowd(tmp, pcap, ["--aggregate", "on", "--backend-url", be.url, "--http-port",
                                  str(port), "--agent-port", "0", "--spool-dir",
                                  os.path.join(tmp, "spool"), "--run-time", "30"] + dlv.FAST +
                      ["--shutdown-timeout", "20", "--batch-size", "1000"],
                      idle_exit=False)
        try:
            def metric(name):
                try:
                    req = urllib.request.Request("http://127.0.0.1:%d/metrics" % port,
                                                 headers={"Accept": "text/plain"})
                    with urllib.request.urlopen(req, timeout=5) as resp:
                        text = resp.read().decode()
                except OSError:
                    return None
                samples = tc.parse_prometheus(text)[0]
                if not any(n == name for n, _ in samples):
                    return None
                return tc.value(samples, name)
            C.check(dlv.wait_for(lambda: metric("clarion_flowd_aggregate_records_in_total") ==
                                 len(src), 30), "metrics: every record counted in")
            ratio = metric("clarion_flowd_aggregate_reduction_ratio")
            C.check(ratio is not None and abs(ratio - len(src) / len(want)) < 0.01,
                    "metrics: reduction ratio %r = records in / aggregates (%.3f)" % (
                        ratio, len(src) / len(want)))
            C.eq(metric("clarion_flowd_aggregate_open"), len(want),
                 "metrics: aggregates held for their interval")
            C.eq(be.stats()["accepted_records"], 0, "nothing sent before the interval")
        finally:
            f.term(60)
        C.eq(f.rc, 0, "http: exit status")
        acc = dlv.accepted_records(be.accepted())
        C.eq(len(acc), len(want), "http: the backend accepted every aggregate at stop")
        C.eq(be.stats()["invalid"], 0, "http: the backend refused nothing (schema valid)")
        C.eq(sum(x["bytes"] for x in acc), total_b, "http: byte total identical at the backend")
        C.eq(f.stats.get("balanced"), 1, "http: delivery ledger balanced")
        C.eq(f.stats.get("received"), len(want), "http: the delivery ledger received the aggregates")
        be.stop()

        # 5. Bad values are refused before the EAL starts.
        for args, why in ((["--aggregate", "src_ip,bytes"], "'bytes' is not a record key"),
                          (["--aggregate", ""], "is not a record key"),
                          (["--sketches"], "needs --backend-url")):
            p = subprocess.run([cflib.BIN, "--no-huge", "--"] + args, capture_output=True,
                               text=True, timeout=30)
            C.check(p.returncode == 2 and why in p.stderr,
                    "%s refused (exit %d): %s" % (" ".join(args), p.returncode, p.stderr.strip()))
    C.done()


if __name__ == "__main__":
    main()

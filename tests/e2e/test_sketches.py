#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""--sketches on the real binary against the test backend, which validates every
body as the real backend's pydantic SketchBatch model (422 otherwise): an
enterprise-shaped capture (scripts/gen_enterprise.py, with its exact per-endpoint
answers) replayed once; one sketch per endpoint per interval, every field checked
against the truth (HyperLogLog cardinalities within 3 % at the 95th percentile,
small ones exact); --sketch-reset posting deltas that add up to the truth; a table
too small (LRU evictions counted); a backend outage: the sketches go to the spool
and reach the backend after a restart of clarion-flowd, whose own sketch state
starts empty (it is not persisted); and the validator itself."""
import base64
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "backend"))
import cflib  # noqa: E402
import clarion_backend  # noqa: E402
import dlv  # noqa: E402

C = cflib.Checker("sketches")
GEN = os.path.join(cflib.ROOT, "scripts", "gen_enterprise.py")
SK = "/api/edge/sketches"


def good_sketch(**kw):
    d = {"endpoint_id": "02:00:00:00:00:01", "switch_id": "10.0.0.1", "unique_peers": 3,
         "unique_ports": 2, "bytes_in": 0, "bytes_out": 10, "flow_count": 1,
         "first_seen": 1767225600, "last_seen": 1767225660, "active_hours": 1}
    d.update(kw)
    return d


def validator():
    """The test backend's model check, row by row (pydantic v2 lax mode semantics)."""
    batch = {"switch_id": "10.0.0.1", "timestamp": 1767225700, "sketch_count": 1,
             "sketches": [good_sketch()]}
    rows = [
        ("valid", batch, True),
        ("local_cluster_id optional", batch, True),
        ("extra keys ignored", dict(batch, extra=1, sketches=[good_sketch(memory_bytes=5)]), True),
        ("empty sketches list (the model allows it)", dict(batch, sketches=[]), True),
        ("integer as numeric string", dict(batch, timestamp="1767225700"), True),
        ("integral float", dict(batch, sketch_count=1.0), True),
        ("bool as int (lax)", dict(batch, sketch_count=True), True),
        ("no timestamp", {k: v for k, v in batch.items() if k != "timestamp"}, False),
        ("no sketch_count", {k: v for k, v in batch.items() if k != "sketch_count"}, False),
        ("switch_id not a string", dict(batch, switch_id=7), False),
        ("fractional float", dict(batch, timestamp=1.5), False),
        ("null int", dict(batch, sketches=[good_sketch(bytes_in=None)]), False),
        ("sketch missing active_hours",
         dict(batch, sketches=[{k: v for k, v in good_sketch().items() if k != "active_hours"}]),
         False),
        ("sketch not an object", dict(batch, sketches=[1]), False),
        ("sketches not a list", dict(batch, sketches={"a": 1}), False),
        ("endpoint_id a number", dict(batch, sketches=[good_sketch(endpoint_id=5)]), False),
        ("body a list", [batch], False),
    ]
    for name, body, ok in rows:
        errs = clarion_backend.validate_sketch_batch(body)
        C.eq(not errs, ok, "validator: %s (%r)" % (name, errs[:1]))


def posted(be):
    """Every JSON SketchBatch the backend accepted, in arrival order."""
    out = []
    for g in be._req("/_sketches"):
        if g["path"] == SK:
            out.append((g, json.loads(base64.b64decode(g["body_b64"]))))
    return out


def sketch_line(stderr):
    block = stderr.split("==== final ====")[-1]
    for line in block.splitlines():
        if line.startswith("sketches:"):
            return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}
    return {}


def run(tmp, pcap, be, extra, secs, spool=None):
    args = ["--sketches", "--sketch-interval", "2", "--backend-url", be.url, "--http-port", "0",
            "--agent-port", "0", "--run-time", str(secs),
            "--spool-dir", spool or os.path.join(tmp, "spool-%d" % len(os.listdir(tmp)))]
    f = dlv.Flowd(tmp, pcap, args + dlv.FAST + ["--shutdown-timeout", "10"] + list(extra),
                  idle_exit=False)
    f.wait(secs + 60)
    return f


def main():
    validator()
    with tempfile.TemporaryDirectory() as tmp:
        pcap = os.path.join(tmp, "ent.pcap")
        truth_path = os.path.join(tmp, "ent.json")
        subprocess.run([sys.executable, GEN, "--out", pcap, "--truth", truth_path,
                        "--switches", "3", "--endpoints", "30", "--minutes", "4",
                        "--server-export", "--seed", "16"], check=True)
        truth = json.load(open(truth_path))
        want = truth["sketches"]
        n_ep = len(want)

        # 1. Cumulative: every interval one sketch per endpoint; the last one is the truth.
        be = dlv.Backend(tmp)
        f = run(tmp, pcap, be, [], 7)
        C.eq(f.rc, 0, "cumulative: exit status")
        line = sketch_line(f.stderr)
        got = posted(be)
        C.eq(be.stats()["invalid"], 0, "cumulative: the backend's model accepted every body")
        C.check(line.get("rounds", 0) >= 3, "cumulative: rounds every 2 s, and one at exit (%r)" %
                line)
        C.eq(line.get("endpoints"), n_ep, "cumulative: endpoints in the table")
        n_sk = sum(len(b["sketches"]) for _, b in got)
        C.eq(n_sk, line.get("posted"), "cumulative: the backend got every sketch posted")
        C.eq(n_sk, line.get("rounds", 0) * n_ep, "cumulative: one sketch per endpoint per round")
        C.eq(line.get("dropped"), 0, "cumulative: nothing dropped")
        C.check(0 <= line.get("probes", -1) < line.get("records_in", 0) // 10,
                "cumulative: index collisions counted, and few with a keyed hash (%r)" % line)
        C.eq(f.stats.get("balanced"), 1, "cumulative: delivery ledger balanced")
        C.eq(f.stats.get("sketches"), n_sk, "cumulative: the delivery ledger counted the sketches")
        C.check(all(b["sketch_count"] == len(b["sketches"]) and
                    all(s["switch_id"] == b["switch_id"] for s in b["sketches"])
                    for _, b in got), "cumulative: bodies per switch, sketch_count right")
        last = {}
        for _, b in got:
            for s in b["sketches"]:
                last["%s %s" % (s["switch_id"], s["endpoint_id"])] = s
        C.eq(sorted(last), sorted(want), "cumulative: every endpoint (MAC) at its switch")
        exact = ("bytes_out", "bytes_in", "flow_count", "first_seen", "last_seen", "active_hours")
        bad = [(k, f_) for k in want for f_ in exact if last.get(k, {}).get(f_) != want[k][f_]]
        C.check(not bad, "cumulative: %d exact fields differ, e.g. %r" % (len(bad), bad[:3]))
        errs = []
        for k in want:
            for f_ in ("unique_peers", "unique_ports"):
                w, g = want[k][f_], last.get(k, {}).get(f_, -1)
                if w <= 16:
                    C.eq(g, w, "cumulative: %s %s exact while small" % (k, f_))
                else:
                    errs.append(abs(g - w) / w)
        errs.sort()
        C.check(len(errs) >= 10, "cumulative: %d cardinalities beyond the sparse set" % len(errs))
        if errs:
            p95 = errs[int(0.95 * (len(errs) - 1))]
            C.check(p95 <= 0.03, "cumulative: HLL p95 error %.2f %% over %d cardinalities" % (
                100 * p95, len(errs)))
        C.check(any(s["bytes_in"] > 0 for s in last.values()) or
                all(w["bytes_in"] == 0 for w in want.values()), "cumulative: bytes_in seen")

        # 2. --sketch-reset: each post is what happened since the last; they add up.
        be2 = dlv.Backend(tmp)
        f = run(tmp, pcap, be2, ["--sketch-reset"], 5)
        got = posted(be2)
        sums = {}
        for _, b in got:
            for s in b["sketches"]:
                a = sums.setdefault("%s %s" % (s["switch_id"], s["endpoint_id"]), [0, 0, 0])
                a[0] += s["flow_count"]
                a[1] += s["bytes_out"]
                a[2] += 1
        C.eq(be2.stats()["invalid"], 0, "reset: every body valid")
        C.check(all(sums.get(k, [0, 0])[:2] == [want[k]["flow_count"], want[k]["bytes_out"]]
                    for k in want), "reset: deltas add up to the truth for every endpoint")
        C.check(all(v[2] == 1 for v in sums.values()),
                "reset: endpoints idle after the replay are not posted again")
        be2.stop()

        # 3. A table of 20 for %d endpoints: the least recently seen go, counted.
        be3 = dlv.Backend(tmp)
        f = run(tmp, pcap, be3, ["--sketch-max-endpoints", "20"], 3)
        line = sketch_line(f.stderr)
        C.eq(line.get("endpoints"), 20, "small table: 20 endpoints kept")
        C.check(line.get("evicted", 0) >= n_ep - 20, "small table: evictions counted (%r)" % line)
        C.check(all(len(b["sketches"]) <= 20 for _, b in posted(be3)), "small table: bodies")
        be3.stop()

        # 4. Backend down: sketches spooled; a restarted collector delivers them.
        spool = os.path.join(tmp, "spool-outage")
        be.mode("refuse")
        f = run(tmp, pcap, be, [], 4, spool=spool)
        line = sketch_line(f.stderr)
        C.eq(f.rc, 0, "outage: exit status")
        C.check(line.get("posted", 0) >= 2 * n_ep, "outage: rounds still posted (%r)" % line)
        C.eq(f.stats.get("delivered"), 0, "outage: nothing delivered")
        C.eq(f.stats.get("spooled"), f.stats.get("received", 0) + line.get("posted", 0),
             "outage: every record and every sketch in the spool")
        outage_items = f.stats.get("spooled")
        C.eq(f.stats.get("balanced"), 1, "outage: ledger balanced")
        before = len(posted(be))
        be.mode("ok")
        quiet = os.path.join(tmp, "one.pcap")
        cflib.gen("v5", "--out", quiet, "--datagrams", "1", "--records", "2", "--seed", "3")
        f = run(tmp, quiet, be, [], 4, spool=spool)
        line2 = sketch_line(f.stderr)
        got = posted(be)[before:]
        replayed = [b for g, b in got if g["replay"]]
        fresh = [b for g, b in got if not g["replay"]]
        C.eq(sum(len(b["sketches"]) for b in replayed), line.get("posted"),
             "restart: every spooled sketch delivered, marked as a replay")
        C.eq(be.stats()["invalid"], 0, "restart: spooled bodies still valid")
        C.eq(f.stats.get("recovered"), outage_items, "restart: recovered from the spool")
        C.check(all(s["endpoint_id"].count(".") == 3 for b in fresh for s in b["sketches"]),
                "restart: the new run's sketches start from its own traffic only (state is "
                "not persisted)")
        C.eq(line2.get("endpoints"), 2, "restart: the table starts empty (2 v5 sources)")
        C.eq(f.stats.get("balanced"), 1, "restart: ledger balanced")
        be.stop()
    C.done()


if __name__ == "__main__":
    main()

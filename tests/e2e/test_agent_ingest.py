#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Edge-agent sketches through reliable delivery, against the real binary on
the pcap PMD and the real test backend (tests/backend/clarion_backend.py):
JSON sketches forwarded byte for byte apart from the filled-in keys, binary
sketches with their headers, rejects never forwarded, a backend outage
(circuit open: /health unhealthy; sketches spooled, delivered when it is back,
also after a restart of clarion-flowd) and the delivery families in /metrics
(promtool clean)."""
import base64
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cflib  # noqa: E402
import dlv  # noqa: E402
import test_ctlplane as tc  # noqa: E402  (exposition parser, free ports)

C = cflib.Checker("agent_ingest")
TOKEN = "agent-s3cret"
SK = "/api/edge/sketches"
SKB = "/api/edge/sketches/binary"


class Flowd:
    """clarion-flowd delivering to the backend, kept running after its capture."""

    def __init__(self, tmp, pcap, backend_url, spool, extra=()):
        self.http = cflib.free_port()
        self.agent = cflib.free_port()
        eal = cflib.eal_args("net_pcap0,rx_pcap=%s" % pcap)
        cmd = [cflib.BIN] + eal + ["--", "--http-port", str(self.http),
                                   "--agent-port", str(self.agent), "--agent-token", TOKEN,
                                   "--agent-max-body", "4096", "--run-time", "60",
                                   "--backend-url", backend_url, "--spool-dir", spool,
                                   "--retry-attempts", "1"] + dlv.FAST + list(extra)
        self.errf = open(os.path.join(tmp, "flowd-%d.err" % time.monotonic_ns()), "w+")
        self.p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.errf)
        if not tc.wait_for(lambda: self.health()[0] is not None, 30):
            raise RuntimeError("clarion-flowd did not answer /health")

    def get(self, path):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.http, path),
                                        timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def health(self):
        try:
            st, body = self.get("/health")
            return st, json.loads(body)
        except OSError:
            return None, None

    def prom(self):
        return tc.parse_prometheus(self.get("/metrics?format=prometheus")[1])[0]

    def metric(self, name, **labels):
        return tc.value(self.prom(), name, **labels)

    def post(self, path, body, headers=(), token=TOKEN):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.agent, path), data=body,
                                     method="POST")
        if token:
            req.add_header("Authorization", "Bearer " + token)
        for k, v in headers:
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        rc = self.p.wait(timeout=30)
        self.errf.seek(0)
        self.stderr = self.errf.read()
        self.errf.close()
        led = dlv.parse_delivery(self.stderr)
        # Exit status 1 = records were lost (README): here only the spool_high scenario,
        # whose 64 KiB budget evicts the capture's records.
        C.eq(rc, 1 if led.get("dropped") else 0, "clarion-flowd exit status (dropped %s)" % led.get("dropped"))
        C.eq(led.get("balanced"), 1, "final delivery ledger balanced (sketches=%s)" %
             led.get("sketches"))
        C.check("runtime error" not in self.stderr and "Sanitizer" not in self.stderr,
                "no sanitizer report (CF_BIN=build-asan/...)")
        return rc


def sketches(be):
    return be._req("/_sketches")


def compact(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def edge(i, sw="sw-1"):
    """One EdgeSketchData as an edge agent sends it (the backend validates the real model)."""
    return {"endpoint_id": "02:00:00:00:00:%02x" % (i & 0xff), "switch_id": sw,
            "unique_peers": i, "unique_ports": 1, "bytes_in": 0, "bytes_out": 100 * i,
            "flow_count": i, "first_seen": 1765000000, "last_seen": 1765000060,
            "active_hours": 1 << 9, "local_cluster_id": -1}


def promtool(text):
    tool = shutil.which("promtool")
    if tool is None:
        print("note: promtool not installed; strict parser only")
        return
    p = subprocess.run([tool, "check", "metrics"], input=text, capture_output=True, text=True)
    C.check(p.returncode == 0, "promtool check metrics: %s%s" % (p.stdout, p.stderr))


def reasons(h):
    return [r["code"] for r in (h or {}).get("reasons", [])]


def forwarding(f, be):
    """Backend up: JSON and binary forwarded, rejects not, metrics and summary."""
    orig = {"switch_id": "sw-1", "sketches": [edge(1), edge(2)], "agent": "x"}
    st, ans = f.post(SK, compact(orig), [("Content-Type", "application/json")])
    C.eq((st, ans.get("forwarded"), ans.get("sketches_received")), (202, True, 2),
         "JSON sketch accepted and forwarded")
    full = dict(orig, timestamp=1764000000, sketch_count=2)
    st, _ = f.post(SK, compact(full), [("Content-Type", "application/json")])
    C.eq(st, 202, "JSON sketch with timestamp/sketch_count accepted")
    payload = gzip.compress(b"\x00\x01binary-sketch\xff" * 20)
    st, ans = f.post(SKB, payload, [("X-Switch-ID", "sw-2"), ("X-Sketch-Count", "7"),
                                    ("Content-Encoding", "gzip"),
                                    ("Content-Type", "application/octet-stream")])
    C.eq((st, ans.get("forwarded"), ans.get("sketches_received")), (202, True, 7),
         "binary sketch accepted and forwarded")
    C.check(tc.wait_for(lambda: len(sketches(be)) >= 3, 15), "backend received 3 sketch uploads")
    got = sketches(be)
    js = [g for g in got if g["path"] == SK]
    bs = [g for g in got if g["path"] == SKB]
    C.eq(len(js), 2, "two JSON uploads at /api/edge/sketches")
    first = [g for g in js if b'"agent":"x","timestamp"' in base64.b64decode(g["body_b64"])
             and b"1764000000" not in base64.b64decode(g["body_b64"])]
    if first:
        raw = base64.b64decode(first[0]["body_b64"])
        ts = json.loads(raw).get("timestamp")
        C.check(isinstance(ts, int) and abs(ts - time.time()) < 120, "timestamp filled in (%r)" % ts)
        C.eq(raw, compact(dict(orig, timestamp=ts, sketch_count=2)),
             "JSON forwarded byte-equivalent apart from the filled-in keys")
        C.eq(first[0]["headers"].get("Content-Type"), "application/json", "JSON content type")
    else:
        C.check(False, "first JSON upload not found in %r" % js)
    C.check(any(base64.b64decode(g["body_b64"]) == compact(full) for g in js),
            "JSON with both keys forwarded byte for byte")
    if bs:
        h = bs[0]["headers"]
        C.eq(base64.b64decode(bs[0]["body_b64"]), payload, "binary body forwarded unchanged")
        C.eq((h.get("Content-Type"), h.get("X-Switch-ID"), h.get("X-Sketch-Count"),
              h.get("Content-Encoding")),
             ("application/octet-stream", "sw-2", "7", "gzip"), "binary headers forwarded")
    else:
        C.check(False, "no binary upload at /api/edge/sketches/binary")

    queued = f.metric("clarion_flowd_delivery_sketches_total", outcome="queued")
    C.eq(queued, 3, "3 sketch uploads queued")
    for what, path, body, hdrs, token, want in (
            ("missing switch_id", SK, compact({"sketches": [1]}), (), TOKEN, 400),
            ("empty sketches", SK, compact({"switch_id": "s", "sketches": []}), (), TOKEN, 400),
            ("not JSON", SK, b"{nope", (), TOKEN, 400),
            ("oversize", SK, compact({"switch_id": "s", "sketches": ["x" * 5000]}), (), TOKEN, 413),
            ("bad token", SK, compact(orig), (), "wrong", 401),
            ("binary without X-Switch-ID", SKB, b"\x01", (), TOKEN, 400)):
        st, _ = f.post(path, body, hdrs, token)
        C.eq(st, want, "reject: %s" % what)
    C.eq(f.metric("clarion_flowd_delivery_sketches_total", outcome="queued"), queued,
         "rejects were not queued")
    C.check(tc.wait_for(lambda: f.metric("clarion_flowd_delivery_sketches_total",
                                         outcome="delivered") == 3, 10), "3 sketches delivered")
    C.eq(len(sketches(be)), 3, "rejects never reached the backend")

    # Records of the capture reach the backend too; the summary says so.
    C.check(tc.wait_for(lambda: be.stats()["accepted_records"] > 0 and
                        f.metric("clarion_flowd_delivery_pending_records") == 0, 15),
            "capture records delivered")
    st, body = f.get("/metrics?format=json")
    j = json.loads(body)
    recs = be.stats()["accepted_records"]
    C.eq(j.get("total_sent"), recs, "JSON total_sent = records the backend accepted")
    C.eq(f.metric("clarion_flowd_delivery_records_sent_total"), recs,
         "records_sent_total excludes sketches")
    C.eq(j.get("pending"), 0, "JSON pending 0 once delivered")
    _, text = f.get("/metrics?format=prometheus")
    s, _, errs = tc.parse_prometheus(text)
    C.eq(errs, [], "strict exposition parse")
    promtool(text)
    for fam in ("clarion_flowd_delivery_batches_sent_total", "clarion_flowd_delivery_retries_total",
                "clarion_flowd_delivery_failures_total", "clarion_flowd_delivery_dropped_records_total",
                "clarion_flowd_delivery_in_flight_records", "clarion_flowd_delivery_circuit_state",
                "clarion_flowd_delivery_request_duration_seconds_count",
                "clarion_flowd_delivery_spool_bytes", "clarion_flowd_delivery_spool_oldest_age_seconds",
                "clarion_flowd_delivery_dead_lettered_records_total"):
        C.check(tc.series_of(s, fam), "family %s present" % fam)
    C.eq(tc.value(s, "clarion_flowd_delivery_circuit_state", state="closed"), 1, "circuit closed")
    C.check(tc.value(s, "clarion_flowd_delivery_request_duration_seconds_count") >=
            tc.value(s, "clarion_flowd_delivery_batches_sent_total"),
            "every request in the latency histogram")
    C.eq(f.health()[0], 200, "healthy with the backend up")


def parallel(f, be):
    """Uploads from 8 client threads at once (several HTTP threads submit
    concurrently): every accepted one arrives exactly once."""
    bodies = {}
    codes = []
    lock = threading.Lock()

    def client(t):
        for k in range(12):
            b = compact({"switch_id": "par-%d" % t, "sketches": [edge(k)], "timestamp": 5,
                         "sketch_count": 1})
            st, _ = f.post(SK, b)
            with lock:
                codes.append(st)
                if st == 202:
                    bodies[b] = 1
    ts = [threading.Thread(target=client, args=(t,)) for t in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    C.check(all(c in (202, 503) for c in codes), "parallel: only 202 or 503 (%r)" % set(codes))
    C.check(len(bodies) > 0, "parallel: %d of 96 accepted" % len(bodies))

    def arrived():
        return [base64.b64decode(x["body_b64"]) for x in sketches(be)
                if b'"par-' in base64.b64decode(x["body_b64"])]
    C.check(tc.wait_for(lambda: len(arrived()) >= len(bodies), 15), "parallel: all arrived")
    got = arrived()
    C.eq(sorted(got), sorted(bodies), "parallel: each accepted upload exactly once")


def outage(f, be):
    """Backend down: circuit opens (unhealthy), sketch spooled, delivered when back."""
    n0 = len(sketches(be))
    be.mode("refuse")
    body = compact({"switch_id": "sw-out", "sketches": [edge(1)], "timestamp": 1, "sketch_count": 1})
    st, ans = f.post(SK, body)
    C.eq((st, ans.get("forwarded")), (202, True), "sketch accepted while the backend is down")
    C.check(tc.wait_for(lambda: "circuit_open" in reasons(f.health()[1]), 15),
            "/health names circuit_open")
    st, h = f.health()
    C.eq((st, h.get("status") if h else None), (503, "unhealthy"), "/health unhealthy, 503")
    C.check(tc.wait_for(lambda: f.metric("clarion_flowd_delivery_spool_records") >= 1, 10),
            "sketch spooled while the circuit is open")
    C.check(f.metric("clarion_flowd_delivery_failures_total", **{"class": "transport"}) >= 3,
            "transport failures counted")
    C.eq(len(sketches(be)), n0, "nothing reached a refusing backend")
    be.mode("ok")
    C.check(tc.wait_for(lambda: any(base64.b64decode(g["body_b64"]) == body
                                    for g in sketches(be)), 20),
            "spooled sketch delivered once the backend is back")
    C.check(tc.wait_for(lambda: f.health()[0] == 200 and
                        "circuit_open" not in reasons(f.health()[1]), 15),
            "/health healthy again after the circuit closed")


def restart(tmp, pcap, be, spool, f):
    """Sketches spooled at shutdown are delivered by the next process."""
    be.mode("refuse")
    jbody = compact({"switch_id": "sw-rs", "sketches": [edge(2)], "timestamp": 2, "sketch_count": 1})
    bbody = b"\x10\x20restart-binary"
    C.eq(f.post(SK, jbody)[0], 202, "restart: JSON accepted")
    C.eq(f.post(SKB, bbody, [("X-Switch-ID", "sw-rb"), ("X-Sketch-Count", "3")])[0], 202,
         "restart: binary accepted")
    C.check(tc.wait_for(lambda: f.metric("clarion_flowd_delivery_spool_records") >= 2, 15),
            "restart: both on disk")
    f.stop()
    be.mode("ok")
    g = Flowd(tmp, pcap, be.url, spool)
    try:
        def found():
            got = sketches(be)
            j = [x for x in got if base64.b64decode(x["body_b64"]) == jbody and x["path"] == SK]
            b = [x for x in got if base64.b64decode(x["body_b64"]) == bbody and x["path"] == SKB]
            return (j, b) if j and b else None
        C.check(tc.wait_for(lambda: found() is not None, 20),
                "restart: both sketches delivered by the next process")
        res = found()
        if res:
            h = res[1][0]["headers"]
            C.eq((h.get("X-Switch-ID"), h.get("X-Sketch-Count"), h.get("Content-Type")),
                 ("sw-rb", "3", "application/octet-stream"),
                 "restart: binary headers kept in the spool")
            C.check(res[1][0]["replay"], "restart: sent as a replay")
        C.check(g.metric("clarion_flowd_delivery_spool_recovered_records_total") >= 2,
                "restart: recovered counted")
        C.check(tc.wait_for(lambda: g.health()[0] == 200, 10), "restart: healthy")
    finally:
        g.stop()


def spool_high(tmp, pcap, be):
    """Spool above 80 % of its budget: /health names spool_high (degraded)."""
    be.mode("refuse")
    g = Flowd(tmp, pcap, be.url, os.path.join(tmp, "spool-small"), ["--spool-max-bytes", "65536"])
    try:
        bodies = [bytes([k]) * 3900 for k in range(15)]
        for k, b in enumerate(bodies):
            C.eq(g.post(SKB, b, [("X-Switch-ID", "fill-%d" % k)])[0], 202, "fill: upload %d" % k)
        C.check(tc.wait_for(lambda: g.metric("clarion_flowd_delivery_spool_bytes") > 0.8 * 65536, 15),
                "fill: spool past 80 %% (%r bytes)" % g.metric("clarion_flowd_delivery_spool_bytes"))
        def severities():
            h = g.health()[1]
            return {r["code"]: r["severity"] for r in (h or {}).get("reasons", [])}

        # /health reads the engine's counters as of its last turn: allow it one.
        tc.wait_for(lambda: severities().get("spool_high") is not None, 5)
        C.eq(severities().get("spool_high"), "degraded", "fill: /health spool_high degraded")
        C.eq(g.metric("clarion_flowd_delivery_spool_limit_bytes"), 65536, "fill: limit gauge")
        C.check(tc.wait_for(lambda: g.metric("clarion_flowd_delivery_spool_batches") == 15, 10),
                "fill: 15 batches on disk (%r)" % g.metric("clarion_flowd_delivery_spool_batches"))
        C.check(tc.wait_for(lambda: g.metric("clarion_flowd_delivery_spool_oldest_age_seconds")
                            >= 1, 5), "fill: oldest age grows while the spool holds data")
        be.mode("ok")
        C.check(tc.wait_for(lambda: g.metric("clarion_flowd_delivery_sketches_total",
                                             outcome="delivered") == 15, 20),
                "fill: all 15 delivered once the backend is back")
        got = {base64.b64decode(x["body_b64"]) for x in sketches(be) if x["path"] == SKB}
        C.check(all(b in got for b in bodies), "fill: every body received")
        # The capture's records evicted to make room are lost: /health says so for
        # --health-window (10 s), then it is healthy again.
        C.check(tc.wait_for(lambda: g.health()[0] == 200 and not reasons(g.health()[1]), 25),
                "fill: healthy with the spool drained")
        C.eq(g.metric("clarion_flowd_delivery_spool_oldest_age_seconds"), 0, "fill: age 0 when empty")
    finally:
        g.stop()


def compressed(tmp, pcap, be):
    """--compress: JSON sketches gzipped, binary ones sent as the agent sent them."""
    g = Flowd(tmp, pcap, be.url, os.path.join(tmp, "spool-gz"), ["--compress"])
    try:
        jb = compact({"switch_id": "gz", "sketches": [edge(3, "gz")], "timestamp": 3,
                      "sketch_count": 1})
        bb = b"raw-binary-not-compressed" * 10
        C.eq(g.post(SK, jb)[0], 202, "gzip: JSON accepted")
        C.eq(g.post(SKB, bb, [("X-Switch-ID", "gzb")])[0], 202, "gzip: binary accepted")

        def find(path, want):
            for x in sketches(be):
                raw = base64.b64decode(x["body_b64"])
                if x["path"] == path and x["headers"].get("Content-Encoding") == "gzip":
                    raw = gzip.decompress(raw)
                if raw == want:
                    return x
            return None
        C.check(tc.wait_for(lambda: find(SK, jb) and find(SKB, bb), 10), "gzip: both delivered")
        j, b = find(SK, jb), find(SKB, bb)
        C.eq(j and j["headers"].get("Content-Encoding"), "gzip", "gzip: JSON sent gzipped")
        C.eq(b and b["headers"].get("Content-Encoding"), None, "gzip: binary sent as is")
    finally:
        g.stop()


def no_backend(tmp, pcap):
    """Without --backend-url: accepted, answered forwarded:false (as before)."""
    http, agent = cflib.free_port(), cflib.free_port()
    eal = cflib.eal_args("net_pcap0,rx_pcap=%s" % pcap)
    p = subprocess.Popen([cflib.BIN] + eal + ["--", "--http-port", str(http), "--agent-port",
                                              str(agent), "--output", "null", "--run-time", "30"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def post():
            req = urllib.request.Request("http://127.0.0.1:%d%s" % (agent, SK),
                                         data=compact({"switch_id": "s", "sketches": [1]}),
                                         method="POST")
            try:
                with urllib.request.urlopen(req, timeout=5) as r:
                    return r.status, json.loads(r.read())
            except OSError:
                return None
        C.check(tc.wait_for(lambda: post() is not None, 20), "no backend: agent answers")
        r = post()
        C.eq((r[0], r[1].get("forwarded")) if r else None, (202, False),
             "no backend: 202 forwarded:false")
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)


def main():
    if not os.path.exists(cflib.BIN):
        cflib.skip("agent_ingest", "binary %s not built" % cflib.BIN)
    with tempfile.TemporaryDirectory() as tmp:
        pcap = os.path.join(tmp, "a.pcap")
        cflib.gen("v5", "--out", pcap, "--datagrams", "20", "--seed", "9")
        spool = os.path.join(tmp, "spool")
        be = dlv.Backend(tmp)
        f = None
        try:
            f = Flowd(tmp, pcap, be.url, spool)
            for sc in (forwarding, parallel, outage):
                try:
                    sc(f, be)
                except Exception as e:  # noqa: BLE001 - keep going, report
                    C.check(False, "%s raised %r" % (sc.__name__, e))
            try:
                restart(tmp, pcap, be, spool, f)
                f = None
            except Exception as e:  # noqa: BLE001
                C.check(False, "restart raised %r" % e)
            try:
                spool_high(tmp, pcap, be)
            except Exception as e:  # noqa: BLE001
                C.check(False, "spool_high raised %r" % e)
            try:
                compressed(tmp, pcap, be)
            except Exception as e:  # noqa: BLE001
                C.check(False, "compressed raised %r" % e)
            no_backend(tmp, pcap)
        finally:
            if f is not None and f.p.poll() is None:
                f.stop()
            be.stop()
    C.done()


if __name__ == "__main__":
    main()

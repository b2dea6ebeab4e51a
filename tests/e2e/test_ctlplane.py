#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Control plane against the real binary on the pcap PMD: /health states and
codes, /metrics in Prometheus text (strict parser, and promtool when installed)
and JSON with counters equal to what the capture held, exporter series folding,
404/405 counting, DPDK telemetry commands, event logs, and 200 parallel
scrapes while RX runs with counters monotonic between scrapes."""
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cflib  # noqa: E402

C = cflib.Checker("ctlplane")
PROM_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
               "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")



def drop_reasons():
    """Every label of CF_STATS_DROP_TABLE, read from the header (not from the binary)."""
    with open(os.path.join(cflib.ROOT, "lib", "stats", "cf_stats.h")) as f:
        return re.findall(r'^\s*X\(\w+, "(\w+)"', f.read(), re.M)


class Proc:
    """clarion-flowd kept running on a pcap while the test scrapes it."""

    def __init__(self, pcap, app_args=(), vdev_extra=""):
        self.port = cflib.free_port()
        if "--agent-port" not in app_args:
            app_args = ["--agent-port", "0"] + list(app_args)
        self.eal = cflib.eal_args("net_pcap0,rx_pcap=%s%s" % (pcap, vdev_extra))
        self.prefix = self.eal[self.eal.index("--file-prefix") + 1]
        cmd = [cflib.BIN] + self.eal + ["--", "--http-port", str(self.port), "--run-time", "120",
                                        "--output", "null"] + list(app_args)
        self.errf = tempfile.TemporaryFile(mode="w+")
        self.p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.errf)
        deadline = time.time() + 30
        while time.time() < deadline and self.p.poll() is None:
            try:
                self.get("/health")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("clarion-flowd did not answer on port %d" % self.port)

    def get(self, path, accept=None, method="GET"):
        """(status, headers, body) of one request; HTTP errors are answers too."""
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), method=method)
        if accept:
            req.add_header("Accept", accept)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    def post(self, port, path, body, headers=()):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=body,
                                     method="POST")
        for k, v in headers:
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def json(self, path):
        st, _, body = self.get(path)
        return st, json.loads(body)

    def telemetry(self, cmd):
        return cflib.telemetry(self.prefix, cmd)

    def log(self):
        self.errf.flush()
        with open("/proc/%d/fd/%d" % (os.getpid(), self.errf.fileno())) as f:
            return f.read()

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        rc = self.p.wait(timeout=60)
        self.errf.seek(0)
        self.stderr = self.errf.read()
        return rc


# ------------------------------------------------------------ exposition parser

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
LVALUE = r'"(?:[^"\\\n]|\\\\|\\"|\\n)*"'
SAMPLE_RE = re.compile(r"^(%s)(\{(?:%s=%s(?:,%s=%s)*)?,?\})? (\S+)(?: (-?\d+))?$" %
                       (NAME, LABEL, LVALUE, LABEL, LVALUE))
LABEL_RE = re.compile(r'(%s)=(%s)' % (LABEL, LVALUE))


def unescape(v):
    return re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), v[1:-1])


def parse_value(v):
    if v in ("+Inf", "-Inf", "NaN"):
        return float(v.replace("Inf", "inf").replace("NaN", "nan"))
    if not re.match(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$", v):
        raise ValueError("bad value %r" % v)
    return float(v)


def parse_prometheus(text):
    """Strict text-format 0.0.4 parser: returns ({(name, labels): value}, {family: type},
    [errors]). Checks HELP/TYPE order and uniqueness, names, escapes, values,
    duplicate series, counter naming and histogram consistency."""
    samples, types, helps, errors = {}, {}, {}, []
    current = None
    if not text.endswith("\n"):
        errors.append("exposition does not end with a newline")
    for n, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("#"):
            m = re.match(r"^# (HELP|TYPE) (%s) (.*)$" % NAME, line)
            if not m:
                errors.append("line %d: bad comment %r" % (n, line))
                continue
            kind, name, rest = m.groups()
            if kind == "HELP":
                if name in helps:
                    errors.append("line %d: second HELP for %s" % (n, name))
                if re.search(r"\\[^\\n]", rest):
                    errors.append("line %d: bad escape in HELP" % n)
                helps[name] = rest
            else:
                if name in types:
                    errors.append("line %d: second TYPE for %s" % (n, name))
                if rest not in ("counter", "gauge", "histogram", "summary", "untyped"):
                    errors.append("line %d: bad type %r" % (n, rest))
                if rest == "counter" and not name.endswith("_total"):
                    errors.append("line %d: counter %s without _total" % (n, name))
                types[name] = rest
                current = name
            continue
        m = SAMPLE_RE.match(line)
        if not m:
            errors.append("line %d: bad sample %r" % (n, line))
            continue
        name, lbl, value = m.group(1), m.group(2) or "", m.group(3)
        fam = name
        if current and types.get(current) == "histogram":
            for suf in ("_bucket", "_sum", "_count"):
                if name == current + suf:
                    fam = current
        if fam != current:
            errors.append("line %d: sample %s outside its family's TYPE block" % (n, name))
        labels = tuple(sorted((k, unescape(v)) for k, v in LABEL_RE.findall(lbl)))
        if len(set(k for k, _ in labels)) != len(labels):
            errors.append("line %d: repeated label name" % n)
        try:
            val = parse_value(value)
        except ValueError as e:
            errors.append("line %d: %s" % (n, e))
            continue
        if (name, labels) in samples:
            errors.append("line %d: duplicate series %s%s" % (n, name, lbl))
        if types.get(fam) == "counter" and (val < 0 or math.isnan(val)):
            errors.append("line %d: counter %s is %r" % (n, name, val))
        samples[(name, labels)] = val
    for fam, t in types.items():
        if t != "histogram":
            continue
        series = {}
        for (name, labels), v in samples.items():
            if name == fam + "_bucket":
                rest = tuple(x for x in labels if x[0] != "le")
                le = dict(labels).get("le")
                series.setdefault(rest, []).append((parse_value(le), v))
        for rest, buckets in series.items():
            buckets.sort()
            counts = [v for _, v in buckets]
            if counts != sorted(counts) or buckets[-1][0] != float("inf"):
                errors.append("histogram %s%r: buckets not cumulative or no +Inf" % (fam, rest))
            if samples.get((fam + "_count", rest)) != buckets[-1][1]:
                errors.append("histogram %s%r: _count differs from +Inf bucket" % (fam, rest))
    return samples, types, errors


def value(samples, name, **labels):
    """Sum of the samples of name whose labels include the given ones."""
    want = set(labels.items())
    return sum(v for (n, l), v in samples.items() if n == name and want <= set(l))


def series_of(samples, name):
    return {l: v for (n, l), v in samples.items() if n == name}


def promtool_check(text, what):
    tool = shutil.which("promtool")
    if tool is None:
        print("note: promtool not installed; strict parser only (scripts/deps.sh --test installs it)")
        return
    p = subprocess.run([tool, "check", "metrics"], input=text, capture_output=True, text=True)
    C.check(p.returncode == 0, "promtool check metrics (%s): %s%s" % (what, p.stdout, p.stderr))


# ------------------------------------------------------------ scenarios

def wait_for(fn, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if fn():
            return True
        time.sleep(0.2)
    return False


def scenario_counts(d):
    """A finite capture: every counter must equal what the capture held."""
    pcap = os.path.join(d, "v5.pcap")
    n_dg, n_rec, n_exp = 200, 30, 4
    cflib.gen("v5", "--out", pcap, "--datagrams", str(n_dg), "--records", str(n_rec),
              "--exporters", str(n_exp), "--seed", "11")
    p = Proc(pcap, ["--health-rx-stall", "2", "--batch-size", "500", "--batch-interval", "7"])
    try:
        C.check(wait_for(lambda: p.json("/metrics")[1]["total_received"] == n_dg * n_rec),
                "total_received reaches %d" % (n_dg * n_rec))
        st, j = p.json("/metrics")
        C.eq(st, 200, "GET /metrics (no Accept) status")
        C.eq(j["total_received"], n_dg * n_rec, "json total_received")
        C.eq(j["total_sent"], n_dg * n_rec, "json total_sent")
        C.eq(j["pending"], 0, "json pending")
        C.eq(j["errors"], 0, "json errors")
        C.eq(j["batch_size"], 500, "json batch_size")
        C.eq(j["batch_interval_seconds"], 7, "json batch_interval_seconds")
        C.eq(j["metrics"]["clarion_flowd_port_rx_packets_total"]["samples"][0]["value"], n_dg,
             "json port rx packets")

        st, hdr, text = p.get("/metrics", accept=PROM_ACCEPT)
        C.eq(st, 200, "GET /metrics as Prometheus status")
        C.check(hdr["Content-Type"].startswith("text/plain; version=0.0.4"),
                "Prometheus content type: %s" % hdr["Content-Type"])
        s, types, errs = parse_prometheus(text)
        C.eq(errs, [], "strict exposition parse")
        promtool_check(text, "v5 capture")
        C.eq(value(s, "clarion_flowd_port_rx_packets_total", port="0"), n_dg, "port rx packets")
        C.eq(value(s, "clarion_flowd_port_link_up", port="0"), 1, "port link up")
        C.eq(value(s, "clarion_flowd_rx_packets_total"), n_dg, "lcore rx packets")
        C.eq(value(s, "clarion_flowd_datagrams_total", protocol="netflow_v5"), n_dg, "v5 datagrams")
        C.eq(value(s, "clarion_flowd_datagrams_total", protocol="ipfix"), 0, "ipfix datagrams")
        # Label values are names, the same words everywhere (not "9", "10", "sflow5").
        C.eq(sorted(dict(l)["protocol"] for l in series_of(s, "clarion_flowd_datagrams_total")),
             ["ipfix", "netflow_v5", "netflow_v9", "sflow"], "protocol label values")
        C.eq(value(s, "clarion_flowd_records_decoded_total"), n_dg * n_rec, "records decoded")
        C.eq(value(s, "clarion_flowd_output_records_total", sink="null"), n_dg * n_rec,
             "output records")
        C.eq(value(s, "clarion_flowd_drops_total"), 0, "no drop")
        reasons = {dict(l)["reason"] for l in series_of(s, "clarion_flowd_drops_total")}
        C.eq(sorted(reasons), sorted(drop_reasons()), "every CF_STATS_DROP_TABLE reason is a label")
        exp = series_of(s, "clarion_flowd_exporter_datagrams_total")
        C.eq(len(exp), n_exp, "one series per exporter")
        C.eq(sorted(dict(l)["exporter"] for l in exp),
             ["10.0.0.%d" % i for i in range(1, n_exp + 1)], "exporter addresses")
        C.check(all(v == n_dg / n_exp for v in exp.values()), "datagrams per exporter %r" % exp)
        C.eq(sorted(set(dict(l)["version"] for l in exp)), ["netflow_v5"], "version label value")
        C.eq(value(s, "clarion_flowd_exporter_records_total"), n_dg * n_rec, "exporter records")
        C.eq(value(s, "clarion_flowd_exporter_lost_records_total"), 0, "no sequence loss")
        C.eq(value(s, "clarion_flowd_exporters"), n_exp, "exporters gauge")
        busy = value(s, "clarion_flowd_lcore_busy_ratio")
        C.check(0 <= busy <= 1, "busy ratio in [0,1]: %r" % busy)

        st, hdr, body = p.get("/metrics?format=json", accept=PROM_ACCEPT)
        C.check(st == 200 and json.loads(body)["total_received"] == n_dg * n_rec,
                "?format=json beats the Accept header")
        st, hdr, body = p.get("/metrics?format=prometheus")
        C.check(st == 200 and body.startswith("# HELP"), "?format=prometheus without Accept")
        st, _, _ = p.get("/metrics?format=xml")
        C.eq(st, 400, "unknown ?format")

        C.check(wait_for(lambda: p.json("/health")[1]["status"] == "degraded", 15),
                "health turns degraded after --health-rx-stall")
        st, h = p.json("/health")
        C.eq(st, 200, "degraded /health is HTTP 200")
        C.eq([r["code"] for r in h["reasons"]], ["rx_stalled"], "degraded reason")
        C.eq((h["service"], h["version"], h["backend_url"]), ("clarion-flowd", "0.1.0", None),
             "health identity")
        C.check(isinstance(h["uptime_s"], (int, float)) and h["uptime_s"] >= 1, "uptime_s")

        # The control lcore's once-a-second tick logs the change.
        C.check(wait_for(lambda: re.search(r"health: degraded \(was healthy\).*rx_stalled",
                                           p.log()) is not None, 10), "health change logged")
        _, _, text = p.get("/metrics?format=prometheus")
        C.eq(value(parse_prometheus(text)[0], "clarion_flowd_lcore_busy_ratio"), 0,
             "busy ratio of the last second is 0 once the capture is over")
        C.eq(p.get("/nope")[0], 404, "unknown path")
        C.eq(p.get("/metrics", method="POST")[0], 405, "POST /metrics")
        C.eq(p.get("/health", method="DELETE")[0], 405, "DELETE /health")
        _, _, text = p.get("/metrics?format=prometheus")
        s, _, errs = parse_prometheus(text)
        C.eq(errs, [], "strict parse after errors")
        C.eq(value(s, "clarion_flowd_http_requests_total", path="other", code="404"), 1,
             "404 counted")
        C.eq(value(s, "clarion_flowd_http_requests_total", path="/metrics", code="405"), 1,
             "405 on /metrics counted")
        C.eq(value(s, "clarion_flowd_http_requests_total", path="/metrics", code="400"), 1,
             "400 counted")
        C.check(value(s, "clarion_flowd_http_requests_total", path="/health", code="200") >= 2,
                "/health 200s counted")

        t = p.telemetry("/clarion/stats")
        C.check(t is not None and t["records"] == n_dg * n_rec and
                t["datagrams_netflow_v5"] == n_dg and t["drop_ring_full"] == 0,
                "telemetry /clarion/stats: %r" % (t,))
        t = p.telemetry("/clarion/exporters")
        C.check(t is not None and t["count"] == n_exp and sorted(t["exporter"]) ==
                ["10.0.0.%d" % i for i in range(1, n_exp + 1)] and
                t["datagrams"] == [n_dg // n_exp] * n_exp,
                "telemetry /clarion/exporters: %r" % (t,))
        t = p.telemetry("/clarion/templates")
        C.check(isinstance(t, dict) and len(t) >= 1, "telemetry /clarion/templates answers")
    finally:
        rc = p.stop()
    C.eq(rc, 0, "exit status after SIGTERM")
    st = cflib.parse_final(p.stderr)
    C.eq(st.get("records"), n_dg * n_rec, "final records")
    for i in range(1, n_exp + 1):
        C.eq(len(re.findall(r"new exporter 10\.0\.0\.%d \(netflow_v5, " % i, p.stderr)), 1,
             "exporter 10.0.0.%d logged once" % i)
    C.check("control plane: http://127.0.0.1:%d/health" % p.port in p.stderr, "start logged")


def scenario_fold(d):
    """More exporters than --max-exporter-series: the rest are exporter="other"."""
    pcap = os.path.join(d, "many.pcap")
    n_dg, n_exp, keep = 100, 10, 3
    cflib.gen("v5", "--out", pcap, "--datagrams", str(n_dg), "--records", "5",
              "--exporters", str(n_exp), "--seed", "5")
    p = Proc(pcap, ["--max-exporter-series", str(keep)])
    try:
        C.check(wait_for(lambda: p.json("/metrics")[1]["total_received"] == n_dg * 5),
                "fold: all records in")
        _, _, text = p.get("/metrics", accept="text/plain")
        s, _, errs = parse_prometheus(text)
        C.eq(errs, [], "fold: strict parse")
        promtool_check(text, "folded exporters")
        exp = series_of(s, "clarion_flowd_exporter_datagrams_total")
        C.eq(len(exp), keep + 1, "fold: %d series plus other" % keep)
        other = [v for l, v in exp.items() if dict(l)["exporter"] == "other"]
        C.eq(other, [n_dg - keep * (n_dg // n_exp)], "fold: other holds the rest")
        C.eq(sum(exp.values()), n_dg, "fold: nothing lost by folding")
        C.eq(value(s, "clarion_flowd_exporters_folded"), n_exp - keep, "fold: folded gauge")
        C.eq(value(s, "clarion_flowd_exporters"), n_exp, "fold: exporters gauge")
    finally:
        p.stop()
    C.eq(len(re.findall(r"new exporter ", p.stderr)), keep, "fold: only series exporters logged")
    C.check("further ones are reported as exporter=\"other\"" in p.stderr, "fold: warning logged")


def scenario_unhealthy(d):
    """Output write errors (ndjson to /dev/full) make /health 503 unhealthy."""
    if not os.path.exists("/dev/full"):
        print("note: no /dev/full; unhealthy scenario skipped")
        return
    pcap = os.path.join(d, "u.pcap")
    cflib.gen("v5", "--out", pcap, "--datagrams", "50", "--seed", "3")
    p = Proc(pcap, ["--output", "ndjson:/dev/full", "--health-window", "60"])
    try:
        C.check(wait_for(lambda: p.get("/health")[0] == 503, 20), "/health turns 503")
        st, h = p.json("/health")
        C.eq((st, h["status"]), (503, "unhealthy"), "unhealthy status")
        C.check("output_failing" in [r["code"] for r in h["reasons"]], "output_failing reason")
        st, j = p.json("/metrics")
        C.check(st == 200 and j["errors"] > 0, "errors counted in /metrics JSON: %r" % j["errors"])
        C.check(wait_for(lambda: re.search(r"health: unhealthy .*output_failing", p.log())
                         is not None, 10), "unhealthy logged")
    finally:
        p.stop()


def scenario_parallel(d):
    """200 parallel scrapes while RX runs flat out: no crash, counters monotonic. They all
    come from 127.0.0.1, so the per-client connection limit (32 by default, a stranger's
    bound) is raised for this one legitimate crowd."""
    pcap = os.path.join(d, "loop.pcap")
    cflib.gen("v5", "--out", pcap, "--datagrams", "100", "--seed", "9")
    p = Proc(pcap, ["--http-max-conn-per-client", "256"], vdev_extra=",infinite_rx=1")
    try:
        def counters():
            st, _, text = p.get("/metrics", accept=PROM_ACCEPT)
            s, types, errs = parse_prometheus(text)
            return st, {k: v for k, v in s.items()
                        if types.get(k[0]) == "counter" or k[0].endswith(("_bucket", "_count"))}, errs

        _, before, _ = counters()
        results = [None] * 200
        barrier = threading.Barrier(200)

        def one(i):
            try:
                barrier.wait(timeout=60)
                fmt = "?format=json" if i % 4 == 0 else ""
                if i % 5 == 0:
                    st, _, body = p.get("/health")
                    results[i] = (st, "health", body)
                else:
                    st, _, body = p.get("/metrics" + fmt, accept=PROM_ACCEPT)
                    results[i] = (st, "json" if fmt else "prom", body)
            except Exception as e:  # noqa: BLE001 - recorded as a failure below
                results[i] = (None, "exc", repr(e))

        threads = [threading.Thread(target=one, args=(i,)) for i in range(200)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        ok = [r for r in results if r and r[0] == 200]
        C.eq(len(ok), 200, "200 parallel scrapes answered 200 (failures: %r)" %
             [r for r in results if not r or r[0] != 200][:3])
        bad = 0
        for st, kind, body in ok:
            if kind == "prom":
                s, _, errs = parse_prometheus(body)
                bad += bool(errs) or value(s, "clarion_flowd_rx_packets_total") < \
                    value(before, "clarion_flowd_rx_packets_total")
            else:
                json.loads(body)
        C.eq(bad, 0, "parallel scrapes parse and never go below the first")
        C.check(p.p.poll() is None, "still running after the parallel scrapes")

        prev = before
        regressions = []
        for _ in range(15):
            st, cur, errs = counters()
            if errs:
                regressions.append(errs[:2])
            for k, v in prev.items():
                if k in cur and cur[k] < v:
                    regressions.append((k, v, cur[k]))
            prev = cur
            time.sleep(0.05)
        C.eq(regressions, [], "counters monotonic over 15 sequential scrapes")
        _, _, text = p.get("/metrics?format=prometheus")
        busy = value(parse_prometheus(text)[0], "clarion_flowd_lcore_busy_ratio")
        C.check(busy > 0.9, "busy ratio near 1 while replaying forever: %r" % busy)
        C.check(value(prev, "clarion_flowd_rx_packets_total") >
                value(before, "clarion_flowd_rx_packets_total"), "RX kept running during scrapes")
    finally:
        rc = p.stop()
    C.eq(rc, 0, "exit status after SIGTERM under load")


def scenario_agent(d):
    """Edge-agent ingest: validation, token, body limit, 202 answer, counters."""
    pcap = os.path.join(d, "a.pcap")
    cflib.gen("v5", "--out", pcap, "--datagrams", "10", "--seed", "4")
    aport = cflib.free_port()
    p = Proc(pcap, ["--agent-port", str(aport), "--agent-max-body", "2048",
                    "--agent-token", "s3cret"])
    auth = [("Authorization", "Bearer s3cret"), ("Content-Type", "application/json")]
    path = "/api/edge/sketches"
    try:
        good = json.dumps({"switch_id": "sw-1", "sketches": [{"a": 1}, {"b": 2}, {"c": 3}]})
        st, body = p.post(aport, path, good.encode(), auth)
        C.eq(st, 202, "agent: valid JSON accepted")
        C.eq(json.loads(body), {"status": "received", "switch_id": "sw-1",
                                "sketches_received": 3, "forwarded": False},
             "agent: 202 body (no forwarder connected yet)")
        C.eq(p.post(aport, path, good.encode())[0], 401, "agent: no token")
        C.eq(p.post(aport, path, good.encode(), [("Authorization", "Bearer s3cre")])[0], 401,
             "agent: wrong token (prefix)")
        C.eq(p.post(aport, path, good.encode(), [("X-Agent-Token", "s3cret")])[0], 202,
             "agent: X-Agent-Token header")
        for what, b in (("not JSON", b"{nope"), ("JSON array", b"[1]"),
                        ("no switch_id", json.dumps({"sketches": [1]}).encode()),
                        ("empty switch_id", json.dumps({"switch_id": "", "sketches": [1]}).encode()),
                        ("empty sketches", json.dumps({"switch_id": "s", "sketches": []}).encode()),
                        ("no sketches", json.dumps({"switch_id": "s"}).encode())):
            st, body = p.post(aport, path, b, auth)
            C.check(st == 400 and "error" in json.loads(body), "agent: %s -> 400 JSON (%d %s)" %
                    (what, st, body))
        big = json.dumps({"switch_id": "s", "sketches": ["x" * 3000]}).encode()
        C.eq(p.post(aport, path, big, auth)[0], 413, "agent: body above --agent-max-body")
        bpath = path + "/binary"
        C.eq(p.post(aport, bpath, b"\x01\x02", auth)[0], 400, "agent binary: no X-Switch-ID")
        st, body = p.post(aport, bpath, b"\x01\x02\x03",
                          auth + [("X-Switch-ID", "sw-2"), ("X-Sketch-Count", "5")])
        C.check(st == 202 and json.loads(body)["sketches_received"] == 5 and
                json.loads(body)["switch_id"] == "sw-2", "agent binary: 202 (%d %s)" % (st, body))
        C.eq(p.post(aport, bpath, b"\x01", auth + [("X-Switch-ID", "s"),
                                                    ("X-Sketch-Count", "x")])[0], 400,
             "agent binary: bad X-Sketch-Count")
        st, _, _ = p.get("/metrics")
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (aport, path))
        try:
            urllib.request.urlopen(req, timeout=10)
            code = 200
        except urllib.error.HTTPError as e:
            code = e.code
        C.eq(code, 405, "agent: GET is 405")
        _, _, text = p.get("/metrics?format=prometheus")
        s, _, errs = parse_prometheus(text)
        C.eq(errs, [], "agent: strict parse")
        promtool_check(text, "with agent listener")
        C.eq(value(s, "clarion_flowd_agent_requests_accepted_total", encoding="json"), 2,
             "agent: JSON accepted counter")
        C.eq(value(s, "clarion_flowd_agent_requests_accepted_total", encoding="binary"), 1,
             "agent: binary accepted counter")
        C.eq(value(s, "clarion_flowd_agent_sketches_total"), 3 + 3 + 5, "agent: sketches counter")
        C.eq(value(s, "clarion_flowd_agent_not_forwarded_total", reason="no_forwarder"), 3,
             "agent: not forwarded counted")
        C.eq(value(s, "clarion_flowd_http_requests_total", listener="agent", path=path,
                   code="400"), 6, "agent: 400s counted by path")
        C.eq(value(s, "clarion_flowd_http_requests_total", listener="agent", path=path,
                   code="401"), 2, "agent: 401s counted")
        C.eq(value(s, "clarion_flowd_http_requests_total", listener="agent", code="413"), 1,
             "agent: 413 counted")
    finally:
        p.stop()
    C.check("agent ingest on 127.0.0.1 port %d (token required, forwarding not connected)" % aport
            in p.stderr, "agent: start logged")


def scenario_garbage(d):
    """One frame per malformation: every drop shows up under its reason label, equal to
    the engine's own final counters, and JSON errors = the non-frame drops."""
    pcap, exp = os.path.join(d, "g.pcap"), os.path.join(d, "g.json")
    cflib.gen("garbage", "--out", pcap, "--expect-drops", exp)
    with open(exp) as f:
        cases = json.load(f)
    units = {}
    with open(os.path.join(cflib.ROOT, "lib", "stats", "cf_stats.h")) as f:
        for name, unit in re.findall(r'^\s*X\(\w+, "(\w+)", "(\w+)"', f.read(), re.M):
            units[name] = unit
    p = Proc(pcap)
    try:
        C.check(wait_for(lambda: value(parse_prometheus(p.get("/metrics?format=prometheus")[2])[0],
                                       "clarion_flowd_rx_packets_total") == len(cases), 20),
                "garbage: every frame received")
        time.sleep(0.3)
        _, _, text = p.get("/metrics?format=prometheus")
        s, _, errs = parse_prometheus(text)
        C.eq(errs, [], "garbage: strict parse")
        promtool_check(text, "garbage capture")
        _, j = p.json("/metrics")
    finally:
        p.stop()
    final = cflib.parse_final(p.stderr)["drops"]
    got = {dict(l)["reason"]: v for l, v in series_of(s, "clarion_flowd_drops_total").items()}
    C.eq(got, {k: float(v) for k, v in final.items()}, "garbage: metrics equal the final counters")
    for name in set(cases) - {"random", "good"}:
        C.check(got.get(name, 0) >= cases.count(name), "garbage: %s counted (%r >= %d)" %
                (name, got.get(name), cases.count(name)))
    C.eq(j["errors"], sum(v for k, v in got.items() if units[k] != "pkt"),
         "garbage: JSON errors = drops of flow data")
    C.check(j["errors"] >= sum(1 for c in cases if units.get(c, "pkt") != "pkt"),
            "garbage: errors include every malformed datagram")


def scenario_ring_drops(d):
    """RX far faster than JSON encoding into a tiny ring: ring_full drops make /health
    degraded (HTTP 200) and are counted under reason="ring_full"."""
    pcap = os.path.join(d, "r.pcap")
    cflib.gen("v5", "--out", pcap, "--datagrams", "100", "--seed", "8")
    p = Proc(pcap, ["--output", "ndjson:/dev/null", "--ring-size", "16"],
             vdev_extra=",infinite_rx=1")
    try:
        C.check(wait_for(lambda: "ring_drops" in [r["code"] for r in p.json("/health")[1]["reasons"]],
                         30), "ring drops make /health degraded")
        st, h = p.json("/health")
        C.eq((st, h["status"]), (200, "degraded"), "ring drops: degraded is HTTP 200")
        _, _, text = p.get("/metrics?format=prometheus")
        s, _, errs = parse_prometheus(text)
        C.eq(errs, [], "ring drops: strict parse")
        C.check(value(s, "clarion_flowd_drops_total", reason="ring_full") > 0,
                "ring_full drops counted")
    finally:
        p.stop()


def scenario_usage(d):
    """Flag errors are caught before the EAL starts: exit 2 with the flag named."""
    for args, want in ((["--http-bind", "localhost"], "--http-bind"),
                       (["--agent-bind", "10.0.0.300"], "--agent-bind"),
                       (["--http-port", "9100", "--agent-port", "9100"], "--agent-port"),
                       (["--http-port", "70000"], "--http-port"),
                       (["--max-exporter-series", "0"], "--max-exporter-series")):
        p = subprocess.run([cflib.BIN, "--"] + args, capture_output=True, text=True, timeout=30)
        C.check(p.returncode == 2 and want in p.stderr,
                "usage error %r: rc=%d %s" % (args, p.returncode, p.stderr.strip()))


def scenario_ipv6_bind(d):
    """--http-bind ::1 serves over IPv6 loopback."""
    try:
        t = socket.socket(socket.AF_INET6)
        t.bind(("::1", 0))
        port = t.getsockname()[1]
        t.close()
    except OSError:
        print("note: no IPv6 loopback; --http-bind ::1 not tested")
        return
    pcap = os.path.join(d, "six.pcap")
    cflib.gen("v5", "--out", pcap, "--datagrams", "5", "--seed", "6")
    cmd = [cflib.BIN] + cflib.eal_args("net_pcap0,rx_pcap=" + pcap) + \
        ["--", "--http-bind", "::1", "--http-port", str(port), "--agent-port", "0",
         "--output", "null", "--run-time", "60"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    ok = wait_for(lambda: _get6(port) == 200, 20)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    C.check(ok, "GET http://[::1]:%d/health" % port)
    C.check("http://[::1]:%d/health" % port in err, "IPv6 listener logged with brackets")


def _get6(port):
    try:
        with urllib.request.urlopen("http://[::1]:%d/health" % port, timeout=5) as r:
            return r.status
    except OSError:
        return None


def main():
    if not os.path.exists(cflib.BIN):
        cflib.skip("ctlplane", "binary %s not built" % cflib.BIN)
    with tempfile.TemporaryDirectory() as d:
        for sc in (scenario_counts, scenario_fold, scenario_garbage, scenario_unhealthy, scenario_agent,
                   scenario_ring_drops, scenario_usage, scenario_ipv6_bind, scenario_parallel):
            try:
                sc(d)
            except Exception as e:  # noqa: BLE001 - one scenario failing must not hide the rest
                C.check(False, "%s raised %r" % (sc.__name__, e))
    C.done()


if __name__ == "__main__":
    main()

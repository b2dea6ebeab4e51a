#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Aggregation and endpoint-sketch scenarios of scripts/bench.sh (--agg).

  reduction   an enterprise-shaped IPFIX workload (scripts/gen_enterprise.py: many
              endpoints, long-lived flows re-exported every active timeout, a few servers
              with many peers), replayed once: records in / aggregates out per key set and
              interval, from the binary's "aggregate:" ledger line, checked against the
              generator's own count; byte and packet totals compared to the generator's.
  softflowd   the same endpoints as packets over a long capture, turned into IPFIX by a
              real exporter (softflowd -r, active timeout 60 s), then as above.
  sketches    the enterprise workload with --sketches to the test backend (which validates
              the real SketchBatch model): sketches per interval vs records per interval,
              and the HyperLogLog error of unique_peers / unique_ports against the exact
              counts of the generator, as a distribution.
  cost        tests/bench/cf_bench_agg over the workload's records: records/s and CPU
              ns/record of aggregation and of sketching alone (and of only reading the
              records, the floor), on one core.
  capture     with --agg-pcap FILE: the reduction rows of the operator's own capture of flow
              export (no truth to compare against; replayed at the pcap PMD's speed, so a
              capture of more than about a million records may lose some at the ring:
              the row counts only what reached the table). Export to other ports: --extra
              '--netflow-port 9995' and the like.
  e2e         the binary on the pcap PMD replaying the workload from memory, aggregation
              on, HTTP delivery to a local sink (build/tests/fast_sink): records/s taken
              by aggregation, aggregates delivered/s; beside the same run without
              aggregation.
"""
import json
import os
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import bench as B

ROOT = B.ROOT
GEN = os.path.join(ROOT, "scripts", "gen_enterprise.py")
BACKEND = os.path.join(ROOT, "tests", "backend", "clarion_backend.py")
MICRO = os.path.join(os.path.dirname(B.BIN), "..", "tests", "cf_bench_agg")
MARK_BEGIN = "<!-- bench:agg:begin -->"
MARK_END = "<!-- bench:agg:end -->"
DEFAULT_KEYS = "on"
COARSE_KEYS = "src_ip,dst_port,protocol,src_sgt,dst_sgt,switch_id,vlan_id,src_mac"
# The default keys with service_port for dst_port: a server's answers fold as its requests do.
SERVICE_KEYS = "src_ip,dst_ip,service_port,protocol,src_sgt,dst_sgt,switch_id,vlan_id,src_mac,dst_mac"
# The pcap PMD replays a capture far faster than its exporters sent it: with the default
# handoff ring the control lcore (encoding JSON for the backend beside the stage) falls
# behind and RX counts ring_full (43 % of the enterprise capture under load). These
# scenarios measure what the stages make of every record, so the ring holds the whole
# capture (~1,200 blocks); the e2e rows below measure the rate, with the default ring.
RING = ["--ring-size", "4096"]


def gen(args):
    p = subprocess.run([sys.executable, GEN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    if p.returncode != 0:
        raise B.Skip("gen_enterprise.py: %s" % (p.stderr.strip().splitlines() or ["?"])[-1])
    return p.stdout


def shape(quick):
    # switches, endpoints per switch, minutes
    return (3, 30, 4) if quick else (8, 100, 10)


def run_once(pcap, args, timeout=300):
    """One pass of pcap (--idle-exit); the final block's counters."""
    B._runs[0] += 1
    prefix = "cfba%d_%d" % (os.getpid(), B._runs[0])
    cmd = [B.BIN, "--no-huge", "-m", "1024", "--no-pci", "--file-prefix", prefix, "-l", "0,1",
           "--log-level=lib.*:error", "--vdev=net_pcap0,rx_pcap=%s" % pcap, "--",
           "--idle-exit", "1", "--http-port", "0", "--agent-port", "0"] + RING + list(args)
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("exit %d: %s" % (p.returncode, p.stderr.strip()[-200:]))
    return B.parse_block(p.stderr.split("==== final ====")[-1].splitlines()), cmd


def reduction_rows(pcap, truth, label, extra=()):
    rows = []
    for keys, iv in ((DEFAULT_KEYS, 60), (DEFAULT_KEYS, 300), (SERVICE_KEYS, 60), (SERVICE_KEYS, 300),
                     (COARSE_KEYS, 60), (COARSE_KEYS, 300)):
        with tempfile.NamedTemporaryFile(suffix=".ndjson") as out:
            st, cmd = run_once(pcap, ["--aggregate", keys, "--aggregate-interval", str(iv),
                                      "--output", "ndjson:" + out.name] + list(extra))
            got_b = got_p = 0
            with open(out.name) as f:
                for line in f:
                    r = json.loads(line)
                    got_b += r["bytes"]
                    got_p += r["packets"]
        row = {"workload": label, "keys": "default (on)" if keys == "on" else keys, "interval": iv,
               "in": st.get("agg_records_in", 0), "out": st.get("agg_aggregates_out", 0),
               "early": st.get("agg_early_flushes", 0), "balanced": st.get("agg_balanced"),
               "bytes_ok": None, "truth_out": None}
        if truth is not None:
            row["bytes_ok"] = got_b == truth["bytes"] and got_p == truth["packets"]
            if keys == "on":
                row["truth_out"] = truth["aggregates"].get(str(iv))
        rows.append(row)
    return rows


def sc_reduction(work, quick):
    sw, ep, mins = shape(quick)
    pcap = os.path.join(work, "ent.pcap")
    tpath = os.path.join(work, "ent.json")
    t0 = time.time()
    gen(["--out", pcap, "--truth", tpath, "--switches", str(sw), "--endpoints", str(ep),
         "--minutes", str(mins), "--server-export", "--seed", "11"])
    truth = json.load(open(tpath))
    label = "enterprise IPFIX: %d switches x %d endpoints + data-centre switch, %d min, %d records" % (
        sw, ep, mins, truth["records"])
    return {"pcap": pcap, "truth": truth, "gen_s": time.time() - t0,
            "rows": reduction_rows(pcap, truth, label)}


class Receiver(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.dgrams = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                self.dgrams.append(self.sock.recvfrom(65535))
            except socket.timeout:
                continue

    def finish(self):
        self.stop.set()
        self.join()
        self.sock.settimeout(0)
        while True:
            try:
                self.dgrams.append(self.sock.recvfrom(65535))
            except (BlockingIOError, socket.timeout):
                break
        self.sock.close()


def sc_softflowd(work, quick):
    if shutil.which("softflowd") is None:
        raise B.Skip("softflowd not installed (Debian: softflowd)")
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    from gen_flows import Pcap, udp4
    sw, ep, mins = (1, 20, 5) if quick else (2, 50, 20)
    traffic = os.path.join(work, "traffic.pcap")
    npk = gen(["--traffic", traffic, "--switches", str(sw), "--endpoints", str(ep), "--minutes",
               str(mins), "--seed", "5"])
    rx = Receiver()
    rx.start()
    try:
        p = subprocess.run(["softflowd", "-d", "-r", traffic, "-n", "127.0.0.1:%d" % rx.port,
                            "-v", "10", "-c", "none", "-p", os.path.join(work, "sf.pid"),
                            "-t", "maxlife=60", "-t", "udp=15", "-t", "tcp=60", "-t", "general=15",
                            "-t", "expint=10", "-m", "65536"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    finally:
        rx.finish()
    m = re.search(r"Flows exported: (\d+) \((\d+) records\)", p.stdout)
    if p.returncode != 0 or m is None:
        raise B.Skip("softflowd -r failed: %s" % p.stdout.strip()[-200:])
    export = os.path.join(work, "softflowd-ipfix.pcap")
    pc = Pcap(export)
    for g, addr in ((d, a) for d, a in rx.dgrams):
        pc.write(udp4(addr[0], "127.0.0.1", addr[1], 4739, g))
    pc.close()
    label = "softflowd -r, %s, %d endpoints, %d min, active timeout 60 s: %s records" % (
        npk.strip(), sw * ep, mins, m.group(2))
    return {"rows": reduction_rows(export, None, label), "softflowd_records": int(m.group(2))}


class TestBackend:
    def __init__(self):
        self.p = subprocess.Popen([sys.executable, BACKEND, "--mode", "ok"], stdout=subprocess.PIPE,
                                  text=True)
        w = self.p.stdout.readline().split()
        self.port, self.ctl = int(w[1]), int(w[2])
        self.url = "http://127.0.0.1:%d" % self.port

    def get(self, path):
        import urllib.request
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.ctl, path), timeout=30) as r:
            return json.loads(r.read())

    def close(self):
        self.p.terminate()
        self.p.wait(10)


def sc_sketches(work, red):
    import base64
    pcap, truth = red["pcap"], red["truth"]
    be = TestBackend()
    try:
        B._runs[0] += 1
        prefix = "cfbs%d_%d" % (os.getpid(), B._runs[0])
        cmd = [B.BIN, "--no-huge", "-m", "1024", "--no-pci", "--file-prefix", prefix, "-l", "0,1",
               "--log-level=lib.*:error", "--vdev=net_pcap0,rx_pcap=%s" % pcap, "--",
               "--sketches", "--sketch-interval", "2", "--backend-url", be.url,
               "--http-port", "0", "--agent-port", "0", "--run-time", "8"] + RING + [
               "--spool-dir", os.path.join(work, "sk-spool"), "--shutdown-timeout", "20"]
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                           timeout=120)
        st = B.parse_block(p.stderr.split("==== final ====")[-1].splitlines())
        got = be.get("/_sketches")
        stats = be.get("/_stats")
    finally:
        be.close()
    last = {}
    bodies = 0
    for g in got:
        if g["path"] != "/api/edge/sketches":
            continue
        bodies += 1
        for s in json.loads(base64.b64decode(g["body_b64"]))["sketches"]:
            last["%s %s" % (s["switch_id"], s["endpoint_id"])] = s
    errs = {"unique_peers": [], "unique_ports": []}
    exact_small = exact_fields = 0
    small = 0
    for k, w in truth["sketches"].items():
        g = last.get(k)
        if g is None:
            continue
        exact_fields += all(g[f] == w[f] for f in ("bytes_out", "bytes_in", "flow_count",
                                                   "first_seen", "last_seen", "active_hours"))
        for f in errs:
            if w[f] <= 16:
                small += 1
                exact_small += g[f] == w[f]
            else:
                errs[f].append((abs(g[f] - w[f]) / w[f], w[f]))
    dist = {}
    for f, e in errs.items():
        v = sorted(x for x, _ in e)
        if v:
            dist[f] = {"n": len(v), "p50": v[len(v) // 2], "p95": v[int(0.95 * (len(v) - 1))],
                       "max": v[-1], "card_min": min(c for _, c in e), "card_max": max(c for _, c in e)}
    minutes = truth["minutes"]
    return {"endpoints": truth["endpoints"], "sketched": len(last), "bodies": bodies,
            "posted": st.get("sk_posted", 0), "rounds": st.get("sk_rounds", 0),
            "invalid": stats.get("invalid", 0), "exact_fields": exact_fields,
            "small": small, "exact_small": exact_small, "dist": dist,
            "records_per_interval": truth["records"] / minutes,
            "sketches_per_interval": truth["endpoints"], "cmd": " ".join(cmd)}


def sc_cost(work, red, quick):
    if not os.access(MICRO, os.X_OK):
        raise B.Skip("build/tests/cf_bench_agg not built")
    out = {}
    passes = "1" if quick else "3"
    for mode in ("read", "agg", "sketch"):
        vals = []
        for _ in range(1 if quick else 3):
            p = subprocess.run([MICRO, "-m", mode, "-p", passes, red["pcap"]], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, timeout=600)
            m = re.search(r"([\d.]+) M records/s, ([\d.]+) ns/record", p.stdout)
            if m is None:
                raise RuntimeError("cf_bench_agg -m %s: %s" % (mode, p.stdout[-200:]))
            vals.append((float(m.group(1)), float(m.group(2))))
        vals.sort(key=lambda v: v[1])
        out[mode] = {"rate": vals[len(vals) // 2][0] * 1e6, "ns": vals[len(vals) // 2][1],
                     "all_ns": [v[1] for v in vals]}
    out["cmd"] = "build/tests/cf_bench_agg -m MODE -p %s ent.pcap" % passes
    return out


def sc_e2e(work, red, quick):
    if not os.access(B.FAST_SINK, os.X_OK):
        raise B.Skip("build/tests/fast_sink not built")
    secs = 2 if quick else 5
    out = []
    for name, args, metric in (
            ("no aggregation", [], "dl_delivered"),
            ("--aggregate on, 60 s (replays fold into open aggregates)", ["--aggregate", "on"],
             "agg_records_in"),
            ("--aggregate on, 1 s windows (every record a new key)",
             ["--aggregate", "on", "--aggregate-interval", "1"], "agg_records_in")):
        sink = B.FastSink()
        try:
            r = B.run_once(red["pcap"], ["--total-num-mbufs", "32768", "--batch-size", "5000",
                                         "--backend-url", sink.url] + args, secs, metric=metric,
                           cpu="main")
        finally:
            sink.close()
        f = r["final"]
        out.append({"name": name, "rate": r["rate"], "ns": r.get("ns"),
                    "decoded": f.get("records", 0), "delivered": f.get("dl_delivered", 0),
                    "ring_full": f["drops"].get("ring_full", 0),
                    "aggregates": f.get("agg_aggregates_out"), "args": args})
    return out


def fmt(v):
    return B.fmt_rate(v)


def table(res, quick):
    o = []
    o.append("commit %s, %s, %s, load average at start %s%s" % (
        B.commit(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), B.machine(),
        res["load"], " (--quick: small workload)" if quick else ""))
    o.append("")
    red = res.get("reduction")
    o.append("### Reduction (`scripts/bench.sh --agg`, one pass of each capture, `--idle-exit 1`)")
    o.append("")
    o.append("| workload | keys | interval | records in | aggregates out | reduction | early flushes | "
             "generator's count | bytes/packets identical |")
    o.append("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for part in ("reduction", "softflowd", "capture"):
        x = res.get(part)
        if x is None:
            continue
        if isinstance(x, str):
            o.append("| %s | skipped: %s | | | | | | | |" % (part, x))
            continue
        for r in x["rows"]:
            o.append("| %s | %s | %d s | %d | %d | %.2fx | %d | %s | %s |" % (
                r["workload"], r["keys"], r["interval"], r["in"], r["out"],
                r["in"] / r["out"] if r["out"] else 0, r["early"],
                r["truth_out"] if r["truth_out"] is not None else "-",
                {None: "-", True: "yes", False: "NO"}[r["bytes_ok"]]))
    o.append("")
    o.append("Service keys: `%s` (the default keys, the server's port of the two in place of "
             "dst_port). Coarse keys: `%s` (no dst_ip: per service, not per peer)."
             % (SERVICE_KEYS, COARSE_KEYS))
    o.append("")
    sk = res.get("sketches")
    o.append("### Endpoint sketches")
    o.append("")
    if isinstance(sk, str):
        o.append("skipped: " + sk)
    elif sk:
        o.append("- records in per interval (60 s of traffic): %.0f; sketches out per interval "
                 "(one per endpoint): %d; %.0fx fewer items for the backend" % (
                     sk["records_per_interval"], sk["sketches_per_interval"],
                     sk["records_per_interval"] / max(1, sk["sketches_per_interval"])))
        o.append("- run: %d rounds, %d sketches posted in %d bodies; the test backend (real "
                 "SketchBatch model) refused %d; %d of %d endpoints sketched; bytes_out, bytes_in, "
                 "flow_count, first/last_seen, active_hours exact for %d" % (
                     sk["rounds"], sk["posted"], sk["bodies"], sk["invalid"], sk["sketched"],
                     sk["endpoints"], sk["exact_fields"]))
        o.append("- cardinalities of 16 or less (kept exactly): %d of %d exact" % (
            sk["exact_small"], sk["small"]))
        o.append("")
        o.append("| HyperLogLog error vs exact | cardinalities | range | p50 | p95 | max |")
        o.append("|---|---:|---|---:|---:|---:|")
        for f, d in sk["dist"].items():
            o.append("| %s | %d | %d .. %d | %.2f %% | %.2f %% | %.2f %% |" % (
                f, d["n"], d["card_min"], d["card_max"], 100 * d["p50"], 100 * d["p95"],
                100 * d["max"]))
        o.append("")
        o.append("`%s`" % sk["cmd"].replace(B.BIN, "build/app/clarion-flowd"))
    o.append("")
    c = res.get("cost")
    o.append("### Cost on one core (micro-benchmark, records of the enterprise capture)")
    o.append("")
    if isinstance(c, str):
        o.append("skipped: " + c)
    elif c:
        o.append("| stage | records/s | CPU ns/record (median) | runs (ns) |")
        o.append("|---|---:|---:|---|")
        for mode, what in (("read", "read every record word (the floor)"),
                           ("agg", "aggregation (`--aggregate on`, 60 s)"),
                           ("sketch", "endpoint sketches (`--sketches`, 60 s rounds)")):
            v = c[mode]
            o.append("| %s | %s | %.1f | %s |" % (what, fmt(v["rate"]), v["ns"],
                                                 " / ".join("%.1f" % x for x in v["all_ns"])))
        o.append("")
        o.append("`%s`" % c["cmd"])
    o.append("")
    e = res.get("e2e")
    o.append("### End to end with aggregation, HTTP to a local sink (2 cores)")
    o.append("")
    if isinstance(e, str):
        o.append("skipped: " + e)
    elif e:
        o.append("| run | records/s (decoded -> delivered, or taken by aggregation) | control "
                 "lcore CPU ns/record | aggregates delivered | ring_full at exit |")
        o.append("|---|---:|---:|---:|---:|")
        for r in e:
            o.append("| %s | %s | %s | %s | %d |" % (
                r["name"], fmt(r["rate"]), "%.1f" % r["ns"] if r["ns"] else "-",
                r["delivered"] if r["aggregates"] is not None else "-", r["ring_full"]))
    return "\n".join(o)


def write_md(text):
    with open(B.BENCH_MD) as f:
        doc = f.read()
    if MARK_BEGIN not in doc:
        doc += "\n%s\n%s\n" % (MARK_BEGIN, MARK_END)
    head, rest = doc.split(MARK_BEGIN, 1)
    _, tail = rest.split(MARK_END, 1)
    with open(B.BENCH_MD, "w") as f:
        f.write(head + MARK_BEGIN + "\n" + text + "\n" + MARK_END + tail)


def main(a):
    if not os.access(B.BIN, os.X_OK):
        print("bench: %s not built" % B.BIN, file=sys.stderr)
        return 1
    only = set(a.only.split(",")) if a.only else None
    res = {"load": " ".join(open("/proc/loadavg").read().split()[:3])}
    err = 0
    with tempfile.TemporaryDirectory(prefix="cf-bench-agg-") as work:
        def step(name, fn):
            nonlocal err
            if only and name not in only:
                return None
            t = time.time()
            try:
                res[name] = fn()
            except B.Skip as e:
                res[name] = str(e)
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                res[name] = "ERROR " + str(e)
                err = 1
            print("bench: %-10s %.0f s" % (name, time.time() - t), file=sys.stderr, flush=True)
            return res[name]
        red = None
        if not only or only - {"capture"}:
            red = sc_reduction(work, a.quick)
            res["reduction"] = red
        caps = []
        for path in getattr(a, "agg_pcap", None) or []:
            x = step("capture", lambda p=path: {"rows": reduction_rows(
                p, None, "%s (--agg-pcap)" % os.path.basename(p),
                shlex.split(getattr(a, "extra", "") or ""))})
            if isinstance(x, dict):
                caps += x["rows"]
        if caps:
            res["capture"] = {"rows": caps}
        step("softflowd", lambda: sc_softflowd(work, a.quick))
        step("sketches", lambda: sc_sketches(work, red))
        step("cost", lambda: sc_cost(work, red, a.quick))
        step("e2e", lambda: sc_e2e(work, red, a.quick))
    text = table(res, a.quick)
    print(text)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({k: v for k, v in res.items() if k != "reduction"} |
                      {"reduction": (res.get("reduction") or {}).get("rows", [])}, f, indent=1,
                      default=str)
    if a.write:
        write_md(text)
        print("bench: aggregation tables written to %s" % B.BENCH_MD, file=sys.stderr)
    return err

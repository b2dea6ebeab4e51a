#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Throughput benchmark of clarion-flowd (run it through scripts/bench.sh).

Every scenario replays a generated capture from memory with the pcap PMD
(infinite_rx=1) into the real binary, one RX lcore, for a fixed time:

  build/app/clarion-flowd --no-huge -m 1024 --no-pci --file-prefix <unique> -l 0,1
      --vdev=net_pcap0,rx_pcap=FILE,infinite_rx=1 -- <scenario flags> --run-time T --stats-period 1

and reads the binary's own counters from stderr. Columns:
  records/s    records decoded per wall-clock second, between the first and the
               last periodic stats block (start-up excluded); e2e: records the
               HTTP sink received per second.
  ns/record    CPU time of the RX lcore thread (/proc/PID/task/TID/stat) per
               record over the same window: discounts the time a shared machine
               took the core away, so it is the steadier number.
  datagrams/s  flow datagrams decoded per wall-clock second.
  drops        every non-zero drop counter at exit (the binary's final block).
  peak RSS     the process's ru_maxrss (= VmHWM).
The pcap PMD's own cost (an mbuf allocation and a copy of every frame) is part
of every number.
"""
import argparse
import http.server
import json
import multiprocessing
import os
import platform
import re
import shutil
import socketserver
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("CF_BIN", os.path.join(ROOT, "build", "app", "clarion-flowd"))
GEN_FLOWS = os.path.join(ROOT, "scripts", "gen_flows.py")
GEN_TPL = os.path.join(ROOT, "scripts", "gen_template.py")
BENCH_MD = os.path.join(ROOT, "BENCHMARKS.md")
MARK_BEGIN = "<!-- bench:table:begin -->"
MARK_END = "<!-- bench:table:end -->"
CLK_TCK = os.sysconf("SC_CLK_TCK")


class Skip(Exception):
    """The scenario cannot run on this tree (missing generator, decoder or option)."""


# ---------------------------------------------------------------- workloads

def run_gen(args):
    p = subprocess.run([sys.executable] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]
        raise Skip("%s: %s" % (os.path.basename(args[0]), last[:120]))


class Workloads:
    """Generates each capture once per bench run, on first use."""

    def __init__(self, work):
        self.work = work
        self.cache = {}

    def get(self, key, fn):
        if key not in self.cache:
            try:
                self.cache[key] = fn()
            except Skip as e:
                self.cache[key] = e
        if isinstance(self.cache[key], Skip):
            raise self.cache[key]
        return self.cache[key]

    def v5(self, exporters=200, datagrams=2000, seed=1):
        def make():
            out = os.path.join(self.work, "v5_%d_%d.pcap" % (exporters, datagrams))
            run_gen([GEN_FLOWS, "v5", "--out", out, "--datagrams", str(datagrams), "--records", "30",
                     "--exporters", str(exporters), "--seed", str(seed)])
            return out
        return self.get(("v5", exporters, datagrams), make)

    def tpl(self, proto, exporters, datagrams, templates=1, varlen=False, refresh=20):
        def make():
            if not os.path.exists(GEN_TPL):
                raise Skip("scripts/gen_template.py not in this tree (v9/IPFIX generator not merged)")
            out = os.path.join(self.work, "%s_%d_%d_%d%s.pcap" % (proto, exporters, templates, datagrams,
                                                                  "_var" if varlen else ""))
            args = [GEN_TPL, "--proto", proto, "--template", "cisco18", "--refresh", str(refresh),
                    "--exporters", str(exporters), "--datagrams", str(datagrams), "--out", out]
            if templates > 1:
                args += ["--templates-per-exporter", str(templates)]
            if varlen:
                args.append("--varlen")
            run_gen(args)
            return out
        return self.get((proto, exporters, datagrams, templates, varlen), make)

    def mixed(self):
        def make():
            parts = [self.v5(exporters=1000, datagrams=2000, seed=3),
                     self.tpl("v9", 1000, 10000, templates=10),
                     self.tpl("ipfix", 1000, 10000, templates=10, varlen=True)]
            out = os.path.join(self.work, "mixed.pcap")
            pcap_interleave(parts, out)
            return out
        return self.get(("mixed",), make)


def pcap_read(path):
    """Header and frame records of a classic pcap file (any byte order)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise Skip("%s is not a classic pcap file" % os.path.basename(path))
    hdr, off, recs = data[:24], 24, []
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        recs.append(data[off:off + 16 + incl])
        off += 16 + incl
    return hdr, end, recs


def pcap_interleave(paths, out):
    """Round-robin merge: each input keeps its order (templates stay ahead of their data)."""
    files = [pcap_read(p) for p in paths]
    if len({(f[0][4:8], f[0][20:24], f[1]) for f in files}) != 1:
        raise Skip("mixed: the generators' pcap headers differ (link type or byte order)")
    with open(out, "wb") as f:
        f.write(files[0][0])
        its = [iter(x[2]) for x in files]
        while its:
            for it in list(its):
                rec = next(it, None)
                if rec is None:
                    its.remove(it)
                else:
                    f.write(rec)


# ---------------------------------------------------------------- HTTP sink

class _SinkHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                n = int(self.rfile.readline().split(b";")[0], 16)
                if n == 0:
                    self.rfile.readline()
                    break
                parts.append(self.rfile.read(n))
                self.rfile.readline()
            body = b"".join(parts)
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding", "").lower() in ("gzip", "deflate"):
            body = zlib.decompress(body, 47)
        return body

    def _reply(self, code, text):
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = self._body()
        # Every record carries exactly one "src_ip" key; counting it is cheap and exact.
        n = body.count(b'"src_ip"')
        with self.server.count.get_lock():
            self.server.count.value += n
        self._reply(200, '{"status":"received","records_received":%d}' % n)

    def do_GET(self):
        self._reply(200, '{"status":"ok"}')


class _SinkServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def _sink_main(port_out, count):
    srv = _SinkServer(("127.0.0.1", 0), _SinkHandler)
    srv.count = count
    port_out.value = srv.server_address[1]
    srv.serve_forever()


FAST_SINK = os.path.join(os.path.dirname(BIN), "..", "tests", "fast_sink")
KAFKA_MOCK = os.path.join(os.path.dirname(BIN), "..", "tests", "kafka_mock")


class KafkaMock:
    """tests/backend/kafka_mock.c: librdkafka's mock cluster, 3 brokers, topic
    "flows" with 8 partitions, in its own process on the same machine."""

    def __init__(self):
        self.proc = subprocess.Popen([KAFKA_MOCK, "--partitions", "8"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().split()
        if len(line) != 2 or line[0] != "BOOTSTRAP":
            self.close()
            raise RuntimeError("kafka_mock did not print its bootstrap servers")
        self.args = ["--kafka-brokers", line[1], "--kafka-topic", "flows"]

    def close(self):
        try:
            self.proc.communicate("quit\n", timeout=10)
        except (subprocess.TimeoutExpired, OSError, ValueError):
            self.proc.kill()


class FastSink:
    """tests/backend/fast_sink.c (C, libmicrohttpd): reads and discards bodies,
    answers 200. Delivered records then come from the binary's own counters."""

    def __init__(self):
        self.proc = subprocess.Popen([FAST_SINK], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True)
        line = self.proc.stdout.readline().split()
        if len(line) != 2 or line[0] != "PORT":
            self.close()
            raise RuntimeError("fast_sink did not print its port")
        self.url = "http://127.0.0.1:%s" % line[1]

    def close(self):
        self.proc.terminate()
        try:
            self.proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class HttpSink:
    """A Clarion-like backend in its own process; counts the records it receives."""

    def __init__(self):
        self.count = multiprocessing.Value("Q", 0)
        port = multiprocessing.Value("i", 0)
        self.proc = multiprocessing.Process(target=_sink_main, args=(port, self.count), daemon=True)
        self.proc.start()
        deadline = time.time() + 10
        while port.value == 0 and time.time() < deadline:
            time.sleep(0.02)
        self.url = "http://127.0.0.1:%d" % port.value

    def received(self):
        return self.count.value

    def close(self):
        self.proc.terminate()
        self.proc.join(5)


# ---------------------------------------------------------------- one run

_runs = [0]


def thread_ticks(pid):
    """utime+stime of (RX lcore threads, main thread = control lcore). DPDK names its
    workers rte-worker-N (lcore-worker-N in older releases)."""
    rx = main = 0
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            base = "/proc/%d/task/%s/" % (pid, tid)
            with open(base + "comm") as f:
                worker = "worker" in f.read()
            if not worker and int(tid) != pid:
                continue
            with open(base + "stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks = int(fields[11]) + int(fields[12])
            if worker:
                rx += ticks
            else:
                main += ticks
    except (OSError, ValueError):
        return None
    return rx, main


def proc_status(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def parse_block(lines):
    """Counters of one '==== ... ====' block: totals and drops."""
    st = {"drops": {}}
    for line in lines:
        if line.startswith(("total:", "drops:", "delivery:", "delivery_drops:", "kafka:",
                            "kafka_drops:", "aggregate:", "sketches:")):
            for k, v in re.findall(r"(\w+)=(\d+)", line):
                if line.startswith(("drops:", "delivery_drops:")):
                    st["drops"][k] = int(v)
                elif line.startswith("kafka_drops:"):
                    st["drops"]["kafka_" + k] = int(v)
                elif line.startswith("delivery:"):
                    st["dl_" + k] = int(v)
                elif line.startswith("kafka:"):
                    st["kf_" + k] = int(v)
                elif line.startswith("aggregate:"):
                    st["agg_" + k] = int(v)
                elif line.startswith("sketches:"):
                    st["sk_" + k] = int(v)
                else:
                    st[k] = int(v)
    return st


def eal_cmd(pcap, prefix):
    return [BIN, "--no-huge", "-m", "1024", "--no-pci", "--file-prefix", prefix, "-l", "0,1",
            "--log-level=lib.*:error", "--vdev=net_pcap0,rx_pcap=%s,infinite_rx=1" % pcap]


def steal_ms():
    """CPU time the hypervisor gave to others, both CPUs (/proc/stat steal, ms): a run whose
    vCPUs were taken away for tens of ms shows it here, not in its own counters."""
    try:
        with open("/proc/stat") as f:
            return int(f.readline().split()[8]) * 1000 // CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0


def run_once(pcap, app_args, seconds, counter=None, rss_every=0, metric="records", cpu="rx"):
    """Runs the binary; returns a dict of measurements. Raises Skip when it cannot run.
    metric: the counter the rate is taken of: records (decoded), output (encoded and
    written) or sink (received by the HTTP sink, through counter()). cpu: whose CPU
    time ns/record is taken of, rx (RX lcore) or main (control lcore)."""
    _runs[0] += 1
    prefix = "cfb%d_%d" % (os.getpid(), _runs[0])
    # Ports off (parallel runs; a flag in app_args wins); the default spool in a directory
    # of this run's own, removed after it.
    cmd = eal_cmd(pcap, prefix) + ["--", "--http-port", "0", "--agent-port", "0"] + \
        list(app_args) + ["--run-time", str(seconds), "--stats-period", "1"]
    state = tempfile.mkdtemp(prefix="cfb-state-")
    steal0 = steal_ms()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ, STATE_DIRECTORY=state))
    samples = []   # (time, counters, (rx ticks, main ticks), external counter)
    lines = []
    rss = []       # (seconds since start, VmRSS kB, VmHWM kB)
    t_start = time.monotonic()

    def reader():
        block, title = None, ""
        for line in p.stderr:
            lines.append(line)
            if line.startswith("===="):
                block, title = [], line
                continue
            if block is None:
                continue
            block.append(line)
            # A block ends with drops:, or with delivery_drops: when HTTP delivery is on.
            last = "delivery_drops:" if metric.startswith("dl_") else \
                "kafka_errors:" if metric.startswith("kf_") else "drops:"
            if metric.startswith("agg_"):
                last = "aggregate:"   # printed after the delivery lines (cf_stages.h)
            if line.startswith(last):
                if "stats" in title:
                    st = parse_block(block)
                    samples.append((time.monotonic(), st, thread_ticks(p.pid),
                                    counter() if counter else 0))
                block = None

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    if rss_every:
        next_t = t_start + rss_every
        while p.poll() is None:
            time.sleep(0.2)
            if time.monotonic() >= next_t:
                rss.append((round(time.monotonic() - t_start), proc_status(p.pid, "VmRSS"),
                            proc_status(p.pid, "VmHWM")))
                next_t += rss_every
    try:
        _, status, ru = os.wait4(p.pid, 0)
    except ChildProcessError:
        status, ru = 0, None
    p.returncode = os.waitstatus_to_exitcode(status)
    shutil.rmtree(state, ignore_errors=True)
    th.join(10)
    wall = time.monotonic() - t_start
    text = "".join(lines)
    if p.returncode != 0:
        msgs = [ln.strip() for ln in lines if ln.startswith("clarion")]
        msg = msgs[-1] if msgs else (lines[-1].strip() if lines else "no output")
        if re.search(r"not built|unknown option|unrecognized option", msg):
            raise Skip(msg[:140])
        raise RuntimeError("exit %d: %s" % (p.returncode, msg[:200]))
    final = parse_block(text.split("==== final ====")[-1].splitlines()) if "==== final" in text else None
    if final is None:
        raise RuntimeError("no final counters on stderr")
    unsup = final["drops"].get("unsupported_version", 0)
    if unsup:
        raise Skip("decoder not built in (unsupported_version=%d)" % unsup)
    r = {"final": final, "samples": samples, "rss": rss, "wall": wall, "cmd": cmd,
         "maxrss_kb": ru.ru_maxrss if ru else 0, "steal_ms": steal_ms() - steal0}
    def count(sample_st, ext):
        return ext if metric == "sink" else sample_st.get(metric, 0)

    if len(samples) >= 2 and count(samples[-1][1], samples[-1][3]) > count(samples[0][1], samples[0][3]):
        a, b = samples[0], samples[-1]
        dt = b[0] - a[0]
        n = count(b[1], b[3]) - count(a[1], a[3])
        r["rate"] = n / dt
        r["dgram_rate"] = (b[1].get("flow_datagrams", 0) - a[1].get("flow_datagrams", 0)) / dt
        if a[2] is not None and b[2] is not None:
            k = 0 if cpu == "rx" else 1
            r["ns"] = (b[2][k] - a[2][k]) / CLK_TCK * 1e9 / n
    else:
        # Short runs: whole-run average, start-up included; no CPU window.
        r["rate"] = count(final, counter() if counter else 0) / seconds
        r["dgram_rate"] = final.get("flow_datagrams", 0) / seconds
    return r


# ---------------------------------------------------------------- scenarios

# Each returns (capture, flags, kind); kind: decode (rate of records decoded, RX
# lcore CPU), encode (rate of records written as JSON, control lcore CPU) or http.
# IPFIX messages with the variable-length element reach ~5.7 kB: the pcap PMD
# needs mbufs that hold a whole frame.
JUMBO = ["--mbuf-size", "9216"]


def sc_v5(w):
    return w.v5(), ["--output", "null"], "decode"


def sc_v9(w):
    return w.tpl("v9", 100, 2000), ["--output", "null"], "decode"


def sc_ipfix(w):
    return w.tpl("ipfix", 100, 2000, varlen=True), ["--output", "null"] + JUMBO, "decode"


def sc_v5_json(w):
    return w.v5(), ["--output", "ndjson:/dev/null"], "encode"


def sc_ipfix_json(w):
    return w.tpl("ipfix", 100, 2000, varlen=True), ["--output", "ndjson:/dev/null"] + JUMBO, "encode"


def sc_http(w):
    help_text = subprocess.run([BIN, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True).stdout
    if "--backend-url" not in help_text or "not built in" in help_text:
        raise Skip("HTTP delivery (--backend-url) not built into this binary")
    # Bigger batches than the default 1000: fewer requests for the Python sink to parse.
    return w.v5(), ["--batch-size", "5000"], "http"


def sc_kafka(codec):
    def sc(w):
        # A short stop: what is not acknowledged then is counted (no_spool), not waited for.
        args = ["--batch-size", "1000", "--http-port", "0", "--shutdown-timeout", "1"]
        if codec:
            args += ["--kafka-opt", "compression.codec=" + codec]
        return w.v5(), args, "kafka"
    return sc


def sc_mixed(w):
    # 2,000 template exporters (v9 and IPFIX each 1,000) must fit the per-lcore cache.
    return w.mixed(), ["--output", "null", "--total-num-mbufs", "32768",
                       "--template-max-exporters", "4096", "--template-max-per-exporter", "16"] + JUMBO, "decode"


SCENARIOS = [
    ("v5", "NetFlow v5, 30 rec/dgram, 200 exporters, decode only (records decoded; RX lcore CPU)", sc_v5),
    ("v9", "NetFlow v9 cisco18 (SGT 34000/34001), template refresh every 20, 100 exporters, decode only",
     sc_v9),
    ("ipfix", "IPFIX cisco18 + PEN 9 SGT, one variable-length element, 100 exporters, decode only", sc_ipfix),
    ("v5-json", "NetFlow v5 -> JSON -> /dev/null (records written; control lcore CPU; the RX lcore "
     "decodes faster, the excess is ring_full)", sc_v5_json),
    ("ipfix-json", "IPFIX -> JSON -> /dev/null (as v5-json)", sc_ipfix_json),
    ("v5-http", "NetFlow v5 -> JSON -> HTTP POST to a local sink (build/tests/fast_sink, C; else a "
     "Python sink): records delivered (2xx) per second; not_delivered = decoded - delivered", sc_http),
    ("v5-kafka", "NetFlow v5 -> JSON -> Kafka (librdkafka mock cluster, 3 brokers, in its own "
     "process on the same 2 cores): records acknowledged per second; control lcore CPU", sc_kafka(None)),
    ("v5-kafka-lz4", "as v5-kafka, --kafka-opt compression.codec=lz4", sc_kafka("lz4")),
    ("v5-kafka-zstd", "as v5-kafka, --kafka-opt compression.codec=zstd", sc_kafka("zstd")),
    ("mixed", "v5 + v9 + IPFIX interleaved, 1000 exporters x 10 templates (cache pressure), decode only",
     sc_mixed),
]


def fmt_rate(v):
    return "%.2f M" % (v / 1e6) if v >= 1e5 else "%.0f" % v


def fmt_drops(drops):
    nz = {k: v for k, v in drops.items() if v}
    if not nz:
        return "0"
    return " ".join("%s=%d" % kv for kv in sorted(nz.items(), key=lambda kv: -kv[1]))


def measure(name, label, fn, w, seconds, reps, extra=()):
    """One table row for a scenario: median of reps runs."""
    try:
        pcap, args, kind = fn(w)
        args = args + list(extra)
        runs = []
        for _ in range(reps):
            if kind == "http" and os.access(FAST_SINK, os.X_OK):
                sink = FastSink()
                try:
                    r = run_once(pcap, args + ["--backend-url", sink.url], seconds,
                                 metric="dl_delivered", cpu="main")
                finally:
                    sink.close()
                lost = r["final"].get("records", 0) - r["final"].get("dl_delivered", 0)
                r["final"]["drops"]["not_delivered"] = max(lost, 0)
            elif kind == "http":
                sink = HttpSink()
                try:
                    r = run_once(pcap, args + ["--backend-url", sink.url], seconds, counter=sink.received,
                                 metric="sink", cpu="main")
                    time.sleep(0.5)
                    # End to end: what the backend got, and what never got there.
                    lost = r["final"].get("records", 0) - sink.received()
                    r["final"]["drops"]["not_delivered"] = max(lost, 0)
                finally:
                    sink.close()
            elif kind == "kafka":
                if not os.access(KAFKA_MOCK, os.X_OK):
                    raise Skip("no %s (build the tree)" % KAFKA_MOCK)
                mock = KafkaMock()
                try:
                    r = run_once(pcap, args + mock.args, seconds, metric="kf_delivered", cpu="main")
                finally:
                    mock.close()
                lost = r["final"].get("records", 0) - r["final"].get("kf_delivered", 0)
                r["final"]["drops"]["not_delivered"] = max(lost, 0)
            elif kind == "encode":
                r = run_once(pcap, args, seconds, metric="output", cpu="main")
            else:
                r = run_once(pcap, args, seconds)
            runs.append(r)
    except Skip as e:
        return {"name": name, "label": label, "skip": str(e)}
    except RuntimeError as e:
        return {"name": name, "label": label, "skip": "ERROR " + str(e)}
    runs.sort(key=lambda r: r["rate"])
    med = runs[len(runs) // 2]
    ns = [r["ns"] for r in runs if "ns" in r]
    return {"name": name, "label": label, "rate": med["rate"], "dgram_rate": med["dgram_rate"],
            "ns": statistics.median(ns) if ns else None, "drops": fmt_drops(med["final"]["drops"]) + (
                " (stolen %d ms)" % med["steal_ms"] if med["steal_ms"] >= 10 else ""),
            "rss_mib": max(r["maxrss_kb"] for r in runs) / 1024.0,
            "all": [r["rate"] for r in runs], "args": args, "cmd": med["cmd"]}


def machine():
    model, cpus = platform.processor() or "?", os.cpu_count()
    try:
        out = subprocess.run(["lscpu"], stdout=subprocess.PIPE, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "%s, %d CPUs" % (model, cpus)


def commit():
    try:
        sha = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                             text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               stdout=subprocess.PIPE, text=True).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except OSError:
        return "unknown"


def table(rows, seconds, reps):
    out = []
    out.append("commit %s, %s, %s, load average at start %s" % (
        commit(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), machine(),
        " ".join(open("/proc/loadavg").read().split()[:3])))
    out.append("")
    out.append("Each row: %d run(s) of %d s, median shown; `%s` with FILE and the flags of the row, "
               "then `--run-time %d --stats-period 1`." % (
                   reps, seconds, " ".join(["build/app/clarion-flowd", "--no-huge", "-m", "1024",
                                            "--no-pci", "--file-prefix", "<unique>", "-l", "0,1",
                                            "--vdev=net_pcap0,rx_pcap=FILE,infinite_rx=1", "--"]),
                   seconds))
    out.append("")
    out.append("| scenario | records/s | ns/record (CPU) | datagrams/s | drops at exit | peak RSS | "
               "records/s of each run | flags |")
    out.append("|---|---:|---:|---:|---|---:|---|---|")
    for r in rows:
        if "skip" in r:
            out.append("| %s | skipped: %s | | | | | | |" % (r["name"], r["skip"].replace("|", "/")))
            continue
        out.append("| %s | %s | %s | %s | %s | %.0f MiB | %s | `%s` |" % (
            r["name"], fmt_rate(r["rate"]), "%.1f" % r["ns"] if r["ns"] is not None else "-",
            fmt_rate(r["dgram_rate"]), r["drops"], r["rss_mib"],
            " / ".join(fmt_rate(x) for x in r["all"]), " ".join(r["args"])))
    out.append("")
    for r in rows:
        out.append("- %s: %s" % (r["name"], r["label"]))
    return "\n".join(out)


def write_md(text):
    if os.path.exists(BENCH_MD):
        with open(BENCH_MD) as f:
            doc = f.read()
    else:
        doc = "# Benchmarks\n\n%s\n%s\n" % (MARK_BEGIN, MARK_END)
    if MARK_BEGIN not in doc or MARK_END not in doc:
        doc += "\n%s\n%s\n" % (MARK_BEGIN, MARK_END)
    head, rest = doc.split(MARK_BEGIN, 1)
    _, tail = rest.split(MARK_END, 1)
    with open(BENCH_MD, "w") as f:
        f.write(head + MARK_BEGIN + "\n" + text + "\n" + MARK_END + tail)


def soak(w, seconds, every):
    pcap = w.v5()
    args = ["--output", "ndjson:/dev/null"]
    print("soak: NetFlow v5 -> JSON -> /dev/null for %d s, RSS every %d s" % (seconds, every), flush=True)
    r = run_once(pcap, args, seconds, rss_every=every)
    print("| t (s) | VmRSS (kB) | VmHWM (kB) |")
    print("|---:|---:|---:|")
    for t, cur, hwm in r["rss"]:
        print("| %d | %s | %s |" % (t, cur, hwm))
    vals = [c for t, c, _ in r["rss"] if c is not None and t >= 60]
    if len(vals) >= 2:
        print("soak: VmRSS from 60 s to the end: min %d kB, max %d kB, growth %+d kB; records=%d drops: %s" % (
            min(vals), max(vals), vals[-1] - vals[0], r["final"].get("records", 0),
            fmt_drops(r["final"]["drops"])))
    else:
        print("soak: too short to judge (need samples past 60 s)")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="one short run per scenario (CI smoke)")
    ap.add_argument("--write", action="store_true", help="write the table into BENCHMARKS.md")
    ap.add_argument("--soak", action="store_true", help="10-minute run sampling RSS every 10 s")
    ap.add_argument("--soak-time", type=int, default=600)
    ap.add_argument("--time", type=int, help="seconds per run (default 4, --quick 2)")
    ap.add_argument("--reps", type=int, help="runs per scenario (default 3, --quick 1)")
    ap.add_argument("--extra", default="", help="more application flags for every run, e.g. '--burst 64'")
    ap.add_argument("--json", help="also write the rows as JSON to this file (for tests)")
    ap.add_argument("--only", help="comma-separated scenario names (%s)" % ",".join(s[0] for s in SCENARIOS))
    ap.add_argument("--agg", action="store_true",
                    help="the aggregation and sketch scenarios instead (scripts/bench_agg.py)")
    ap.add_argument("--agg-pcap", action="append", default=[], metavar="PCAP",
                    help="with --agg: also the reduction of this capture of flow export (yours: "
                         "NetFlow v5/v9, IPFIX or sFlow to UDP 2055/4739/6343), repeatable; "
                         "with --only capture nothing else runs")
    a = ap.parse_args()
    if a.agg:
        import bench_agg
        return bench_agg.main(a)
    if not os.access(BIN, os.X_OK):
        print("bench: %s not built" % BIN, file=sys.stderr)
        return 1
    seconds = a.time or (2 if a.quick else 4)
    reps = a.reps or (1 if a.quick else 3)
    with tempfile.TemporaryDirectory(prefix="cf-bench-") as work:
        w = Workloads(work)
        if a.soak:
            return soak(w, a.soak_time, 10)
        only = set(a.only.split(",")) if a.only else None
        rows = []
        for name, label, fn in SCENARIOS:
            if only and name not in only:
                continue
            row = measure(name, label, fn, w, seconds, reps, a.extra.split())
            rows.append(row)
            if "skip" in row:
                print("bench: %-10s skipped: %s" % (name, row["skip"]), file=sys.stderr, flush=True)
            else:
                print("bench: %-10s %s records/s" % (name, fmt_rate(row["rate"])), file=sys.stderr, flush=True)
    text = table(rows, seconds, reps)
    print(text)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    if a.write:
        write_md(text)
        print("bench: table written to %s" % BENCH_MD, file=sys.stderr)
    return 1 if any(r.get("skip", "").startswith("ERROR") for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

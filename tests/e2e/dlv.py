# SPDX-License-Identifier: BSD-3-Clause
"""Helpers for the delivery end-to-end tests: the test backend
(tests/backend/clarion_backend.py), clarion-flowd runs with --backend-url,
the final "delivery:" counters, and an independent reader of spool segments.
"""
import glob
import json
import os
import signal
import struct
import subprocess
import sys
import time
import urllib.request

import cflib

BACKEND = os.path.join(cflib.ROOT, "tests", "backend", "clarion_backend.py")

# Short timers so every scenario finishes in seconds.
FAST = ["--batch-size", "100", "--retry-initial-ms", "20", "--retry-max-ms", "200",
        "--breaker-threshold", "3", "--breaker-cooldown-ms", "200", "--shutdown-timeout", "2",
        "--connect-timeout-ms", "500", "--request-timeout-ms", "3000", "--batch-interval-ms", "200"]


class Backend:
    def __init__(self, tmp, mode=("ok",), token=None, tls=None, port=0, answer_delay=0, log=None):
        self.log = log or os.path.join(tmp, "accepted-%d.ndjson" % time.monotonic_ns())
        cmd = [sys.executable, BACKEND, "--accept-log", self.log, "--mode"] + list(mode)
        if token:
            cmd += ["--token", token]
        if tls:
            cmd += ["--tls", tls[0], tls[1]]
        if port:
            cmd += ["--port", str(port)]
        if answer_delay:
            cmd += ["--answer-delay", str(answer_delay)]
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        words = self.p.stdout.readline().split()
        if len(words) != 3 or words[0] != "PORTS":
            raise RuntimeError("test backend did not start: %r" % words)
        self.port, self.ctl = int(words[1]), int(words[2])
        self.url = "%s://127.0.0.1:%d" % ("https" if tls else "http", self.port)

    def _req(self, path, obj=None):
        data = json.dumps(obj).encode() if obj is not None else None
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.ctl, path), data, timeout=10) as r:
            return json.loads(r.read())

    def mode(self, name, **kw):
        m = dict(kw, mode=name)
        self._req("/_control", m)

    def stats(self):
        return self._req("/_stats")

    def events(self):
        return self._req("/_events")

    def accepted(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [json.loads(line) for line in f if line.strip()]

    def stop(self):
        self.p.terminate()
        self.p.wait(timeout=10)


def flowd_cmd(pcap, args, infinite=False, idle_exit=True):
    vdev = "net_pcap0,rx_pcap=%s%s" % (pcap, ",infinite_rx=1" if infinite else "")
    # Parallel runs must not fight over the default ports 8081/8080 (a flag in args wins).
    cmd = [cflib.BIN] + cflib.eal_args(vdev) + ["--", "--http-port", "0", "--agent-port", "0"]
    if idle_exit:
        cmd += ["--idle-exit", "1"]
    return cmd + list(args)


def private_env(tmp):
    """The environment of one run: its default spool (spool on by default) in a directory
    of its own under tmp, never the machine's /var/lib/clarion-flowd/spool."""
    e = dict(os.environ)
    e["STATE_DIRECTORY"] = os.path.join(tmp, "state-%d" % time.monotonic_ns())
    return e


class Flowd:
    """clarion-flowd in the background; stderr kept in a file."""

    def __init__(self, tmp, pcap, args, infinite=False, idle_exit=True, env=None, pre=()):
        self.err_path = os.path.join(tmp, "flowd-%d.err" % time.monotonic_ns())
        self.errf = open(self.err_path, "w")
        # pre: a command that execs the rest (e.g. unshare ... sh -c '...; exec "$@"').
        self.p = subprocess.Popen(list(pre) + flowd_cmd(pcap, args, infinite, idle_exit),
                                  stdout=subprocess.DEVNULL, stderr=self.errf,
                                  env=env if env is not None else private_env(tmp))

    def wait(self, timeout=60):
        try:
            rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
        self.errf.close()
        with open(self.err_path) as f:
            self.stderr = f.read()
        self.rc = rc
        self.stats = parse_delivery(self.stderr)
        return rc

    def log(self):
        with open(self.err_path) as f:
            return f.read()

    def term(self, timeout=60):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill9(self):
        self.p.send_signal(signal.SIGKILL)
        return self.wait()


def run(tmp, pcap, args, timeout=60):
    f = Flowd(tmp, pcap, args)
    f.wait(timeout)
    return f


def parse_delivery(stderr):
    """Final block's delivery:, delivery_drops: and total: fields as one dict."""
    block = stderr.split("==== final ====")[-1]
    out = {}
    for line in block.splitlines():
        tag = line.split(":", 1)[0]
        if tag in ("delivery", "delivery_drops", "total"):
            for item in line.split(":", 1)[1].split():
                k, _, v = item.partition("=")
                if v.isdigit():
                    out[("drop_" if tag == "delivery_drops" else "") + k] = int(v)
                else:
                    out[k] = v
    return out


def wait_for(pred, timeout=30, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def canon(rec):
    return json.dumps(rec, sort_keys=True)


def read_ndjson(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def accepted_records(batches):
    return [r for b in batches for r in b["records"]]


def unique_batches(batches):
    """The batches with each batch_id once, and how many were resends of one already seen.
    Delivery is at least once: a request whose answer came too late (its timeout, on a
    loaded machine) is sent again under the same batch_id, which is how the backend
    de-duplicates; a resend must carry exactly the records of the first send."""
    seen, out, resent, differ = {}, [], 0, 0
    for b in batches:
        k = b.get("batch_id")
        if k is not None and k in seen:
            resent += 1
            differ += seen[k] != b["records"]
            continue
        seen[k] = b["records"]
        out.append(b)
    return out, resent, differ


def sorted_canon(recs):
    return sorted(canon(r) for r in recs)


def same_records(c, got, want, what, dup_ok=False):
    """Checks the multiset (or, with dup_ok, the set) of records; a failure
    prints counts and one example, not thousands of records."""
    import collections
    g = collections.Counter(canon(r) for r in got)
    w = collections.Counter(canon(r) for r in want)
    if dup_ok:
        g = collections.Counter(set(g))
        w = collections.Counter(set(w))
    missing = w - g
    extra = g - w
    ok = not missing and not extra
    c.check(ok, "%s: %d records, want %d; %d missing, %d unexpected%s" % (
        what, sum(g.values()), sum(w.values()), sum(missing.values()), sum(extra.values()),
        (" e.g. missing " + next(iter(missing))[:200]) if missing else
        (" e.g. unexpected " + next(iter(extra))[:200]) if extra else ""))
    return ok


def gen_v5(tmp, name, datagrams, records=30, seed=1):
    pcap = os.path.join(tmp, name + ".pcap")
    exp = os.path.join(tmp, name + ".ndjson")
    cflib.gen("v5", "--out", pcap, "--expect", exp, "--datagrams", str(datagrams),
              "--records", str(records), "--seed", str(seed))
    return pcap, read_ndjson(exp)


# ------------------------------------------------ independent spool reader

def _crc_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


_T = _crc_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _T[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


HDR = 40
MAGIC = 0x50534643


def read_segment(path):
    """Entries of one segment as dicts (offset, len, nrec, seq, boot, ok, body);
    stops at the first header that does not parse (torn tail)."""
    with open(path, "rb") as f:
        data = f.read()
    out = []
    off = 0
    while off + HDR <= len(data):
        magic, ln, nrec, bcrc, boot, seq, flags, hcrc = struct.unpack_from("<IIIIQQII", data, off)
        if magic != MAGIC or hcrc != crc32c(data[off:off + 36]) or off + HDR + ln > len(data):
            break
        body = data[off + HDR:off + HDR + ln]
        out.append({"offset": off, "len": ln, "nrec": nrec, "seq": seq, "boot": boot,
                    "ok": crc32c(body) == bcrc, "body": body, "path": path})
        off += HDR + ln
    return out, off, len(data)


def spool_entries(d):
    out = []
    for path in sorted(glob.glob(os.path.join(d, "seg-*.log"))):
        out.extend(read_segment(path)[0])
    return out


def batch_id(e):
    return "%016x-%d" % (e["boot"], e["seq"])


# ------------------------------------------------ the collector's control plane

free_port = cflib.free_port


def get_json(port, path):
    """(status, parsed body) of GET http://127.0.0.1:port/path; (None, None) when not up."""
    import urllib.error
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
    except (OSError, ValueError):
        return None, None


def reasons(health):
    """{code: (severity, detail)} of a /health body."""
    return {r["code"]: (r["severity"], r["detail"]) for r in (health or {}).get("reasons", [])}

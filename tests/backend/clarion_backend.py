#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A Clarion backend for tests: validates POST /api/netflow/netflow bodies
against the Clarion schema (design.md section 3) and can be told to misbehave.

Two listeners, both on 127.0.0.1 port 0 (the kernel picks free ports; --port fixes the
data port, so a test can stop the backend and start a new one where the old one was):
  data     the backend itself; its port can be closed ("refuse") and reopened
  control  POST /_control {"mode": ...}, GET /_stats, GET /_accepted

Start-up prints one line to stdout: "PORTS <data> <control>".

Modes (also as --mode at start):
  ok                      validate; 200 {"status":"received",...} or 422
  refuse                  data port closed: connections are refused
  status  code=N [every=K] [count=C] [retry_after=S]
                          answer N (e.g. 500, 503, 429, 422) instead of
                          accepting: every K-th request (default every one),
                          for the next C such requests (default unlimited)
  delay   seconds=S       accept, but answer after S seconds
  stall                   read the request, never answer (client times out)
  close                   read the headers, close the connection mid-request
  discard                 read the body and answer 200 without parsing (fast sink)

Accepted batches are appended to --accept-log as NDJSON lines
{"batch_id": ..., "replay": bool, "t": time, "records": [...]}.

Edge-agent sketches (forwarded by clarion-flowd's agent listener, or computed by
clarion-flowd itself with --sketches):
  POST /api/edge/sketches         validated as the real backend's pydantic (v2, lax
                                  mode, as FastAPI runs it) SketchBatch model
                                  (src/clarion/api/routes/sketches.py): 200
                                  {"status": "received", ...} or 422 {"detail": [errors]}
                                  listing every field error as pydantic would
  POST /api/edge/sketches/binary  any body; X-Switch-ID required, else 422
The same modes apply. Accepted ones are listed by GET /_sketches on the
control port: [{"path", "batch_id", "replay", "headers": {...}, "body_b64"}].

--answer-delay S: every answer (any mode but refuse/close/stall) waits S seconds
after the request was read, so a test can spread outcomes over time.
"""
import argparse
import base64
import gzip
import json
import re
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATH = "/api/netflow/netflow"
SKETCH_JSON = "/api/edge/sketches"
SKETCH_BIN = "/api/edge/sketches/binary"
SKETCH_HEADERS = ("Content-Type", "Content-Encoding", "X-Switch-ID", "X-Sketch-Count",
                  "Authorization", "X-Clarion-Batch-Id")
MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
STR_REQ = ("src_ip", "dst_ip", "switch_id")
INT_REQ = ("src_port", "dst_port", "protocol", "bytes", "packets", "flow_start", "flow_end")


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def validate(body):
    """None when body is a valid Clarion batch, else the reason."""
    if not isinstance(body, dict):
        return "body is not an object"
    recs = body.get("records")
    if not isinstance(recs, list):
        return "records is not a list"
    if "switch_id" in body and not isinstance(body["switch_id"], str):
        return "batch switch_id is not a string"
    for i, r in enumerate(recs):
        if not isinstance(r, dict):
            return "record %d is not an object" % i
        for k in STR_REQ:
            if not isinstance(r.get(k), str):
                return "record %d: %s missing or not a string" % (i, k)
        for k in INT_REQ:
            if not is_int(r.get(k)):
                return "record %d: %s missing or not an integer" % (i, k)
        for k in ("src_sgt", "dst_sgt", "vlan_id"):
            if k in r and r[k] is not None and not is_int(r[k]):
                return "record %d: %s not an integer or null" % (i, k)
        for k in ("src_mac", "dst_mac"):
            if k in r and r[k] is not None and not (isinstance(r[k], str) and MAC.match(r[k])):
                return "record %d: %s not a MAC string or null" % (i, k)
    return None


# The real backend's models (github.com/sgerhart/clarion, src/clarion/api/routes/sketches.py):
#   class EdgeSketchData(BaseModel): endpoint_id: str; switch_id: str; unique_peers: int;
#       unique_ports: int; bytes_in: int; bytes_out: int; flow_count: int; first_seen: int;
#       last_seen: int; active_hours: int; local_cluster_id: int = -1
#   class SketchBatch(BaseModel): switch_id: str; timestamp: int; sketch_count: int;
#       sketches: List[EdgeSketchData]
SKETCH_FIELDS = [("endpoint_id", "str"), ("switch_id", "str"), ("unique_peers", "int"),
                 ("unique_ports", "int"), ("bytes_in", "int"), ("bytes_out", "int"),
                 ("flow_count", "int"), ("first_seen", "int"), ("last_seen", "int"),
                 ("active_hours", "int"), ("local_cluster_id", "int?")]
BATCH_FIELDS = [("switch_id", "str"), ("timestamp", "int"), ("sketch_count", "int"),
                ("sketches", "sketches")]
JSON_INT = re.compile(r"-?(0|[1-9][0-9]*)\Z")
I64 = 2 ** 63


def _strip_leading_zeros(s):
    # pydantic-core src/input/shared.rs strip_leading_zeros
    if not s:
        return None
    if s[0] != "0":
        return s if s[0] in "123456789-" else None
    for i in range(1, len(s)):
        c = s[i]
        if c in "0_":
            continue
        if c in "123456789-":
            return s[i:]
        if c == ".":
            return s[i - 1:]
        return None
    return s[-1:]


def _strip_underscores(s):
    if s.startswith("_") or s.endswith("_") or "_" not in s or "__" in s:
        return None
    return s.replace("_", "")


def _clean_int_str(s):
    # pydantic-core clean_int_str: whitespace, one '+', leading zeros, '.0+', underscores
    n0 = len(s)
    s = s.strip()
    if s.startswith("+"):
        if s[1:].startswith("-"):
            return None
        s = s[1:]
    neg = False
    if s.startswith("-"):
        if s[1:].startswith(("-", "+")):
            return None
        neg, s = True, s[1:]
    s = _strip_leading_zeros(s)
    if s is None:
        return None
    i = s.find(".")
    if i >= 0 and s[i + 1:] and set(s[i + 1:]) == {"0"}:
        s = s[:i]
    u = _strip_underscores(s)
    if u is not None:
        return ("-" if neg else "") + u
    if len(s) == n0:
        return None
    return ("-" if neg else "") + s


def lax_int(v):
    """pydantic v2 lax int from a json.loads value: (ok, error type)."""
    if isinstance(v, int):          # bool included: lax mode takes True/False as 1/0
        return True, None
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return False, "finite_number"
        if v % 1.0 != 0.0:
            return False, "int_from_float"
        return (-I64 < v < I64), "int_parsing_size"
    if isinstance(v, str):
        if len(v) > 4300:
            return False, "int_parsing"
        if JSON_INT.match(v):
            return True, None
        c = _clean_int_str(v)
        return (c is not None and JSON_INT.match(c) is not None), "int_parsing"
    return False, "int_type"


def validate_sketch_batch(body):
    """[] when the real backend's SketchBatch model accepts body, else pydantic-style errors."""
    errs = []

    def fields(obj, spec, loc):
        if not isinstance(obj, dict):
            errs.append({"type": "model_attributes_type", "loc": loc,
                         "msg": "Input should be a valid dictionary or object to extract fields from"})
            return
        for name, kind in spec:
            where = loc + [name]
            if name not in obj:
                if not kind.endswith("?"):
                    errs.append({"type": "missing", "loc": where, "msg": "Field required"})
                continue
            v = obj[name]
            if kind == "str":
                if not isinstance(v, str):
                    errs.append({"type": "string_type", "loc": where,
                                 "msg": "Input should be a valid string"})
            elif kind.startswith("int"):
                ok, why = lax_int(v)
                if not ok:
                    errs.append({"type": why, "loc": where, "msg": "Input should be a valid integer"})
            elif not isinstance(v, list):
                errs.append({"type": "list_type", "loc": where, "msg": "Input should be a valid list"})
            else:
                for i, sk in enumerate(v):
                    fields(sk, SKETCH_FIELDS, where + [i])

    fields(body, BATCH_FIELDS, ["body"])
    return errs


class State:
    def __init__(self, log_path):
        self.lock = threading.Lock()
        self.mode = {"mode": "ok"}
        self.matched = 0          # requests seen by the current status mode
        self.fired = 0            # of which answered with the status
        self.stats = {"requests": 0, "accepted_batches": 0, "accepted_records": 0,
                      "codes": {}, "invalid": 0}
        self.events = []          # (t, batch_id, code) per request
        self.log = open(log_path, "a") if log_path else None
        self.accepted = []
        self.sketches = []

    def set_mode(self, m):
        with self.lock:
            self.mode = dict(m)
            self.matched = 0
            self.fired = 0

    def count(self, code, batch_id):
        with self.lock:
            self.stats["codes"][str(code)] = self.stats["codes"].get(str(code), 0) + 1
            self.events.append((time.time(), batch_id, code))


class Data(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without this, Nagle plus the
    # client's delayed ACK hold every response ~40 ms.
    disable_nagle_algorithm = True

    def log_message(self, *a):
        pass

    def reply(self, code, obj, extra=()):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        st = self.server.state
        with st.lock:
            st.stats["requests"] += 1
            mode = dict(st.mode)
        name = mode.get("mode", "ok")
        batch_id = self.headers.get("X-Clarion-Batch-Id", "")
        # A connection kept alive from before "refuse" must not get through.
        if name in ("close", "refuse"):
            st.count(0, batch_id)
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n)
        if self.server.answer_delay and name != "stall":
            time.sleep(self.server.answer_delay)
        if name == "stall":
            st.count(0, batch_id)
            time.sleep(3600)
            return
        if name == "discard":
            st.count(200, batch_id)
            with st.lock:
                st.stats["accepted_batches"] += 1
            self.reply(200, {"status": "received"})
            return
        want = self.server.token
        if want and self.headers.get("Authorization", "") != "Bearer " + want:
            st.count(401, batch_id)
            self.reply(401, {"detail": "bad or missing token"})
            return
        if self.path not in (PATH, SKETCH_JSON, SKETCH_BIN):
            st.count(404, batch_id)
            self.reply(404, {"detail": "no such path"})
            return
        if name == "status":
            with st.lock:
                st.matched += 1
                every = int(mode.get("every", 1))
                limit = mode.get("count")
                hit = st.matched % every == 0 and (limit is None or st.fired < int(limit))
                if hit:
                    st.fired += 1
            if hit:
                code = int(mode["code"])
                extra = []
                if "retry_after" in mode:
                    extra.append(("Retry-After", str(mode["retry_after"])))
                st.count(code, batch_id)
                self.reply(code, {"detail": "told to answer %d" % code}, extra)
                return
        if name == "delay":
            time.sleep(float(mode.get("seconds", 0.5)))
        if self.path != PATH:
            self.sketch(raw, batch_id)
            return
        try:
            if self.headers.get("Content-Encoding", "") == "gzip":
                raw = gzip.decompress(raw)
            body = json.loads(raw)
        except (ValueError, OSError) as e:
            body = None
            why = "not JSON: %s" % e
        else:
            why = validate(body)
        if why is not None:
            with st.lock:
                st.stats["invalid"] += 1
            st.count(422, batch_id)
            self.reply(422, {"detail": why})
            return
        recs = body["records"]
        with st.lock:
            st.stats["accepted_batches"] += 1
            st.stats["accepted_records"] += len(recs)
            if st.log:
                st.log.write(json.dumps({"batch_id": batch_id, "t": time.time(),
                                         "replay": self.headers.get("X-Clarion-Replay") == "1",
                                         "records": recs}) + "\n")
                st.log.flush()
        st.count(200, batch_id)
        self.reply(200, {"status": "received", "records_received": len(recs)})


    def sketch(self, raw, batch_id):
        st = self.server.state
        why = None
        body = None
        if self.path == SKETCH_JSON:
            try:
                text = raw
                if self.headers.get("Content-Encoding", "") == "gzip":
                    text = gzip.decompress(raw)
                body = json.loads(text)
            except (ValueError, OSError) as e:
                why = [{"type": "json_invalid", "loc": ["body"], "msg": "JSON decode error: %s" % e}]
            if why is None:
                why = validate_sketch_batch(body) or None
        elif not self.headers.get("X-Switch-ID"):
            why = "X-Switch-ID header missing"
        if why is not None:
            with st.lock:
                st.stats["invalid"] += 1
                st.stats["invalid_sketches"] = st.stats.get("invalid_sketches", 0) + 1
            st.count(422, batch_id)
            self.reply(422, {"detail": why})
            return
        hdrs = {k: self.headers[k] for k in SKETCH_HEADERS if self.headers.get(k) is not None}
        with st.lock:
            st.stats["accepted_sketches"] = st.stats.get("accepted_sketches", 0) + 1
            st.sketches.append({"path": self.path, "batch_id": batch_id, "t": time.time(),
                                "replay": self.headers.get("X-Clarion-Replay") == "1",
                                "headers": hdrs,
                                "body_b64": base64.b64encode(raw).decode()})
        if self.path == SKETCH_JSON:
            # What the real route answers (200, FastAPI's default).
            st.count(200, batch_id)
            self.reply(200, {"status": "received", "switch_id": body["switch_id"],
                             "sketches_received": body["sketch_count"],
                             "sketches_stored": len(body["sketches"])})
            return
        st.count(202, batch_id)
        self.reply(202, {"status": "received"})


class Control(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, obj):
        body = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        st = self.server.state
        with st.lock:
            if self.path == "/_stats":
                self.reply(dict(st.stats, mode=st.mode))
            elif self.path == "/_events":
                self.reply(st.events)
            elif self.path == "/_sketches":
                self.reply(st.sketches)
            else:
                self.reply({"error": "unknown"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        m = json.loads(self.rfile.read(n) or b"{}")
        self.server.backend.apply(m)
        self.reply({"ok": True})


class Backend:
    def __init__(self, log_path, mode, token=None, tls=None, port=0, answer_delay=0.0):
        self.token = token
        self.tls = tls
        self.answer_delay = answer_delay
        self.state = State(log_path)
        self.port = port
        self.data = None
        self.data_thread = None
        self.lock = threading.Lock()
        self.open_data()
        self.ctl = ThreadingHTTPServer(("127.0.0.1", 0), Control)
        self.ctl.daemon_threads = True
        self.ctl.state = self.state
        self.ctl.backend = self
        self.apply(mode)

    def open_data(self):
        with self.lock:
            if self.data is not None:
                return
            ThreadingHTTPServer.allow_reuse_address = True
            srv = ThreadingHTTPServer(("127.0.0.1", self.port), Data)
            if self.tls:
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(self.tls[0], self.tls[1])
                srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
            srv.daemon_threads = True
            srv.state = self.state
            srv.token = self.token
            srv.answer_delay = self.answer_delay
            self.port = srv.server_address[1]
            self.data = srv
            self.data_thread = threading.Thread(target=srv.serve_forever, daemon=True)
            self.data_thread.start()

    def close_data(self):
        with self.lock:
            if self.data is None:
                return
            self.data.shutdown()
            self.data.server_close()
            self.data = None

    def apply(self, m):
        if m.get("mode") == "refuse":
            self.close_data()
        else:
            self.open_data()
        self.state.set_mode(m)


def parse_mode(words):
    m = {"mode": words[0] if words else "ok"}
    for w in words[1:]:
        k, _, v = w.partition("=")
        m[k] = v
    return m


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accept-log", help="NDJSON file of accepted batches")
    ap.add_argument("--mode", nargs="*", default=["ok"], help="e.g. status code=503 every=2")
    ap.add_argument("--token", help="require Authorization: Bearer TOKEN (else 401)")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="serve HTTPS with this PEM pair")
    ap.add_argument("--port", type=int, default=0, help="data port (default: any free one)")
    ap.add_argument("--answer-delay", type=float, default=0.0, help="seconds every answer waits")
    a = ap.parse_args()
    b = Backend(a.accept_log, parse_mode(a.mode), a.token, a.tls, a.port, a.answer_delay)
    print("PORTS %d %d" % (b.port, b.ctl.server_address[1]), flush=True)
    try:
        b.ctl.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

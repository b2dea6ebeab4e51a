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

Edge-agent sketches (forwarded by clarion-flowd's agent listener):
  POST /api/edge/sketches         JSON object, switch_id a non-empty string and
                                  sketches a non-empty list, else 422
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
        if self.path == SKETCH_JSON:
            try:
                text = raw
                if self.headers.get("Content-Encoding", "") == "gzip":
                    text = gzip.decompress(raw)
                body = json.loads(text)
            except (ValueError, OSError) as e:
                body = None
                why = "not JSON: %s" % e
            if why is None:
                if not isinstance(body, dict):
                    why = "body is not an object"
                elif not isinstance(body.get("switch_id"), str) or not body["switch_id"]:
                    why = "switch_id missing"
                elif not isinstance(body.get("sketches"), list) or not body["sketches"]:
                    why = "sketches must be a non-empty list"
        elif not self.headers.get("X-Switch-ID"):
            why = "X-Switch-ID header missing"
        if why is not None:
            with st.lock:
                st.stats["invalid"] += 1
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

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The control-plane listeners against strangers, on the real binary.

- 1,000 slow connections (25 each from 40 loopback addresses, request lines trickled)
  stay open while /health is asked 20 times from another address: every answer comes,
  each within 2 s.
- One address opening 40 connections gets --http-max-conn-per-client (32) of them;
  the rest are closed at once and counted.
- A request whose header bytes trickle in (one every 2 s) is closed by its deadline
  (--http-request-timeout, 10 s) although each byte resets an idle timeout.
- --agent-bind beyond loopback without --agent-token refuses to start (exit 2).
Prints the /health latencies and what the metrics counted."""
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cflib  # noqa: E402
import hostile as h  # noqa: E402
import test_ctlplane as tc  # noqa: E402

c = cflib.Checker("http_hostile")
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))


def connect(port, src):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s


def closed(s, wait):
    """True when the server closed s within wait seconds."""
    s.settimeout(0.2)
    end = time.time() + wait
    while time.time() < end:
        try:
            if s.recv(4096) == b"":
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False


# Refuses to start: the agent port on every address without a token.
r = subprocess.run([cflib.BIN, "--", "--agent-bind", "0.0.0.0"], capture_output=True, text=True,
                   timeout=30)
c.eq(r.returncode, 2, "--agent-bind 0.0.0.0 without --agent-token: exit status")
c.check("--agent-token" in r.stderr, "the refusal names --agent-token (%s)" % r.stderr.strip()[-200:])

with tempfile.TemporaryDirectory() as d:
    pcap = os.path.join(d, "v5.pcap")
    h.write_pcap(pcap, [h.udp("192.0.2.1", "192.0.2.2", 4000, 2055, h.v5(2, 0))])
    http = cflib.free_port()
    cmd = [cflib.BIN] + cflib.eal_args("net_pcap0,rx_pcap=" + pcap) + \
        ["--", "--http-port", str(http), "--agent-port", "0", "--run-time", "90",
         "--output", "null"]
    errf = open(os.path.join(d, "err"), "w+")
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errf)

    def health(src="127.0.0.1"):
        try:
            s = connect(http, src)
        except OSError:
            return None, 0
        t0 = time.time()
        s.sendall(b"GET /health HTTP/1.0\r\nHost: x\r\n\r\n")
        data = b""
        s.settimeout(5)
        try:
            while True:
                b = s.recv(4096)
                if not b:
                    break
                data += b
        except OSError:
            pass
        s.close()
        return data.split(b" ")[1] if data.startswith(b"HTTP/") else None, time.time() - t0

    try:
        c.check(tc.wait_for(lambda: health()[0] is not None, 30), "/health answers at start")
        slow = []
        for a in range(40):
            for k in range(25):
                try:
                    s = connect(http, "127.0.1.%d" % (a + 1))
                    s.sendall(b"GET /heal")
                    slow.append(s)
                except OSError:
                    pass
        c.eq(len(slow), 1000, "slow connections open")
        lat = []
        for i in range(20):
            code, t = health("127.0.0.9")
            c.eq(code, b"200", "/health %d with 1000 slow connections open" % i)
            lat.append(t)
        print("/health with 1000 slow connections open: max %.1f ms, mean %.1f ms"
              % (max(lat) * 1000, sum(lat) / len(lat) * 1000))
        c.check(max(lat) < 2, "every /health answer within 2 s")
        for s in slow:
            s.close()

        # One address: 32 connections kept, the rest closed at once.
        mine = [connect(http, "127.0.2.1") for _ in range(40)]
        time.sleep(0.5)
        refused = 0
        for s in mine:  # all at once: idle ones meet their own deadline after 10 s
            s.setblocking(False)
            try:
                refused += s.recv(16) == b""
            except BlockingIOError:
                pass
            except OSError:
                refused += 1
        c.eq(refused, 8, "connections from one address over 32 refused")
        for s in mine:
            s.close()

        # A trickle: one header byte every 2 s; the deadline is 10 s from the start.
        t = connect(http, "127.0.3.1")
        t.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        t0 = time.time()
        gone = False
        while time.time() - t0 < 16:
            try:
                t.send(b"a", socket.MSG_NOSIGNAL)
            except OSError:
                gone = True
                break
            if closed(t, 2):
                gone = True
                break
        took = time.time() - t0
        c.check(gone and took < 13, "trickled request closed by its deadline (after %.1f s)" % took)
        t.close()
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics?format=prometheus" % http,
                                    timeout=10) as resp:
            m = resp.read().decode()
        for reason in ("per_client_limit", "request_deadline"):
            line = [x for x in m.splitlines()
                    if x.startswith("clarion_flowd_http_refused_total") and reason in x]
            c.check(line and int(float(line[0].split()[-1])) >= 1, "counted: %s" % line)
            print(line[0] if line else "missing %s" % reason)
    finally:
        p.terminate()
        p.wait(timeout=30)
c.done()

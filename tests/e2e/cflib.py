# SPDX-License-Identifier: BSD-3-Clause
"""Helpers for end-to-end tests: run the real clarion-flowd binary on the pcap
PMD and read back its NDJSON records and final counters.

Environment: CF_BIN (the binary; default build/app/clarion-flowd),
CF_SHARED (the shared material; default ../shared next to the checkout).
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("CF_BIN", os.path.join(ROOT, "build", "app", "clarion-flowd"))
SHARED = os.environ.get("CF_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
GEN = os.path.join(ROOT, "scripts", "gen_flows.py")
_seq = [0]


class Run:
    """Result of one clarion-flowd run."""

    def __init__(self, rc, records, stderr, stats):
        self.rc = rc
        self.records = records
        self.stderr = stderr
        self.stats = stats

    def drop(self, name):
        return self.stats["drops"].get(name, 0)


def free_port():
    """A TCP port on loopback that was free a moment ago (for a listener the test starts)."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def telemetry(prefix, cmd):
    """DPDK telemetry of the process with --file-prefix prefix: the value of cmd ("/x" or
    "/x,param"; the reply is keyed by the command without its parameter)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    s.connect("/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix)
    try:
        json.loads(s.recv(16384))  # greeting
        s.send(cmd.encode())
        reply = json.loads(s.recv(1 << 20))
    finally:
        s.close()
    return reply.get(cmd.split(",")[0])


def stop(proc, sig=signal.SIGINT, timeout=30):
    """Stops proc as an operator would (SIGINT: the final stats block is printed), killing it
    if it has not exited after timeout seconds; its exit status."""
    proc.send_signal(sig)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def eal_args(vdev, lcores="0,1"):
    _seq[0] += 1
    return ["--no-huge", "-m", "512", "--no-pci", "--file-prefix",
            "cfe%d_%d" % (os.getpid(), _seq[0])] + \
        ([lcores] if lcores.startswith("--lcores") else ["-l", lcores]) + \
        ["--log-level=lib.*:error",
            "--vdev=" + vdev]


def parse_final(stderr):
    """The '==== final ====' block as a dict of totals and drops."""
    stats = {"drops": {}}
    block = stderr.split("==== final ====")[-1]
    for line in block.splitlines():
        if line.startswith("total:") or line.startswith("drops:"):
            for k, v in re.findall(r"(\w+)=(\d+)", line):
                if line.startswith("drops:"):
                    stats["drops"][k] = int(v)
                else:
                    stats[k] = int(v)
    return stats


LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = (101, 12, 228)  # raw IPv4/IPv6 without a link header


def ethernet_pcap(src, dst):
    """Copies a classic pcap to dst with every frame in Ethernet, as a NIC delivers it.

    The corpus captures are raw IP (link type 101); the pcap PMD hands frames over
    as they are stored, so they get an Ethernet header here. Returns dst, or src
    when it already is Ethernet."""
    import struct
    with open(src, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    if linktype == LINKTYPE_ETHERNET:
        return src
    if linktype not in LINKTYPE_RAW:
        raise ValueError("%s: link type %d not supported" % (src, linktype))
    out = bytearray(data[:20] + struct.pack(endian + "I", LINKTYPE_ETHERNET))
    off = 24
    while off + 16 <= len(data):
        ts_s, ts_f, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        etype = 0x86DD if pkt and pkt[0] >> 4 == 6 else 0x0800
        frame = bytes.fromhex("020000000002020000000001") + struct.pack("!H", etype) + pkt
        out += struct.pack(endian + "IIII", ts_s, ts_f, len(frame), orig + 14) + frame
    with open(dst, "wb") as f:
        f.write(out)
    return dst


def run_pcap(pcap, app_args=(), timeout=60, vdev_extra="", lcores="0,1"):
    """Replays pcap once through the binary; returns a Run with parsed records."""
    with tempfile.TemporaryDirectory() as d:
        pcap = ethernet_pcap(pcap, os.path.join(d, "eth.pcap"))
        out = os.path.join(d, "out.ndjson")
        cmd = [BIN] + eal_args("net_pcap0,rx_pcap=%s%s" % (pcap, vdev_extra), lcores) + \
            ["--", "--idle-exit", "1", "--output", "ndjson:" + out,
             # Parallel runs must not fight over the default ports 8081/8080.
             "--http-port", "0", "--agent-port", "0"] + list(app_args)
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=timeout)
        records = []
        if os.path.exists(out):
            with open(out) as f:
                records = [json.loads(line) for line in f if line.strip()]
        return Run(p.returncode, records, p.stderr, parse_final(p.stderr))


def gen(*args):
    subprocess.run([sys.executable, GEN] + list(args), check=True)


class Checker:
    """Counts assertions and prints a closing 'N passed, N failed' line."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def check(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL %s: %s" % (self.name, what))
        return cond

    def eq(self, got, want, what):
        return self.check(got == want, "%s: got %r, want %r" % (what, got, want))

    def done(self):
        print("%s: %d passed, %d failed" % (self.name, self.passed, self.failed))
        sys.exit(1 if self.failed else 0)


def skip(name, why):
    print("SKIP %s: %s" % (name, why))
    sys.exit(77)

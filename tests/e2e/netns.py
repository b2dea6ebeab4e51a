# SPDX-License-Identifier: BSD-3-Clause
"""A network namespace of a test's own, for tests that need what a real machine has:
the default control-plane ports (8080, 8081) free, traffic that arrives when the test
says so (not a capture replayed at start), and a collector that can be stopped,
killed and restarted while it flows.

enter(name) re-runs the calling test inside a new namespace (`ip netns exec`) with lo
up and a veth pair cfa <-> cfb; the collector reads cfb with net_af_packet and the test
puts Ethernet frames on cfa (Sender). The namespace and everything in it are removed
when the test returns. Needs root; without it enter() returns None.
"""
import os
import signal
import random
import struct
import subprocess
import sys

INSIDE = "CF_NETNS_INSIDE"
TX, RX = "cfa", "cfb"


def _ip(*args):
    return subprocess.run(("ip",) + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=30)


def enter(name):
    """Inside: the namespace's name. Outside as root: runs this test inside one and exits
    with its status. Not root, or no namespaces here: None."""
    # A runner's timeout (or an operator) stops a test with SIGTERM: unwind through the
    # tests' finally blocks (collectors killed, the namespace deleted) instead of leaving
    # them behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if os.environ.get(INSIDE):
        return os.environ[INSIDE]
    if os.geteuid() != 0:
        return None
    ns = "cf%s%d%02d" % (name[:4], os.getpid() % 100000, random.randrange(100))
    if _ip("netns", "add", ns).returncode != 0:
        return None
    try:
        setup = [("link", "set", "lo", "up"),
                 ("link", "add", TX, "type", "veth", "peer", "name", RX)]
        for cmd in setup:
            r = _ip("-n", ns, *cmd)
            if r.returncode != 0:
                print("netns: ip %s: %s" % (" ".join(cmd), r.stdout.strip()))
                return None
        for dev in (TX, RX):
            # Only the test's frames on the wire: no router solicitations, no MLD.
            subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw",
                            "net.ipv6.conf.%s.disable_ipv6=1" % dev], timeout=30)
            _ip("-n", ns, "link", "set", dev, "up")
        child = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable] + sys.argv,
                                 env=dict(os.environ, **{INSIDE: ns}))
        try:
            rc = child.wait()
        finally:
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
    finally:
        _ip("netns", "del", ns)
    sys.exit(rc)


def pcap_frames(path):
    """The frames of a classic pcap file, in order."""
    with open(path, "rb") as f:
        data = f.read()
    endian = "<" if struct.unpack("<I", data[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    out, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out


class Sender:
    """Raw Ethernet frames onto cfa (they arrive on cfb)."""

    def __init__(self, dev=TX):
        import socket
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.s.bind((dev, 0))

    def send(self, frames, gap_s=0.002):
        import time
        for fr in frames:
            self.s.send(fr)
            time.sleep(gap_s)   # well below what one af_packet ring takes per burst

    def close(self):
        self.s.close()


def eal_args(prefix, dev=RX):
    return ["--no-huge", "-m", "512", "--no-pci", "--file-prefix", prefix, "-l", "0,1",
            "--log-level=lib.*:error", "--vdev=net_af_packet0,iface=%s" % dev]

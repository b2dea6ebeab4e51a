#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Network presence against a real kernel: two network namespaces joined by a
veth pair. clarion-flowd runs in one on net_af_packet (the kernel there has no
address on the interface, so only clarion-flowd can answer); the other is an
exporter with 198.51.100.1/24 and 2001:db8:7::1/64. Its kernel must resolve our
MAC through our ARP/ND answers, ping (v4, v6, link-local) must be answered, and
NetFlow v5 datagrams sent over the kernel's UDP sockets must arrive as records,
including 30-record ones the exporter's kernel fragments (route MTU 576 / 1280;
the IPv4 ones are reassembled by the af_packet socket itself, see below).

Skips (77) when not root or namespaces/veth cannot be created (containers
without CAP_SYS_ADMIN/CAP_NET_ADMIN), or ping is missing.
Set CF_LIVE_VERBOSE=1 to print the ping output and `ip neigh`.
"""
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cflib  # noqa: E402

NAME = "netpres_live"
US4, PEER4 = "198.51.100.2", "198.51.100.1"
US6, PEER6 = "2001:db8:7::2", "2001:db8:7::1"

SENDER = r"""
import random, socket, sys
sys.path.insert(0, sys.argv[1])
from gen_flows import v5_datagram
rng = random.Random(11)
for fam, dst, n, recs in ((socket.AF_INET, sys.argv[2], 5, 10), (socket.AF_INET6, sys.argv[3], 2, 10),
                          (socket.AF_INET, sys.argv[2], 2, 30), (socket.AF_INET6, sys.argv[3], 2, 30)):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    for i in range(n):
        payload, _ = v5_datagram(rng, "x", i * recs, recs, (0, 0), 0)
        s.sendto(payload, (dst, 2055))
    s.close()
"""


def sh(*cmd, check=True, ns=None):
    if ns is not None:
        cmd = ("ip", "netns", "exec", ns) + cmd
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          check=check, timeout=60)


def wait_for(path, text, limit_s):
    """Polls a log file for text (start-up only; no assertion depends on timing)."""
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        with open(path) as f:
            if text in f.read():
                return True
        time.sleep(0.2)
    return False


def main():
    c = cflib.Checker(NAME)
    verbose = os.environ.get("CF_LIVE_VERBOSE") == "1"
    if os.geteuid() != 0:
        cflib.skip(NAME, "needs root to create network namespaces")
    if shutil.which("ping") is None:
        cflib.skip(NAME, "ping not installed (iputils-ping, scripts/deps.sh --test)")
    if not os.path.exists(cflib.BIN):
        cflib.skip(NAME, "binary %s not built" % cflib.BIN)
    tag = "%d%d" % (os.getpid() % 100000, random.randrange(100))
    ns_c, ns_e = "cfc" + tag, "cfe" + tag
    if_c, if_e = "cfc" + tag, "cfe" + tag
    made = []
    try:
        for ns in (ns_c, ns_e):
            r = sh("ip", "netns", "add", ns, check=False)
            if r.returncode != 0:
                cflib.skip(NAME, "cannot create a network namespace: " + r.stdout.strip())
            made.append(ns)
        r = sh("ip", "link", "add", if_c, "type", "veth", "peer", "name", if_e, check=False)
        if r.returncode != 0:
            cflib.skip(NAME, "cannot create a veth pair: " + r.stdout.strip())
        sh("ip", "link", "set", if_c, "netns", ns_c)
        sh("ip", "link", "set", if_e, "netns", ns_e)
        # The collector's kernel must stay silent: no IPv4 address, IPv6 off.
        sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % if_c, ns=ns_c)
        sh("ip", "link", "set", if_c, "up", ns=ns_c)
        sh("ip", "addr", "add", PEER4 + "/24", "dev", if_e, ns=ns_e)
        sh("ip", "addr", "add", PEER6 + "/64", "dev", if_e, "nodad", ns=ns_e)
        sh("ip", "link", "set", if_e, "up", ns=ns_e)
        # Small path MTUs: the exporter's kernel fragments 30-record datagrams.
        sh("ip", "route", "add", US4 + "/32", "dev", if_e, "mtu", "lock", "576", ns=ns_e)
        sh("ip", "-6", "route", "add", US6 + "/128", "dev", if_e, "mtu", "1280", ns=ns_e)
        mac = sh("cat", "/sys/class/net/%s/address" % if_c, ns=ns_c).stdout.strip()

        with tempfile.TemporaryDirectory() as d:
            out, err = os.path.join(d, "out.ndjson"), os.path.join(d, "err.log")
            cmd = ["ip", "netns", "exec", ns_c, cflib.BIN] + \
                cflib.eal_args("net_af_packet0,iface=" + if_c) + \
                ["--", "--output", "ndjson:" + out, "--run-time", "120",
                 "--collector-ip", US4 + "/24@port0", "--collector-ip", US6 + "/64@port0"]
            with open(err, "w") as ef:
                proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=ef)
            try:
                if not c.check(wait_for(err, "announcing our addresses", 60),
                               "collector started and announced (log: %s)" % open(err).read()[-500:]):
                    return c.done()
                ll6 = sh("python3", "-c", "import sys; sys.path.insert(0, %r); import gen_netpres;"
                         " print(gen_netpres.ll6_from_mac(%r))" %
                         (os.path.join(cflib.ROOT, "scripts"), mac)).stdout.strip()
                pings = {}
                for label, args in (("ping", ["-c", "3", "-i", "0.2", "-W", "2", US4]),
                                    ("ping -6", ["-6", "-c", "3", "-i", "0.2", "-W", "2", US6]),
                                    ("ping -6 link-local",
                                     ["-6", "-c", "2", "-i", "0.2", "-W", "2",
                                      "%s%%%s" % (ll6, if_e)])):
                    r = sh("ping", *args, check=False, ns=ns_e)
                    pings[label] = r.stdout
                    c.eq(r.returncode, 0, "%s answered:\n%s" % (label, r.stdout))
                r = sh("python3", "-c", SENDER, os.path.join(cflib.ROOT, "scripts"), US4, US6,
                       check=False, ns=ns_e)
                c.eq(r.returncode, 0, "exporter sent its datagrams: " + r.stdout)
                neigh = sh("ip", "neigh", "show", "dev", if_e, ns=ns_e).stdout
                for addr in (US4, US6, ll6):
                    line = [x for x in neigh.splitlines() if x.split()[0] == addr]
                    c.check(line and ("lladdr " + mac) in line[0],
                             "exporter's kernel resolved %s to %s via our answers:\n%s" %
                             (addr, mac, neigh))
                # Let the records through the 1 ms flush, then stop cleanly.
                time.sleep(1)
            finally:
                cflib.stop(proc)
            log = open(err).read()
            stats = cflib.parse_final(log)
            records = open(out).read().splitlines() if os.path.exists(out) else []
            c.eq(len(records), 190, "records of the 11 datagrams (7 over IPv4, 4 over IPv6, "
                 "4 of them fragmented by the exporter's kernel)")
            # net_af_packet joins a PACKET_FANOUT group with PACKET_FANOUT_FLAG_DEFRAG, so
            # the kernel reassembles IPv4 before the PMD sees it: only IPv6 reaches rte_ip_frag.
            c.eq(stats.get("frag_done"), 2, "IPv6 datagrams reassembled from kernel fragments")
            c.eq(stats.get("mbufs_in_use"), stats.get("mbufs_in_use_start"), "mbufs back")
            c.check(stats.get("np_echo_replies", 0) >= 8, "echo replies counted")
            c.check(stats.get("np_arp_replies", 0) >= 1, "ARP replies counted")
            c.check(stats.get("np_nd_adverts", 0) >= 1, "NAs counted")
            if verbose or c.failed:
                for label, text in pings.items():
                    print("---- %s (from the exporter namespace)\n%s" % (label, text.strip()))
                print("---- ip neigh show dev %s (exporter namespace)\n%s" % (if_e, neigh.strip()))
                print("---- collector final counters\n" + log.split("==== final ====")[-1].strip())
    finally:
        for ns in made:
            sh("ip", "netns", "del", ns, check=False)
    c.done()


if __name__ == "__main__":
    main()

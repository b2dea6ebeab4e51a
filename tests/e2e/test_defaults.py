#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A new user's day, with nothing but --backend-url: the defaults must lose nothing.

clarion-flowd runs with the default settings and --backend-url only (EAL options aside:
no hugepages, the af_packet PMD on a veth pair), as root, so its spool is the default
/var/lib/clarion-flowd/spool (a mount namespace puts a directory of the test's own at
/var/lib: nothing on the machine is touched; the network namespace gives it the
default control-plane ports). Records arrive in three bursts:

  1. backend up                 -> delivered
  2. backend stopped (process gone, about a minute), records keep coming -> on disk;
     then kill -9 of the collector
  3. the same command line again, records keep coming, backend still down -> on disk;
     the backend comes back on its port
and every record of the three bursts reaches the backend (at least once, with exactly
its fields), the restarted collector's ledger balances with nothing dropped, and it
exits 0 on SIGTERM. Run time ~1.5 min (the outage is 60 s)."""
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cflib  # noqa: E402
import dlv  # noqa: E402
import netns  # noqa: E402

NAME = "defaults"
OUTAGE_S = 60
C = cflib.Checker(NAME)


def metric(name):
    """A sample of the collector's /metrics JSON on the default port, or None."""
    st, j = dlv.get_json(8081, "/metrics?format=json")
    if st != 200:
        return None
    fam = j.get("metrics", {}).get(name)
    return sum(s["value"] for s in fam["samples"]) if fam else None


def settled_on_disk(want):
    """Everything received is on disk: nothing in memory, want records spooled."""
    return metric("clarion_flowd_delivery_spool_records") == want and \
        metric("clarion_flowd_delivery_pending_records") == 0 and \
        metric("clarion_flowd_pending_records") == 0


class Collector:
    """clarion-flowd with the default settings and --backend-url, its /var/lib the test's."""

    def __init__(self, tmp, varlib, url, n):
        self.err = os.path.join(tmp, "flowd-%d.err" % n)
        pre = ["unshare", "-m", "sh", "-c",
               'mount --make-rprivate / && mount --bind "$0" /var/lib && exec "$@"', varlib]
        cmd = pre + [cflib.BIN] + netns.eal_args("cfdef%d" % os.getpid()) + ["--", "--backend-url", url]
        env = {k: v for k, v in os.environ.items() if k not in ("STATE_DIRECTORY",) and
               not k.startswith("CLARION_COLLECTOR_")}
        with open(self.err, "w") as ef:
            self.p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=ef, env=env)
        self.up = dlv.wait_for(lambda: dlv.get_json(8081, "/health")[0] is not None or
                               self.p.poll() is not None, 30, 0.1)

    def log(self):
        with open(self.err) as f:
            return f.read()


def main():
    if not os.path.exists(cflib.BIN):
        cflib.skip(NAME, "no binary at %s (run scripts/build.sh)" % cflib.BIN)
    if netns.enter(NAME) is None:
        cflib.skip(NAME, "needs root and network namespaces (veth, af_packet)")
    if shutil.which("unshare") is None:
        cflib.skip(NAME, "unshare (util-linux) not installed")
    tmp = tempfile.mkdtemp(prefix="cf-defaults-")
    varlib = os.path.join(tmp, "var-lib")
    os.mkdir(varlib)
    spool = os.path.join(varlib, "clarion-flowd", "spool")
    be = c1 = c2 = None
    try:
        bursts = []
        for k in range(3):
            pcap, exp = dlv.gen_v5(tmp, "burst%d" % k, 30, records=30, seed=100 + k)
            bursts.append((netns.pcap_frames(pcap), exp))
        want = [r for _, exp in bursts for r in exp]
        tx = netns.Sender()
        log = os.path.join(tmp, "accepted.ndjson")
        be = dlv.Backend(tmp, log=log)
        port = be.port

        # 1. The backend is up.
        c1 = Collector(tmp, varlib, be.url, 1)
        C.check(c1.up and c1.p.poll() is None, "collector 1 started (%s)" % c1.log()[-400:])
        text = c1.log()
        C.check("spool /var/lib/clarion-flowd/spool (default: running as root" in text,
                "the default spool is /var/lib/clarion-flowd/spool and the log says so")
        C.check(os.path.isdir(spool) and stat.S_IMODE(os.stat(spool).st_mode) == 0o700,
                "default spool created, mode 0700")
        tx.send(bursts[0][0])
        C.check(dlv.wait_for(lambda: be.stats()["accepted_records"] >= len(bursts[0][1]), 30),
                "burst 1 delivered while the backend is up")
        # The backend counts a batch before its reply is written: stopping it at once can
        # cut that reply, and the collector then (rightly) spools burst 1 again. Stop it
        # only once the collector has seen the 2xx, so the spool holds burst 2 alone.
        C.check(dlv.wait_for(lambda: (metric("clarion_flowd_delivery_records_sent_total") or 0)
                             >= len(bursts[0][1]) and
                             metric("clarion_flowd_delivery_in_flight_records") == 0, 30),
                "the collector saw burst 1 acknowledged before the backend stops")

        # 2. The backend stops; records keep coming; kill -9.
        be.stop()
        down_at = time.monotonic()
        be = None
        tx.send(bursts[1][0])
        n2 = len(bursts[1][1])
        C.check(dlv.wait_for(lambda: settled_on_disk(n2), 40, 0.5),
                "burst 2 on disk while the backend is down (spooled %r, pending %r)"
                % (metric("clarion_flowd_delivery_spool_records"),
                   metric("clarion_flowd_delivery_pending_records")))
        c1.p.send_signal(signal.SIGKILL)
        C.eq(c1.p.wait(timeout=30), -9, "collector 1 killed by SIGKILL")

        # 3. The same command line again; more records; the backend still down.
        c2 = Collector(tmp, varlib, "http://127.0.0.1:%d" % port, 2)
        C.check(c2.up and c2.p.poll() is None, "collector 2 started after the kill (%s)" % c2.log()[-400:])
        C.check(dlv.wait_for(lambda: metric("clarion_flowd_delivery_spool_recovered_records_total") == n2, 10)
                and "recovered %d records" % n2 in c2.log(),
                "collector 2 recovered burst 2 from the spool (%r; %s)"
                % (metric("clarion_flowd_delivery_spool_recovered_records_total"),
                   [ln for ln in c2.log().splitlines() if "spool" in ln]))
        tx.send(bursts[2][0])
        n3 = n2 + len(bursts[2][1])
        C.check(dlv.wait_for(lambda: settled_on_disk(n3), 40, 0.5),
                "burst 3 on disk too (spooled %r)" % metric("clarion_flowd_delivery_spool_records"))
        st, h = dlv.get_json(8081, "/health")
        C.check(st == 503 and "circuit_open" in dlv.reasons(h),
                "/health unhealthy (circuit_open) while the backend is down: %r" % (h,))
        left = OUTAGE_S - (time.monotonic() - down_at)
        if left > 0:
            time.sleep(left)

        # The backend comes back where it was.
        be = dlv.Backend(tmp, port=port, log=log)
        C.check(dlv.wait_for(lambda: len(be.accepted()) > 0 and
                             len({dlv.canon(r) for r in dlv.accepted_records(be.accepted())})
                             >= len(want), 60, 0.5),
                "every record reached the backend after the outage")
        c2.p.send_signal(signal.SIGTERM)
        rc = c2.p.wait(timeout=60)
        text = c2.log()
        st = dlv.parse_delivery(text)
        C.eq(rc, 0, "collector 2 exit status")
        C.eq(st.get("balanced"), 1, "collector 2 ledger balanced")
        C.eq(st.get("dropped"), 0, "nothing dropped")
        C.eq(st.get("output_failed"), 0, "output_failed 0 beside dropped 0")
        C.eq(st.get("spooled"), 0, "spool empty at the end")
        dlv.same_records(C, dlv.accepted_records(be.accepted()), want,
                         "the backend has every record of the three bursts", dup_ok=True)
        C.eq(be.stats()["invalid"], 0, "no invalid body")
        C.check(time.monotonic() - down_at >= OUTAGE_S, "the backend was down for a minute")
    finally:
        for c in (c1, c2):
            if c is not None and c.p.poll() is None:
                c.p.kill()
                c.p.wait()
        if be is not None:
            be.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    C.done()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""kill -9 of clarion-flowd while it spools at full speed (infinite replay of
a capture, backend refusing connections), then a restart with the backend up:
every batch complete on disk at the kill (read by an independent parser) is
delivered at least once with exactly its records, nothing corrupt is sent,
and a torn tail is truncated. Done twice, killing at different moments."""
import json
import os
import random
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cflib  # noqa: E402
import dlv  # noqa: E402

NAME = "delivery_crash"


def spool_bytes(d):
    try:
        return sum(os.path.getsize(os.path.join(d, n)) for n in os.listdir(d) if n.startswith("seg-"))
    except OSError:
        return 0


def one_crash(c, tmp, pcap, round_no, fsync):
    tag = "crash%d/%s" % (round_no, fsync)
    be = dlv.Backend(tmp, mode=["refuse"])
    spool = os.path.join(tmp, "spool-crash%d" % round_no)
    try:
        f = dlv.Flowd(tmp, pcap, ["--backend-url", be.url, "--spool-dir", spool, "--spool-fsync", fsync,
                                  "--spool-max-bytes", str(8 << 20)] + dlv.FAST,
                      infinite=True, idle_exit=False)
        grew = dlv.wait_for(lambda: spool_bytes(spool) > (1 << 20), 60)
        c.check(grew, tag + ": spool grew past 1 MiB before the kill")
        time.sleep(random.uniform(0.0, 0.3))
        f.kill9()
        c.eq(f.rc, -9, tag + ": killed by SIGKILL")
        entries = dlv.spool_entries(spool)
        good = [e for e in entries if e["ok"]]
        c.eq(len(good), len(entries), tag + ": no complete entry has a bad body CRC")
        c.check(len(good) > 0, tag + ": complete batches on disk (%d)" % len(good))
        be.mode("ok")
        f2 = dlv.Flowd(tmp, pcap, ["--backend-url", be.url, "--spool-dir", spool, "--netflow-port", "9"]
                       + dlv.FAST, idle_exit=False)
        want = {dlv.batch_id(e): e for e in good}
        dlv.wait_for(lambda: be.stats()["accepted_batches"] >= len(want), 90)
        f2.term()
        c.eq(f2.rc, 0, tag + ": restart exit status")
        got = {}
        for b in be.accepted():
            got.setdefault(b["batch_id"], []).append(b["records"])
        missing = [k for k in want if k not in got]
        c.check(not missing, tag + ": every batch on disk delivered (%d missing of %d)"
                % (len(missing), len(want)))
        bad = [k for k in want if k in got and any(r != json.loads(want[k]["body"])["records"]
                                                  for r in got[k])]
        c.check(not bad, tag + ": delivered batches carry exactly their spooled records (%d differ)" % len(bad))
        c.eq(sorted(got), sorted(want), tag + ": nothing delivered that was not on disk")
        c.eq(be.stats()["invalid"], 0, tag + ": backend saw no invalid body")
        c.eq(f2.stats.get("recovered"), sum(e["nrec"] for e in good), tag + ": recovered counter")
        c.eq(f2.stats.get("drop_spool_corrupt"), 0, tag + ": no corrupt batch")
        c.eq(f2.stats.get("balanced"), 1, tag + ": ledger balanced")
    finally:
        be.stop()


def main():
    c = cflib.Checker(NAME)
    if not os.path.exists(cflib.BIN):
        cflib.skip(NAME, "no binary at %s (run scripts/build.sh)" % cflib.BIN)
    tmp = tempfile.mkdtemp(prefix="cf-dlvc-")
    try:
        pcap, _ = dlv.gen_v5(tmp, "v5", 60)
        one_crash(c, tmp, pcap, 1, "batch")
        one_crash(c, tmp, pcap, 2, "none")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    c.done()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The durable spool: a slow backend (spool grows, then drains oldest first),
a full budget under both --spool-full policies, SIGTERM with requests stuck in
flight, and damaged segments (a corrupt body is skipped, a torn tail
truncated, a corrupt header ends the segment). Spool files are read back by an
independent parser (dlv.read_segment) and compared with what the backend got."""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cflib  # noqa: E402
import dlv  # noqa: E402

NAME = "delivery_spool"


def replay_only(tmp, pcap, be, spool, want_batches, extra=()):
    """Restarts clarion-flowd on a spool with nothing new to decode (the flow
    port is moved away) until the backend holds want_batches batches."""
    f = dlv.Flowd(tmp, pcap, ["--backend-url", be.url, "--spool-dir", spool, "--netflow-port", "9"]
                  + dlv.FAST + list(extra), idle_exit=False)
    dlv.wait_for(lambda: be.stats()["accepted_batches"] >= want_batches, 60)
    f.term()
    return f


def entry_records(entries):
    return [r for e in entries for r in json.loads(e["body"])["records"]]


def slow_backend(c, tmp, pcap, exp):
    be = dlv.Backend(tmp, mode=["delay", "seconds=0.02"])
    spool = os.path.join(tmp, "spool-slow")
    try:
        f = dlv.Flowd(tmp, pcap, ["--backend-url", be.url, "--spool-dir", spool,
                                  "--upload-concurrency", "1"] + dlv.FAST + ["--batch-size", "10"],
                      idle_exit=False)
        dlv.wait_for(lambda: be.stats()["accepted_records"] >= len(exp), 90)
        f.term()
        c.eq(f.rc, 0, "slow: exit status")
        c.eq(f.stats.get("balanced"), 1, "slow: ledger balanced")
        c.check(f.stats.get("spool_written", 0) > 0, "slow: backlog went to the spool")
        c.eq(f.stats.get("replayed"), f.stats.get("spool_written"), "slow: all of it replayed")
        c.eq(f.stats.get("spooled"), 0, "slow: spool drained")
        batches = be.accepted()
        dlv.same_records(c, dlv.accepted_records(batches), exp, "slow: accepted = capture")
        seqs = [int(b["batch_id"].split("-")[1]) for b in batches if b["replay"]]
        c.check(len(seqs) > 0 and seqs == sorted(seqs) and len(set(seqs)) == len(seqs),
                "slow: spool replayed oldest first (%d replayed batches)" % len(seqs))
    finally:
        be.stop()


def budget_full(c, tmp, pcap, exp, policy):
    be = dlv.Backend(tmp, mode=["refuse"])
    spool = os.path.join(tmp, "spool-full-" + policy)
    tag = "full/" + policy
    try:
        f = dlv.run(tmp, pcap, ["--backend-url", be.url, "--spool-dir", spool, "--spool-max-bytes", "65536",
                                "--spool-full", policy] + dlv.FAST + ["--batch-size", "20"])
        st = f.stats
        # Records were lost (the budget): a runtime failure, exit status 1 (README).
        c.eq(f.rc, 1, tag + ": exit status 1 (records dropped)")
        c.eq(st.get("balanced"), 1, tag + ": ledger balanced")
        reason = "drop_spool_full_oldest" if policy == "drop-oldest" else "drop_spool_full_newest"
        other = "drop_spool_full_newest" if policy == "drop-oldest" else "drop_spool_full_oldest"
        c.check(st.get(reason, 0) > 0, tag + ": records dropped as " + reason)
        c.eq(st.get(other), 0, tag + ": nothing dropped the other way")
        c.eq(st.get("spooled", 0) + st.get("dropped", 0), len(exp), tag + ": spooled + dropped = received")
        entries = dlv.spool_entries(spool)
        size = sum(os.path.getsize(os.path.join(spool, n)) for n in os.listdir(spool) if n.startswith("seg-"))
        c.check(size <= 65536, tag + ": spool within its budget (%d bytes)" % size)
        c.eq(sum(e["nrec"] for e in entries), st.get("spooled"), tag + ": spooled counter = records on disk")
        # Segment numbers follow write order: which ones survive shows the policy.
        segs = sorted(int(n[4:24]) for n in os.listdir(spool) if n.startswith("seg-"))
        if policy == "drop-oldest":
            c.check(segs and segs[0] > 1, tag + ": the first segments were evicted (%r)" % segs)
        else:
            c.check(segs and segs[0] == 1 and segs == list(range(1, len(segs) + 1)),
                    tag + ": the first segments were kept, later batches refused (%r)" % segs)
        be.mode("ok")
        f2 = replay_only(tmp, pcap, be, spool, len(entries))
        dlv.same_records(c, dlv.accepted_records(be.accepted()), entry_records(entries),
                         tag + ": after restart the backend got exactly what was spooled")
        c.eq(f2.stats.get("recovered"), st.get("spooled"), tag + ": recovered counter")
    finally:
        be.stop()


def sigterm_in_flight(c, tmp, pcap, exp):
    be = dlv.Backend(tmp, mode=["stall"])
    spool = os.path.join(tmp, "spool-term")
    try:
        f = dlv.Flowd(tmp, pcap, ["--backend-url", be.url, "--spool-dir", spool] + dlv.FAST
                      + ["--shutdown-timeout", "1", "--request-timeout-ms", "60000"], idle_exit=False)
        dlv.wait_for(lambda: be.stats()["requests"] >= 4, 30)
        f.term()
        c.eq(f.rc, 0, "sigterm: exit status 0")
        c.eq(f.stats.get("balanced"), 1, "sigterm: ledger balanced")
        c.eq(f.stats.get("spooled"), len(exp), "sigterm: every record spooled (stuck requests included)")
        entries = dlv.spool_entries(spool)
        dlv.same_records(c, entry_records(entries), exp, "sigterm: spool holds the capture")
        be.mode("ok")
        replay_only(tmp, pcap, be, spool, len(entries))
        dlv.same_records(c, dlv.accepted_records(be.accepted()), exp, "sigterm: delivered after restart")
    finally:
        be.stop()


def damaged(c, tmp, pcap, exp, how):
    be = dlv.Backend(tmp, mode=["refuse"])
    spool = os.path.join(tmp, "spool-dmg-" + how)
    tag = "damaged/" + how
    try:
        f = dlv.run(tmp, pcap, ["--backend-url", be.url, "--spool-dir", spool] + dlv.FAST)
        entries = dlv.spool_entries(spool)
        c.eq(sum(e["nrec"] for e in entries), len(exp), tag + ": whole capture spooled")
        if len(entries) < 12:
            c.check(False, tag + ": expected at least 12 spooled batches, got %d" % len(entries))
            return
        victim = entries[5]
        with open(victim["path"], "r+b") as fh:
            if how == "body":
                fh.seek(victim["offset"] + dlv.HDR + victim["len"] // 2)
                b = fh.read(1)
                fh.seek(-1, 1)
                fh.write(bytes([b[0] ^ 0x01]))
            else:
                fh.seek(victim["offset"] + 20)  # inside the batch id, covered by the header CRC
                b = fh.read(1)
                fh.seek(-1, 1)
                fh.write(bytes([b[0] ^ 0x80]))
        torn = b"CFSP" + bytes(30)  # a header cut short by a crash
        with open(entries[-1]["path"], "ab") as fh:
            fh.write(torn)
        if how == "body":
            good = [e for i, e in enumerate(entries) if i != 5]
            lost = victim["nrec"]
            torn_bytes = len(torn)
        else:
            good = entries[:5]
            lost = 0
            rest = sum(dlv.HDR + e["len"] for e in entries[5:])
            torn_bytes = rest + len(torn)
        be.mode("ok")
        f2 = replay_only(tmp, pcap, be, spool, len(good))
        # A corrupt entry's records are lost (spool_corrupt): exit status 1.
        c.eq(f2.rc, 1 if lost else 0, tag + ": restart exit status (1 = records lost)")
        dlv.same_records(c, dlv.accepted_records(be.accepted()), entry_records(good),
                         tag + ": delivered every good batch, nothing damaged")
        c.check("truncated %d torn bytes" % torn_bytes in f2.stderr,
                tag + ": torn tail truncated (%d bytes)" % torn_bytes)
        c.eq(f2.stats.get("drop_spool_corrupt"), lost, tag + ": corrupt records counted")
        c.eq(f2.stats.get("balanced"), 1, tag + ": ledger balanced")
        c.eq(be.stats()["invalid"], 0, tag + ": backend saw no invalid body")
    finally:
        be.stop()


def main():
    c = cflib.Checker(NAME)
    if not os.path.exists(cflib.BIN):
        cflib.skip(NAME, "no binary at %s (run scripts/build.sh)" % cflib.BIN)
    tmp = tempfile.mkdtemp(prefix="cf-dlvs-")
    try:
        pcap, exp = dlv.gen_v5(tmp, "v5", 60)
        slow_backend(c, tmp, pcap, exp)
        budget_full(c, tmp, pcap, exp, "drop-oldest")
        budget_full(c, tmp, pcap, exp, "drop-newest")
        sigterm_in_flight(c, tmp, pcap, exp)
        damaged(c, tmp, pcap, exp, "body")
        damaged(c, tmp, pcap, exp, "header")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    c.done()


if __name__ == "__main__":
    main()

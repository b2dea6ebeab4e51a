#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Delivery to a real HTTP backend: healthy (gzip + token), down at start then
up, flapping 503, 429 with Retry-After, 422 dead-lettered, connections closed
mid-request, HTTPS (verified, unverified, --insecure). Every scenario checks the exact records the backend accepted
against what scripts/gen_flows.py says the capture holds."""
import collections
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cflib  # noqa: E402
import dlv  # noqa: E402

NAME = "delivery_basic"


def common_checks(c, tag, f, exp, be, dup_ok=False):
    c.eq(f.rc, 0, tag + ": exit status")
    c.eq(f.stats.get("balanced"), 1, tag + ": received = delivered + pending + spooled + dead + dropped")
    batches, resent, differ = dlv.unique_batches(be.accepted())
    c.eq(differ, 0, tag + ": a batch sent again (%d) carries the same records" % resent)
    got = dlv.accepted_records(batches)
    dlv.same_records(c, got, exp, tag + ": accepted = the capture's records", dup_ok)
    c.eq(be.stats()["invalid"], 0, tag + ": bodies the backend found invalid")


def healthy(c, tmp, pcap, exp):
    be = dlv.Backend(tmp, token="s3cret")
    try:
        f = dlv.run(tmp, pcap, ["--backend-url", be.url, "--compress", "--backend-token", "s3cret"]
                    + dlv.FAST)
        common_checks(c, "healthy", f, exp, be)
        batches = be.accepted()
        c.eq(len(batches), len(exp) // 100, "healthy: one batch per 100 records")
        c.eq(len(set(b["batch_id"] for b in batches)), len(batches), "healthy: batch ids unique")
        c.eq(f.stats.get("delivered"), len(exp), "healthy: delivered counter")
        c.eq(f.stats.get("received"), len(exp), "healthy: received counter")
        c.eq(f.stats.get("retries"), 0, "healthy: no retries")
    finally:
        be.stop()


def down_then_up(c, tmp, pcap, exp, mode):
    be = dlv.Backend(tmp, mode=mode)
    spool = os.path.join(tmp, "spool-dtu-" + mode[0])
    try:
        f = dlv.Flowd(tmp, pcap, ["--backend-url", be.url, "--spool-dir", spool] + dlv.FAST,
                      idle_exit=False)
        opened = dlv.wait_for(lambda: "closed -> open" in open(f.err_path).read(), 30)
        c.check(opened, "%s: breaker opened while the backend was down" % mode[0])
        dlv.wait_for(lambda: sum(e["nrec"] for e in dlv.spool_entries(spool)) == len(exp), 30)
        be.mode("ok")
        dlv.wait_for(lambda: be.stats()["accepted_records"] >= len(exp), 60)
        f.term()
        tag = "down(%s) then up" % mode[0]
        common_checks(c, tag, f, exp, be)
        c.check(f.stats.get("replayed", 0) > 0, tag + ": records replayed from the spool")
        c.eq(f.stats.get("spooled"), 0, tag + ": spool empty at the end")
        c.check("open -> half-open" in f.stderr and "half-open -> closed" in f.stderr,
                tag + ": breaker went half-open, then closed")
        c.eq(len(glob.glob(os.path.join(spool, "seg-*.log"))), 0, tag + ": segments deleted once replayed")
    finally:
        be.stop()


def flapping(c, tmp, pcap, exp):
    be = dlv.Backend(tmp, mode=["status", "code=503", "every=2"])
    spool = os.path.join(tmp, "spool-flap")
    try:
        f = dlv.Flowd(tmp, pcap, ["--backend-url", be.url, "--spool-dir", spool] + dlv.FAST,
                      idle_exit=False)
        dlv.wait_for(lambda: be.stats()["accepted_records"] >= len(exp), 60)
        f.term()
        common_checks(c, "flapping 503", f, exp, be)
        c.check(f.stats.get("http_transient", 0) > 0, "flapping 503: transient answers counted")
        c.eq(f.stats.get("delivered"), len(exp), "flapping 503: delivered counter")
    finally:
        be.stop()


def retry_after(c, tmp, pcap, exp):
    be = dlv.Backend(tmp, mode=["status", "code=429", "count=2", "retry_after=1"])
    try:
        f = dlv.Flowd(tmp, pcap, ["--backend-url", be.url, "--upload-concurrency", "1"] + dlv.FAST,
                      idle_exit=False)
        dlv.wait_for(lambda: be.stats()["accepted_records"] >= len(exp), 60)
        f.term()
        common_checks(c, "429", f, exp, be)
        ev = be.events()
        limited = [(t, bid) for t, bid, code in ev if code == 429]
        c.eq(len(limited), 2, "429: two requests rate limited")
        for t, bid in limited:
            later = [t2 for t2, b2, code in ev if b2 == bid and t2 > t]
            c.check(later and min(later) - t >= 0.95,
                    "429: batch %s retried only after Retry-After (gap %.3f s)"
                    % (bid, (min(later) - t) if later else -1))
        c.eq(f.stats.get("retries"), 2, "429: retries counted")
    finally:
        be.stop()


def unprocessable(c, tmp, pcap, exp):
    be = dlv.Backend(tmp, mode=["status", "code=422"])
    spool = os.path.join(tmp, "spool-422")
    try:
        f = dlv.run(tmp, pcap, ["--backend-url", be.url, "--spool-dir", spool] + dlv.FAST)
        c.eq(f.rc, 0, "422: exit status")
        c.eq(f.stats.get("balanced"), 1, "422: ledger balanced")
        nb = len(exp) // 100
        c.eq(be.stats()["requests"], nb, "422: each batch sent exactly once (never retried)")
        c.eq(f.stats.get("dead_lettered"), len(exp), "422: dead-lettered records")
        c.eq(f.stats.get("batches_dead_lettered"), nb, "422: dead-lettered batches")
        c.eq(f.stats.get("spooled"), 0, "422: nothing spooled")
        dl = os.path.join(spool, "dead-letter")
        bodies = sorted(glob.glob(os.path.join(dl, "*.json")))
        resps = sorted(glob.glob(os.path.join(dl, "*.response")))
        c.eq(len(bodies), nb, "422: one dead-letter body per batch")
        c.eq(len(resps), nb, "422: one dead-letter response per batch")
        recs = []
        for p in bodies:
            with open(p) as fh:
                recs.extend(json.load(fh)["records"])
        dlv.same_records(c, recs, exp, "422: dead-letter bodies hold the records")
        ok = all(open(p).read().startswith("HTTP 422\n") and "told to answer 422" in open(p).read()
                 for p in resps)
        c.check(ok, "422: responses kept with status and body")
    finally:
        be.stop()


def https(c, tmp, pcap, exp):
    """HTTPS: verified with --ca-file; refused by verification without it
    (spooled, not lost); replayed with --insecure."""
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    gen = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                          "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                          "-addext", "subjectAltName=IP:127.0.0.1"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if gen.returncode != 0:
        print("NOTE %s: openssl could not make a certificate; HTTPS scenario not run" % NAME)
        return
    be = dlv.Backend(tmp, tls=(cert, key))
    spool = os.path.join(tmp, "spool-tls")
    try:
        f = dlv.run(tmp, pcap, ["--backend-url", be.url, "--ca-file", cert] + dlv.FAST)
        common_checks(c, "https --ca-file", f, exp, be)
        n = be.stats()["accepted_records"]
        f = dlv.run(tmp, pcap, ["--backend-url", be.url, "--spool-dir", spool] + dlv.FAST)
        c.eq(be.stats()["accepted_records"], n, "https unverified: nothing accepted")
        c.check(f.stats.get("transport_errors", 0) > 0, "https unverified: TLS failures counted")
        c.eq(f.stats.get("spooled"), len(exp), "https unverified: all records spooled, none lost")
        f = dlv.Flowd(tmp, pcap, ["--backend-url", be.url, "--spool-dir", spool, "--insecure",
                                  "--netflow-port", "9"] + dlv.FAST, idle_exit=False)
        dlv.wait_for(lambda: be.stats()["accepted_records"] >= n + len(exp), 60)
        f.term()
        dlv.same_records(c, dlv.accepted_records(be.accepted())[n:], exp, "https --insecure: spool replayed")
    finally:
        be.stop()


def main():
    c = cflib.Checker(NAME)
    if not os.path.exists(cflib.BIN):
        cflib.skip(NAME, "no binary at %s (run scripts/build.sh)" % cflib.BIN)
    tmp = tempfile.mkdtemp(prefix="cf-dlv-")
    try:
        pcap, exp = dlv.gen_v5(tmp, "v5", 60)
        healthy(c, tmp, pcap, exp)
        down_then_up(c, tmp, pcap, exp, ["refuse"])
        down_then_up(c, tmp, pcap, exp, ["close"])
        flapping(c, tmp, pcap, exp)
        retry_after(c, tmp, pcap, exp)
        unprocessable(c, tmp, pcap, exp)
        https(c, tmp, pcap, exp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    c.done()


if __name__ == "__main__":
    main()

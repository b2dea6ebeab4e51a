#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Refusals are not "healthy", and refused records are kept or counted, never both:

  - a backend that answers 404 to everything (here: --backend-url with a wrong path
    prefix) makes /health degraded at once, and unhealthy after 30 s of refusing
    everything, with a reason that names the URL posted to and what to check;
  - refused batches are dead letters by default (next to the default spool), every file
    0600 and whole; a dead letter that cannot be written (a full disk: a 64 KiB tmpfs) or
    does not fit --dead-letter-max-bytes is an error: counted by reason, logged with
    errno, shown in /health, never a zero-byte file counted as kept;
  - --spool-dir none says so once at start, and refused records are then counted
    refused_not_kept;
  - the counters at exit agree: output_failed on the total: line is the ledger's dropped,
    and a run that lost records exits 1.
"""
import glob
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cflib  # noqa: E402
import dlv  # noqa: E402

NAME = "refusals"
C = cflib.Checker(NAME)


def health(port):
    st, h = dlv.get_json(port, "/health")
    return st, (h or {}).get("status"), dlv.reasons(h)


def dead_letter_files(d):
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(d, "*")) +
                  glob.glob(os.path.join(d, ".*")))


def whole_pairs(c, tag, d):
    """Every file in d is a whole dead letter: .json with its .response, mode 0600, not empty."""
    names = dead_letter_files(d)
    jsons = {n[:-5] for n in names if n.endswith(".json")}
    resps = {n[:-9] for n in names if n.endswith(".response")}
    c.eq(jsons, resps, tag + ": every .json has its .response")
    c.eq([n for n in names if not n.endswith((".json", ".response"))], [],
         tag + ": no temporary or stray file")
    for n in names:
        st = os.stat(os.path.join(d, n))
        c.check(stat.S_IMODE(st.st_mode) == 0o600, "%s: %s mode %o" % (tag, n, stat.S_IMODE(st.st_mode)))
        c.check(st.st_size > 0, "%s: %s is not empty" % (tag, n))
    return len(jsons)


def consistent(c, tag, f):
    s = f.stats
    c.eq(s.get("balanced"), 1, tag + ": ledger balanced")
    c.eq(s.get("output_failed"), s.get("dropped"), tag + ": output_failed is the ledger's dropped")
    c.eq(f.rc, 1 if s.get("dropped") else 0, tag + ": exit status 1 exactly when records were lost")


def refuse_all(tmp, pcap, n_rec):
    """404 for everything, answers spread over ~40 s: degraded, then unhealthy at 30 s."""
    be = dlv.Backend(tmp, answer_delay=1.0)
    port = dlv.free_port()
    state = os.path.join(tmp, "state-refuse")
    env = dict(os.environ, STATE_DIRECTORY=state)
    try:
        url = be.url + "/clarion"    # the backend serves /api/netflow/netflow, not under /clarion
        f = dlv.Flowd(tmp, pcap, ["--backend-url", url, "--batch-size", "15", "--upload-concurrency", "1",
                                  "--batch-interval-ms", "200", "--http-port", str(port),
                                  "--health-window", "10"], idle_exit=False, env=env)
        post = url + "/api/netflow/netflow"
        ok = dlv.wait_for(lambda: "backend_refusing" in health(port)[2], 20, 0.2)
        st, status, rs = health(port)
        C.check(ok and status == "degraded" and st == 200,
                "refuse-all: degraded while the backend refuses (%r %r)" % (status, rs))
        C.check(ok and post in rs.get("backend_refusing", ("", ""))[1] and "HTTP 404" in
                rs.get("backend_refusing", ("", ""))[1], "refuse-all: degraded names URL and status")
        t0 = time.monotonic()
        ok = dlv.wait_for(lambda: "backend_refusing_all" in health(port)[2], 45, 0.5)
        st, status, rs = health(port)
        detail = rs.get("backend_refusing_all", ("", ""))[1]
        C.check(ok and st == 503 and status == "unhealthy",
                "refuse-all: unhealthy after refusing everything (%r, %r)" % (status, rs))
        C.check(post in detail and "HTTP 404" in detail and "check --backend-url" in detail,
                "refuse-all: the reason names the URL and what to check: %r" % detail)
        C.check(time.monotonic() - t0 < 40, "refuse-all: within the 30 s (+ the answer delays)")
        dlv.wait_for(lambda: be.stats()["requests"] >= n_rec // 15, 60, 0.5)
        f.term()
        consistent(C, "refuse-all", f)
        C.eq(f.stats.get("dead_lettered"), n_rec, "refuse-all: every refused record kept")
        C.eq(f.stats.get("refused"), n_rec, "refuse-all: refused counter")
        dl = os.path.join(state, "spool", "dead-letter")
        C.eq(whole_pairs(C, "refuse-all", dl), n_rec // 15, "refuse-all: one dead letter per batch, by default")
        C.check("health: unhealthy" in f.stderr and "backend_refusing_all" in f.stderr,
                "refuse-all: the change to unhealthy is logged")
    finally:
        be.stop()


def full_disk(tmp, pcap, n_rec):
    """Dead letters on a 64 KiB tmpfs: some fit, the rest are dead_letter_io, nothing half-written."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        print("note: not root (or no unshare): the full-disk dead-letter case is skipped")
        return
    be = dlv.Backend(tmp, mode=["status", "code=422"])
    port = dlv.free_port()
    dl = os.path.join(tmp, "dl-tiny")
    os.mkdir(dl)
    try:
        pre = ["unshare", "-m", "sh", "-c",
               'mount --make-rprivate / && mount -t tmpfs -o size=64k,mode=0700 cftiny "$0" && exec "$@"', dl]
        f = dlv.Flowd(tmp, pcap, ["--backend-url", be.url, "--batch-size", "100", "--dead-letter-dir", dl,
                                  "--http-port", str(port)] + dlv.FAST, idle_exit=False, pre=pre)
        ok = dlv.wait_for(lambda: "dead_letter_failing" in health(port)[2], 30, 0.2)
        st, status, rs = health(port)
        detail = rs.get("dead_letter_failing", ("", ""))[1]
        C.check(ok and "No space left on device" in detail and dl in detail,
                "full disk: /health dead_letter_failing with the error and the directory: %r" % (rs,))
        # Look at the directory from inside the collector's mount namespace.
        files = subprocess.run(["nsenter", "-t", str(f.p.pid), "-m", "ls", "-la", dl],
                               capture_output=True, text=True).stdout
        f.term()
        s = f.stats
        C.check(s.get("drop_dead_letter_io", 0) > 0,
                "full disk: dead_letter_io counted (%r)" % s.get("drop_dead_letter_io"))
        C.eq(s.get("dead_lettered", 0) + s.get("drop_dead_letter_io", 0), n_rec,
             "full disk: every refused record is kept or counted dead_letter_io")
        C.eq(s.get("dead_lettered", 0) % 100, 0, "full disk: only whole batches counted kept")
        C.check(" 0 " not in "".join(l for l in files.splitlines() if l.endswith((".json", ".response"))),
                "full disk: no zero-byte dead letter: %s" % files)
        C.check(".tmp" not in files, "full disk: no temporary file left")
        C.check("cannot write dead letter" in f.stderr and "errno 28" in f.stderr,
                "full disk: the failure is logged with errno")
        consistent(C, "full disk", f)
    finally:
        be.stop()


def budget(tmp, pcap, n_rec):
    be = dlv.Backend(tmp, mode=["status", "code=422"])
    port = dlv.free_port()
    spool = os.path.join(tmp, "spool-budget")
    try:
        # One 100-record batch is ~60 KB: a 100 kB budget keeps one.
        f = dlv.Flowd(tmp, pcap, ["--backend-url", be.url, "--batch-size", "100", "--spool-dir", spool,
                                  "--dead-letter-max-bytes", "100000", "--http-port", str(port)]
                      + dlv.FAST, idle_exit=False)
        ok = dlv.wait_for(lambda: "dead_letter_failing" in health(port)[2], 30, 0.2)
        detail = health(port)[2].get("dead_letter_failing", ("", ""))[1]
        C.check(ok and "--dead-letter-max-bytes used up" in detail, "budget: /health says so: %r" % detail)
        dlv.wait_for(lambda: be.stats()["requests"] >= n_rec // 100, 30)
        f.term()
        C.eq(f.stats.get("dead_lettered"), 100, "budget: one batch kept")
        C.eq(f.stats.get("drop_dead_letter_full"), n_rec - 100, "budget: the rest counted dead_letter_full")
        C.eq(whole_pairs(C, "budget", os.path.join(spool, "dead-letter")), 1, "budget: one dead letter on disk")
        consistent(C, "budget", f)
    finally:
        be.stop()


def no_spool(tmp, pcap, n_rec):
    be = dlv.Backend(tmp, mode=["status", "code=422"])
    port = dlv.free_port()
    try:
        f = dlv.Flowd(tmp, pcap, ["--backend-url", be.url, "--spool-dir", "none", "--http-port", str(port)]
                      + dlv.FAST, idle_exit=False)
        ok = dlv.wait_for(lambda: "backend_refusing" in health(port)[2], 30, 0.2)
        detail = health(port)[2].get("backend_refusing", ("", ""))[1]
        C.check(ok and "not kept" in detail, "no spool: /health says refused records are not kept: %r" % detail)
        f.term()
        warn = [l for l in f.stderr.splitlines() if "--spool-dir none" in l and " warning: " in l]
        C.check(len(warn) == 1 and " warning: " in warn[0] and "dropped" in warn[0],
                "no spool: one warning at start: %r" % warn)
        C.eq(f.stats.get("drop_refused_not_kept"), n_rec, "no spool: refused records counted refused_not_kept")
        C.eq(f.stats.get("dead_lettered"), 0, "no spool: nothing counted kept")
        # "none" is a word, not a path: nothing written where the collector ran.
        C.check(not os.path.exists(os.path.join(os.getcwd(), "none")),
                "no spool: no directory 'none' made in %s" % os.getcwd())
        consistent(C, "no spool", f)
    finally:
        be.stop()


def main():
    if not os.path.exists(cflib.BIN):
        cflib.skip(NAME, "no binary at %s (run scripts/build.sh)" % cflib.BIN)
    tmp = tempfile.mkdtemp(prefix="cf-refuse-")
    try:
        pcap, exp = dlv.gen_v5(tmp, "v5", 20)
        n = len(exp)
        budget(tmp, pcap, n)
        no_spool(tmp, pcap, n)
        full_disk(tmp, pcap, n)
        refuse_all(tmp, pcap, n)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    C.done()


if __name__ == "__main__":
    main()

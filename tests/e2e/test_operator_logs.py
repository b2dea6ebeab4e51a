#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""What an operator sees in the logs and what signals do:

  - SIGHUP never ends the process: it reopens --log-file and the --output file (as
    after logrotate moved them) and logs that it did; records that arrive after it go
    to the new file, none is lost or doubled; SIGTERM is logged with what is flushed;
  - every log line has an ISO-8601 UTC timestamp and one program prefix (the counter
    blocks are a report: their header carries the time);
  - output write errors are logged with errno, rate-limited, make /health report them
    and the exit status 1 (records were lost);
  - the breaker log counts opens (outages) and re-opens (failed probes) apart;
  - --stats-period prints a timestamp, rates per second and only the drop reasons that
    are not zero, while the final block keeps every counter for parsers.
The SIGHUP part runs in a network namespace of its own (records sent when the test
says, on af_packet); the rest on the pcap PMD.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cflib  # noqa: E402
import dlv  # noqa: E402
import netns  # noqa: E402

NAME = "operator_logs"
C = cflib.Checker(NAME)
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z clarion-flowd: ")
REPORT = re.compile(r"^(==== |port \d+: |lcore \d+: |total: |drops: |delivery: |delivery_drops: |rate: |config: |"
                    r"unknown_elements:|sflow_unknown:)")


def lines_of(path):
    with open(path) as f:
        return f.read().splitlines()


def count_lines(path):
    try:
        with open(path) as f:
            return sum(1 for ln in f if ln.strip())
    except FileNotFoundError:
        return 0


def all_prefixed(c, tag, lines):
    bad = [ln for ln in lines if ln and not LINE.match(ln) and not REPORT.match(ln)]
    c.eq(bad[:3], [], tag + ": every log line has the time and the program prefix")
    c.check(not any(ln.startswith("clarion: ") or "clarion-flowd: clarion" in ln for ln in lines),
            tag + ": one program prefix, not two")


def sighup(tmp):
    """Inside the namespace: logrotate moves both files, SIGHUP, records keep flowing."""
    out, log = os.path.join(tmp, "flows.ndjson"), os.path.join(tmp, "flowd.log")
    pa, ea = dlv.gen_v5(tmp, "hup-a", 10, records=30, seed=21)
    pb, eb = dlv.gen_v5(tmp, "hup-b", 10, records=30, seed=22)
    cmd = [cflib.BIN] + netns.eal_args("cfhup%d" % os.getpid()) + \
        ["--", "--output", "ndjson:" + out, "--log-file", log]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    tx = netns.Sender()
    try:
        C.check(dlv.wait_for(lambda: os.path.exists(log) and "ports netflow=" in open(log).read(), 30),
                "hup: started, logging to --log-file")
        tx.send(netns.pcap_frames(pa))
        C.check(dlv.wait_for(lambda: count_lines(out) == len(ea), 20), "hup: first records written")
        os.rename(out, out + ".1")
        os.rename(log, log + ".1")
        p.send_signal(signal.SIGHUP)
        C.check(dlv.wait_for(lambda: os.path.exists(log) and "SIGHUP: reopened" in open(log).read(), 10),
                "hup: the reopen is logged in the new log file")
        C.check(p.poll() is None, "hup: SIGHUP did not end the process")
        text = open(log).read()
        C.check("reopened --log-file, --output ndjson:%s" % out in text,
                "hup: says what it reopened: %r" % text[-300:])
        tx.send(netns.pcap_frames(pb))
        C.check(dlv.wait_for(lambda: count_lines(out) == len(eb), 20),
                "hup: records after SIGHUP go to the new --output file (%d)" % count_lines(out))
        for _ in range(2):
            p.send_signal(signal.SIGHUP)
            time.sleep(0.3)
        C.check(dlv.wait_for(lambda: "reload #3" in open(log).read(), 10) and p.poll() is None,
                "hup: three SIGHUPs, three reloads, still running")
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=60)
        C.eq(rc, 0, "hup: exit status")
        C.eq(p.stderr.read(), "", "hup: nothing on stderr: everything in --log-file")
        C.eq(count_lines(out + ".1"), len(ea), "hup: the old file kept exactly the records before")
        C.eq(count_lines(out), len(eb), "hup: the new one exactly those after")
        new = lines_of(log)
        stop = [ln for ln in new if "SIGTERM: stopping RX" in ln]
        C.check(len(stop) == 1 and "flushing --output ndjson:%s" % out in stop[0],
                "hup: SIGTERM logged with what is flushed: %r" % stop)
        C.check("==== final ====" in "\n".join(new), "hup: final counters in the new log file")
        C.eq(cflib.parse_final("\n".join(new)).get("output"), len(ea) + len(eb), "hup: output counter")
        all_prefixed(C, "hup", lines_of(log + ".1") + new)
    finally:
        tx.close()
        if p.poll() is None:
            p.kill()
            p.wait()


def output_errors(tmp):
    """ndjson to /dev/full under a flood: many failed writes, few lines, each with errno."""
    if not os.path.exists("/dev/full"):
        print("note: no /dev/full; output write errors not tested")
        return
    pcap, _ = dlv.gen_v5(tmp, "full", 50, records=30, seed=23)
    port = dlv.free_port()
    cmd = [cflib.BIN] + cflib.eal_args("net_pcap0,rx_pcap=%s,infinite_rx=1" % pcap) + \
        ["--", "--output", "ndjson:/dev/full", "--http-port", str(port), "--agent-port", "0",
         "--run-time", "6"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    ok = dlv.wait_for(lambda: "output_failing" in dlv.reasons(dlv.get_json(port, "/health")[1]), 15, 0.2)
    _, err = p.communicate(timeout=60)
    C.check(ok, "write errors: /health reports output_failing")
    C.eq(p.returncode, 1, "write errors: exit status 1 (records lost)")
    logged = [ln for ln in err.splitlines() if "--output ndjson:/dev/full:" in ln]
    C.check(1 <= len(logged) <= 3, "write errors: rate-limited, %d lines in 6 s" % len(logged))
    C.check(all(" error: " in ln and "No space left on device (errno 28)" in ln and "records lost" in ln
                for ln in logged), "write errors: each line has errno and the loss: %r" % logged[:1])
    m = re.search(r"(\d+) write\(s\) failed", logged[0]) if logged else None
    final = cflib.parse_final(err)
    C.check(m is not None and final.get("output_failed", 0) > 0, "write errors: counted (%r)" % logged[:1])
    C.eq(final.get("output_failed"), dlv.parse_delivery(err).get("dropped"),
         "write errors: output_failed is the ledger's dropped")
    all_prefixed(C, "write errors", err.splitlines())


def breaker(tmp):
    """Backend refusing connections: one outage (open), then failed probes (re-opens)."""
    pcap, _ = dlv.gen_v5(tmp, "brk", 10, records=30, seed=24)
    be = dlv.Backend(tmp, mode=["refuse"])
    try:
        f = dlv.Flowd(tmp, pcap, ["--backend-url", be.url] + dlv.FAST, idle_exit=False)
        C.check(dlv.wait_for(lambda: "re-open #2" in f.log(), 30), "breaker: re-opens logged")
        f.term()
        text = f.stderr
        opens = [ln for ln in text.splitlines() if "closed -> open" in ln]
        reopens = [ln for ln in text.splitlines() if "half-open -> open" in ln]
        C.check(len(opens) == 1 and "open #1; re-opens so far 0" in opens[0],
                "breaker: one outage, logged as open #1: %r" % opens)
        C.check(len(reopens) >= 2 and "the probe failed (re-open #1; opens so far 1)" in reopens[0],
                "breaker: failed probes logged as re-opens: %r" % reopens[:2])
        C.eq(f.stats.get("breaker_opens"), 1, "breaker: breaker_opens counts outages")
        C.eq(f.stats.get("breaker_reopens"), len(reopens), "breaker: breaker_reopens counts the rest")
    finally:
        be.stop()


def stats_period(tmp):
    pcap, _ = dlv.gen_v5(tmp, "sp", 20, records=30, seed=25)
    r = cflib.run_pcap(pcap, ["--stats-period", "1", "--run-time", "3", "--output", "null",
                              "--idle-exit", "0", "--netflow-port", "2056"],
                       vdev_extra=",infinite_rx=1")
    blocks = re.findall(r"^==== stats (\S+) \(every 1 s\) ====\n(.*?)(?=^==== )", r.stderr, re.M | re.S)
    C.check(len(blocks) >= 2, "--stats-period: blocks with a header time (%d)" % len(blocks))
    for ts, body in blocks[:2]:
        C.check(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", ts) is not None,
                "--stats-period: ISO-8601 UTC time %r" % ts)
        rate = re.search(r"^rate: rx_packets=([\d.]+)/s flow_datagrams=[\d.]+/s records=[\d.]+/s "
                         r"delivered=[\d.]+/s drops=([\d.]+)/s \(over [\d.]+ s\)$", body, re.M)
        C.check(rate is not None and float(rate.group(1)) > 0, "--stats-period: rates per second")
        drops = re.search(r"^drops:(.*)$", body, re.M).group(1)
        pairs = re.findall(r"(\w+)=(\d+)", drops)
        # Port 2056: every datagram is a udp_port drop, nothing else is.
        C.check(pairs and all(int(v) > 0 for _, v in pairs) and [k for k, _ in pairs] == ["udp_port"],
                "--stats-period: only the drop reasons that are not zero: %r" % drops[:200])
    final = r.stats["drops"]
    C.check(len(final) > 50 and final.get("ring_full") == 0, "final block: every drop reason, zeros too")
    C.check(final.get("udp_port", 0) > 0, "final block: the drop itself")


def main():
    if not os.path.exists(cflib.BIN):
        cflib.skip(NAME, "no binary at %s (run scripts/build.sh)" % cflib.BIN)
    inside = netns.enter(NAME)
    tmp = tempfile.mkdtemp(prefix="cf-oplogs-")
    try:
        parts = [output_errors, breaker, stats_period]
        if inside is None:
            print("note: not root: the SIGHUP part (network namespace) is skipped")
        else:
            parts.insert(0, sighup)
        for part in parts:
            try:
                part(tmp)
            except Exception as e:  # noqa: BLE001 - report, go on with the next part
                C.check(False, "%s raised %r" % (part.__name__, e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    C.done()


if __name__ == "__main__":
    main()

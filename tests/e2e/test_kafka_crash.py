#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""kill -9 of clarion-flowd while it spools to Kafka (brokers down, infinite
replay of a capture), the brokers back up and the spool being replayed at the
kill; then a restart: every record on disk at the kill (read by an independent
parser) reaches the topic at least once, with its content; nothing reaches it
that was neither on disk nor already delivered; every duplicate (same
clarion-id twice) is a record that was both delivered and still on disk at the
kill, so duplicates are counted and bounded by what was in flight."""
import collections
import json
import os
import random
import shutil
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cflib  # noqa: E402
import dlv  # noqa: E402
import kafka  # noqa: E402

NAME = "kafka_crash"
QUIET = ["--agent-port", "0"]



def replayed(port):
    """clarion_flowd_kafka_spool_replayed_records_total from /metrics (0 when unreadable)."""
    req = urllib.request.Request("http://127.0.0.1:%d/metrics" % port,
                                 headers={"Accept": "text/plain;version=0.0.4"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            for line in r.read().decode().splitlines():
                if line.startswith("clarion_flowd_kafka_spool_replayed_records_total "):
                    return float(line.split()[1])
    except OSError:
        pass
    return 0


def spool_bytes(d):
    try:
        return sum(os.path.getsize(os.path.join(d, n)) for n in os.listdir(d) if n.startswith("seg-"))
    except OSError:
        return 0


def spool_empty(kdir):
    """No entry left; a segment deleted while we read it counts as not yet known."""
    try:
        return not dlv.spool_entries(kdir)
    except FileNotFoundError:
        return False


def disk_records(kdir):
    """clarion-id -> record of every line of every complete spool entry."""
    out = {}
    for e in dlv.spool_entries(kdir):
        if not e["ok"]:
            continue
        for i, line in enumerate(e["body"].decode().split("\n")):
            if line:
                out["%016x-%d-%d" % (e["boot"], e["seq"], i)] = json.loads(line)
    return out


def one_crash(c, tmp, pcap, round_no):
    tag = "crash%d" % round_no
    # The mock keeps a few MB per partition: spread the keys, keep the spool small.
    cl = kafka.Cluster(partitions=8)
    spool = os.path.join(tmp, "spool-%d" % round_no)
    kdir = os.path.join(spool, "kafka")
    port = cflib.free_port()
    try:
        cl.down(-1)
        f = dlv.Flowd(tmp, pcap, kafka.kafka_args(cl, QUIET + ["--http-port", str(port), "--spool-dir", spool, "--spool-max-bytes",
                                                               str(4 << 20)] + kafka.FAST),
                      infinite=True, idle_exit=False)
        c.check(kafka.wait_for(lambda: spool_bytes(kdir) > (2 << 20), 60),
                tag + ": spool grew past 2 MiB with the brokers down")
        cl.up(-1)
        # Replaying (and delivering live records) when the kill comes.
        c.check(kafka.wait_for(lambda: replayed(port) >= 500, 60, step=0.02),
                tag + ": replay under way before the kill")
        time.sleep(random.uniform(0.0, 0.2))
        f.kill9()
        c.eq(f.rc, -9, tag + ": killed by SIGKILL")
        on_disk = disk_records(kdir)
        before = collections.Counter(m["hdr"]["clarion-id"] for m in cl.consume())
        c.check(len(on_disk) > 0, tag + ": records on disk at the kill (%d)" % len(on_disk))
        c.check(sum(before.values()) > 0, tag + ": records delivered before the kill (%d)"
                % sum(before.values()))

        f2 = dlv.Flowd(tmp, pcap, kafka.kafka_args(cl, QUIET + ["--http-port", "0", "--spool-dir", spool, "--netflow-port", "9"]
                                                   + kafka.FAST), idle_exit=False)
        c.check(kafka.wait_for(lambda: spool_empty(kdir), 90), tag + ": spool replayed after restart")
        f2.term()
        k = kafka.parse_kafka(f2.stderr)
        c.eq(f2.rc, 0, tag + ": restart exit status")
        c.eq(k.get("balanced"), 1, tag + ": restart ledger balanced")
        c.eq(k.get("recovered"), len(on_disk), tag + ": recovered = records on disk at the kill")
        c.eq(k.get("drop_spool_corrupt"), 0, tag + ": no corrupt entry")

        msgs = cl.consume()
        c.check(all(m["offset"] > 0 or m["offset"] == 0 for m in msgs) and
                {m["partition"]: 0 for m in msgs} == {m["partition"]: min(x["offset"] for x in msgs
                                                                         if x["partition"] == m["partition"])
                                                      for m in msgs},
                tag + ": the mock kept every message (no partition trimmed)")
        after = collections.Counter(m["hdr"]["clarion-id"] for m in msgs)
        missing = [i for i in on_disk if i not in after]
        c.check(not missing, tag + ": every record on disk delivered (%d of %d missing)"
                % (len(missing), len(on_disk)))
        value = {m["hdr"]["clarion-id"]: m["value"] for m in msgs}
        wrong = [i for i in on_disk if i in value and value[i] != on_disk[i]]
        c.check(not wrong, tag + ": delivered records carry exactly their spooled content (%d differ)"
                % len(wrong))
        extra = set(after) - set(before) - set(on_disk)
        c.check(not extra, tag + ": nothing delivered that was neither delivered before nor on disk "
                "(%d, e.g. %s)" % (len(extra), sorted(extra)[:3]))
        dups = {i: n for i, n in after.items() if n > 1}
        in_flight = set(before) & set(on_disk)
        c.check(set(dups) <= in_flight, tag + ": every duplicate was delivered and on disk at the kill "
                "(%d of %d outside)" % (len(set(dups) - in_flight), len(dups)))
        c.check(sum(n - 1 for n in dups.values()) <= len(in_flight),
                tag + ": duplicates (%d) bounded by what was in flight (%d)"
                % (sum(n - 1 for n in dups.values()), len(in_flight)))
        print("%s: %d on disk, %d delivered before the kill, %d duplicates after restart"
              % (tag, len(on_disk), sum(before.values()), sum(n - 1 for n in dups.values())))
    finally:
        cl.stop()


def main():
    c = cflib.Checker(NAME)
    if not os.path.exists(cflib.BIN):
        cflib.skip(NAME, "no binary at %s (run scripts/build.sh)" % cflib.BIN)
    why = kafka.missing_tools()
    if why:
        cflib.skip(NAME, why)
    tmp = tempfile.mkdtemp(prefix="cf-kcrash-")
    try:
        pcap = os.path.join(tmp, "v5.pcap")
        cflib.gen("v5", "--out", pcap, "--datagrams", "60", "--records", "30", "--exporters", "8",
                  "--seed", "5")
        one_crash(c, tmp, pcap, 1)
        one_crash(c, tmp, pcap, 2)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    c.done()


if __name__ == "__main__":
    main()

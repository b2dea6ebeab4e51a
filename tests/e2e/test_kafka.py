#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The Kafka output against librdkafka's mock cluster (3 brokers, real Kafka
protocol on loopback TCP), read back by an independent consumer (kcat):
  - normal operation: every record exactly once (unique clarion-id), keyed by
    switch_id, each key in one partition and in arrival order;
  - Kafka beside HTTP: both get every record, both ledgers balance;
  - brokers down at start then up: records spooled, then replayed, exactly
    once and in order; /metrics and /health say so meanwhile;
  - a leader change mid-stream: nothing lost, duplicated or reordered;
  - refusals (MSG_SIZE_TOO_LARGE, TOPIC_AUTHORIZATION_FAILED) dead-lettered,
    counted, and exactly the missing records;
  - TLS and other librdkafka options passed through: refused clearly (exit 2,
    librdkafka's words) or accepted (a TLS handshake the plaintext mock
    cannot do: records kept on disk, nothing lost)."""
import collections
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cflib  # noqa: E402
import dlv  # noqa: E402
import kafka  # noqa: E402

NAME = "kafka"
QUIET = ["--agent-port", "0"]



def get(port, path):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                 headers={"Accept": "text/plain;version=0.0.4"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return 0, ""


def metric(text, name, labels=None):
    """Value of one sample of the Prometheus text, or None."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        head, _, val = line.rpartition(" ")
        if head == name or (labels and head.startswith(name + "{") and
                            all('%s="%s"' % kv in head for kv in labels.items())):
            return float(val)
    return None


def per_key_order(c, msgs, want, what):
    """Every key in one partition; within it, the key's records in the order
    they were exported (want: the generator's records, in pcap order)."""
    parts = collections.defaultdict(set)
    seq = collections.defaultdict(list)
    for m in msgs:
        parts[m["key"]].add(m["partition"])
        seq[m["key"]].append(dlv.canon(m["value"]))
    c.check(all(len(p) == 1 for p in parts.values()),
            "%s: each key in one partition (%s)" % (what, {k: sorted(v) for k, v in parts.items()}))
    wseq = collections.defaultdict(list)
    for r in want:
        wseq[r["switch_id"]].append(dlv.canon(r))
    bad = [k for k in wseq if seq.get(k) != wseq[k]]
    c.check(not bad, "%s: per-key order as exported (%d of %d keys differ)" % (what, len(bad), len(wseq)))


def exactly_once(c, msgs, want, what):
    ids = collections.Counter(m["hdr"].get("clarion-id") for m in msgs)
    dups = sum(n - 1 for n in ids.values() if n > 1)
    c.eq(dups, 0, what + ": no clarion-id twice")
    c.eq(len(msgs), len(want), what + ": messages in the topic")
    dlv.same_records(c, [m["value"] for m in msgs], want, what + ": records")
    c.check(all(m["key"] == m["value"]["switch_id"] for m in msgs), what + ": key = switch_id")


def normal(c, tmp, pcap, want):
    cl = kafka.Cluster()
    try:
        f = dlv.run(tmp, pcap, kafka.kafka_args(cl, QUIET + ["--http-port", "0"] + kafka.FAST))
        k = kafka.parse_kafka(f.stderr)
        c.eq(f.rc, 0, "normal: exit status")
        c.eq(k.get("balanced"), 1, "normal: ledger balanced")
        c.eq(k.get("delivered"), len(want), "normal: delivered")
        c.eq(k.get("messages_delivered"), len(want), "normal: messages acknowledged")
        c.check("delivery:" not in f.stderr.split("==== final ====")[-1],
                "normal: no HTTP ledger without --backend-url")
        msgs = cl.consume()
        exactly_once(c, msgs, want, "normal")
        per_key_order(c, msgs, want, "normal")
        c.check(len({m["partition"] for m in msgs}) > 1, "normal: several partitions used")
    finally:
        cl.stop()


def beside_http(c, tmp, pcap, want):
    cl = kafka.Cluster()
    be = dlv.Backend(tmp)
    try:
        f = dlv.run(tmp, pcap, kafka.kafka_args(cl, QUIET + ["--http-port", "0", "--backend-url",
                                                             be.url] + dlv.FAST + kafka.FAST))
        c.eq(f.rc, 0, "both: exit status")
        c.eq(f.stats.get("balanced"), 1, "both: HTTP ledger balanced")
        c.eq(f.stats.get("delivered"), len(want), "both: HTTP delivered")
        k = kafka.parse_kafka(f.stderr)
        c.eq(k.get("balanced"), 1, "both: Kafka ledger balanced")
        c.eq(k.get("delivered"), len(want), "both: Kafka delivered")
        dlv.same_records(c, dlv.accepted_records(be.accepted()), want, "both: backend records")
        exactly_once(c, cl.consume(), want, "both: Kafka")
    finally:
        be.stop()
        cl.stop()


def down_then_up(c, tmp, pcap, want):
    cl = kafka.Cluster()
    spool = os.path.join(tmp, "spool-down")
    port = cflib.free_port()
    try:
        cl.down(-1)
        f = dlv.Flowd(tmp, pcap, kafka.kafka_args(cl, QUIET + ["--http-port", str(port),
                                                               "--spool-dir", spool] + kafka.FAST),
                      idle_exit=False)
        kdir = os.path.join(spool, "kafka")
        on_disk = kafka.wait_for(
            lambda: sum(e["nrec"] for e in dlv.spool_entries(kdir)) == len(want), 60)
        c.check(on_disk, "down: every record on disk while the brokers are down")
        disk_order = [json.loads(line) for e in dlv.spool_entries(kdir)
                      for line in e["body"].decode().split("\n") if line]
        _, m = get(port, "/metrics")
        c.eq(metric(m, "clarion_flowd_kafka_spool_records"), float(len(want)),
             "down: /metrics kafka spool records")
        c.check((metric(m, "clarion_flowd_kafka_message_errors_total", {"code": "_PURGE_QUEUE"}) or 0)
                + (metric(m, "clarion_flowd_kafka_message_errors_total", {"code": "_MSG_TIMED_OUT"}) or 0)
                > 0, "down: /metrics message errors by code")
        c.check((metric(m, "clarion_flowd_kafka_client_errors_total", {"code": "_TRANSPORT"}) or 0) > 0,
                "down: /metrics client errors by code")
        st, h = get(port, "/health")
        c.check(st == 503 and "kafka_circuit_open" in h, "down: /health unhealthy, kafka_circuit_open "
                "(%d %s)" % (st, h[:200]))
        cl.up(-1)
        drained = kafka.wait_for(lambda: not dlv.spool_entries(kdir), 60)
        c.check(drained, "down: spool replayed once the brokers are up")
        healthy = kafka.wait_for(lambda: get(port, "/health")[0] == 200, 20)
        c.check(healthy, "down: /health back to 200")
        _, m = get(port, "/metrics")
        c.eq(metric(m, "clarion_flowd_kafka_spool_replayed_records_total"), float(len(want)),
             "down: /metrics replayed")
        c.check(kafka.wait_for(lambda: metric(get(port, "/metrics")[1], "clarion_flowd_kafka_broker_state",
                                              {"state": "UP"}) == 1, 10),
                "down: /metrics broker state UP (librdkafka statistics)")
        f.term()
        k = kafka.parse_kafka(f.stderr)
        c.eq(f.rc, 0, "down: exit status")
        c.eq(k.get("balanced"), 1, "down: ledger balanced")
        c.eq(k.get("replayed"), len(want), "down: replayed counter")
        msgs = cl.consume()
        exactly_once(c, msgs, want, "down")
        # Replayed in spool order (the order batches reached the disk).
        per_key_order(c, msgs, disk_order, "down")
    finally:
        cl.stop()


def leader_change(c, tmp, pcap, want):
    cl = kafka.Cluster(partitions=4)
    try:
        # Slow answers keep batches on the wire while the leaders move.
        cl.cmd("rtt -1 150")
        f = dlv.Flowd(tmp, pcap, kafka.kafka_args(cl, QUIET + ["--http-port", "0"] + kafka.FAST
                                                  + ["--request-timeout-ms", "30000"]))
        time.sleep(1.0)
        for p in range(4):
            cl.cmd("leader %d %d" % (p, (p + 1) % 3 + 1))
        cl.cmd("rtt -1 0")
        f.wait(90)
        k = kafka.parse_kafka(f.stderr)
        c.eq(f.rc, 0, "leader: exit status")
        c.eq(k.get("balanced"), 1, "leader: ledger balanced")
        c.eq(k.get("delivered"), len(want), "leader: delivered")
        msgs = cl.consume()
        exactly_once(c, msgs, want, "leader")
        per_key_order(c, msgs, want, "leader")
        c.check({m["broker"] for m in msgs} >= {1, 2, 3}, "leader: the topic read from the new leaders")
    finally:
        cl.stop()


def dead_letter_records(d):
    recs = []
    for path in sorted(glob.glob(os.path.join(d, "*.json"))):
        with open(path) as fh:
            recs += [json.loads(line) for line in fh if line.strip()]
    return recs


def refused(c, tmp, pcap, want):
    cl = kafka.Cluster()
    spool = os.path.join(tmp, "spool-refused")
    try:
        # The first Produce request is refused as too large, the second as not authorised.
        cl.cmd("err 0 10 1")
        cl.cmd("err 0 29 1")
        f = dlv.run(tmp, pcap, kafka.kafka_args(cl, QUIET + ["--http-port", "0", "--spool-dir",
                                                             spool] + kafka.FAST), timeout=90)
        k = kafka.parse_kafka(f.stderr)
        c.eq(f.rc, 0, "refused: exit status")
        c.eq(k.get("balanced"), 1, "refused: ledger balanced")
        c.check(k.get("dead_lettered", 0) > 0, "refused: records dead-lettered (%s)" % k.get("dead_lettered"))
        c.check(k.get("err_MSG_SIZE_TOO_LARGE", 0) > 0 and k.get("err_TOPIC_AUTHORIZATION_FAILED", 0) > 0,
                "refused: both codes counted (%s)" % {x: y for x, y in k.items() if x.startswith("err_")})
        c.eq(k.get("delivered", 0) + k.get("dead_lettered", 0), len(want), "refused: delivered + dead = received")
        dl = dead_letter_records(os.path.join(spool, "kafka", "dead-letter"))
        c.eq(len(dl), k.get("dead_lettered"), "refused: dead-letter files hold the counted records")
        resp = glob.glob(os.path.join(spool, "kafka", "dead-letter", "*.response"))
        text = "".join(open(p).read() for p in resp)
        c.check("MSG_SIZE_TOO_LARGE" in text and "TOPIC_AUTHORIZATION_FAILED" in text,
                "refused: .response files name the error")
        msgs = cl.consume()
        ids = collections.Counter(m["hdr"].get("clarion-id") for m in msgs)
        c.eq(sum(n - 1 for n in ids.values() if n > 1), 0, "refused: no duplicate")
        dlv.same_records(c, [m["value"] for m in msgs] + dl, want, "refused: topic + dead letters")
    finally:
        cl.stop()


def options(c, tmp, pcap, want):
    cl = kafka.Cluster()
    try:
        for opts, words in (
                (["bogus.property=1"], ["bogus.property", "No such configuration property"]),
                (["security.protocol=ssl", "ssl.ca.location=/nonexistent/ca.pem"],
                 ["kafka:", "ssl.ca.location", "failed"]),
                (["compression.codec=brotli"], ["compression.codec", "brotli"]),
                (["linger.ms"], ["--kafka-opt", "KEY=VALUE"])):
            args = kafka.kafka_args(cl, QUIET + ["--http-port", "0"])
            for o in opts:
                args += ["--kafka-opt", o]
            f = dlv.run(tmp, pcap, args)
            c.eq(f.rc, 2, "opts %s: refused with exit 2" % opts)
            c.check(all(w in f.stderr for w in words), "opts %s: message names it (%s)"
                    % (opts, f.stderr.strip().splitlines()[-1:] if f.stderr.strip() else ""))
        # Accepted TLS settings: a real CA file; the plaintext mock cannot finish a
        # handshake, so records wait on disk and nothing is lost or crashes.
        ca_key, ca = os.path.join(tmp, "ca.key"), os.path.join(tmp, "ca.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key,
                        "-out", ca, "-days", "1", "-subj", "/CN=test-ca"], check=True,
                       capture_output=True)
        spool = os.path.join(tmp, "spool-tls")
        f = dlv.run(tmp, pcap, kafka.kafka_args(cl, QUIET + ["--http-port", "0", "--spool-dir", spool,
                                                             "--kafka-opt", "security.protocol=ssl",
                                                             "--kafka-opt", "ssl.ca.location=" + ca]
                                                + kafka.FAST), timeout=90)
        k = kafka.parse_kafka(f.stderr)
        c.eq(f.rc, 0, "tls: accepted, clean exit")
        c.eq(k.get("balanced"), 1, "tls: ledger balanced")
        c.eq(k.get("delivered"), 0, "tls: nothing delivered over a failed handshake")
        c.eq(k.get("spooled"), len(want), "tls: every record kept on disk")
        c.eq(sum(e["nrec"] for e in dlv.spool_entries(os.path.join(spool, "kafka"))), len(want),
             "tls: spool files hold them")
        c.check("SSL" in f.stderr or "ssl" in f.stderr, "tls: the handshake failure is logged")
    finally:
        cl.stop()


def main():
    c = cflib.Checker(NAME)
    if not os.path.exists(cflib.BIN):
        cflib.skip(NAME, "no binary at %s (run scripts/build.sh)" % cflib.BIN)
    why = kafka.missing_tools()
    if why:
        cflib.skip(NAME, why)
    tmp = tempfile.mkdtemp(prefix="cf-kafka-")
    try:
        pcap = os.path.join(tmp, "v5.pcap")
        exp = os.path.join(tmp, "v5.ndjson")
        cflib.gen("v5", "--out", pcap, "--expect", exp, "--datagrams", "100", "--records", "30",
                  "--exporters", "6", "--seed", "17")
        want = dlv.read_ndjson(exp)
        normal(c, tmp, pcap, want)
        beside_http(c, tmp, pcap, want)
        down_then_up(c, tmp, pcap, want)
        leader_change(c, tmp, pcap, want)
        refused(c, tmp, pcap, want)
        options(c, tmp, pcap, want)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    c.done()


if __name__ == "__main__":
    main()

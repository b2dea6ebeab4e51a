# SPDX-License-Identifier: BSD-3-Clause
"""Helpers for the Kafka end-to-end tests: librdkafka's mock cluster
(tests/backend/kafka_mock.c, driven over its stdin), an independent consumer
(Debian's kcat) that reads the topic back, and clarion-flowd runs with
--kafka-brokers. The final "kafka:" counters parse like the "delivery:" ones.
"""
import json
import os
import shutil
import subprocess
import time

import cflib

MOCK = os.path.join(cflib.ROOT, "build", "tests", "kafka_mock")

# Short timers so every scenario finishes in seconds (as dlv.FAST).
FAST = ["--batch-size", "100", "--kafka-batch-ms", "50", "--retry-initial-ms", "20",
        "--retry-max-ms", "200", "--breaker-threshold", "3", "--breaker-cooldown-ms", "300",
        "--shutdown-timeout", "3", "--connect-timeout-ms", "1000", "--request-timeout-ms", "1500"]


def missing_tools():
    if not os.path.exists(MOCK):
        return "no %s (run scripts/build.sh)" % MOCK
    if shutil.which("kcat") is None:
        return "kcat not installed (scripts/deps.sh --test)"
    return None


class Cluster:
    """A 3-broker mock cluster with one topic; commands as in kafka_mock.c."""

    def __init__(self, topic="flows", partitions=4, brokers=3):
        self.topic = topic
        # Its own log (protocol errors it is made to see, e.g. a TLS hello) stays out of ours.
        self.err = open(os.devnull, "w")
        self.p = subprocess.Popen([MOCK, "--topic", topic, "--partitions", str(partitions),
                                   "--brokers", str(brokers)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=self.err, text=True)
        words = self.p.stdout.readline().split()
        if len(words) != 2 or words[0] != "BOOTSTRAP":
            raise RuntimeError("kafka_mock did not start: %r" % words)
        self.bootstrap = words[1]

    def cmd(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        ans = self.p.stdout.readline().strip()
        if ans != "OK":
            raise RuntimeError("kafka_mock %r: %s" % (line, ans))

    def down(self, broker=-1):
        self.cmd("down %d" % broker)

    def up(self, broker=-1):
        self.cmd("up %d" % broker)

    def consume(self, timeout=30):
        """Every message of the topic: dicts with partition, offset, key, value
        (parsed JSON) and headers, in partition then offset order."""
        out = subprocess.run(["kcat", "-C", "-b", self.bootstrap, "-t", self.topic, "-o",
                              "beginning", "-e", "-q", "-J"], capture_output=True, text=True,
                             timeout=timeout)
        if out.returncode != 0:
            raise RuntimeError("kcat: %s" % out.stderr.strip())
        msgs = []
        for line in out.stdout.splitlines():
            if not line.strip():
                continue
            m = json.loads(line)
            hdrs = m.get("headers") or []
            m["hdr"] = dict(zip(hdrs[0::2], hdrs[1::2]))
            m["value"] = json.loads(m["payload"])
            msgs.append(m)
        msgs.sort(key=lambda m: (m["partition"], m["offset"]))
        return msgs

    def stop(self):
        if self.p.poll() is None:
            try:
                self.p.stdin.write("quit\n")
                self.p.stdin.flush()
            except OSError:
                pass
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.err.close()


def kafka_args(cluster, extra=()):
    return ["--kafka-brokers", cluster.bootstrap, "--kafka-topic", cluster.topic] + list(extra)


def parse_kafka(stderr):
    """Final block's kafka:, kafka_drops: and kafka_errors: fields as one dict."""
    block = stderr.split("==== final ====")[-1]
    out = {}
    for line in block.splitlines():
        tag = line.split(":", 1)[0]
        if tag in ("kafka", "kafka_drops", "kafka_errors"):
            pre = {"kafka": "", "kafka_drops": "drop_", "kafka_errors": "err_"}[tag]
            for item in line.split(":", 1)[1].split():
                k, _, v = item.partition("=")
                out[pre + k] = int(v) if v.isdigit() else v
    return out


def wait_for(pred, timeout=30, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()

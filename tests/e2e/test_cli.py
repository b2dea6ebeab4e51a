#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Command line: --help tells the truth, every bad value is one clear line on
stderr with exit status 2, and EAL/port problems say what to do."""
import os
import re
import subprocess

import cflib

c = cflib.Checker("cli")
SAMPLE = os.path.join(cflib.ROOT, "samples", "netflow-v5.pcap")


def run(args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([cflib.BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=60, env=e)


p = run(["--help"])
c.eq(p.returncode, 0, "--help exit status")
flags = re.findall(r"^  (--[a-z-]+)", p.stdout, re.M)
c.check(len(flags) >= 20, "--help lists the flags")
for f in ("--portmask", "--rxq", "--rxd", "--burst", "--total-num-mbufs", "--mbuf-size",
          "--stats-period", "--collector-ip", "--netflow-port", "--ipfix-port", "--sflow-port",
          "--output"):
    c.check(f in flags, "--help lists %s" % f)
c.eq(run(["--", "--help"]).returncode, 0, "-- --help exit status")

# README's option list is --help's (scripts/update_readme_flags.py rewrites it).
with open(os.path.join(cflib.ROOT, "README.md")) as f:
    readme_block = f.read().split("<!-- flags:begin -->", 1)[1].split("<!-- flags:end -->", 1)[0]
help_block = p.stdout.split("Options:\n", 1)[1].split("\n\n", 1)[0]
c.eq([l.strip() for l in readme_block.strip().strip("`").strip().splitlines()],
     [l.strip() for l in help_block.splitlines()], "README option list equals --help")

# Every flag --help lists is accepted by the parser (no phantom flags).
for f in flags:
    if f == "--help":
        continue
    arg = {"--portmask": "0x1", "--collector-ip": "192.0.2.2", "--exporter-allow": "192.0.2.0/24",
           "--output": "null",
           "--retry-backoff": "2", "--log-level": "debug", "--backend-url": None,
           "--ring-size": "64", "--mbuf-size": "2048", "--rxd": "512",
           "--total-num-mbufs": "4096", "--max-exporters": "64", "--flush-us": "100", "--agent-max-body": "65536",
           "--sflow-counters": "off", "--spool-fsync": "none", "--spool-full": "drop-newest"}.get(f, "1")
    if f == "--backend-url":
        continue
    args = [f] if f in ("--sampling-override", "--scale-by-sampling") else [f, arg]
    p = run(["--", *args, "--bogus-to-stop-before-eal"])
    m = re.search(r"is not an integer in (\d+)\.\.", p.stderr)
    if m:  # the range the error names must itself be accepted
        p = run(["--", f, m.group(1), "--bogus-to-stop-before-eal"])
    c.check("unknown option '--bogus-to-stop-before-eal'" in p.stderr,
            "%s is parsed (stderr: %s)" % (f, p.stderr.strip()[-200:]))

# Every default --help shows for a numeric flag is accepted by that flag (inside its range);
# tests/unit/test_config.c checks the option table itself.
for line in help_block.splitlines():
    m = re.match(r"\s*(--[a-z-]+) \S+ .*\(default ([0-9.]+)\)", line)
    if m:
        p = run(["--", m.group(1), m.group(2), "--bogus-to-stop-before-eal"])
        c.check("unknown option '--bogus-to-stop-before-eal'" in p.stderr,
                "%s default %s is accepted (stderr: %s)" % (m.group(1), m.group(2), p.stderr.strip()[-200:]))

# Enum values are names, matched without regard to case; the environment goes the same way.
for args in (["--log-level", "WARN"], ["--spool-fsync", "none"], ["--spool-full", "drop-newest"],
             ["--sflow-counters", "ndjson:-"], ["--sflow-counters", "off"], ["--output", ""]):
    p = run(["--", *args, "--bogus-to-stop-before-eal"])
    c.check("unknown option '--bogus-to-stop-before-eal'" in p.stderr,
            "%s is accepted (stderr: %s)" % (" ".join(args), p.stderr.strip()[-200:]))
p = run(["--"], env={"CLARION_COLLECTOR_LOG_LEVEL": "loud"})
c.eq(p.returncode, 2, "bad log level in the environment: exit status")
c.check("CLARION_COLLECTOR_LOG_LEVEL: 'loud' is not one of" in p.stderr, "bad log level names the allowed values")

BAD = [
    (["--rxd", "5"], "--rxd"),
    (["--burst", "abc"], "--burst"),
    (["--netflow-port", "70000"], "--netflow-port"),
    (["--portmask", "zz"], "--portmask"),
    (["--collector-ip", "300.1.1.1"], "--collector-ip"),
    (["--ring-size", "100"], "power of 2"),
    (["--output", "kafka:x"], "--output: 'kafka:x' is not one of ndjson:PATH, null"),
    (["--output", "ndjson:"], "--output"),
    (["--sflow-counters", "csv:x"], "--sflow-counters: 'csv:x' is not one of off, ndjson:PATH"),
    (["--spool-fsync", "sometimes"], "--spool-fsync: 'sometimes' is not one of batch, interval, none"),
    (["--spool-full", "drop-all"], "--spool-full: 'drop-all' is not one of drop-oldest, drop-newest"),
    (["--output", "null", "--backend-url", "http://127.0.0.1:1"], "exclude each other"),
    (["--bogus"], "unknown option"),
    (["--rxd"], "needs a value"),
    (["--log-level", "loud"], "--log-level"),
    (["--retry-backoff", "nan"], "--retry-backoff"),
    (["--netflow-port", "0", "--ipfix-port", "0", "--sflow-port", "0"], "nothing to listen on"),
]
for args, needle in BAD:
    p = run(["--"] + args)
    lines = [l for l in p.stderr.splitlines() if l.startswith("clarion-flowd:")]
    c.eq(p.returncode, 2, "%s: exit status" % " ".join(args))
    c.check(len(lines) == 1 and needle in lines[0], "%s: one clear line (%s)" % (" ".join(args), lines))

p = run(["--"], env={"CLARION_COLLECTOR_NETFLOW_PORT": "x"})
c.eq(p.returncode, 2, "bad env value: exit status")
c.check("CLARION_COLLECTOR_NETFLOW_PORT" in p.stderr, "bad env value names the variable")

p = run(cflib.eal_args("net_pcap0,rx_pcap=" + SAMPLE) + ["--", "--portmask", "0x4"])
c.eq(p.returncode, 2, "portmask naming no port: exit status")
c.check("names no available port" in p.stderr, "portmask naming no port: message")

p = run(cflib.eal_args("net_pcap0,rx_pcap=" + SAMPLE, lcores="0") + ["--"])
c.eq(p.returncode, 2, "one lcore: exit status")
c.check("at least two lcores" in p.stderr, "one lcore: message")

# The queue -> lcore mapping is checked before it is written (net_null allows that many queues):
# CF_RX_MAX_QUEUES = 64 per RX lcore fit, one more is a usage error.
QUIET = ["--http-port", "0", "--agent-port", "0", "--output", "null"]
p = run(cflib.eal_args("net_null0") + ["--", "--rxq", "65"] + QUIET)
lines = [l for l in p.stderr.splitlines() if l.startswith("clarion-flowd:")]
c.eq(p.returncode, 2, "65 queues on one RX lcore: exit status")
c.check(len(lines) == 1 and "--rxq" in lines[0], "65 queues on one RX lcore: one clear line (%s)" % lines)
p = run(cflib.eal_args("net_null0") + ["--", "--rxq", "64", "--run-time", "1"] + QUIET)
c.eq(p.returncode, 0, "64 queues on one RX lcore: runs (stderr: %s)" % p.stderr.strip()[-200:])
c.check("64 RX queue(s) on 1 RX lcore(s)" in p.stderr, "64 queues on one RX lcore: all polled")

p = run(["--no-huge", "-m", "256", "--no-pci", "--file-prefix", "cfcli%d" % os.getpid(), "-l", "0,1", "--"])
c.eq(p.returncode, 1, "no port: exit status")
c.check("--vdev=net_pcap0" in p.stderr, "no port: says how to get one")

with open("/proc/meminfo") as f:
    free_huge = int(re.search(r"HugePages_Free:\s+(\d+)", f.read()).group(1))
if free_huge == 0:
    p = run(["--no-pci", "--file-prefix", "cfcli%d" % os.getpid(), "-l", "0,1", "--"])
    c.check(p.returncode != 0 and "--no-huge" in p.stderr, "no hugepages: says to use --no-huge")
    c.check(p.stdout == "", "no hugepages: nothing on stdout")

c.done()

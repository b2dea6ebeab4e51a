#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Command line: --help tells the truth, every bad value is one clear line on
stderr with exit status 2, and EAL/port problems say what to do."""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import cflib

c = cflib.Checker("cli")
SAMPLE = os.path.join(cflib.ROOT, "samples", "netflow-v5.pcap")


# Every log line: "<ISO-8601 UTC time> clarion-flowd: [error: |warning: ]text".
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z clarion-flowd: (?:error: |warning: )?(.*)$")


def errors(stderr):
    """The text of the "error:" lines."""
    return [m.group(1) for m in map(LINE.match, stderr.splitlines())
            if m and " error: " in m.group(0)[:60]]


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
    if f in ("--help", "--version"):
        continue
    arg = {"--portmask": "0x1", "--collector-ip": "192.0.2.2", "--exporter-allow": "192.0.2.0/24",
           "--output": "null",
           "--retry-backoff": "2", "--log-level": "debug", "--backend-url": None,
           "--ring-size": "64", "--mbuf-size": "2048", "--rxd": "512",
           "--total-num-mbufs": "4096", "--max-exporters": "64", "--flush-us": "100", "--agent-max-body": "65536",
           "--sflow-counters": "off", "--spool-fsync": "none", "--spool-full": "drop-newest",
           "--kafka-format": "json", "--config": "/dev/null", "--rx-backoff": "on"}.get(f, "1")
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
    lines = errors(p.stderr)
    c.eq(p.returncode, 2, "%s: exit status" % " ".join(args))
    c.check(len(lines) == 1 and needle in lines[0], "%s: one clear line (%s)" % (" ".join(args), lines))

p = run(["--"], env={"CLARION_COLLECTOR_NETFLOW_PORT": "x"})
c.eq(p.returncode, 2, "bad env value: exit status")
c.check("CLARION_COLLECTOR_NETFLOW_PORT" in p.stderr, "bad env value names the variable")

# The control-plane ports stay off: a collector elsewhere on this machine may hold 8081.
NOPORTS = ["--http-port", "0", "--agent-port", "0"]
p = run(cflib.eal_args("net_pcap0,rx_pcap=" + SAMPLE) + ["--", "--portmask", "0x4"] + NOPORTS)
c.eq(p.returncode, 2, "portmask naming no port: exit status")
c.check("names no available port" in p.stderr, "portmask naming no port: message")

p = run(cflib.eal_args("net_pcap0,rx_pcap=" + SAMPLE, lcores="0") + ["--"] + NOPORTS)
c.eq(p.returncode, 2, "one lcore: exit status")
c.check("at least two lcores" in p.stderr, "one lcore: message")

# The queue -> lcore mapping is checked before it is written (net_null allows that many queues):
# CF_RX_MAX_QUEUES = 64 per RX lcore fit, one more is a usage error.
QUIET = ["--http-port", "0", "--agent-port", "0", "--output", "null"]
p = run(cflib.eal_args("net_null0") + ["--", "--rxq", "65"] + QUIET)
lines = errors(p.stderr)
c.eq(p.returncode, 2, "65 queues on one RX lcore: exit status")
c.check(len(lines) == 1 and "--rxq" in lines[0], "65 queues on one RX lcore: one clear line (%s)" % lines)
p = run(cflib.eal_args("net_null0") + ["--", "--rxq", "64", "--run-time", "1"] + QUIET)
c.eq(p.returncode, 0, "64 queues on one RX lcore: runs (stderr: %s)" % p.stderr.strip()[-200:])
c.check("64 RX queue(s) on 1 RX lcore(s)" in p.stderr, "64 queues on one RX lcore: all polled")

p = run(["--no-huge", "-m", "256", "--no-pci", "--file-prefix", "cfcli%d" % os.getpid(), "-l", "0,1", "--"]
        + NOPORTS)
c.eq(p.returncode, 2, "no port: exit status (the command line names no device)")
c.check("--vdev=net_pcap0" in p.stderr, "no port: says how to get one")

with open("/proc/meminfo") as f:
    free_huge = int(re.search(r"HugePages_Free:\s+(\d+)", f.read()).group(1))
if free_huge == 0:
    p = run(["--no-pci", "--file-prefix", "cfcli%d" % os.getpid(), "-l", "0,1", "--"] + NOPORTS)
    c.check(p.returncode != 0 and "--no-huge" in p.stderr, "no hugepages: says to use --no-huge")
    c.check(p.stdout == "", "no hugepages: nothing on stdout")

# --version: the collector's and DPDK's.
p = run(["--version"])
c.eq(p.returncode, 0, "--version exit status")
c.check(re.match(r"^clarion-flowd \d+\.\d+\.\d+ \(DPDK \d+\.\d+", p.stdout) is not None,
        "--version names both versions: %r" % p.stdout)

# Exit status rule: 2 = the command line or configuration is wrong. Each of these is found
# before the EAL starts: one line naming the flag, nothing else, and nothing on stdout.
tmp = tempfile.mkdtemp(prefix="cf-cli-")
afile = os.path.join(tmp, "a-file")
open(afile, "w").close()
corrupt = os.path.join(tmp, "corrupt.tpl")
with open(corrupt, "wb") as f:
    f.write(b"CFTPL\x01\r\n" + bytes(200))
busy = socket.socket()
busy.bind(("127.0.0.1", 0))
busy.listen(1)
busy_port = busy.getsockname()[1]
BE = ["--backend-url", "http://127.0.0.1:1"]
CHECKED = [
    (["--backend-url", "http://127.0.0.1:99999"], "--backend-url 'http://127.0.0.1:99999' is not a URL"),
    (["--backend-url", "http://"], "--backend-url 'http://'"),
    (["--backend-url", "http://h:8000/?x=1"], "has a query or fragment"),
    (["--backend-url", "http://h:0"], "port 0 is not in 1..65535"),
    (["--output", "ndjson:" + tmp + "/no/such/dir/out.ndjson"], "--output ndjson:"),
    (["--output", "ndjson:" + tmp], "Is a directory"),
    (["--sflow-counters", "ndjson:" + tmp + "/no/x.ndjson"], "--sflow-counters ndjson:"),
    (["--log-file", tmp + "/no/flowd.log"], "--log-file"),
    (BE + ["--spool-dir", "/proc/cf-spool"], "--spool-dir /proc/cf-spool: cannot create"),
    (BE + ["--spool-dir", afile], "not a directory"),
    (BE + ["--spool-dir", tmp + "/sp", "--dead-letter-dir", "/proc/cf-dl"], "--dead-letter-dir /proc/cf-dl"),
    (["--template-file", "/proc/cf/t.tpl"], "--template-file's directory /proc/cf"),
    (["--template-file", corrupt], "truncated or corrupt: move it away"),
    (["--http-port", str(busy_port)], "--http-port %d: 127.0.0.1 port %d is already in use" % (busy_port, busy_port)),
    (["--http-port", "0", "--agent-port", str(busy_port)], "--agent-port %d" % busy_port),
    (["--http-bind", "192.0.2.1"], "192.0.2.1 is not an address of this host"),
]
for args, needle in CHECKED:
    p = run(["--"] + args)
    lines = errors(p.stderr)
    c.eq(p.returncode, 2, "%s: exit status" % " ".join(args))
    c.check(len(p.stderr.splitlines()) == 1 and len(lines) == 1 and needle in lines[0],
            "%s: one clear line before the EAL (%s)" % (" ".join(args), p.stderr.strip()[-300:]))
    c.eq(p.stdout, "", "%s: nothing on stdout" % " ".join(args))
c.check(not os.path.exists(tmp + "/sp/dead-letter"), "nothing half-made for a refused dead-letter dir")
c.check(os.path.isdir(tmp + "/sp") and os.stat(tmp + "/sp").st_mode & 0o777 == 0o700,
        "a spool directory is created 0700")
busy.close()
if os.geteuid() == 0 and shutil.which("setpriv"):
    # Root without CAP_NET_BIND_SERVICE is what an unprivileged service sees below 1024.
    p = subprocess.run(["setpriv", "--inh-caps=-net_bind_service", "--bounding-set=-net_bind_service",
                        cflib.BIN, "--", "--http-port", "81"], capture_output=True, text=True, timeout=60)
    c.eq(p.returncode, 2, "port below 1024 without the capability: exit status")
    c.check("--http-port 81: permission denied" in p.stderr, "no permission: says why (%s)" % p.stderr.strip())

# An application flag before "--" is named, without the EAL's 100-line usage text; a
# command line of application flags only (no "--") is the application's.
p = run(["--no-huge", "-l", "0,1", "--backend-url", "http://127.0.0.1:1", "--"])
c.eq(p.returncode, 2, "application flag before --: exit status")
c.check(errors(p.stderr) and "--backend-url is an application option: put it after '--'"
        in errors(p.stderr)[0], "application flag before --: named (%s)" % p.stderr.strip()[-300:])
c.check("EAL common options" not in p.stderr + p.stdout and len(p.stderr.splitlines()) == 1,
        "application flag before --: no EAL usage text")
p = run(["--output", "null", "--bogus"])
c.check("unknown option '--bogus'" in p.stderr and "EAL" not in p.stderr,
        "no --: application flags only are the application's (%s)" % p.stderr.strip()[-200:])

# EAL failures explained by their cause: one explanation, exit 2, no usage text, stdout clean.
EAL = ["--no-huge", "-m", "256", "--no-pci", "--file-prefix", "cfcli%d" % os.getpid()]
QUIET2 = ["--", "--output", "null", "--http-port", "0", "--agent-port", "0"]
pcap_ok = "--vdev=net_pcap0,rx_pcap=" + SAMPLE


def eal_case(what, args, needle, pre=()):
    p = subprocess.run(list(pre) + [cflib.BIN] + args, capture_output=True, text=True, timeout=60)
    last = errors(p.stderr)[-1:] or [""]
    c.eq(p.returncode, 2, "%s: exit status" % what)
    c.check(needle in last[0], "%s: explained (%s)" % (what, last[0] or p.stderr.strip()[-300:]))
    c.check("EAL common options" not in p.stderr + p.stdout, "%s: no EAL usage text" % what)
    c.eq(p.stdout, "", "%s: nothing on stdout" % what)
    c.check(all(LINE.match(l) for l in p.stderr.splitlines()),
            "%s: every line has the time and the prefix (%r)" % (what, [l for l in p.stderr.splitlines()
                                                                     if not LINE.match(l)][:2]))


eal_case("-l naming a missing lcore", EAL + ["-l", "0,%d" % (os.cpu_count() + 7), pcap_ok] + QUIET2,
         "lcore %d unavailable; this process may use CPUs" % (os.cpu_count() + 7))
eal_case("-l syntax", EAL + ["-l", "0-x", pcap_ok] + QUIET2, "'0-x' is not a core list")
eal_case("unknown --vdev driver", EAL + ["-l", "0,1", "--vdev=net_cfnosuch0"] + QUIET2,
         "no virtual device driver 'net_cfnosuch' (installed: ")
eal_case("unknown EAL option", EAL + ["-l", "0,1", "--cf-no-such-option", pcap_ok] + QUIET2,
         "'--cf-no-such-option' is not an EAL option")
eal_case("pcap file missing", EAL + ["-l", "0,1", "--vdev=net_pcap0,rx_pcap=/nonexistent/cf.pcap"] + QUIET2,
         "--vdev net_pcap0: cannot open the capture: /nonexistent/cf.pcap")
eal_case("af_packet without the interface", EAL + ["-l", "0,1", "--vdev=net_af_packet0,iface=cfnosuch0"]
         + QUIET2, "--vdev net_af_packet0: network interface 'cfnosuch0' does not exist")
if os.geteuid() == 0 and shutil.which("setpriv"):
    eal_case("af_packet without permission", EAL + ["-l", "0,1", "--vdev=net_af_packet0,iface=lo"] + QUIET2,
             "cannot open an AF_PACKET socket: run as root or give the collector CAP_NET_RAW",
             pre=["setpriv", "--inh-caps=-net_raw", "--bounding-set=-net_raw"])
# Another primary process holding the --file-prefix lock.
held = subprocess.Popen([cflib.BIN] + EAL + ["-l", "0,1", pcap_ok] + QUIET2 + ["--run-time", "20"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
try:
    for _ in range(100):
        if os.path.exists("/var/run/dpdk/cfcli%d/config" % os.getpid()) or held.poll() is not None:
            break
        time.sleep(0.1)
    time.sleep(0.5)
    eal_case("--file-prefix held by another primary", EAL + ["-l", "0,1", pcap_ok] + QUIET2,
             "another DPDK primary process is running with --file-prefix cfcli%d" % os.getpid())
finally:
    held.terminate()
    held.wait(timeout=60)
with open("/proc/meminfo") as f:
    total_huge = int(re.search(r"HugePages_Total:\s+(\d+)", f.read()).group(1))
if total_huge == 0:
    eal_case("no hugepages reserved", ["--no-pci", "--file-prefix", "cfcli%d" % os.getpid(), "-l", "0,1"]
             + QUIET2, "no hugepages are reserved on this machine")
    # hugetlbfs mounted (in a mount namespace of our own) but still nothing reserved.
    if os.geteuid() == 0 and shutil.which("unshare"):
        mnt = os.path.join(tmp, "huge")
        os.mkdir(mnt)
        eal_case("hugetlbfs mounted, none reserved", ["--no-pci", "--file-prefix", "cfcli%d" % os.getpid(),
                 "-l", "0,1"] + QUIET2, "no hugepages are reserved on this machine",
                 pre=["unshare", "-m", "sh", "-c", 'mount -t hugetlbfs nodev "$0" && exec "$@"', mnt])
else:
    print("note: hugepages reserved here; the no-hugepages causes are covered by tests/unit/test_eal.c")
shutil.rmtree(tmp, ignore_errors=True)

c.done()

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Configuration file and live reload through the real binary (README "Configuration
file", "Live reload"). clarion-flowd replays a NetFlow v5 capture forever on the pcap
PMD (--exporter-max-rate keeps the load bounded) and delivers to test backend A, its
settings in a --config file. The file is rewritten to name backend B (and a higher
--exporter-max-rate, and another --log-level) and SIGHUP sent: B must get records, A
must stop getting new ones, the RX lcores must take the new rate. Then a bad file
(an unknown key) is sent with SIGHUP and a bad value through telemetry's
/clarion/reload: both rejected whole, nothing changes, both counted in /metrics. At
SIGTERM the final ledger balances with nothing dropped, and every record delivered
is one A or B accepted. Then --check-config and --print-config of files good and bad.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cflib  # noqa: E402
import dlv  # noqa: E402

NAME = "reload"


def write_conf(path, lines):
    tmp = path + ".new"
    with open(tmp, "w") as f:
        f.write("".join(l + "\n" for l in lines))
    os.rename(tmp, path)  # as an editor or a config manager would: never half a file


def settings(url, spool, port, rate, level, allow=()):
    return ["backend-url: " + url, "spool-dir: " + spool, "http-bind: 127.0.0.1",
            "agent-port: 0", "batch-size: 100", "batch-interval-ms: 200",
            "retry-initial-ms: 20", "retry-max-ms: 200", "shutdown-timeout: 10",
            "exporter-max-rate: %d" % rate, "log-level: " + level] + \
        ["exporter-allow: " + a for a in allow]


def stable(be, secs=1.0):
    """Waits until be accepts nothing new for secs; its count."""
    n = be.stats()["accepted_records"]
    for _ in range(60):
        time.sleep(secs)
        m = be.stats()["accepted_records"]
        if m == n:
            return n
        n = m
    return n


def metric(port, name, labels):
    req = urllib.request.Request("http://127.0.0.1:%d/metrics" % port,
                                 headers={"Accept": "text/plain; version=0.0.4"})
    with urllib.request.urlopen(req, timeout=10) as r:
        body = r.read().decode()
    m = re.search(r"^%s\{%s\} (\d+)$" % (re.escape(name), re.escape(labels)), body, re.M)
    return int(m.group(1)) if m else None



def rate(be, secs=1.5):
    a = be.stats()["accepted_records"]
    time.sleep(secs)
    return (be.stats()["accepted_records"] - a) / secs


def live_reload(c, tmp, pcap):
    a = dlv.Backend(tmp)
    b = dlv.Backend(tmp)
    f = None
    try:
        conf = os.path.join(tmp, "flowd.conf")
        spool = os.path.join(tmp, "spool")
        port = dlv.free_port()
        write_conf(conf, settings(a.url, spool, port, 20, "info"))
        # dlv's command line says --http-port 0, which beats the file: a flag of our own.
        f = dlv.Flowd(tmp, pcap, ["--config", conf, "--http-port", str(port)], infinite=True,
                      idle_exit=False)
        prefix = f.p.args[f.p.args.index("--file-prefix") + 1]
        c.check(dlv.wait_for(lambda: a.stats()["accepted_records"] >= 1000, 30),
                "backend A (from the file) gets records")
        c.eq((dlv.get_json(port, "/health")[1] or {}).get("backend_url"), a.url,
             "/health names backend A")
        before = rate(a)

        write_conf(conf, settings(b.url, spool, port, 80, "debug"))
        f.p.send_signal(signal.SIGHUP)
        c.check(dlv.wait_for(lambda: "reload (SIGHUP): applied" in f.log(), 10),
                "SIGHUP: the new file applied")
        log = f.log()
        for name in ("--backend-url", "--exporter-max-rate", "--log-level"):
            c.check(re.search(r"reload \(SIGHUP\): applied [^\n]*" + name, log) is not None,
                    "SIGHUP: %s named as applied" % name)
        c.check("needs restart" not in log, "SIGHUP: nothing needs a restart")
        c.check(dlv.wait_for(lambda: b.stats()["accepted_records"] >= 1000, 30),
                "backend B gets records after the reload")
        c.eq((dlv.get_json(port, "/health")[1] or {}).get("backend_url"), b.url,
             "/health names backend B after the reload")
        time.sleep(0.5)  # requests in flight to A when the URL changed have finished
        a_after = a.stats()["accepted_records"]
        after = rate(b)
        c.eq(a.stats()["accepted_records"], a_after, "A gets nothing new once B took over")
        print("reload: backend A %.0f records/s at --exporter-max-rate 20, backend B %.0f at 80"
              % (before, after))
        c.check(after > 2 * before, "RX lcores took --exporter-max-rate 20 -> 80: records/s "
                "%.0f -> %.0f" % (before, after))

        # A bad file is rejected whole: B keeps getting everything, A nothing.
        write_conf(conf, settings(a.url, spool, port, 20, "info") + ["no-such-key: 1"])
        f.p.send_signal(signal.SIGHUP)
        c.check(dlv.wait_for(lambda: "reload (SIGHUP): rejected" in f.log(), 10),
                "SIGHUP with a bad file: rejected")
        c.check(re.search(r"rejected, the running configuration stays: [^\n]*flowd\.conf:12: "
                          r"unknown key 'no-such-key'", f.log()) is not None,
                "the rejection names FILE:LINE and the key")
        b_then = b.stats()["accepted_records"]
        c.check(dlv.wait_for(lambda: b.stats()["accepted_records"] > b_then + 500, 20),
                "after the rejected reload B still gets records")
        c.eq(a.stats()["accepted_records"], a_after, "after the rejected reload A gets nothing")

        # The same through telemetry, with a value out of range.
        bad = settings(a.url, spool, port, 20, "info")
        bad[4] = "batch-size: 0"
        write_conf(conf, bad)
        t = cflib.telemetry(prefix, "/clarion/reload")
        c.check(t is not None and t.get("result") == "rejected" and
                "batch-size: '0' is not an integer" in t.get("detail", ""),
                "/clarion/reload with batch-size 0: rejected, says why: %r" % (t,))
        c.eq(a.stats()["accepted_records"], a_after, "after it A still gets nothing")
        # An allow-list without our exporter: the RX lcores stop taking its datagrams. And
        # one key that needs a restart: named, left as it is, the rest applied anyway.
        write_conf(conf, settings(b.url, spool, port, 80, "debug", ["203.0.113.255/32"]) +
                   ["rxd: 512"])
        t = cflib.telemetry(prefix, "/clarion/reload")
        c.check(t is not None and t.get("result") == "ok" and
                t.get("detail", "").startswith("applied: --exporter-allow; needs restart: --rxd"),
                "/clarion/reload with a new --exporter-allow and --rxd: ok, the allow-list "
                "applied, --rxd needs a restart (%r)" % (t,))
        c.check(re.search(r"warning: reload \(telemetry\): needs restart: --rxd \(left as it is",
                          f.log()) is not None, "the log says --rxd needs a restart")
        b_quiet = stable(b)
        time.sleep(1)
        c.eq(b.stats()["accepted_records"], b_quiet, "the exporter outside the new "
             "--exporter-allow: no more records")
        c.eq(metric(port, "clarion_flowd_config_reloads_total", 'result="ok"'), 2,
             "/metrics: reloads ok")
        c.eq(metric(port, "clarion_flowd_config_reloads_total", 'result="failed"'), 2,
             "/metrics: reloads failed")

        rc = f.term()
        f = None
        c.eq(rc, 0, "exit status after SIGTERM")
    finally:
        if f is not None:
            f.kill9()
        a.stop()
        b.stop()
    err = open(max((os.path.join(tmp, n) for n in os.listdir(tmp) if n.startswith("flowd-")),
                   key=os.path.getmtime)).read()
    st = dlv.parse_delivery(err)
    drops = cflib.parse_final(err)["drops"]
    c.check(drops.get("exporter_not_allowed", 0) > 0, "final: exporter_not_allowed counted")
    c.check(drops.get("exporter_rate_limited", 0) > 0, "final: exporter_rate_limited counted")
    c.eq(drops.get("ring_full", 0) + drops.get("no_block", 0), 0, "final: no ring drop")
    c.check("config: reloads ok=2 failed=2" in err, "final block: reloads ok=2 failed=2")
    c.eq(st.get("balanced"), 1, "final ledger balances")
    c.eq(st.get("dropped"), 0, "delivery dropped nothing")
    c.eq(st.get("pending", 0) + st.get("spooled", 0), 0, "nothing left pending or spooled")
    total = len(dlv.accepted_records(a.accepted())) + len(dlv.accepted_records(b.accepted()))
    c.eq(st.get("delivered"), total, "delivered = records A and B accepted")
    c.eq(st.get("received"), total, "received = records A and B accepted")
    return st


def values(printed):
    """(key, value) of every setting --print-config printed, defaults (comments) included."""
    out = []
    for line in printed.splitlines():
        m = re.match(r"^(?:# )?([a-z0-9-]+): (.*?)    # ", line)
        if m:
            out.append(m.groups())
    return out


def check_print(c, tmp):
    conf = os.path.join(tmp, "check.conf")
    spool = os.path.join(tmp, "spool-check")
    write_conf(conf, ["# comment", "", "backend-url: http://127.0.0.1:9/x   # inline comment",
                      "spool-dir: " + spool, "http-port: 0", "agent-port: 0",
                      "exporter-allow: 10.0.0.0/8", "exporter-allow: 192.0.2.0/24",
                      "insecure: true", "batch-size: 300",
                      "eal: --no-huge -m 64 '--file-prefix=x y'"])
    env = dlv.private_env(tmp)
    env["CLARION_COLLECTOR_BATCH_SIZE"] = "400"
    p = subprocess.run([cflib.BIN, "--config", conf, "--check-config"], capture_output=True,
                       text=True, env=env, timeout=30)
    c.eq(p.returncode, 0, "--check-config of a good file: exit 0 (%s)" % p.stderr.strip())
    c.check("configuration OK" in p.stdout, "--check-config says OK")
    c.check("EAL" not in p.stderr, "--check-config starts no EAL")
    p = subprocess.run([cflib.BIN, "--config", conf, "--batch-size", "500", "--print-config"],
                       capture_output=True, text=True, env=env, timeout=30)
    c.eq(p.returncode, 0, "--print-config: exit 0")
    out = p.stdout
    for want in ("batch-size: 500    # flag --batch-size",
                 "backend-url: http://127.0.0.1:9/x    # %s:3" % conf,
                 "exporter-allow: 10.0.0.0/8    # %s:7" % conf,
                 "exporter-allow: 192.0.2.0/24    # %s:8" % conf,
                 "insecure: true    # %s:9" % conf,
                 "eal: --no-huge -m 64 '--file-prefix=x y'    # %s:11" % conf,
                 "# rxd: 1024    # default"):
        c.check(want in out, "--print-config shows %r" % want)
    p = subprocess.run([cflib.BIN, "--config", conf, "--print-config"], capture_output=True,
                       text=True, env=env, timeout=30)
    c.check("batch-size: 400    # env CLARION_COLLECTOR_BATCH_SIZE" in p.stdout,
            "--print-config: the variable beats the file")
    # What --print-config prints is a configuration file that gives the same settings.
    again = os.path.join(tmp, "printed.conf")
    with open(again, "w") as fh:
        fh.write(p.stdout)
    q = subprocess.run([cflib.BIN, "--config", again, "--print-config"], capture_output=True,
                       text=True, env=env, timeout=30)
    c.eq(values(q.stdout), values(p.stdout), "--print-config's output read back: same settings")

    bad_cases = [
        (["batch-size: 100", "batch-size: 200"], "check.conf:2: batch-size: given twice"),
        (["bogus-key: 1"], "check.conf:1: unknown key 'bogus-key'"),
        (["retry-backoff: 0.5"], "check.conf:1: retry-backoff: '0.5' is not a number in 1..100"),
        (["log-level: loud"], "check.conf:1: log-level: 'loud' is not one of"),
        (["batch-size 100"], "check.conf:1: expected 'key: value'"),
        (["eal: -l '0,1"], "check.conf:1: eal: unterminated ' quote"),
        (["check-config: true"], "check.conf:1: not a setting the file can hold"),
        (["backend-url: http://127.0.0.1:9", "spool-dir: /proc/nope", "http-port: 0",
          "agent-port: 0"], "--spool-dir"),
    ]
    for lines, want in bad_cases:
        write_conf(conf, lines)
        p = subprocess.run([cflib.BIN, "--config", conf, "--check-config"],
                           capture_output=True, text=True, env=env, timeout=30)
        c.eq(p.returncode, 2, "--check-config %r: exit 2" % lines)
        c.check(want in p.stderr, "--check-config %r: says %r (%s)" % (lines, want,
                                                                    p.stderr.strip()[-200:]))
    p = subprocess.run([cflib.BIN, "--check-config"], capture_output=True, text=True,
                       env=dict(env, CLARION_COLLECTOR_CONFIG=conf + ".missing"), timeout=30)
    c.eq(p.returncode, 2, "CLARION_COLLECTOR_CONFIG naming a missing file: exit 2")
    c.check("check.conf.missing: No such file" in p.stderr, "... and says so")


def main():
    c = cflib.Checker(NAME)
    tmp = tempfile.mkdtemp(prefix="cf-reload-")
    try:
        pcap, _ = dlv.gen_v5(tmp, "v5", 40, records=30)
        live_reload(c, tmp, pcap)
        check_print(c, tmp)
    finally:
        if os.environ.get("CF_KEEP_TMP"):
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    c.done()


if __name__ == "__main__":
    main()

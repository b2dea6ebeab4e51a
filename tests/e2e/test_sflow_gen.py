#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sFlow v5 datagrams from scripts/gen_sflow.py (known contents) through the real
binary: every expected field of every flow sample, sequence gaps, the agent as
switch_id, and the counters output."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cflib  # noqa: E402

NAME = "sflow_gen"
GEN = os.path.join(cflib.ROOT, "scripts", "gen_sflow.py")
DGRAMS, AGENTS, SKIP = 30, 3, 5


def expected_lost():
    """Skipped datagrams that a later datagram of the same agent reveals."""
    lost = 0
    for ag in range(AGENTS):
        idx = [n for n in range(DGRAMS) if n % AGENTS == ag]
        for n in idx:
            if n % SKIP == SKIP - 1 and any(m > n and m % SKIP != SKIP - 1 for m in idx):
                lost += 1
    return lost


def case(c, d, label, extra):
    pcap = os.path.join(d, label + ".pcap")
    exp = os.path.join(d, label + ".ndjson")
    ctr = os.path.join(d, label + ".ctr")
    subprocess.run([sys.executable, GEN, "--out", pcap, "--expect", exp, "--datagrams", str(DGRAMS),
                    "--samples-per-datagram", "5", "--agents", str(AGENTS), "--counters",
                    "--skip-every", str(SKIP)] + extra, check=True)
    with open(exp) as f:
        want = [json.loads(x) for x in f]
    run = cflib.run_pcap(pcap, ["--sflow-counters", "ndjson:" + ctr])
    c.eq(run.rc, 0, label + " exit status")
    c.eq(len(run.records), len(want), label + " records")
    drops = {k: v for k, v in run.stats["drops"].items() if v}
    if "--unknown" in extra:
        sent = DGRAMS - DGRAMS // SKIP
        c.eq(drops, {"sflow_unknown_sample": sent, "sflow_unknown_record": sent},
             label + " unknown types skipped and counted")
        line = [x for x in run.stderr.splitlines() if x.startswith("sflow_unknown:")][-1:]
        c.eq(sorted(line[0].split()[1:]) if line else None,
             ["flow_record:0:2100=%d" % sent, "sample:4413:5=%d" % sent],
             label + " unknown types listed by (enterprise, format)")
    else:
        c.eq(drops, {}, label + " no drops")
    c.eq(run.stats.get("seq_lost"), expected_lost(), label + " seq_lost = skipped datagrams")
    bad = 0
    for i, (got, w) in enumerate(zip(run.records, want)):
        for k, v in w.items():
            if got.get(k) != v:
                bad += 1
                if bad <= 5:
                    print("%s record %d %s: got %r want %r" % (label, i, k, got.get(k), v))
        if got["flow_start_ms"] != got["flow_end_ms"]:
            bad += 1
    c.eq(bad, 0, label + " fields differing from the generator's")
    with open(ctr) as f:
        lines = [json.loads(x) for x in f if x.strip()]
    keys = {(x["agent"], x["ifindex"]) for x in lines}
    c.eq(len(keys), len(lines), label + " one counters line per (agent, ifindex)")
    c.check(len(lines) >= 16, label + " counters lines for every interface")
    c.check(all(x["if_speed"] == 10_000_000_000 and x["if_type"] == 6 for x in lines),
            label + " counters values")


def main():
    c = cflib.Checker(NAME)
    if not os.path.exists(cflib.BIN):
        cflib.skip(NAME, "binary %s not built" % cflib.BIN)
    with tempfile.TemporaryDirectory() as d:
        case(c, d, "compact_v4_agents", [])
        case(c, d, "expanded_v6_agents", ["--expanded", "--ipv6-agents", "--seed", "7"])
        case(c, d, "unknown_types", ["--unknown", "--seed", "3"])
    c.done()


if __name__ == "__main__":
    main()

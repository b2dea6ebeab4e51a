#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sFlow interface counters as clarion_flowd_sflow_if_* metrics, against the real
binary on the pcap PMD: every value equals the counter sample in the capture
(the corpus capture checked against tshark's decode, generated captures against
the values the generator chose), the exposition passes the strict parser and
promtool, the JSON document carries "sflow_interfaces", and
--max-sflow-if-series folds the rest into agent="other" with exact sums."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cflib  # noqa: E402
import test_ctlplane as tc  # noqa: E402 - Proc, strict parser, wait_for

C = cflib.Checker("sflow_metrics")
CORPUS = os.path.join(cflib.ROOT, "..", "..", "shared", "corpus", "sflow-logstash")
if not os.path.isdir(CORPUS):
    CORPUS = "/work/shared/corpus/sflow-logstash"
GEN_SFLOW = os.path.join(cflib.ROOT, "scripts", "gen_sflow.py")
P = "clarion_flowd_sflow_if_"
# generator / tshark field -> metric
GEN_COLS = {
    "in_octets": "in_octets_total", "in_ucast": "in_unicast_packets_total",
    "in_mcast": "in_multicast_packets_total", "in_bcast": "in_broadcast_packets_total",
    "in_discards": "in_discards_total", "in_errors": "in_errors_total",
    "in_unknown_protos": "in_unknown_protos_total", "out_octets": "out_octets_total",
    "out_ucast": "out_unicast_packets_total", "out_mcast": "out_multicast_packets_total",
    "out_bcast": "out_broadcast_packets_total", "out_discards": "out_discards_total",
    "out_errors": "out_errors_total",
}
TSHARK_COLS = {
    "sflow_245.ifinoct": "in_octets_total", "sflow_245.ifinpkt": "in_unicast_packets_total",
    "sflow_245.ifinmcast": "in_multicast_packets_total",
    "sflow_245.ifinbcast": "in_broadcast_packets_total",
    "sflow_245.ifindisc": "in_discards_total", "sflow_245.ifinerr": "in_errors_total",
    "sflow_245.ifinunk": "in_unknown_protos_total", "sflow_245.ifoutoct": "out_octets_total",
    "sflow_245.ifoutpkt": "out_unicast_packets_total",
    "sflow_245.ifoutmcast": "out_multicast_packets_total",
    "sflow_245.ifoutbcast": "out_broadcast_packets_total",
    "sflow_245.ifoutdisc": "out_discards_total", "sflow_245.ifouterr": "out_errors_total",
    "sflow_245.ifspeed": "speed_bps",
}


def val(s, name, **labels):
    return s.get((name, tuple(sorted(labels.items()))))


def family(s, name):
    """{(agent, ifindex): value} of one family."""
    return {(dict(lb)["agent"], dict(lb)["ifindex"]): v for (n, lb), v in s.items() if n == name}


def promtool(text, what):
    tool = shutil.which("promtool")
    if tool is None:
        print("note: promtool not installed; strict parser only (scripts/deps.sh --test installs it)")
        return
    p = subprocess.run([tool, "check", "metrics"], input=text, capture_output=True, text=True)
    C.check(p.returncode == 0, "promtool check metrics (%s): %s%s" % (what, p.stdout, p.stderr))


def scrape(p, n_samples, what):
    """Waits until every counter sample was taken, then returns the parsed exposition."""
    def taken():
        st, _, text = p.get("/metrics", accept=tc.PROM_ACCEPT)
        s, _, _ = tc.parse_prometheus(text)
        return sum(family(s, P + "samples_total").values()) == n_samples
    C.check(tc.wait_for(taken), "%s: all %d counter samples scraped" % (what, n_samples))
    st, _, text = p.get("/metrics", accept=tc.PROM_ACCEPT)
    C.eq(st, 200, what + " /metrics status")
    s, types, errs = tc.parse_prometheus(text)
    C.eq(errs, [], what + " strict exposition parse")
    promtool(text, what)
    for name, t in types.items():
        if name.startswith(P):
            C.eq(t, "counter" if name.endswith("_total") else "gauge", what + " type of " + name)
    return s


def scenario_corpus(d):
    pcap = os.path.join(CORPUS, "pcap", "sflow_1_counters_sample.pcap")
    ref = os.path.join(CORPUS, "tshark-4.0.17", "sflow_1_counters_sample.json")
    if not (os.path.exists(pcap) and os.path.exists(ref)):
        print("note: corpus capture %s absent; corpus scenario skipped" % pcap)
        return False
    with open(ref) as f:
        pkts = json.load(f)
    want = {}
    for pkt in pkts:
        sf = pkt["_source"]["layers"]["sflow"]
        for k, smp in sf.items():
            if not k.startswith("Counters sample"):
                continue
            g = smp["Generic interface counters"]
            key = (sf["sflow_245.agent"], smp["sflow.counters_sample.source_id_index"])
            want[key] = (g, want.get(key, (None, 0))[1] + 1)
    C.check(len(want) > 0, "corpus reference holds counter samples")
    # Raw-IP capture: rewrapped in Ethernet, as a NIC delivers it.
    p = tc.Proc(cflib.ethernet_pcap(pcap, os.path.join(d, "corpus_eth.pcap")))
    try:
        s = scrape(p, sum(n for _, n in want.values()), "corpus")
        for (agent, ifx), (g, n) in want.items():
            for field, metric in TSHARK_COLS.items():
                C.eq(val(s, P + metric, agent=agent, ifindex=ifx), int(g[field]),
                     "corpus %s/%s %s" % (agent, ifx, metric))
            C.eq(val(s, P + "admin_up", agent=agent, ifindex=ifx), int(g["sflow_245.ifadmin_status"]),
                 "corpus admin_up")
            C.eq(val(s, P + "oper_up", agent=agent, ifindex=ifx), int(g["sflow_245.ifoper_status"]),
                 "corpus oper_up")
            C.eq(val(s, P + "samples_total", agent=agent, ifindex=ifx), n, "corpus samples")
        C.eq(val(s, "clarion_flowd_sflow_interfaces"), len(want), "corpus interfaces gauge")
        C.eq(val(s, P + "series_folded"), 0, "corpus nothing folded")
        C.eq(val(s, P + "table_full_total"), 0, "corpus table never full")
    finally:
        C.eq(p.stop(), 0, "corpus run exit status")
    return True


def gen_counters(d, name, *args):
    pcap, exp = os.path.join(d, name + ".pcap"), os.path.join(d, name + ".ctr")
    subprocess.run([sys.executable, GEN_SFLOW, "--out", pcap, "--counters", "--counters-expect", exp,
                    "--samples-per-datagram", "2"] + list(args), check=True)
    last, count = {}, {}
    with open(exp) as f:
        for line in f:
            c = json.loads(line)
            key = (c["agent"], str(c["ifindex"]))
            last[key] = c
            count[key] = count.get(key, 0) + 1
    return pcap, last, count


def scenario_generated(d):
    """Three agents, 16 ifindexes: 48 interfaces, each sampled twice; the latest sample shows."""
    pcap, last, count = gen_counters(d, "gen", "--datagrams", "96", "--agents", "3", "--seed", "5")
    C.eq(len(last), 48, "generator made 48 interfaces")
    p = tc.Proc(pcap)
    try:
        s = scrape(p, 96, "generated")
        for (agent, ifx), c in last.items():
            for field, metric in GEN_COLS.items():
                C.eq(val(s, P + metric, agent=agent, ifindex=ifx), c[field],
                     "generated %s/%s %s" % (agent, ifx, metric))
            C.eq(val(s, P + "speed_bps", agent=agent, ifindex=ifx), c["if_speed"], "generated speed")
            C.eq(val(s, P + "admin_up", agent=agent, ifindex=ifx), c["if_status"] & 1, "admin_up")
            C.eq(val(s, P + "oper_up", agent=agent, ifindex=ifx), c["if_status"] >> 1 & 1, "oper_up")
            C.eq(val(s, P + "samples_total", agent=agent, ifindex=ifx), count[(agent, ifx)],
                 "generated samples")
        C.eq(len(family(s, P + "in_octets_total")), 48, "generated: one series per interface")
        C.eq(family(s, P + "dot3_fcs_errors_total"), {}, "no Ethernet block sent: no dot3 series")
        C.eq(val(s, P + "series_folded"), 0, "generated nothing folded")
        st, j = p.json("/metrics")
        C.eq(j.get("sflow_interfaces"), 48, "JSON sflow_interfaces")
        C.eq(j["metrics"]["clarion_flowd_sflow_interfaces"]["samples"][0]["value"], 48,
             "JSON clarion_flowd_sflow_interfaces")
    finally:
        C.eq(p.stop(), 0, "generated run exit status")


def scenario_fold(d):
    """--max-sflow-if-series 5: five interfaces keep series, the other 43 are summed exactly."""
    pcap, last, count = gen_counters(d, "fold", "--datagrams", "96", "--agents", "3", "--seed", "6")
    p = tc.Proc(pcap, ["--max-sflow-if-series", "5"])
    try:
        s = scrape(p, 96, "folded")
        for field, metric in GEN_COLS.items():
            fam = family(s, P + metric)
            named = {k: v for k, v in fam.items() if k != ("other", "other")}
            C.eq(len(named), 5, "folded: 5 named series of " + metric)
            for k, v in named.items():
                C.eq(v, last[k][field] if k in last else None, "folded named %s %s" % (k, metric))
            C.eq(fam.get(("other", "other")),
                 sum(c[field] for k, c in last.items() if k not in named), "other = sum of " + metric)
        C.eq(val(s, P + "samples_total", agent="other", ifindex="other"), 96 - 5 * 2,
             "other counter samples")
        C.eq(val(s, P + "series_folded"), 43, "folded gauge")
        C.eq(val(s, "clarion_flowd_sflow_interfaces"), 48, "interfaces gauge")
        C.eq(val(s, P + "speed_bps", agent="other", ifindex="other"), None, "no gauge for other")
        C.eq(len(family(s, P + "speed_bps")), 5, "speed gauges for named series only")
    finally:
        C.eq(p.stop(), 0, "folded run exit status")


def main():
    if not os.path.exists(cflib.BIN):
        cflib.skip("sflow_metrics", "binary %s not built" % cflib.BIN)
    corpus = False
    with tempfile.TemporaryDirectory() as d:
        for sc in (scenario_corpus, scenario_generated, scenario_fold):
            try:
                r = sc(d)
                corpus = corpus or (sc is scenario_corpus and r)
            except Exception as e:  # noqa: BLE001 - one scenario failing must not hide the rest
                C.check(False, "%s raised %r" % (sc.__name__, e))
    if not corpus:
        print("note: corpus scenario skipped (no ../shared corpus)")
    C.done()


if __name__ == "__main__":
    main()

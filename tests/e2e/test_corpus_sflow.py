#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sFlow v5 captures from the logstash-codec-sflow corpus through the real binary,
compared field by field with tshark 4.0.17's decodes of the same captures.
"""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cflib  # noqa: E402

NAME = "corpus_sflow"
# cflib's default (../shared next to the checkout) misses it from a worktree.
SHARED = cflib.SHARED if os.path.isdir(cflib.SHARED) or "CF_SHARED" in os.environ else "/work/shared"
CORPUS = os.path.join(SHARED, "corpus", "sflow-logstash")


def tshark_sflow(name):
    with open(os.path.join(CORPUS, "tshark-4.0.17", name + ".json")) as f:
        return json.load(f)[0]["_source"]["layers"]["sflow"]


def samples(sf, prefix):
    return [v for k, v in sf.items() if k.startswith(prefix)]


def check_flow(c, name, rec, sf, smp):
    what = "%s" % name
    c.eq(rec["switch_id"], sf["sflow_245.agent"], what + " switch_id = agent")
    c.eq(rec["observation_domain"], int(sf["sflow_245.sub_agent_id"]), what + " sub-agent")
    c.eq(rec["sampling_rate"], int(smp["sflow.flow_sample.sampling_rate"]), what + " rate")
    c.eq(rec["packets"], 1, what + " packets")
    c.eq(rec["flow_start_ms"], rec["flow_end_ms"], what + " start = end")
    c.eq(rec["export_protocol"], "sflow_v5", what + " protocol name")
    inp = int(smp["sflow.flow_sample.input_interface"])
    c.eq(rec["input_if"], None if inp in (0, 0x3FFFFFFF) else inp, what + " input_if")
    tree = smp["sflow.flow_sample.output_interface_tree"]
    if tree["sflow.flow_sample.output_interface_format"] == "0":
        c.eq(rec["output_if"], int(tree["sflow.flow_sample.output_interface_value"]),
             what + " output_if")
    hdr = smp["Raw packet header"]
    c.eq(rec["bytes"], int(hdr["sflow_245.header.frame_length"]), what + " bytes = frame length")
    layers = hdr["sflow_245.header_tree"]
    ip = layers["ip"]
    c.eq(rec["src_ip"], ip["ip.src"], what + " src_ip")
    c.eq(rec["dst_ip"], ip["ip.dst"], what + " dst_ip")
    c.eq(rec["protocol"], int(ip["ip.proto"]), what + " protocol")
    c.eq(rec["tos"], int(ip["ip.dsfield"], 16), what + " tos")
    if "tcp" in layers:
        c.eq(rec["src_port"], int(layers["tcp"]["tcp.srcport"]), what + " src_port")
        c.eq(rec["dst_port"], int(layers["tcp"]["tcp.dstport"]), what + " dst_port")
        c.eq(rec["tcp_flags"], int(layers["tcp"]["tcp.flags"], 16) & 0xFF, what + " tcp_flags")
    if "eth" in layers:
        c.eq(rec["src_mac"], layers["eth"]["eth.src"], what + " src_mac")
        c.eq(rec["dst_mac"], layers["eth"]["eth.dst"], what + " dst_mac")
    elif "Ethernet frame data" in smp:
        e = smp["Ethernet frame data"]
        c.eq(rec["src_mac"], e["sflow_245.ethernet.source_mac_address"], what + " src_mac (rec 2)")
        c.eq(rec["dst_mac"], e["sflow_245.ethernet.destination_mac_address"],
             what + " dst_mac (rec 2)")
    sw = smp.get("Extended switch data")
    if "vlan" in layers:
        c.eq(rec["vlan_id"], int(layers["vlan"]["vlan.id"]), what + " vlan_id (header tag)")
    elif sw is not None and sw["sflow_245.vlan.in"] != "0":
        c.eq(rec["vlan_id"], int(sw["sflow_245.vlan.in"]), what + " vlan_id (extended switch)")
    else:
        c.eq(rec["vlan_id"], None, what + " vlan_id")
    if sw is not None and sw["sflow_245.vlan.out"] != "0":
        c.eq(rec.get("post_vlan_id"), int(sw["sflow_245.vlan.out"]), what + " post_vlan_id")


COUNTER_KEYS = [  # tshark field -> our key
    ("sflow_245.ifindex", "ifindex"), ("sflow_245.iftype", "if_type"),
    ("sflow_245.ifspeed", "if_speed"), ("sflow_245.ifdirection", "if_direction"),
    ("sflow_245.ifinoct", "in_octets"), ("sflow_245.ifinpkt", "in_ucast_pkts"),
    ("sflow_245.ifinmcast", "in_multicast_pkts"), ("sflow_245.ifinbcast", "in_broadcast_pkts"),
    ("sflow_245.ifindisc", "in_discards"), ("sflow_245.ifinerr", "in_errors"),
    ("sflow_245.ifinunk", "in_unknown_protos"), ("sflow_245.ifoutoct", "out_octets"),
    ("sflow_245.ifoutpkt", "out_ucast_pkts"), ("sflow_245.ifoutmcast", "out_multicast_pkts"),
    ("sflow_245.ifoutbcast", "out_broadcast_pkts"), ("sflow_245.ifoutdisc", "out_discards"),
    ("sflow_245.ifouterr", "out_errors"), ("sflow_245.ifpromisc", "if_promiscuous"),
]


def main():
    c = cflib.Checker(NAME)
    if not os.path.isdir(CORPUS):
        cflib.skip(NAME, "no sFlow corpus at %s" % CORPUS)
    if not os.path.exists(cflib.BIN):
        cflib.skip(NAME, "binary %s not built" % cflib.BIN)
    with tempfile.TemporaryDirectory() as d:
        for name in ("sflow_flow_sample", "sflow_flow_sample_eth_vlan", "sflow_1_counters_sample"):
            # Raw-IP captures: cflib.run_pcap rewraps them in Ethernet.
            pcap = os.path.join(CORPUS, "pcap", name + ".pcap")
            ctr = os.path.join(d, name + ".counters")
            run = cflib.run_pcap(pcap, ["--sflow-counters", "ndjson:" + ctr])
            c.eq(run.rc, 0, name + " exit status")
            c.eq(run.stats.get("sflow"), 1, name + " one sFlow datagram")
            nonzero = {k: v for k, v in run.stats["drops"].items() if v}
            c.eq(nonzero, {}, name + " no drops")
            sf = tshark_sflow(name)
            flows = samples(sf, "Flow sample")
            c.eq(len(run.records), len(flows), name + " one record per flow sample")
            for rec, smp in zip(run.records, flows):
                check_flow(c, name, rec, sf, smp)
            with open(ctr) as f:
                lines = [json.loads(x) for x in f if x.strip()]
            ctrs = samples(sf, "Counters sample")
            c.eq(len(lines), len(ctrs), name + " one counters line per interface")
            for line, smp in zip(lines, ctrs):
                g = smp["Generic interface counters"]
                c.eq(line["type"], "sflow_counters", name + " counters type")
                c.eq(line["agent"], sf["sflow_245.agent"], name + " counters agent")
                c.eq(line["sub_agent"], int(sf["sflow_245.sub_agent_id"]), name + " counters sub-agent")
                c.eq(line["sequence"], int(smp["sflow.counters_sample.sequence_number"]),
                     name + " counters sequence")
                for tk, ok in COUNTER_KEYS:
                    c.eq(line.get(ok), int(g[tk]), "%s counters %s" % (name, ok))
                st = int(g["sflow_245.ifadmin_status"]), int(g["sflow_245.ifoper_status"])
                c.eq((line["if_admin_up"], line["if_oper_up"]), (st[0] == 1, st[1] == 1),
                     name + " counters status")
    c.done()


if __name__ == "__main__":
    main()

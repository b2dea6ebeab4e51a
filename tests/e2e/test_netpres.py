#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Network presence and reassembly, end to end on the pcap PMD.

ARP requests, pings and Neighbor Solicitations (scripts/gen_netpres.py) go in
through rx_pcap; what clarion-flowd transmits is captured with tx_pcap and
decoded by tshark: the right replies (MACs, VLAN, addresses, checksums), the
announcements, and nothing for the frames that are not ours. Fragmented
NetFlow v5 datagrams (IPv4 and IPv6, in order, out of order, overlapping, one
fragment missing, not ours) must give exactly the records of the whole ones,
count every other fragment, and return every mbuf to the pool.
"""
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cflib  # noqa: E402

sys.path.insert(0, os.path.join(cflib.ROOT, "scripts"))
import gen_flows  # noqa: E402
import gen_netpres as gn  # noqa: E402

NAME = "netpres"
FIELDS = ["eth.src", "eth.dst", "vlan.id", "arp.opcode", "arp.src.proto_ipv4",
          "arp.dst.proto_ipv4", "arp.src.hw_mac", "arp.dst.hw_mac", "ip.src", "ip.dst",
          "ip.checksum.status", "icmp.type", "icmp.checksum.status", "ipv6.src", "ipv6.dst",
          "ipv6.hlim", "icmpv6.type", "icmpv6.checksum.status", "icmpv6.nd.na.target_address",
          "icmpv6.opt.linkaddr", "icmpv6.nd.na.flag.s", "icmpv6.nd.na.flag.o"]


def tshark(path):
    """Transmitted frames as dicts of FIELDS (empty string = absent)."""
    p = subprocess.run(["tshark", "-r", path, "-o", "ip.check_checksum:TRUE", "-T", "fields",
                        "-E", "separator=|", "-E", "occurrence=f"] +
                       [x for f in FIELDS for x in ("-e", f)],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True)
    return [dict(zip(FIELDS, line.split("|"))) for line in p.stdout.splitlines() if line]


def kind_of(fr):
    if fr["arp.opcode"] == "2":
        return "arp", fr["arp.src.proto_ipv4"]
    if fr["arp.opcode"] == "1":
        return "garp", fr["arp.src.proto_ipv4"]
    if fr["icmp.type"] == "0":
        return "echo4", fr["ip.src"]
    if fr["icmpv6.type"] == "129":
        return "echo6", fr["ipv6.src"]
    if fr["icmpv6.type"] == "136":
        return ("na" if fr["icmpv6.nd.na.flag.s"] in ("1", "True") else "unsol_na",
                fr["icmpv6.nd.na.target_address"])
    return "other", ""


def run_with_tx(c, pcap, d, args, tag):
    out = os.path.join(d, "tx_%s.pcap" % tag)
    r = cflib.run_pcap(pcap, list(args), vdev_extra=",tx_pcap=" + out)
    c.eq(r.rc, 0, "%s: exit status (stderr tail: %s)" % (tag, r.stderr[-300:]))
    return r, (tshark(out) if os.path.exists(out) else [])


def test_presence(c, d):
    pcap, cases_path = os.path.join(d, "p0.pcap"), os.path.join(d, "p0.json")
    subprocess.run([sys.executable, os.path.join(cflib.ROOT, "scripts", "gen_netpres.py"),
                    "presence", "--out", pcap, "--cases", cases_path], check=True)
    # First run: learn the port MAC from its announcements.
    _, tx = run_with_tx(c, pcap, d, gn.COLLECTOR_ARGS, "learn")
    macs = {f["eth.src"] for f in tx}
    if not c.eq(len(macs), 1, "one source MAC in everything we sent"):
        return
    mac = macs.pop()

    subprocess.run([sys.executable, os.path.join(cflib.ROOT, "scripts", "gen_netpres.py"),
                    "presence", "--out", pcap, "--cases", cases_path, "--port-mac", mac],
                   check=True)
    with open(cases_path) as f:
        cases = json.load(f)
    r, tx = run_with_tx(c, pcap, d, gn.COLLECTOR_ARGS, "presence")
    replies = [f for f in tx if kind_of(f)[0] in ("arp", "echo4", "echo6", "na")]
    announces = [f for f in tx if kind_of(f)[0] in ("garp", "unsol_na")]
    others = [f for f in tx if kind_of(f)[0] == "other"]
    want = [x for x in cases if x.get("reply")]
    c.eq(len(others), 0, "frames sent that are neither replies nor announcements")
    c.eq(len(replies), len(want), "one reply per request for us, none for the others")
    got = collections.Counter((kind_of(f)[0], kind_of(f)[1], f["vlan.id"] or None)
                              for f in replies)
    for x in want:
        key = (x["reply"], x["ip"], str(x["vlan"]) if x["vlan"] else None)
        c.check(got[key] > 0, "%s: reply %s missing (got %s)" % (x["name"], key, dict(got)))
        got[key] -= 1
    for f in replies:
        k = kind_of(f)[0]
        c.eq(f["eth.src"], mac, "%s reply from the port MAC" % k)
        c.eq(f["eth.dst"], gn.PEER_MAC, "%s reply to the asker's MAC" % k)
        if k == "arp":
            c.eq(f["arp.src.hw_mac"], mac, "ARP sender hardware address")
            c.eq(f["arp.dst.hw_mac"], gn.PEER_MAC, "ARP target hardware address")
        elif k == "echo4":
            c.eq(f["ip.checksum.status"], "1", "IPv4 header checksum of the echo reply")
            c.eq(f["icmp.checksum.status"], "1", "ICMP checksum of the echo reply")
        else:
            c.eq(f["icmpv6.checksum.status"], "1", "ICMPv6 checksum of the %s" % k)
        if k == "na":
            c.eq(f["ipv6.hlim"], "255", "NA hop limit")
            c.eq(f["icmpv6.opt.linkaddr"], mac, "NA target link-layer address")
    want_ann = {("garp", gn.US4, None), ("garp", gn.US4_VLAN, str(gn.VLAN)),
                ("unsol_na", gn.US6, None), ("unsol_na", gn.US6_VLAN, str(gn.VLAN)),
                ("unsol_na", gn.ll6_from_mac(mac), None)}
    got_ann = {(kind_of(f)[0], kind_of(f)[1], f["vlan.id"] or None) for f in announces}
    c.eq(got_ann, want_ann, "announcements: one per address, on its VLAN")
    for f in announces:
        if kind_of(f)[0] == "unsol_na":
            c.eq(f["icmpv6.checksum.status"], "1", "unsolicited NA checksum")
            c.eq(f["eth.dst"], "33:33:00:00:00:01", "unsolicited NA to all nodes")
        else:
            c.eq(f["eth.dst"], "ff:ff:ff:ff:ff:ff", "gratuitous ARP broadcast")
    s = r.stats
    n_by = collections.Counter(x["reply"] for x in want)
    c.eq(s.get("np_arp_replies"), n_by["arp"], "np_arp_replies")
    c.eq(s.get("np_echo_replies"), n_by["echo4"] + n_by["echo6"], "np_echo_replies")
    c.eq(s.get("np_nd_adverts"), n_by["na"], "np_nd_adverts")
    c.eq(s.get("np_announces"), len(want_ann), "np_announces")
    c.eq(r.drop("arp_ignored"), 5, "ARP not for us on its port/VLAN, or not a request")
    c.eq(r.drop("icmp_ignored"), 5, "echo/NS for others, timestamp request")
    c.eq(r.drop("icmp_bad"), 1, "echo request with a bad checksum")
    c.eq(r.drop("nd_bad"), 1, "NS with hop limit 64")
    c.eq(r.drop("presence_tx_failed"), 0, "every reply sent")
    decoded = [x for x in cases if x.get("decoded") is not None]
    c.eq(s.get("netflow_v5"), sum(1 for x in decoded if x["decoded"]),
         "v5 datagrams decoded between presence frames (VLAN binding)")
    c.eq(r.drop("dst_addr"), sum(1 for x in decoded if not x["decoded"]),
         "v5 datagrams to our address on the wrong VLAN")
    c.eq(s.get("mbufs_in_use"), s.get("mbufs_in_use_start"), "mbufs back in the pool")

    # Without --collector-ip the collector is passive: nothing is sent at all.
    r, tx = run_with_tx(c, pcap, d, [], "passive")
    c.eq(len(tx), 0, "passive listener transmits nothing")
    c.eq(r.drop("arp_ignored"), sum(1 for x in cases if x["name"].startswith("arp")),
         "passive: every ARP counted")


def test_rate_limit(c, d):
    pcap = os.path.join(d, "flood.pcap")
    p = gen_flows.Pcap(pcap)
    for i in range(40):
        p.write(gn.echo4(gn.PEER4, gn.US4, i))
    for i in range(40):
        p.write(gn.arp_request(gn.PEER4, gn.US4))
    p.close()
    r, tx = run_with_tx(c, pcap, d, gn.COLLECTOR_ARGS + ["--icmp-rate", "5", "--arp-rate", "3"],
                        "flood")
    echo = r.stats.get("np_echo_replies", 0)
    arp = r.stats.get("np_arp_replies", 0)
    c.eq(echo + r.drop("icmp_rate_limited"), 40, "every ping answered or counted")
    c.eq(arp + r.drop("arp_rate_limited"), 40, "every ARP request answered or counted")
    # The replay takes milliseconds: a burst of one second's worth, not 40.
    c.check(5 <= echo < 40, "echo replies limited to about --icmp-rate (got %d)" % echo)
    c.check(3 <= arp < 40, "ARP replies limited to about --arp-rate (got %d)" % arp)
    c.eq(sum(1 for f in tx if kind_of(f)[0] == "echo4"), echo, "transmitted echo replies")


def canon(recs):
    return sorted(json.dumps(x, sort_keys=True) for x in recs)


def test_fragments(c, d):
    pcap, exp, cases_path = (os.path.join(d, n) for n in ("f.pcap", "f.ndjson", "f.json"))
    subprocess.run([sys.executable, os.path.join(cflib.ROOT, "scripts", "gen_netpres.py"),
                    "frag", "--out", pcap, "--expect", exp, "--cases", cases_path], check=True)
    with open(exp) as f:
        want = [json.loads(x) for x in f]
    with open(cases_path) as f:
        cases = json.load(f)
    total = sum(x["fragments"] for x in cases)
    used = sum(x["fragments"] for x in cases if x["whole"])
    not_ours = sum(x["fragments"] for x in cases if x["kind"] == "not_ours")
    r = cflib.run_pcap(pcap, ["--collector-ip", gn.US4, "--collector-ip", gn.US6])
    c.eq(r.rc, 0, "fragments: exit status")
    c.eq(len(r.records), len(want), "records from whole datagrams only")
    c.check(canon(r.records) == canon(want), "reassembled records equal the generated ones")
    s = r.stats
    c.eq(s.get("frag_done"), sum(1 for x in cases if x["whole"]), "datagrams reassembled")
    malformed = sum(x["fragments"] for x in cases if x["kind"] == "malformed")
    c.eq(s.get("frag_in"), total - not_ours - malformed, "fragments for us taken into the table")
    c.eq(r.drop("dst_addr"), not_ours, "fragments to another address dropped before the table")
    freed = r.drop("frag_timeout") + r.drop("frag_bad") + r.drop("frag_table_full")
    c.eq(freed, total - not_ours - used, "every fragment not reassembled is counted")
    c.check(r.drop("frag_timeout") > 0, "the datagram missing a fragment timed out")
    c.check(r.drop("frag_bad") > 0, "the overlapping datagram was rejected")
    c.eq(s.get("mbufs_in_use"), s.get("mbufs_in_use_start"), "every fragment mbuf freed")

    # Reassembly off: every fragment counted as such, nothing decoded.
    r = cflib.run_pcap(pcap, ["--frag-max-flows", "0"])
    c.eq(r.drop("ip_fragment"), total, "--frag-max-flows 0 counts every fragment as such")
    c.eq(len(r.records), 0, "--frag-max-flows 0 decodes nothing")


def test_frag_table_full(c, d):
    """--frag-max-flows 1: a second datagram's fragments find no slot while the first waits."""
    import random
    pcap = os.path.join(d, "full.pcap")
    rng = random.Random(9)
    frags, want = [], None
    for ident in (0x700, 0x701):
        payload, recs = gen_flows.v5_datagram(rng, "10.0.0.7", ident, 30, (1, 0), 0)
        whole = bytearray(gen_flows.udp4("10.0.0.7", gn.US4, 50000, 2055, payload))
        whole[18:20] = ident.to_bytes(2, "big")
        whole[20:22] = b"\x00\x00"
        whole[24:26] = b"\x00\x00"
        whole[24:26] = gen_flows.ip_checksum(bytes(whole[14:34])).to_bytes(2, "big")
        frags.append([f for _, f in gn.fragments4(bytes(whole), 576)])
        want = want or recs
    p = gen_flows.Pcap(pcap)
    # A0 B0 A1 B1 A2 B2: B0 and B1 find the only slot taken; A completes at A2;
    # B2 then takes the free slot and is still waiting when the run stops.
    for a, b in zip(frags[0], frags[1]):
        p.write(a)
        p.write(b)
    p.close()
    r = cflib.run_pcap(pcap, ["--collector-ip", gn.US4, "--frag-max-flows", "1"])
    c.eq(r.rc, 0, "table full: exit status")
    c.check(canon(r.records) == canon(want), "table full: the datagram that had the slot decoded")
    c.eq(r.drop("frag_table_full"), 2, "table full: fragments with no slot")
    c.eq(r.drop("frag_timeout"), 1, "table full: the late datagram's last fragment at stop")
    c.eq(r.stats.get("mbufs_in_use"), r.stats.get("mbufs_in_use_start"), "table full: mbufs back")


def main():
    c = cflib.Checker(NAME)
    if shutil.which("tshark") is None:
        cflib.skip(NAME, "tshark not installed (scripts/deps.sh --test)")
    if not os.path.exists(cflib.BIN):
        cflib.skip(NAME, "binary %s not built" % cflib.BIN)
    with tempfile.TemporaryDirectory() as d:
        test_presence(c, d)
        test_rate_limit(c, d)
        test_fragments(c, d)
        test_frag_table_full(c, d)
    c.done()


if __name__ == "__main__":
    main()

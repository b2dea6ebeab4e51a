#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""--template-save-interval: the template file is also written while running, so
a collector killed with SIGKILL (no clean exit, no exit save) restarts with the
templates it had learnt and decodes a data-only capture at once."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import cflib

NAME = "template_save"
GEN = os.path.join(cflib.ROOT, "scripts", "gen_template.py")


def drop_first_packet(src, dst):
    """The same capture without its first datagram (the one carrying the templates)."""
    import struct
    with open(src, "rb") as f:
        data = f.read()
    incl = struct.unpack("<I", data[24 + 8:24 + 12])[0]
    with open(dst, "wb") as f:
        f.write(data[:24] + data[24 + 16 + incl:])


def main():
    c = cflib.Checker(NAME)
    if not os.path.exists(cflib.BIN):
        cflib.skip(NAME, "binary %s not built" % cflib.BIN)
    with tempfile.TemporaryDirectory() as d:
        for proto in ("v9", "ipfix"):
            full, exp = os.path.join(d, proto + ".pcap"), os.path.join(d, proto + ".ndjson")
            subprocess.run([sys.executable, GEN, "--proto", proto, "--datagrams", "6", "--records", "5",
                            "--refresh", "1000", "--out", full, "--expect", exp], check=True)
            with open(exp) as f:
                want = [json.loads(line) for line in f]
            later = os.path.join(d, proto + "-later.pcap")
            drop_first_packet(full, later)
            tfile = os.path.join(d, proto + ".tpl")

            # No --idle-exit: the collector keeps running after the capture until killed.
            out = os.path.join(d, proto + ".out")
            cmd = [cflib.BIN] + cflib.eal_args("net_pcap0,rx_pcap=" + cflib.ethernet_pcap(
                full, os.path.join(d, proto + "-eth.pcap"))) + \
                ["--", "--output", "ndjson:" + out, "--http-port", "0", "--agent-port", "0",
                 "--template-file", tfile, "--template-save-interval", "1"]
            p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                for _ in range(300):
                    if os.path.exists(tfile) or p.poll() is not None:
                        break
                    time.sleep(0.1)
                c.check(os.path.exists(tfile), "%s: file written while running" % proto)
                # Two more periods: saves repeat; the file stays whole (tmp, then rename).
                time.sleep(2.5)
                c.eq(p.poll(), None, "%s: collector still running before the kill" % proto)
            finally:
                p.send_signal(signal.SIGKILL)
                p.wait()
            c.eq(p.returncode, -signal.SIGKILL, "%s: killed with SIGKILL (no exit save)" % proto)
            # A killed EAL leaves its runtime directory behind; it is ours to remove.
            prefix = cmd[cmd.index("--file-prefix") + 1]
            shutil.rmtree(os.path.join("/var/run/dpdk", prefix), ignore_errors=True)

            run = cflib.run_pcap(later, ["--template-file", tfile, "--no-template-wait"])
            c.check("1 template(s) restored" in run.stderr, "%s: restore logged" % proto)
            c.eq(len(run.records), len(want) - 5, "%s: restarted collector decodes at once" % proto)
            c.check(run.records == want[5:], "%s: records equal the generator's" % proto)
            c.eq(run.drop("no_template"), 0, "%s: nothing waits for a template" % proto)
            # Control: the data-only capture cannot be decoded without the file.
            run = cflib.run_pcap(later, ["--no-template-wait"])
            c.eq(len(run.records), 0, "%s: no file, no records" % proto)
    c.done()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""--template-file: templates saved at a clean exit are restored at start, so a
restarted collector decodes data whose template it has not seen since; a
corrupt or foreign file is refused before the EAL starts (exit 2, one line saying
what to do), never trusted and never silently worth 0 templates; an empty file
(made by hand before the first run) is no templates yet."""
import json
import os
import struct
import subprocess
import sys
import tempfile

import cflib

NAME = "template_file"
GEN = os.path.join(cflib.ROOT, "scripts", "gen_template.py")
c = cflib.Checker(NAME)


def drop_first_packet(src, dst):
    """The same capture without its first datagram (the one carrying the templates)."""
    with open(src, "rb") as f:
        data = f.read()
    incl = struct.unpack("<I", data[24 + 8:24 + 12])[0]
    with open(dst, "wb") as f:
        f.write(data[:24] + data[24 + 16 + incl:])


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

        run = cflib.run_pcap(full, ["--template-file", tfile])
        c.eq(run.records, want, "%s: first run decodes" % proto)
        c.check(os.path.exists(tfile), "%s: template file written at exit" % proto)
        c.check("1 template(s) saved" in run.stderr, "%s: save logged" % proto)

        # Without the file, data without its template cannot be decoded...
        run = cflib.run_pcap(later, ["--no-template-wait"])
        c.eq(len(run.records), 0, "%s: no file, no records" % proto)
        c.eq(run.drop("no_template"), 5, "%s: no file, data sets counted as no_template" % proto)
        # ...with it, at once.
        run = cflib.run_pcap(later, ["--template-file", tfile, "--no-template-wait"])
        c.check("1 template(s) restored" in run.stderr, "%s: restore logged" % proto)
        c.eq(run.records, want[5:], "%s: restarted collector decodes at once" % proto)
        c.eq(run.drop("no_template"), 0, "%s: nothing waits for a template" % proto)

        # A corrupt file (one byte flipped in the body), a truncated or a foreign one is
        # refused at start: the operator decides, nothing is decoded with a damaged template.
        with open(tfile, "rb") as f:
            good = f.read()
        for what, bad, why in (("corrupt", good[:-3] + bytes([good[-3] ^ 0x40]) + good[-2:],
                                "truncated or corrupt"),
                               ("truncated", good[:len(good) // 2], "truncated or corrupt"),
                               ("foreign", b"PK\x03\x04" + good[4:], "not a template file")):
            with open(tfile, "wb") as f:
                f.write(bad)
            run = cflib.run_pcap(later, ["--template-file", tfile, "--no-template-wait"])
            c.eq(run.rc, 2, "%s %s file: refused, exit status 2" % (proto, what))
            lines = [l for l in run.stderr.splitlines() if " error: " in l]
            c.check(len(lines) == 1 and ("--template-file %s: %s" % (tfile, why)) in lines[0]
                    and "move it away" in lines[0],
                    "%s %s file: one clear line (%s)" % (proto, what, run.stderr.strip()[-300:]))
            c.check("EAL:" not in run.stderr, "%s %s file: found before the EAL" % (proto, what))
        with open(tfile, "wb") as f:
            pass
        run = cflib.run_pcap(later, ["--template-file", tfile, "--no-template-wait"])
        c.eq(run.rc, 0, "%s empty file: runs" % proto)
        c.eq(len(run.records), 0, "%s empty file: nothing restored" % proto)
c.done()

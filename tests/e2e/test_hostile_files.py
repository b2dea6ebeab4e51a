#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Files a stranger on the host can plant, against the real binary.

--template-file FILE: a FILE.tmp planted as a symbolic link to another file is not
followed at save (the other file keeps every byte; FILE becomes a regular file that
restores); FILE as a FIFO does not hang the start (refused before the EAL, exit 2, named in
the log: the start-up checks of the safe-defaults issue); FILE as a link to a valid template
file is not followed.
--spool-dir: a symbolic link, a directory, a FIFO, a hard link and a text file under
segment names do not fail the start, are skipped and named in the log, and keep every
byte; the batches spooled beside them are there at the next start."""
import os
import subprocess
import tempfile

import cflib
import hostile as h

c = cflib.Checker("hostile_files")


def pcap_ipfix(path, n=3):
    frames = [h.udp("192.0.2.50", "192.0.2.2", 4000, 4739,
                    h.ipfix(1, k, True, [(k, 1)])) for k in range(n)]
    h.write_pcap(path, frames)


def run(args, pcap, timeout=60):
    cmd = [cflib.BIN] + cflib.eal_args("net_pcap0,rx_pcap=" + pcap) + \
        ["--", "--idle-exit", "1", "--http-port", "0", "--agent-port", "0"] + args
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stderr
    except subprocess.TimeoutExpired:
        return None, "timed out after %d s" % timeout


with tempfile.TemporaryDirectory() as d:
    pcap = os.path.join(d, "t.pcap")
    pcap_ipfix(pcap)
    victim = os.path.join(d, "victim")
    with open(victim, "w") as f:
        f.write("precious\n")
    tf = os.path.join(d, "tpl.bin")

    # FILE.tmp planted as a link to the victim.
    os.symlink(victim, tf + ".tmp")
    rc, err = run(["--template-file", tf, "--output", "null"], pcap)
    c.eq(rc, 0, "template file: run with a planted FILE.tmp (%s)" % err[-300:])
    with open(victim, "rb") as f:
        c.eq(f.read(), b"precious\n", "template file: the link's target untouched")
    c.check(os.path.isfile(tf) and not os.path.islink(tf), "template file: FILE is a regular file")
    c.check(not os.path.lexists(tf + ".tmp"), "template file: no FILE.tmp left")
    rc, err = run(["--template-file", tf, "--output", "null"], pcap)
    c.check("1 template(s) restored" in err, "template file: the saved file restores")

    # A link to a valid template file is not followed.
    real = os.path.join(d, "real.bin")
    os.rename(tf, real)
    os.symlink(real, tf)
    rc, err = run(["--template-file", tf, "--output", "null"], pcap)
    c.check("symbolic link" in err and "restored" not in err,
            "template file: a link is not followed (%s)" % err[-200:])

    # A FIFO does not hang the start: a clear refusal (exit 2), before the EAL.
    os.unlink(tf)
    os.mkfifo(tf)
    rc, err = run(["--template-file", tf, "--output", "null"], pcap, timeout=30)
    c.eq(rc, 2, "template file: a FIFO does not hang the start (%s)" % err[-200:])
    c.check("not a regular file" in err, "template file: the FIFO is named in the log")

    # Spool: planted files beside real segments.
    spool = os.path.join(d, "spool")
    os.mkdir(spool)
    seg = lambda k: os.path.join(spool, "seg-%020d.log" % k)  # noqa: E731
    other = os.path.join(d, "other")
    with open(other, "w") as f:
        f.write("another file\n")
    os.symlink(victim, seg(1))
    os.mkdir(seg(2))
    os.mkfifo(seg(3))
    os.link(other, seg(4))
    with open(seg(5), "w") as f:
        f.write("a text file with a segment's name\n")
    os.symlink(victim, os.path.join(spool, ".probe"))
    args = ["--backend-url", "http://127.0.0.1:1", "--spool-dir", spool, "--retry-attempts", "0",
            "--shutdown-timeout", "1", "--connect-timeout-ms", "200"]
    rc, err = run(args, pcap)
    c.eq(rc, 0, "spool: start with planted files (%s)" % err[-300:])
    c.check("skipped 5 files" in err, "spool: planted files skipped and counted in the log")
    with open(victim, "rb") as f:
        c.eq(f.read(), b"precious\n", "spool: a link's target untouched")
    with open(other, "rb") as f:
        c.eq(f.read(), b"another file\n", "spool: a hard link's other name untouched")
    c.eq(os.path.getsize(seg(5)), 34, "spool: the text file keeps every byte")
    c.check(os.path.isdir(seg(2)) and os.path.exists(seg(3)), "spool: directory and FIFO left")
    rc, err = run(args, pcap)
    c.eq(rc, 0, "spool: second start")
    c.check("recovered 3 records" in err, "spool: what was spooled beside them recovered (%s)"
            % [x for x in err.splitlines() if "spool" in x][:3])
c.done()

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The container: scripts/container.sh builds the image from a debootstrap minbase root (Debian
mirror only, no registry) with the .deb installed (CF_DEB when scripts/test.sh built it), the
image holds what it should and nothing it should not, and it runs the demo (pcap PMD, --no-huge)
with every capability dropped but IPC_LOCK and no network. Skipped (77) without podman or
debootstrap; takes about two minutes, most of it debootstrap (nothing is cached between runs)."""
import os
import re
import shutil
import subprocess
import tarfile
import time

import cflib

c = cflib.Checker("container")
if os.geteuid() != 0:
    cflib.skip("container", "debootstrap and podman's storage need root")
for tool in ("podman", "debootstrap"):
    if shutil.which(tool) is None:
        cflib.skip("container", "%s missing (scripts/deps.sh --test)" % tool)
SCRIPT = os.path.join(cflib.ROOT, "scripts", "container.sh")


def sh(cmd, timeout=900, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout, **kw)


with open(os.path.join(cflib.ROOT, "meson.build")) as f:
    version = re.search(r"version: '([^']+)'", f.read()).group(1)
tag = "localhost/cf-test-%d:%s" % (os.getpid(), version)
base = "localhost/cf-test-%d-base:%s" % (os.getpid(), version)
args = [SCRIPT, "build", "--tag", tag]
if os.environ.get("CF_DEB"):
    args += ["--deb", os.environ["CF_DEB"]]
try:
    t0 = time.monotonic()
    p = sh(args)
    print("container: image built in %.0f s" % (time.monotonic() - t0))
    print(p.stderr[-600:])
    if not c.eq(p.returncode, 0, "container.sh build exit status: " + p.stderr[-1500:]):
        c.done()
    c.eq(p.stdout.strip().splitlines()[-1], tag, "container.sh prints the image name")

    # Built on the imported root, not on anything pulled: the bottom layer is the import.
    hist = sh(["podman", "history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Comment}}", tag]).stdout
    c.check("imported from tarball" in hist.splitlines()[-1], "bottom layer is the debootstrap import: " + hist)
    for name in (tag, base):
        c.eq(sh(["podman", "image", "exists", name]).returncode, 0, "image %s exists" % name)

    # The root file system: the package installed, the demo capture there, no apt lists or .deb.
    cid = sh(["podman", "create", tag]).stdout.strip()
    exp = sh(["podman", "export", "-o", "/tmp/cf_container_%d.tar" % os.getpid(), cid])
    sh(["podman", "rm", "-f", cid])
    tar = "/tmp/cf_container_%d.tar" % os.getpid()
    with tarfile.open(tar) as t:
        names = set(n.lstrip("./") for n in t.getnames())
        status = t.extractfile("var/lib/dpkg/status").read().decode()
    os.unlink(tar)
    c.eq(exp.returncode, 0, "podman export")
    for path in ("usr/bin/clarion-flowd", "usr/libexec/clarion-flowd/run", "usr/libexec/clarion-flowd/setup-host",
                 "usr/share/clarion-flowd/netflow-v5.pcap", "etc/clarion-flowd/clarion-flowd.env",
                 "usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0/librte_net_pcap.so.23"):
        c.check(path in names, "image has /" + path)
    c.check(re.search(r"Package: clarion-flowd\nStatus: install ok installed\n", status), "dpkg says installed")
    c.eq([n for n in names if n.startswith("var/lib/apt/lists/") and n != "var/lib/apt/lists/partial"
          and not n.endswith("lock") and n != "var/lib/apt/lists"], [], "no apt lists in the image")
    c.eq([n for n in names if n.endswith(".deb")], [], "no .deb left in the image")
    size = int(sh(["podman", "image", "inspect", "--format", "{{.Size}}", tag]).stdout.strip() or 0)
    print("container: image size %.0f MB" % (size / 1e6))
    c.check(0 < size < 300e6, "image under 300 MB: %d" % size)

    # The demo: the image's default command, no network, only CAP_IPC_LOCK.
    p = sh([SCRIPT, "demo", "--tag", tag], timeout=120)
    records = [l for l in p.stdout.splitlines() if l.startswith("{")]
    c.eq(p.returncode, 0, "demo exit status: " + p.stderr[-800:])
    c.eq(len(records), 600, "demo records")
    stats = cflib.parse_final(p.stderr)
    c.eq((stats.get("records"), stats.get("output")), (600, 600), "demo final counters")
    # The demo's process holds CAP_IPC_LOCK (bit 14) and nothing else.
    p = sh([SCRIPT, "demo", "--tag", tag, "--entrypoint", "/bin/grep", "--", "CapEff", "/proc/self/status"],
           timeout=60)
    c.eq(p.stdout.split(), ["CapEff:", "%016x" % (1 << 14)], "demo capabilities: " + p.stderr[-300:])
finally:
    sh(["podman", "rmi", "-f", tag, base])
c.done()

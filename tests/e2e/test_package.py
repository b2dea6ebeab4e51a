#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The Debian package: scripts/package.sh's .deb (CF_DEB when scripts/test.sh built it already)
is lintian clean, declares its library dependencies, and installed with dpkg -i on this machine
gives a unit that systemd-analyze verifies, a man page equal to --help, and a binary that
replays the bundled sample with the packaged settings under the unit's capability set; purge
leaves nothing behind. Installs and removes the real package: root only, one run at a time."""
import fcntl
import gzip
import os
import re
import shlex
import shutil
import subprocess
import time

import cflib

c = cflib.Checker("package")
if os.geteuid() != 0:
    cflib.skip("package", "dpkg -i needs root")
for tool in ("dpkg-buildpackage", "lintian", "systemd-analyze", "man", "setpriv"):
    if shutil.which(tool) is None:
        cflib.skip("package", "%s missing (scripts/deps.sh --test)" % tool)


def sh(cmd, timeout=600, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout, **kw)


deb = os.environ.get("CF_DEB")
if not deb:
    t0 = time.monotonic()
    p = sh([os.path.join(cflib.ROOT, "scripts", "package.sh")])
    c.eq(p.returncode, 0, "scripts/package.sh exit status: " + p.stderr[-2000:])
    deb = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
    print("package: built in %.0f s" % (time.monotonic() - t0))
with open(os.path.join(cflib.ROOT, "meson.build")) as f:
    version = re.search(r"version: '([^']+)'", f.read()).group(1)
c.eq(os.path.basename(deb), "clarion-flowd_%s_amd64.deb" % version, "package file name")
if not os.path.isfile(deb):
    c.done()

# lintian: no tag at all, pedantic and informational included, beyond the overrides in
# debian/clarion-flowd.lintian-overrides (each justified there).
p = sh(["lintian", "--pedantic", "--display-info", "--fail-on", "none", deb])
tags = [l for l in p.stdout.splitlines() if re.match(r"^[EWIPX]: ", l)]
c.eq(tags, [], "lintian tags")

fields = sh(["dpkg-deb", "-f", deb, "Depends", "Recommends"]).stdout
# ${shlibs:Depends} resolved: every shared library the binary links is a dependency.
for lib in ("libc6", "librte-eal23", "librte-ethdev23", "libcurl4", "libmicrohttpd12", "libcjson1"):
    c.check(re.search(r"\b%s \(>=" % re.escape(lib), fields), "Depends names %s: %s" % (lib, fields))
# The PMDs are plugins the binary does not link: declared by hand.
for lib in ("librte-mempool-ring23", "librte-net-pcap23"):
    c.check(lib in fields, "Depends names the plugin %s" % lib)

lock = open("/run/lock/clarion-flowd-package-test.lock", "w")
fcntl.flock(lock, fcntl.LOCK_EX)  # another worktree's run of this test waits here
status = sh(["dpkg-query", "-W", "-f", "${Status}", "clarion-flowd"]).stdout
if "installed" in status and "not-installed" not in status:
    c.check(False, "clarion-flowd is already installed here (%s): dpkg --purge clarion-flowd first, "
            "this test does not replace an installation it did not make" % status)
    c.done()


def installed():
    """Everything checked while the package is installed."""
    for path in ("/usr/bin/clarion-flowd", "/lib/systemd/system/clarion-flowd.service",
                 "/usr/libexec/clarion-flowd/setup-host", "/usr/libexec/clarion-flowd/run",
                 "/etc/clarion-flowd/clarion-flowd.env", "/etc/clarion-flowd/clarion-flowd.conf",
                 "/etc/clarion-flowd/dpdk-devbind.conf",
                 "/usr/share/man/man8/clarion-flowd.8.gz", "/usr/share/clarion-flowd/netflow-v5.pcap",
                 "/usr/share/doc/clarion-flowd/README.md.gz", "/var/lib/clarion-flowd"):
        c.check(os.path.exists(path), "installed: " + path)
    conffiles = sh(["dpkg-query", "-W", "-f", "${Conffiles}", "clarion-flowd"]).stdout
    for f in ("clarion-flowd.env", "clarion-flowd.conf"):
        c.check("/etc/clarion-flowd/" + f in conffiles, "%s is a conffile (kept on upgrade)" % f)

    # The unit as installed: verified (executables, man page, directives), and its sandbox scored.
    unit = "/lib/systemd/system/clarion-flowd.service"
    p = sh(["systemd-analyze", "verify", unit])
    c.check(p.returncode == 0 and p.stdout.strip() == "" and p.stderr.strip() == "",
            "systemd-analyze verify is clean: rc %d %s %s" % (p.returncode, p.stdout, p.stderr))
    p = sh(["systemd-analyze", "security", "--offline=yes", unit])
    m = re.search(r"Overall exposure level for \S+: ([\d.]+)", p.stdout)
    c.check(m and float(m.group(1)) <= 4.5, "systemd-analyze security exposure <= 4.5 (OK): %s"
            % (m.group(0) if m else p.stdout[-300:]))
    unit_text = open(unit).read()
    for line in ("ExecReload=/bin/kill -HUP $MAINPID", "Restart=on-failure", "LimitMEMLOCK=infinity",
                 "StateDirectory=clarion-flowd clarion-flowd/spool", "CapabilityBoundingSet=CAP_IPC_LOCK CAP_NET_RAW",
                 "ExecStartPre=+/usr/libexec/clarion-flowd/setup-host",
                 "ExecStart=/usr/bin/clarion-flowd --config /etc/clarion-flowd/clarion-flowd.conf "):
        c.check(line in unit_text, "unit has " + line)

    # The man page carries --help's text for every option, and nothing else as an option.
    helptext = sh(["/usr/bin/clarion-flowd", "--help"]).stdout
    help_lines = [" ".join(l.split()) for l in helptext.split("Options:\n", 1)[1].split("\n\n", 1)[0].splitlines()]
    roff = gzip.open("/usr/share/man/man8/clarion-flowd.8.gz", "rt").read()
    c.eq(roff, sh(["/usr/bin/clarion-flowd", "--help-man"]).stdout, "installed man page = --help-man")

    def plain(s):
        return re.sub(r"\\f[BIR]", "", s).replace("\\-", "-").replace("\\e", "\\").replace("\\&", "")

    opts = roff.split(".SH OPTIONS\n", 1)[1].split("\n.SH ", 1)[0].split(".TP\n")[1:]
    man_lines = []
    for o in opts:
        head, body = o.rstrip("\n").split("\n", 1)
        man_lines.append(" ".join((plain(head[3:]) + " " + plain(body)).split()))
    c.eq(man_lines, help_lines, "man page options equal --help")
    p = sh(["man", "-P", "cat", "clarion-flowd"], env=dict(os.environ, MANWIDTH="100"))
    c.check(p.returncode == 0 and "--portmask MASK" in p.stdout, "man clarion-flowd renders")

    # The packaged configuration file: every key of --help (generated from the same table),
    # the service's own ones set, and it passes --check-config.
    conf = open("/etc/clarion-flowd/clarion-flowd.conf").read()
    for l in help_lines:
        key = l.split()[0][2:]
        if key in ("config", "check-config", "print-config", "help-config", "help", "version"):
            continue
        c.check(re.search(r"^#?%s:" % re.escape(key), conf, re.M) is not None,
                "clarion-flowd.conf has the key %s" % key)
    for line in ("eal: --file-prefix clarion-flowd -l 0,1", "spool-dir: /var/lib/clarion-flowd/spool",
                 "template-file: /var/lib/clarion-flowd/templates.bin"):
        c.check(("\n" + line + "\n") in conf, "clarion-flowd.conf sets " + line)
    p = sh(["/usr/bin/clarion-flowd", "--config", "/etc/clarion-flowd/clarion-flowd.conf", "--check-config"])
    c.check(p.returncode == 0 and "configuration OK" in p.stdout,
            "the packaged clarion-flowd.conf passes --check-config: %s %s" % (p.stdout, p.stderr[-400:]))

    # The packaged settings, read as systemd reads an EnvironmentFile, run the installed binary
    # as the unit's ExecStart does, with only the EAL arguments swapped for the sample capture
    # (EAL arguments before '--' replace the file's eal:), and with only the unit's
    # capabilities (setpriv: bounding set, no new privileges).
    env = {}
    for line in open("/etc/clarion-flowd/clarion-flowd.env"):
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        k, v = line.split("=", 1)
        env[k] = v[1:-1] if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'" else v
    c.check("CLARION_SETUP_ARGS" in env and "CLARION_FLOWD_ARGS" in env, "settings file read: %s" % env)
    run_env = dict(os.environ, **env)
    eal = cflib.eal_args("net_pcap0,rx_pcap=/usr/share/clarion-flowd/netflow-v5.pcap")
    cmd = ["setpriv", "--bounding-set", "-all,+ipc_lock,+net_raw", "--no-new-privs",
           "/usr/bin/clarion-flowd"] + eal + ["--", "--config", "/etc/clarion-flowd/clarion-flowd.conf"] + \
        shlex.split(env["CLARION_FLOWD_ARGS"]) + ["--idle-exit", "1", "--http-port", "0", "--agent-port", "0"]
    p = sh(cmd, timeout=120, env=run_env)
    records = [l for l in p.stdout.splitlines() if l.startswith("{")]
    c.eq(p.returncode, 0, "installed binary exit status: " + p.stderr[-800:])
    c.eq(len(records), 600, "records from the bundled sample")
    c.check(os.path.exists("/var/lib/clarion-flowd/templates.bin"), "--template-file written in the state directory")

    p = sh(["/usr/libexec/clarion-flowd/setup-host", "--dry-run"])
    c.check(p.returncode == 0 and "lists no port" in p.stdout and "/etc/clarion-flowd/dpdk-devbind.conf" in p.stdout,
            "installed setup-host finds /etc/clarion-flowd/dpdk-devbind.conf: %s %s" % (p.stdout, p.stderr))


p = sh(["dpkg", "-i", deb])
try:
    if c.eq(p.returncode, 0, "dpkg -i: " + p.stderr[-1500:]):
        installed()
finally:
    p = sh(["dpkg", "--purge", "clarion-flowd"])
    c.eq(p.returncode, 0, "dpkg --purge: " + p.stderr[-800:])
    for path in ("/usr/bin/clarion-flowd", "/lib/systemd/system/clarion-flowd.service", "/etc/clarion-flowd",
                 "/var/lib/clarion-flowd", "/usr/libexec/clarion-flowd", "/usr/share/clarion-flowd"):
        c.check(not os.path.exists(path), "removed: " + path)
c.done()

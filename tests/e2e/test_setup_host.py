#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""scripts/setup-host.sh against a fake sysfs whose bind/unbind/probe files are FIFOs read by a
small fake kernel (a thread here that moves the device's driver link as Linux does), and a real
dummy (or veth) interface in a network namespace made here, for the refusals. Binding a real NIC is not
possible on this machine; everything up to the sysfs writes is the script's real path."""
import os
import shutil
import subprocess
import tempfile
import threading

import cflib

c = cflib.Checker("setup_host")
SCRIPT = os.path.join(cflib.ROOT, "scripts", "setup-host.sh")
PCI = "0000:03:00.0"
NATIVE = "ixgbe"  # the driver the fake kernel gives the device when nothing overrides it

if os.geteuid() != 0 or shutil.which("ip") is None:
    cflib.skip("setup_host", "needs root and iproute2 (network namespace, dummy interface)")


class FakeKernel:
    """sysfs under root: devices/PCI with a driver link, drivers/{ixgbe,vfio-pci}/{bind,unbind}
    and drivers_probe as FIFOs. Every write is recorded in events and acted on like the kernel:
    unbind drops the link, bind links the driver, probe links the override or the native one."""

    def __init__(self, root, ifname):
        self.root = root
        self.events = []
        self.lock = threading.Lock()
        self.pci_dir = os.path.join(root, "bus", "pci")
        self.dev = os.path.join(self.pci_dir, "devices", PCI)
        os.makedirs(os.path.join(self.dev, "net", ifname))
        open(os.path.join(self.dev, "driver_override"), "w").write("(null)\n")
        for drv in (NATIVE, "vfio-pci"):
            d = os.path.join(self.pci_dir, "drivers", drv)
            os.makedirs(d)
            for f in ("bind", "unbind"):
                self._fifo(os.path.join(d, f), drv + "/" + f)
        self._fifo(os.path.join(self.pci_dir, "drivers_probe"), "drivers_probe")
        self.link(NATIVE)
        os.makedirs(os.path.join(root, "kernel", "iommu_groups", "7"))
        hp = os.path.join(root, "kernel", "mm", "hugepages", "hugepages-2048kB")
        os.makedirs(hp)
        self.nr_hugepages = os.path.join(hp, "nr_hugepages")
        open(self.nr_hugepages, "w").write("0\n")

    def link(self, drv):
        p = os.path.join(self.dev, "driver")
        if os.path.lexists(p):
            os.unlink(p)
        if drv:
            os.symlink(os.path.join("..", "..", "drivers", drv), p)

    def driver(self):
        p = os.path.join(self.dev, "driver")
        return os.path.basename(os.readlink(p)) if os.path.lexists(p) else ""

    def _fifo(self, path, name):
        os.mkfifo(path)
        threading.Thread(target=self._serve, args=(path, name), daemon=True).start()

    def _serve(self, path, name):
        import time
        while True:
            with open(path) as f:
                value = f.read().strip()
            if not name.endswith("/unbind"):
                # The kernel unbinds before write() returns; a FIFO reader may lag: wait for it.
                for _ in range(100):
                    if self.driver() == "":
                        break
                    time.sleep(0.02)
            with self.lock:
                self.events.append((name, value))
                override = open(os.path.join(self.dev, "driver_override")).read().strip()
                if name.endswith("/unbind") and self.driver() == name.split("/")[0]:
                    self.link("")
                elif name.endswith("/bind") and self.driver() == "":
                    drv = name.split("/")[0]
                    if override in ("", "(null)", drv):
                        self.link(drv)
                elif name == "drivers_probe" and self.driver() == "":
                    self.link(override if override not in ("", "(null)") else NATIVE)

    def take_events(self):
        with self.lock:
            e, self.events = self.events, []
        return e


tmp = tempfile.mkdtemp(prefix="cf_setup_host_")
ns = "cfsh%d" % os.getpid()
IFC = "cfdum0"
subprocess.run(["ip", "netns", "add", ns], check=True)
try:
    def ipn(*args):
        subprocess.run(["ip", "-n", ns] + list(args), check=True)

    # A dummy interface where the kernel has the module, else one end of a veth pair.
    if subprocess.run(["ip", "-n", ns, "link", "add", IFC, "type", "dummy"],
                      stderr=subprocess.DEVNULL).returncode != 0:
        ipn("link", "add", IFC, "type", "veth", "peer", "name", IFC + "p")
    k = FakeKernel(os.path.join(tmp, "sys"), IFC)
    proc = os.path.join(tmp, "proc")
    os.makedirs(proc)
    huge = os.path.join(tmp, "hugepages")
    with open(os.path.join(proc, "mounts"), "w") as f:
        f.write("sysfs /sys sysfs rw 0 0\nnodev %s hugetlbfs rw,pagesize=2M 0 0\n" % huge)
    conf = os.path.join(tmp, "dpdk-devbind.conf")
    with open(conf, "w") as f:
        f.write("# test port\n%s   vfio-pci   # the fake NIC\n" % PCI)
    env = dict(os.environ, CF_SYSFS=k.root, CF_PROCFS=proc)

    def run(*args, conf_file=conf, e=None):
        cmd = ["ip", "netns", "exec", ns, "bash", SCRIPT, "--conf", conf_file,
               "--hugepage-mount", huge] + list(args)
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=60, env=e or env)

    p = subprocess.run(["bash", SCRIPT, "--help"], stdout=subprocess.PIPE, text=True, timeout=10)
    c.eq(p.returncode, 0, "--help exit status")
    for opt in ("--conf", "--hugepages", "--hugepage-mount", "--unbind", "--force", "--dry-run"):
        c.check(opt in p.stdout, "--help names %s" % opt)
    p = run("--bogus")
    c.eq(p.returncode, 2, "unknown option exit status")

    # Configuration errors name file:line, before anything is done.
    for text, want in (("0000:03:00.0\n", ":1: expected"), ("# x\n03:00.0 e1000e\n", ":2: driver 'e1000e'"),
                       ("zz:00.0 vfio-pci\n", "not a PCI address"),
                       ("%s vfio-pci\n%s vfio-pci\n" % (PCI, PCI), ":2: %s listed twice" % PCI)):
        bad = os.path.join(tmp, "bad.conf")
        open(bad, "w").write(text)
        p = run(conf_file=bad)
        c.check(p.returncode == 2 and want in p.stderr, "bad conf %r: rc %d, %s" %
                (text, p.returncode, p.stderr.strip()))
    c.eq(k.take_events(), [], "bad configurations changed nothing")

    # Refusal 1: the interface is up with an address.
    ipn("addr", "add", "192.0.2.1/24", "dev", IFC)
    ipn("link", "set", IFC, "up")
    p = run()
    c.eq(p.returncode, 3, "up with an address: refused (exit 3)")
    c.check("interface %s is up with addresses 192.0.2.1/24" % IFC in p.stderr and "--force" in p.stderr,
            "refusal names the interface, its address and --force: " + p.stderr.strip())
    # Refusal 2: no address, but the default route goes through it.
    ipn("addr", "flush", "dev", IFC)
    ipn("route", "add", "default", "dev", IFC)
    p = run()
    c.check(p.returncode == 3 and "carries the default route" in p.stderr,
            "default route: refused: " + p.stderr.strip())
    c.eq(open(k.nr_hugepages).read().strip(), "0", "a refusal reserves no hugepages")
    c.eq(k.take_events(), [], "refusals changed nothing")
    c.eq(k.driver(), NATIVE, "still on the kernel driver after refusals")

    # --dry-run prints the steps and changes nothing.
    p = run("--dry-run", "--force")
    c.eq(p.returncode, 0, "--dry-run exit status: " + p.stderr)
    for want in ("would write '1024' to kernel/mm/hugepages", "would write '%s' to bus/pci/drivers/%s/unbind"
                 % (PCI, NATIVE), "would write 'vfio-pci' to bus/pci/devices/%s/driver_override" % PCI,
                 "would write '%s' to bus/pci/drivers/vfio-pci/bind" % PCI):
        c.check(want in p.stdout, "--dry-run says %r: %s" % (want, p.stdout))
    c.eq(k.take_events(), [], "--dry-run changed nothing")
    c.eq(open(k.nr_hugepages).read().strip(), "0", "--dry-run reserved nothing")

    # --force binds: unbind from the kernel driver, override, bind; hugepages reserved.
    p = run("--force")
    c.eq(p.returncode, 0, "--force bind exit status: " + p.stderr)
    c.eq(k.take_events(), [(NATIVE + "/unbind", PCI), ("vfio-pci/bind", PCI)], "bind writes")
    c.eq(k.driver(), "vfio-pci", "bound to vfio-pci")
    c.eq(open(os.path.join(k.dev, "driver_override")).read().strip(), "vfio-pci", "override set")
    c.eq(open(k.nr_hugepages).read().strip(), "1024", "1024 hugepages reserved")
    c.check("already mounted on %s" % huge in p.stdout, "hugetlbfs mount seen: " + p.stdout)

    # Idempotent: a second run does nothing, and never lowers a larger reservation.
    open(k.nr_hugepages, "w").write("2048\n")
    p = run()
    c.check(p.returncode == 0 and "already bound to vfio-pci" in p.stdout, "second run: " + p.stdout + p.stderr)
    c.eq(k.take_events(), [], "second run wrote nothing")
    c.eq(open(k.nr_hugepages).read().strip(), "2048", "a larger reservation is kept")

    # --unbind gives the port back to the kernel's own driver; twice is harmless.
    p = run("--unbind")
    c.eq(p.returncode, 0, "--unbind exit status: " + p.stderr)
    c.eq(k.take_events(), [("vfio-pci/unbind", PCI), ("drivers_probe", PCI)], "unbind writes")
    c.eq(k.driver(), NATIVE, "back on " + NATIVE)
    c.check("back on kernel driver %s" % NATIVE in p.stdout, "--unbind reports the driver")
    p = run("--unbind")
    c.check(p.returncode == 0 and "already on kernel driver" in p.stdout, "second --unbind: " + p.stdout)
    c.eq(k.take_events(), [], "second --unbind wrote nothing")

    # A device that does not exist, and vfio-pci without an IOMMU, are errors that say why.
    gone = os.path.join(tmp, "gone.conf")
    open(gone, "w").write("0000:0a:00.0 vfio-pci\n")
    p = run(conf_file=gone)
    c.check(p.returncode == 1 and "no such PCI device" in p.stderr, "missing device: " + p.stderr)
    ipn("route", "del", "default", "dev", IFC)
    ipn("link", "set", IFC, "down")
    os.rmdir(os.path.join(k.root, "kernel", "iommu_groups", "7"))
    p = run()
    c.check(p.returncode == 1 and "needs an IOMMU" in p.stderr, "no IOMMU: " + p.stderr)
    c.eq(k.take_events(), [], "no IOMMU: nothing bound")
    c.eq(k.driver(), NATIVE, "no IOMMU: still on " + NATIVE)
    # A down interface without addresses is not in use: bound without --force.
    os.makedirs(os.path.join(k.root, "kernel", "iommu_groups", "7"))
    p = run()
    c.check(p.returncode == 0 and k.driver() == "vfio-pci", "down interface bound without --force: " + p.stderr)
    k.take_events()

    # A driver that is not loaded yet is modprobed (shown with --dry-run).
    os.rename(os.path.join(k.pci_dir, "drivers", "vfio-pci"), os.path.join(tmp, "vfio-pci.away"))
    k.link(NATIVE)
    p = run("--dry-run")
    c.check("would run: modprobe vfio-pci" in p.stdout, "modprobe when not loaded: " + p.stdout)

    # The real mount: hugetlbfs on a directory of ours (real /proc/mounts), then seen as mounted.
    empty = os.path.join(tmp, "empty.conf")
    open(empty, "w").write("# no port\n")
    real = dict(os.environ, CF_SYSFS=k.root)
    mnt = os.path.join(tmp, "realhuge")
    for i in range(2):
        p = subprocess.run(["bash", SCRIPT, "--conf", empty, "--hugepage-mount", mnt], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=60, env=real)
        want = "hugetlbfs mounted on" if i == 0 else "already mounted on"
        c.check(p.returncode == 0 and want in p.stdout and "lists no port" in p.stdout,
                "real mount run %d: %s %s" % (i, p.stdout, p.stderr))
    c.check(os.path.ismount(mnt), "hugetlbfs is mounted on " + mnt)
    subprocess.run(["umount", mnt], check=False)
finally:
    subprocess.run(["ip", "netns", "del", ns], check=False)
    for m in (os.path.join(tmp, "realhuge"),):
        if os.path.ismount(m):
            subprocess.run(["umount", m], check=False)
    shutil.rmtree(tmp, ignore_errors=True)
c.done()

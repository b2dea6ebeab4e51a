#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""deploy/kubernetes, offline. `kubectl create --dry-run=client -f` cannot be used without a
cluster: kubectl (Debian's 1.20 and 1.32 alike) asks the API server for its resource list
before it looks at a file ("unable to recognize ... connection refused"); the test shows that
and then validates without a server: `kubectl kustomize` builds the base, `kubectl label
--local` decodes every manifest (kubectl's own YAML parse, as JSON), and the checks below hold
each object to what the deployment needs (types, cross-references, limits, capabilities).
The ConfigMap's configuration file passes the real collector's --check-config, and the
collector runs with it through the image's entrypoint."""
import glob
import json
import os
import shutil
import subprocess
import tempfile

import cflib

c = cflib.Checker("kubernetes")
KDIR = os.path.join(cflib.ROOT, "deploy", "kubernetes")
KUBECTL = shutil.which("kubectl")
if KUBECTL is None:
    cflib.skip("kubernetes", "kubectl missing (scripts/deps.sh --test installs kubernetes-client)")
RUN = os.path.join(os.path.dirname(os.path.dirname(cflib.BIN)), "deploy", "run")  # entrypoint, configured


def sh(cmd, timeout=120, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout, **kw)


# No server here: point kubectl at a port nothing listens on, so it never finds a real cluster.
env = dict(os.environ, KUBECONFIG="/dev/null")
files = sorted(glob.glob(os.path.join(KDIR, "*.yaml")))
manifests = [f for f in files if not f.endswith("kustomization.yaml")]
p = sh([KUBECTL, "create", "--dry-run=client", "-f", manifests[0], "-o", "name"], env=env)
if p.returncode == 0:
    print("kubernetes: kubectl create --dry-run=client works here (a cluster answers)")
else:
    print("kubernetes: kubectl create --dry-run=client needs the API server: %s" % p.stderr.strip()[-160:])


def decode(path_or_stdin, data=None):
    """kubectl's decode of a file (or '-' with data) into a list of objects."""
    p = sh([KUBECTL, "label", "--local", "-f", path_or_stdin, "cf-validate=1", "-o", "json"],
           env=env, input=data)
    c.eq(p.returncode, 0, "kubectl decodes %s: %s" % (path_or_stdin, p.stderr.strip()[-300:]))
    if p.returncode != 0:
        return []
    out, docs, i = p.stdout, [], 0
    dec = json.JSONDecoder()
    while True:  # one JSON document per object, one after another (or one List)
        while i < len(out) and out[i].isspace():
            i += 1
        if i == len(out):
            break
        doc, i = dec.raw_decode(out, i)
        docs += doc["items"] if doc.get("kind") == "List" else [doc]
    return docs


for f in manifests:
    decode(f)
p = sh([KUBECTL, "kustomize", KDIR], env=env)
c.eq(p.returncode, 0, "kubectl kustomize: " + p.stderr[-300:])
objs = decode("-", p.stdout)
by_kind = {}
for o in objs:
    c.eq(o["metadata"].get("namespace", "clarion" if o["kind"] == "Namespace" else None), "clarion",
         "%s/%s in namespace clarion" % (o["kind"], o["metadata"]["name"]))
    by_kind.setdefault(o["kind"], []).append(o)
c.eq(sorted(by_kind), ["ConfigMap", "Deployment", "Namespace", "NetworkAttachmentDefinition",
                       "PersistentVolumeClaim", "Service"], "kinds in the base")
resource_files = open(os.path.join(KDIR, "kustomization.yaml")).read()
for f in manifests:
    c.check("- " + os.path.basename(f) in resource_files, "kustomization lists " + os.path.basename(f))


def one(kind):
    return by_kind.get(kind, [{}])[0]


def typed(value, t, what):
    return c.check(isinstance(value, t), "%s is a %s: %r" % (what, t.__name__, value))


cm, dep, nad, pvc, svc = (one(k) for k in ("ConfigMap", "Deployment", "NetworkAttachmentDefinition",
                                              "PersistentVolumeClaim", "Service"))
settings = cm.get("data", {})
for k, v in settings.items():
    typed(v, str, "ConfigMap %s" % k)
c.eq(sorted(settings), ["CLARION_EAL_ARGS", "clarion-flowd.conf"],
     "ConfigMap: the EAL arguments and the configuration file")
conf_text = settings.get("clarion-flowd.conf", "")
conf = {}
for line in conf_text.splitlines():  # the keys the checks below look at (no repeats among them)
    if line.strip() and not line.lstrip().startswith("#"):
        k, _, v = line.partition(":")
        conf[k.strip()] = v.split(" #")[0].strip()

# Deployment: one pod spec with the fields the collector needs, of the right types.
spec = dep["spec"]
c.eq(spec["replicas"], 1, "one replica")
c.eq(spec["strategy"]["type"], "Recreate", "Recreate: the VF address and the RWO volume move")
labels = spec["template"]["metadata"]["labels"]
c.check(all(labels.get(k) == v for k, v in spec["selector"]["matchLabels"].items()), "selector matches the pod")
pod = spec["template"]["spec"]
typed(pod["terminationGracePeriodSeconds"], int, "terminationGracePeriodSeconds")
ctr = pod["containers"][0]
res = ctr["resources"]
for key in ("cpu", "memory", "hugepages-2Mi", "intel.com/intel_sriov_dpdk"):
    c.check(key in res["limits"] and res["requests"].get(key) == res["limits"][key],
            "request = limit for %s (hugepages must; Guaranteed QoS for the rest)" % key)
c.check(res["limits"].get("hugepages-2Mi", "").endswith("Gi") or res["limits"].get("hugepages-2Mi", "").endswith("Mi"),
        "hugepages-2Mi is a quantity")
sc = ctr["securityContext"]
c.eq(sc["capabilities"], {"drop": ["ALL"], "add": ["IPC_LOCK"]}, "IPC_LOCK and nothing broader")
c.eq((sc.get("privileged", False), sc["allowPrivilegeEscalation"], sc["readOnlyRootFilesystem"]),
     (False, False, True), "not privileged, no escalation, read-only root")
c.check("hostNetwork" not in pod and "hostPID" not in pod, "no host namespaces")
vols = {v["name"]: v for v in pod["volumes"]}
mounts = {m["mountPath"]: m["name"] for m in ctr["volumeMounts"]}
for m in ctr["volumeMounts"]:
    c.check(m["name"] in vols, "volume mount %s has a volume" % m["name"])
c.eq(vols[mounts["/dev/hugepages"]].get("emptyDir"), {"medium": "HugePages"}, "hugetlbfs on /dev/hugepages")
c.eq(vols[mounts["/var/lib/clarion-flowd"]].get("persistentVolumeClaim", {}).get("claimName"),
     pvc["metadata"]["name"], "state directory on the PVC")
c.check("/var/run/dpdk" in mounts and "/tmp" in mounts, "DPDK runtime dir and /tmp writable (read-only root)")
for k in ("spool-dir", "template-file"):
    c.check(conf.get(k, "").startswith("/var/lib/clarion-flowd/"), "%s is on the PVC" % k)
env_of = {e["name"]: e for e in ctr["env"]}
c.eq(env_of["CLARION_EAL_ARGS"]["valueFrom"]["configMapKeyRef"],
     {"name": cm["metadata"]["name"], "key": "CLARION_EAL_ARGS"}, "EAL arguments from the ConfigMap")
conf_dir = [m for m in ctr["volumeMounts"] if m["mountPath"] == "/etc/clarion-flowd"]
c.check(conf_dir and conf_dir[0].get("readOnly") and "subPath" not in conf_dir[0],
        "configuration mounted read-only at /etc/clarion-flowd, not as a subPath (edits reach the pod)")
cm_vol = vols.get(conf_dir[0]["name"], {}).get("configMap", {}) if conf_dir else {}
c.eq((cm_vol.get("name"), cm_vol.get("items")),
     (cm["metadata"]["name"], [{"key": "clarion-flowd.conf", "path": "clarion-flowd.conf"}]),
     "the volume is the ConfigMap's clarion-flowd.conf")
c.eq(env_of["CLARION_COLLECTOR_CONFIG"].get("value"), "/etc/clarion-flowd/clarion-flowd.conf",
     "CLARION_COLLECTOR_CONFIG names the mounted file")
port = {p["name"]: p["containerPort"] for p in ctr["ports"]}["metrics"]
c.eq(str(port), conf.get("http-port"), "container port = the collector's --http-port")
c.eq(conf.get("http-bind"), "0.0.0.0", "control plane reachable by the kubelet")
c.eq(ctr["readinessProbe"]["httpGet"], {"path": "/health", "port": "metrics"}, "readiness on /health")
c.eq(ctr["livenessProbe"]["tcpSocket"], {"port": "metrics"}, "liveness on the /health listener")
storage = pvc["spec"]["resources"]["requests"]["storage"]
c.check(storage.endswith("Gi") and int(storage[:-2]) * 2 ** 30 > int(conf["spool-max-bytes"]),
        "the PVC (%s) holds the whole spool budget" % storage)
c.eq(pvc["spec"]["accessModes"], ["ReadWriteOnce"], "PVC ReadWriteOnce")

# SR-IOV: the pod asks Multus for the attachment, and the attachment's resource is the one it requests.
c.eq(spec["template"]["metadata"]["annotations"]["k8s.v1.cni.cncf.io/networks"], nad["metadata"]["name"],
     "pod attaches the NetworkAttachmentDefinition")
resname = nad["metadata"]["annotations"]["k8s.v1.cni.cncf.io/resourceName"]
c.check(resname in res["limits"], "the pod requests the attachment's device plugin resource %s" % resname)
cni = json.loads(nad["spec"]["config"])
c.eq((cni["type"], "ipam" in cni), ("sriov", False), "sriov CNI, no kernel IPAM (DPDK owns the VF)")

# Service: selects the pod, targets the metrics port, carries the scrape annotations.
c.check(all(labels.get(k) == v for k, v in svc["spec"]["selector"].items()), "Service selects the pod")
c.eq(svc["spec"]["ports"][0]["targetPort"], "metrics", "Service targets the metrics port")
ann = svc["metadata"]["annotations"]
c.eq((ann["prometheus.io/scrape"], ann["prometheus.io/port"], ann["prometheus.io/path"]),
     ("true", str(port), "/metrics"), "Prometheus scrape annotations")


def validate_settings(settings):
    """--check-config of the ConfigMap's configuration file, then the collector run with it
    through the image's entrypoint, only the EAL devices swapped for the sample capture and
    paths moved to a scratch directory."""
    with tempfile.TemporaryDirectory() as d:
        e = dict(os.environ)
        conf_path = os.path.join(d, "clarion-flowd.conf")
        with open(conf_path, "w") as f:
            f.write(settings["clarion-flowd.conf"].replace("/var/lib/clarion-flowd", d))
        e["CLARION_COLLECTOR_CONFIG"] = conf_path
        p = sh([cflib.BIN, "--check-config"], env=e, timeout=60)
        c.check(p.returncode == 0 and "configuration OK: " + conf_path in p.stdout,
                "the ConfigMap's clarion-flowd.conf passes --check-config: %s %s"
                % (p.stdout.strip(), p.stderr.strip()[-400:]))
        bad = os.path.join(d, "bad.conf")
        with open(bad, "w") as f:
            f.write(settings["clarion-flowd.conf"] + "max-exporters: 1\n")
        p = sh([cflib.BIN, "--check-config"], env=dict(e, CLARION_COLLECTOR_CONFIG=bad), timeout=60)
        c.check(p.returncode == 2 and "bad.conf:%d: max-exporters: '1' is not" % (settings["clarion-flowd.conf"].count("\n") + 1)
                in p.stderr, "--check-config refuses a bad value with FILE:LINE: " + p.stderr.strip()[-300:])
        sample = os.path.join(cflib.ROOT, "samples", "netflow-v5.pcap")
        e["CLARION_EAL_ARGS"] = " ".join(cflib.eal_args("net_pcap0,rx_pcap=" + sample))
        e["CLARION_COLLECTOR_HTTP_PORT"] = "0"  # parallel runs; the value itself is checked above
        e["CLARION_FLOWD_BIN"] = cflib.BIN
        p = sh(["sh", RUN, "--idle-exit", "1", "--agent-port", "0", "--shutdown-timeout", "1"], env=e, timeout=120)
        c.eq(p.returncode, 0, "the ConfigMap's settings run: " + p.stderr[-600:])
        c.check("==== final ====" in p.stderr, "the collector ran to its final counters")
        stats = cflib.parse_final(p.stderr)
        # --collector-ip 198.51.100.2: the sample's datagrams are to another address, counted.
        c.eq(stats["drops"].get("dst_addr"), 20, "datagrams to other addresses counted (dst_addr)")


validate_settings(settings)

# The entrypoint: the device plugin's VF addresses become -a, the pod's CPUs -l.
with tempfile.TemporaryDirectory() as d:
    show = os.path.join(d, "show")
    open(show, "w").write('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n')
    os.chmod(show, 0o755)
    e = dict(os.environ, CLARION_FLOWD_BIN=show, CLARION_EAL_ARGS=settings["CLARION_EAL_ARGS"],
             CLARION_FLOWD_ARGS="--stats-period 5", PCIDEVICE_INTEL_COM_INTEL_SRIOV_DPDK="0000:3b:02.1",
             PCIDEVICE_INTEL_COM_INTEL_SRIOV_DPDK_INFO='{"0000:3b:02.1":{"generic":{}}}')
    argv = sh(["sh", RUN, "--idle-exit", "1"], env=e).stdout.splitlines()
    cpus = [l.split(":", 1)[1].strip() for l in open("/proc/self/status") if l.startswith("Cpus_allowed_list")][0]
    c.eq(argv, ["--huge-dir", "/dev/hugepages", "-a", "0000:3b:02.1", "-l", cpus, "--", "--stats-period", "5",
                "--idle-exit", "1"], "entrypoint arguments")
c.done()

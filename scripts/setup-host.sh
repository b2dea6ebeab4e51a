#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Prepares a host for clarion-flowd: reserves and mounts 2 MiB hugepages, loads the DPDK
# driver and binds the ports listed in dpdk-devbind.conf to it; --unbind gives them back to
# their kernel drivers. Safe to run again: what is already done is left alone. Run as root;
# the systemd unit runs it as ExecStartPre. docs/deploying.md explains each step.
#
# It writes sysfs itself (what dpdk-devbind.py and dpdk-hugepages.py do), so that
# CF_SYSFS / CF_PROCFS (default /sys, /proc) can point it at a fake tree in tests.
set -euo pipefail

SYS=${CF_SYSFS:-/sys}
PROC=${CF_PROCFS:-/proc}
DPDK_DRIVERS=" vfio-pci uio_pci_generic igb_uio "

usage() {
	cat <<EOF
Usage: setup-host.sh [options]

Prepares this host for clarion-flowd (as root):
  1. reserves --hugepages 2 MiB hugepages (never lowers a larger reservation)
     and mounts hugetlbfs on --hugepage-mount unless it is mounted there;
  2. loads the driver each port names (modprobe), checking vfio-pci has an IOMMU;
  3. binds each port of the configuration file to that driver.
Nothing already in place is redone. Before anything changes, every port is checked:
an interface that is up with addresses, or that carries a default route, is refused
(exit 3) unless --force: binding it takes it away from the kernel.

Options:
  --conf FILE            ports to bind, "PCI_ADDRESS DRIVER" per line (default:
                         \$CF_DEVBIND_CONF, else /etc/clarion-flowd/dpdk-devbind.conf,
                         else dpdk-devbind.conf of the source tree)
  --hugepages N          2 MiB pages to have reserved (default 1024); 0 = leave them
  --hugepage-mount DIR   hugetlbfs mount point (default /dev/hugepages)
  --unbind               give the ports back to their kernel drivers instead
                         (hugepages are left as they are)
  --force                bind interfaces that are up with addresses or carry a default route
  --dry-run              print what would be done; change nothing
  --help                 this text

Exit status: 0 done (or nothing to do), 1 a step failed, 2 usage or configuration
error, 3 refused (an interface in use; see --force).
EOF
}

die() { # status, message
	echo "setup-host: $2" >&2
	exit "$1"
}
say() { echo "setup-host: $*"; }

conf=""
pages=1024
mnt=/dev/hugepages
unbind=0
force=0
dry=0
while [ $# -gt 0 ]; do
	case $1 in
	--conf) [ $# -ge 2 ] || die 2 "--conf needs a file"; conf=$2; shift 2 ;;
	--hugepages) [ $# -ge 2 ] || die 2 "--hugepages needs a number"; pages=$2; shift 2 ;;
	--hugepage-mount) [ $# -ge 2 ] || die 2 "--hugepage-mount needs a directory"; mnt=$2; shift 2 ;;
	--unbind) unbind=1; shift ;;
	--force) force=1; shift ;;
	--dry-run) dry=1; shift ;;
	--help | -h) usage; exit 0 ;;
	*) die 2 "unknown option '$1' (see --help)" ;;
	esac
done
[[ $pages =~ ^[0-9]+$ ]] || die 2 "--hugepages: '$pages' is not a number of pages"

if [ -z "$conf" ]; then
	here=$(dirname "$(readlink -f "$0")")
	for c in "${CF_DEVBIND_CONF:-}" /etc/clarion-flowd/dpdk-devbind.conf "$here/../dpdk-devbind.conf"; do
		if [ -n "$c" ] && [ -f "$c" ]; then
			conf=$c
			break
		fi
	done
	[ -n "$conf" ] || die 2 "no dpdk-devbind.conf found (give --conf FILE)"
fi
[ -r "$conf" ] || die 2 "$conf: cannot read"

# Writes value to a sysfs file, or prints that it would. sysfs reports a refused write
# (wrong driver, device gone) as a write error, which is the step's failure.
put() { # file, value, what
	if [ $dry -eq 1 ]; then
		say "would write '$2' to ${1#"$SYS"/} ($3)"
		return 0
	fi
	printf '%s\n' "$2" 2>/dev/null >"$1" || die 1 "writing '$2' to $1 failed ($3)"
}
run() {
	if [ $dry -eq 1 ]; then
		say "would run: $*"
		return 0
	fi
	"$@"
}

# --- the configuration: every line checked before anything is done ---
pcis=()
drvs=()
n=0
while IFS= read -r line || [ -n "$line" ]; do
	n=$((n + 1))
	line=${line%%#*}
	read -r pci drv extra <<<"$line" || true
	[ -z "${pci:-}" ] && continue
	if [ -z "${drv:-}" ] || [ -n "${extra:-}" ]; then
		die 2 "$conf:$n: expected 'PCI_ADDRESS DRIVER'"
	fi
	[[ $pci =~ ^[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$ ]] && pci="0000:$pci"
	[[ $pci =~ ^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$ ]] ||
		die 2 "$conf:$n: '$pci' is not a PCI address (0000:03:00.0)"
	pci=${pci,,}
	[[ $DPDK_DRIVERS == *" $drv "* ]] || die 2 "$conf:$n: driver '$drv' is not one of$DPDK_DRIVERS"
	for p in "${pcis[@]}"; do
		[ "$p" != "$pci" ] || die 2 "$conf:$n: $pci listed twice"
	done
	pcis+=("$pci")
	drvs+=("$drv")
done <"$conf"

# The driver a device is bound to now, or "".
driver_of() {
	local l
	l=$(readlink "$SYS/bus/pci/devices/$1/driver" 2>/dev/null) || return 0
	basename "$l"
}

# Waits up to 5 s for device $1 to be on a driver matching the pattern $2 (drivers that probe
# asynchronously link the device a little after the write returns); prints the driver.
wait_driver() {
	local _ now=""
	for _ in $(seq 50); do
		now=$(driver_of "$1")
		# shellcheck disable=SC2053
		[[ -n $now && $now == $2 ]] && break
		sleep 0.1
	done
	echo "$now"
}

# Why binding kernel interface $1 would cut something off, or "" when it would not.
in_use() {
	local ifc=$1 why="" addrs
	command -v ip >/dev/null || { echo "cannot check it (no 'ip' command; apt-get install iproute2)"; return; }
	ip -o link show dev "$ifc" >/dev/null 2>&1 || return 0
	if ip -o link show dev "$ifc" | grep -q '[<,]UP[,>]'; then
		# IPv6 link-local addresses come with every up interface; they carry no service.
		addrs=$(ip -o addr show dev "$ifc" | awk '$3 == "inet" || ($3 == "inet6" && $4 !~ /^fe80:/) { printf "%s ", $4 }')
		[ -n "$addrs" ] && why="is up with addresses ${addrs% }"
	fi
	if { ip -4 route show default; ip -6 route show default; } 2>/dev/null | grep -qw "dev $ifc"; then
		why="${why:+$why and }carries the default route"
	fi
	echo "$why"
}

[ $dry -eq 1 ] || [ "$(id -u)" -eq 0 ] || [ -n "${CF_SYSFS:-}" ] || die 1 "run as root (or with --dry-run)"

# --- unbind: back to the kernel's own driver ---
if [ $unbind -eq 1 ]; then
	[ ${#pcis[@]} -gt 0 ] || { say "$conf lists no port: nothing to unbind"; exit 0; }
	for i in "${!pcis[@]}"; do
		pci=${pcis[$i]}
		dev=$SYS/bus/pci/devices/$pci
		[ -e "$dev" ] || die 1 "$pci: no such PCI device"
		cur=$(driver_of "$pci")
		if [ -n "$cur" ] && [[ $DPDK_DRIVERS != *" $cur "* ]]; then
			say "$pci: already on kernel driver $cur"
			continue
		fi
		[ -z "$cur" ] || put "$SYS/bus/pci/drivers/$cur/unbind" "$pci" "unbind $pci from $cur"
		# An empty override lets the kernel choose the device's own driver again.
		[ ! -e "$dev/driver_override" ] || put "$dev/driver_override" "" "clear the driver override"
		put "$SYS/bus/pci/drivers_probe" "$pci" "let the kernel probe $pci"
		[ $dry -eq 1 ] && continue
		now=$(wait_driver "$pci" "*")
		[ -n "$now" ] || die 1 "$pci: no kernel driver took it (modprobe its driver, then rerun)"
		say "$pci: back on kernel driver $now"
	done
	exit 0
fi

# --- bind: check every port before changing any ---
todo=()
for i in "${!pcis[@]}"; do
	pci=${pcis[$i]}
	drv=${drvs[$i]}
	dev=$SYS/bus/pci/devices/$pci
	[ -e "$dev" ] || die 1 "$pci: no such PCI device (dpdk-devbind.py --status-dev net lists them)"
	cur=$(driver_of "$pci")
	if [ "$cur" = "$drv" ]; then
		say "$pci: already bound to $drv"
		continue
	fi
	refuse=""
	if [ -d "$dev/net" ]; then
		for ifp in "$dev"/net/*; do
			[ -e "$ifp" ] || continue
			ifc=$(basename "$ifp")
			why=$(in_use "$ifc")
			[ -z "$why" ] || refuse="${refuse:+$refuse; }interface $ifc $why"
		done
	fi
	if [ -n "$refuse" ]; then
		[ $force -eq 1 ] || die 3 "refusing to bind $pci: $refuse (binding takes it from the kernel; --force to bind anyway)"
		say "$pci: binding although $refuse (--force)"
	fi
	todo+=("$i")
done

# --- hugepages ---
if [ "$pages" -gt 0 ]; then
	nr=$SYS/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
	[ -e "$nr" ] || die 1 "no 2 MiB hugepage support ($nr missing)"
	have=$(cat "$nr")
	if [ "$have" -ge "$pages" ]; then
		say "hugepages: $have x 2 MiB reserved (wanted $pages)"
	else
		put "$nr" "$pages" "reserve $pages x 2 MiB hugepages"
		if [ $dry -eq 0 ]; then
			have=$(cat "$nr")
			[ "$have" -ge "$pages" ] || die 1 "only $have of $pages hugepages could be reserved (memory too fragmented: reserve them at boot, hugepages=$pages on the kernel command line, or vm.nr_hugepages in /etc/sysctl.d/)"
			say "hugepages: $have x 2 MiB reserved"
		fi
	fi
	if awk -v m="$mnt" '$2 == m && $3 == "hugetlbfs" { found = 1 } END { exit !found }' "$PROC/mounts"; then
		say "hugepages: hugetlbfs already mounted on $mnt"
	else
		run mkdir -p "$mnt"
		run mount -t hugetlbfs -o pagesize=2M nodev "$mnt"
		[ $dry -eq 1 ] || say "hugepages: hugetlbfs mounted on $mnt"
	fi
fi

[ ${#pcis[@]} -gt 0 ] || { say "$conf lists no port: nothing to bind"; exit 0; }
[ ${#todo[@]} -gt 0 ] || exit 0

# --- drivers ---
loaded=" "
for i in "${todo[@]}"; do
	drv=${drvs[$i]}
	[[ $loaded == *" $drv "* ]] && continue
	loaded+="$drv "
	if [ ! -d "$SYS/bus/pci/drivers/$drv" ]; then
		[ $dry -eq 1 ] || command -v modprobe >/dev/null || die 1 "$drv is not loaded and modprobe is missing (apt-get install kmod)"
		run modprobe "$drv" || die 1 "modprobe $drv failed"
		[ $dry -eq 1 ] || [ -d "$SYS/bus/pci/drivers/$drv" ] || die 1 "$drv did not register after modprobe"
	fi
	if [ "$drv" = vfio-pci ] && [ -z "$(ls -A "$SYS/kernel/iommu_groups" 2>/dev/null)" ] &&
		[ "$(cat "$SYS/module/vfio/parameters/enable_unsafe_noiommu_mode" 2>/dev/null)" != Y ]; then
		die 1 "vfio-pci needs an IOMMU and this host has none enabled: boot with intel_iommu=on iommu=pt (AMD: amd_iommu=on), or use uio_pci_generic (no DMA isolation) in $conf"
	fi
done

# --- bind ---
for i in "${todo[@]}"; do
	pci=${pcis[$i]}
	drv=${drvs[$i]}
	dev=$SYS/bus/pci/devices/$pci
	cur=$(driver_of "$pci")
	[ -z "$cur" ] || put "$SYS/bus/pci/drivers/$cur/unbind" "$pci" "unbind $pci from $cur"
	put "$dev/driver_override" "$drv" "only $drv may take $pci"
	put "$SYS/bus/pci/drivers/$drv/bind" "$pci" "bind $pci to $drv"
	[ $dry -eq 1 ] && continue
	now=$(wait_driver "$pci" "$drv")
	[ "$now" = "$drv" ] || die 1 "$pci: still on '${now:-no driver}' after binding to $drv"
	say "$pci: bound to $drv${cur:+ (was $cur)}"
done

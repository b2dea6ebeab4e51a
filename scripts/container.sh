#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Builds the clarion-flowd container image with podman, pulling from no registry:
#   1. debootstrap --variant=minbase a Debian root from the Debian mirror, with the
#      package's dependencies (from the .deb's Depends) included;
#   2. podman import that root as localhost/clarion-flowd-base;
#   3. podman build the Containerfile on it: the .deb installed with dpkg, no network.
# Then `scripts/container.sh demo` runs the image's demo (pcap PMD, --no-huge).
#   scripts/container.sh [build] [--deb FILE] [--tag NAME]   prints the image name last
#   scripts/container.sh demo [--tag NAME] [podman run options...] [-- command arguments]
# Environment: CF_DEBIAN_MIRROR (default: this machine's apt mirror), CF_SUITE (default:
# this machine's release). Runs as root (debootstrap, podman's storage).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

cmd=build
case ${1:-} in build | demo) cmd=$1; shift ;; esac
deb=""
tag=localhost/clarion-flowd:$(sed -n "s/^\s*version: '\([^']*\)'.*/\1/p" meson.build | head -1)
extra=()
command_args=()
while [ $# -gt 0 ]; do
	case $1 in
	--) shift; command_args=("$@"); break ;;
	--deb) deb=$2; shift 2 ;;
	--tag) tag=$2; shift 2 ;;
	-h | --help) sed -n '3,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) [ "$cmd" = demo ] || { echo "container.sh: unknown option '$1'" >&2; exit 2; }; extra+=("$1"); shift ;;
	esac
done
[[ ${tag##*/} == *:* ]] || tag=$tag:latest
command -v podman >/dev/null || { echo "container.sh: podman missing (apt-get install podman runc)" >&2; exit 1; }

# podman's defaults do not fit every host; these are the adjustments, each for a reason.
podman_opts() {
	# crun refuses hosts with cgroup v1 and controllers on the v2 hierarchy ("hybrid");
	# runc runs there.
	if [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ] && command -v runc >/dev/null; then
		echo --runtime runc
	fi
}
run_opts() {
	# podman asks for nofile 1048576 and nproc 4194304; without CAP_SYS_RESOURCE above the
	# hard limits that fails, so ask for what this host allows (podman keeps itself at 32768
	# processes).
	local nofile nproc
	nofile=$(ulimit -Hn)
	nproc=$(ulimit -Hu)
	[ "$nofile" = unlimited ] && nofile=1048576
	{ [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; } && nproc=32768
	echo --ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc"
}

if [ "$cmd" = demo ]; then
	# shellcheck disable=SC2046 # option lists
	exec podman $(podman_opts) run --rm --network none --cap-drop all --cap-add IPC_LOCK \
		$(run_opts) "${extra[@]}" "$tag" "${command_args[@]}"
fi

[ "$(id -u)" -eq 0 ] || { echo "container.sh: run as root (debootstrap)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "container.sh: debootstrap missing (apt-get install debootstrap)" >&2; exit 1; }
if [ -z "$deb" ]; then
	deb=$(scripts/package.sh | tail -1)
fi
[ -f "$deb" ] || { echo "container.sh: $deb: no such package" >&2; exit 1; }

suite=${CF_SUITE:-$(sed -n "s/^VERSION_CODENAME=//p" /etc/os-release)}
mirror=${CF_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
	mirror=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
		awk '/^URIs:/ && $2 ~ /\/debian\/?$/ { print $2; exit }
		     /^deb / && $3 == "'"$suite"'" { print $2; exit }' || true)
	mirror=${mirror:-http://deb.debian.org/debian}
fi
# The package's dependencies, names only (the first of alternatives), go into the root.
include=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g' | grep -v '^$' | paste -sd,)

work=$(mktemp -d "$root/build-container.XXXXXX")
mkdir -p "$work/context"
trap 'rm -rf "$work"' EXIT
echo "container.sh: debootstrap --variant=minbase $suite from $mirror" >&2
t0=$(date +%s)
if ! debootstrap --variant=minbase --include="$include" "$suite" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
	tail -20 "$work/debootstrap.log" >&2
	echo "container.sh: debootstrap failed" >&2
	exit 1
fi
# An image needs no package lists or caches; the root's own /dev and /proc stay empty.
rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/*
echo "container.sh: root made in $(($(date +%s) - t0)) s; importing" >&2
base=${tag%:*}-base:${tag##*:}
tar -C "$work/rootfs" --numeric-owner -cf - . | podman import - "$base" >/dev/null
cp "$deb" "$work/context/"
cp Containerfile "$work/context/"
# --network none: the build's one RUN (dpkg -i) must not reach out; --pull=never: no registry.
# shellcheck disable=SC2046
podman $(podman_opts) build --pull=never --network none $(run_opts) \
	--build-arg BASE="$base" -t "$tag" -f "$work/context/Containerfile" "$work/context" >"$work/build.log" 2>&1 ||
	{ tail -20 "$work/build.log" >&2; echo "container.sh: podman build failed" >&2; exit 1; }
echo "container.sh: built $tag in $(($(date +%s) - t0)) s" >&2
echo "$tag"

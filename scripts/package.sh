#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Builds the Debian package clarion-flowd_<version>_amd64.deb with debhelper and meson
# (dpkg-buildpackage -b) from a copy of this tree, so the checkout stays clean.
#   scripts/package.sh [--out DIR] [--lintian]
# Prints the .deb's path on its last line. DIR defaults to build-deb/.
# --lintian also runs lintian on the result (tests/e2e/test_package.py checks its tags).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

out=build-deb
lint=0
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--lintian) lint=1; shift ;;
	-h | --help) sed -n '3,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "package.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
done

scripts/deps.sh --package

version=$(sed -n "s/^\s*version: '\([^']*\)'.*/\1/p" meson.build | head -1)
deb_version=$(dpkg-parsechangelog -l debian/changelog -S Version)
if [ "$version" != "$deb_version" ]; then
	echo "package.sh: meson.build says $version, debian/changelog $deb_version: add a changelog entry (dch -v $version)" >&2
	exit 1
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
src=$out/clarion-flowd-$version
rm -rf "$src" "$out"/clarion-flowd_"$version"_*
mkdir -p "$src"
# The files git knows (tracked, or new and not ignored); a tree without git: all but build trees.
if git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
		[ -e "$f" ] && printf '%s\0' "$f"
	done | tar -C "$root" --null -T - -cf - | tar -C "$src" -xf -
else
	tar -C "$root" --exclude='./build*' -cf - . | tar -C "$src" -xf -
fi

echo "package.sh: dpkg-buildpackage -b in $src" >&2
(cd "$src" && dpkg-buildpackage -b -us -uc >"$out/build.log" 2>&1) ||
	{ tail -30 "$out/build.log" >&2; echo "package.sh: build failed (log: $out/build.log)" >&2; exit 1; }
deb=$out/clarion-flowd_${version}_amd64.deb
[ -f "$deb" ] || { echo "package.sh: $deb was not produced" >&2; exit 1; }
rm -rf "$src"
if [ $lint -eq 1 ]; then
	lintian --info --display-info --pedantic "$deb" >&2 || true
fi
echo "$deb"

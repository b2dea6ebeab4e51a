#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Builds the release tree (build/) and, with --asan, the sanitizer tree (build-asan/).
set -euo pipefail
cd "$(dirname "$0")/.."

setup() { # dir, meson options...
	local dir=$1
	shift
	[ -f "$dir/build.ninja" ] || meson setup "$dir" "$@" >/dev/null
	ninja -C "$dir" >/dev/null
}
setup build
if [ "${1:-}" = "--asan" ]; then
	setup build-asan -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false
fi

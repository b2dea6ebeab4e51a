#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs what is missing, builds, runs every test, ends with "N passed, N failed".
#   unit: CUnit programs in the release build and again under ASan/UBSan
#   e2e:  tests/e2e/test_*.py against the real clarion-flowd on the pcap PMD
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh --test || { echo "test.sh: installing dependencies failed"; echo "0 passed, 1 failed"; exit 1; }
scripts/build.sh --asan || { echo "test.sh: build failed"; echo "0 passed, 1 failed"; exit 1; }

pass=0
fail=0
skipped=0
failed_names=()

result() { # name, status
	case $2 in
	0) pass=$((pass + 1)) ;;
	77) skipped=$((skipped + 1)) ;;
	*) fail=$((fail + 1)); failed_names+=("$1") ;;
	esac
}

for dir in build build-asan; do
	for t in "$dir"/tests/test_*; do
		[ -f "$t" ] && [ -x "$t" ] || continue # skip meson's test_*.p object dirs
		name="unit/$(basename "$t")@$dir"
		echo "== $name"
		ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			timeout 300 "$t" > "/tmp/cf-$$-unit.log" 2>&1
		rc=$?
		grep -E "^\s+(tests|asserts)|FAIL|ERROR|runtime error" "/tmp/cf-$$-unit.log" | head -20
		[ $rc -ne 0 ] && tail -40 "/tmp/cf-$$-unit.log"
		result "$name" $rc
	done
done
rm -f "/tmp/cf-$$-unit.log"

for t in tests/e2e/test_*.py; do
	[ -f "$t" ] || continue
	name="e2e/$(basename "$t")"
	echo "== $name"
	timeout 900 python3 "$t"
	result "$name" $?
done

echo
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "tests: $pass passed, $fail failed, $skipped skipped"
[ $fail -eq 0 ]

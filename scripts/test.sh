#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs what is missing, builds, runs every test, ends with "N passed, N failed".
# The tests are meson suites (tests/meson.build):
#   unit: CUnit programs in the release build and again under ASan/UBSan
#   e2e:  tests/e2e/test_*.py against the real clarion-flowd on the pcap PMD, and the
#         Debian package scripts/package.sh builds once before them
#   fuzz: every libFuzzer target (tests/fuzz) for CF_FUZZ_SECONDS (default 20) each,
#         from its seeds and regression inputs (scripts/fuzz.sh)
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh --test || { echo "test.sh: installing dependencies failed"; echo "0 passed, 1 failed"; exit 1; }
scripts/build.sh --asan || { echo "test.sh: build failed"; echo "0 passed, 1 failed"; exit 1; }

pass=0
fail=0
skipped=0
failed_names=()

# suite, build dir, extra meson test arguments: adds the suite's results to the totals.
run_suite() {
	local suite=$1 dir=$2 log
	shift 2
	echo "== $suite@$dir"
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C "$dir" --suite "$suite" --print-errorlogs "$@"
	log="$dir/meson-logs/testlog.json"
	while IFS=' ' read -r result name; do
		case $result in
		OK | EXPECTEDFAIL) pass=$((pass + 1)) ;;
		SKIP) skipped=$((skipped + 1)) ;;
		*) fail=$((fail + 1)); failed_names+=("$suite/$name@$dir") ;;
		esac
	done < <(python3 -c 'import json, sys
for line in open(sys.argv[1]):
    t = json.loads(line)
    print(t["result"], t["name"])' "$log")
}

# A test file that is not in tests/meson.build would silently never run.
registered=$(meson test -C build --suite e2e --list 2>/dev/null)
for t in tests/e2e/test_*.py; do
	name=$(basename "$t" .py)
	name=${name#test_}
	if ! grep -qE "(^|:| )$name\$" <<<"$registered"; then
		echo "test.sh: $t is not listed in tests/meson.build (e2e_tests)"
		fail=$((fail + 1)); failed_names+=("e2e/$name (not registered)")
	fi
done

run_suite unit build
run_suite unit build-asan

# The Debian package, built once (about a minute) for the e2e tests that install it
# (test_package, test_container read CF_DEB; run alone, they build it themselves).
echo "== package"
if deb=$(scripts/package.sh --out build-deb | tail -1) && [ -f "$deb" ]; then
	export CF_DEB=$deb
	pass=$((pass + 1))
else
	fail=$((fail + 1)); failed_names+=("package (scripts/package.sh)")
fi

run_suite e2e build --verbose

# Fuzz targets, bounded: a finding fails the run (its input is in build-fuzz/crash-*).
echo "== fuzz (${CF_FUZZ_SECONDS:-20} s each)"
for t in $(scripts/fuzz.sh --list); do
	if scripts/fuzz.sh "$t" "${CF_FUZZ_SECONDS:-20}"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); failed_names+=("fuzz/$t")
	fi
done

echo
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "tests: $pass passed, $fail failed, $skipped skipped"
[ $fail -eq 0 ]

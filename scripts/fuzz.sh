#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Builds the libFuzzer targets (tests/fuzz) with clang in build-fuzz/ and runs one.
#   scripts/fuzz.sh TARGET SECONDS [libFuzzer options...]   run TARGET for SECONDS
#   scripts/fuzz.sh --list                                   the targets
# TARGET: v9ipfix sflow rx spool tplfile agent stages. The seed corpus is
# tests/fuzz/corpus/TARGET (checked in, with regression inputs: every crash found
# becomes one) plus seeds made at run time from ../shared/corpus and the generators;
# new inputs libFuzzer finds go to build-fuzz/corpus/TARGET (not checked in).
# Prints libFuzzer's last status line (executions, coverage) and exits non-zero on a finding.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS="v9ipfix sflow rx spool tplfile agent stages"
if [ "${1:-}" = "--list" ]; then
	echo "$TARGETS"
	exit 0
fi
[ $# -ge 2 ] || { echo "usage: $0 TARGET SECONDS [libFuzzer options] | --list" >&2; exit 2; }
target=$1 secs=$2
# CF_FUZZ_BUILD: another build tree (two runs side by side must not share one).
B=${CF_FUZZ_BUILD:-build-fuzz}
shift 2
case " $TARGETS " in *" $target "*) ;; *) echo "fuzz.sh: unknown target '$target' ($TARGETS)" >&2; exit 2 ;; esac

if [ ! -f "$B/build.ninja" ]; then
	CC=clang-14 meson setup "$B" -Dbuildtype=debug -Doptimization=1 -Dtests=false -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined' >/dev/null
fi
if ! ninja -C "$B" "tests/fuzz/fuzz_$target" >"$B/build-$target.log" 2>&1; then
	echo "fuzz.sh: $target: build failed (clang), see $B/build-$target.log" >&2
	grep -m5 -E "error" "$B/build-$target.log" >&2 || true
	exit 1
fi

seeds=$B/seeds/$target
work=$B/corpus/$target
mkdir -p "$seeds" "$work"
python3 tests/fuzz/make_seeds.py "$target" "$seeds"
log=$B/fuzz-$target.log
# -rss_limit_mb: the EAL maps its memory up front; -timeout: one input never takes seconds;
# -detect_leaks=0: a leak scan walks all of the EAL's memory (ASan still catches misuse).
set +e
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	"$B/tests/fuzz/fuzz_$target" -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -detect_leaks=0 \
	-artifact_prefix="$B/crash-$target-" -print_final_stats=1 "$@" \
	"$work" "tests/fuzz/corpus/$target" "$seeds" >"$log" 2>&1
rc=$?
set -e
grep -E "^#[0-9]+.*(DONE|pulse|NEW|REDUCE)" "$log" | tail -1 || true
grep -E "^stat::(number_of_executed_units|peak_rss_mb|new_units_added)" "$log" || true
if [ $rc -ne 0 ]; then
	echo "fuzz.sh: $target: FINDING (exit $rc), see $log and $B/crash-$target-*" >&2
	grep -m3 -E "ERROR|runtime error|SUMMARY" "$log" >&2 || true
	exit 1
fi
echo "fuzz.sh: $target: $secs s, no finding"

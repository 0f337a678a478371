#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS over its seed corpus (fixtures/fuzz/TARGET) and dictionary, keeping
# what it learns in .build/fuzz/corpus/TARGET. A crash, leak, timeout or out-of-memory fails the run and
# leaves the input in .build/fuzz/crashes/. A summary line per target goes to .build/fuzz/summary.txt.
# With FUZZ_RUNS set, each target instead runs that many inputs from a fixed seed (at most SECONDS):
# the same inputs on every run, so CI fails on a regression, never on a new chance finding.
# FUZZ_BINARY runs a copy of the binary (so a long run survives a rebuild) and FUZZ_OUT keeps its logs and
# summary apart from the smoke run's.
# Usage: Fuzz/run.sh SECONDS TARGET…
set -u
seconds=$1
shift
binary=${FUZZ_BINARY:-.build/fuzz/debug/logq-fuzz}
out=${FUZZ_OUT:-.build/fuzz}
mkdir -p .build/fuzz/crashes "$out/logs"
summary=$out/summary.txt
: > "$summary"
failed=0
for target in "$@"; do
    corpus=.build/fuzz/corpus/$target
    if [ -n "${FUZZ_RUNS:-}" ]; then
        # The fixed-seed run starts from the committed seeds alone, as on a fresh clone.
        corpus=.build/fuzz/smoke-corpus/$target
        rm -rf "$corpus"
    fi
    mkdir -p "$corpus"
    dictionary=()
    [ -f "fixtures/fuzz/$target.dict" ] && dictionary=(-dict="fixtures/fuzz/$target.dict")
    log=$out/logs/$target.log
    budget=(-max_total_time="$seconds")
    [ -n "${FUZZ_RUNS:-}" ] && budget+=(-runs="$FUZZ_RUNS" -seed=1)
    # Swift's own crash handler under ASan hides libFuzzer's report (../shared/TOOLCHAIN.md).
    SWIFT_BACKTRACE=enable=no LOGQ_FUZZ_TARGET=$target timeout $((seconds + 120)) "$binary" \
        "${budget[@]}" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix=".build/fuzz/crashes/$target-" "${dictionary[@]}" "$corpus" "fixtures/fuzz/$target" \
        > "$log" 2>&1
    status=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
    if [ "$status" -ne 0 ]; then
        failed=1
        echo "$target: FAILED (exit $status) after ${runs:-?} runs; see $log and .build/fuzz/crashes/" | tee -a "$summary"
        grep -E 'ERROR|SUMMARY|panic|Fatal error|deadly signal' "$log" | head -5
    else
        echo "$target: ${runs:-0} runs, coverage ${coverage:-?} edges, no crash" | tee -a "$summary"
    fi
done
exit $failed

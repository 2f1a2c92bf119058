#!/usr/bin/env bash
# Runs the fuzz targets (test/fuzz/fuzz_*.c) as libFuzzer binaries with
# AddressSanitizer and UndefinedBehaviorSanitizer; any finding (crash,
# failed check, leak, undefined behaviour, an input taking over 10 s) stops
# the target and fails the run. See doc/fuzzing.md.
#
#   contrib/fuzz.sh TARGET SECONDS [RUNS]  fuzz one target ("all": each in
#       turn) for SECONDS, or until RUNS executions if that comes first, from
#       its corpus in build-fuzz/fuzz-corpus/TARGET (the committed corpus and
#       what earlier runs found); prints executions, speed, coverage and
#       corpus growth
#   contrib/fuzz.sh --short SECONDS        every target for SECONDS from a
#       fresh copy of its committed corpus, two at a time (the test command's
#       run: contrib/test.sh)
#   contrib/fuzz.sh --merge TARGET         adds to test/fuzz/corpus/TARGET the
#       inputs of build-fuzz/fuzz-corpus/TARGET that reach coverage it lacks
#   contrib/fuzz.sh --list                 the target names
#
# Builds build-fuzz/ (clang, --enable-fuzz) first. Each finished target
# prints one line, "TARGET: N execs in S s (E/s), cov C, ft F, corpus A -> B,
# ok" (or "FAILED: ..." with the input that failed and how to replay it),
# also appended to build-fuzz/fuzz-results.txt. Exits non-zero when a
# target failed or could not run.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build-fuzz
jobs=$(nproc 2>/dev/null || echo 2)
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

usage() {
  sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

all_targets() {
  local f
  for f in "$top"/test/fuzz/fuzz_*.c; do
    basename "$f" .c
  done | grep -v '^fuzz_main$'
}

# Configures build-fuzz/ if needed and builds the named targets.
build_targets() {
  if [ -f "$top/config.status" ]; then
    echo "fuzz.sh: the source tree is configured in place (./configure ran in it); an" \
         "out-of-tree build-fuzz/ is impossible: run 'make distclean' first" >&2
    return 1
  fi
  if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz.sh: clang not found (install the Debian packages clang and libclang-rt-14-dev)" >&2
    return 1
  fi
  if [ ! -x "$top/configure" ] || [ "$top/configure.ac" -nt "$top/configure" ]; then
    (cd "$top" && ./autogen.sh >/dev/null 2>&1) || { echo "fuzz.sh: autogen.sh failed" >&2; return 1; }
  fi
  mkdir -p "$build"
  if [ ! -f "$build/Makefile" ]; then
    (cd "$build" && "$top/configure" -q CC=clang --enable-fuzz --enable-werror >/dev/null) ||
      { echo "fuzz.sh: configure failed in build-fuzz/ (see build-fuzz/config.log)" >&2; return 1; }
  fi
  echo "fuzz.sh: building $# target(s) in build-fuzz/"
  local paths=() t
  for t in "$@"; do
    paths+=("test/fuzz/$t")
  done
  make -C "$build" -j"$jobs" "${paths[@]}" >"$build/fuzz-make.log" 2>&1 ||
    { tail -40 "$build/fuzz-make.log" >&2; echo "fuzz.sh: build failed" >&2; return 1; }
}

count_files() {
  find "$1" -maxdepth 1 -type f | wc -l
}

# run_target TARGET SECONDS RUNS CORPUS_DIR: one libFuzzer run; prints the
# summary line and returns non-zero on a finding.
run_target() {
  local t=$1 secs=$2 runs=$3 corpus=$4
  local log=$build/fuzz-logs/$t.log artifacts=$build/fuzz-artifacts/$t/
  mkdir -p "$build/fuzz-logs" "$artifacts" "$corpus"
  local before
  before=$(count_files "$corpus")
  local args=(-max_total_time="$secs" -timeout=10 -print_final_stats=1
              -artifact_prefix="$artifacts" "$corpus")
  [ "$runs" -gt 0 ] && args=(-runs="$runs" "${args[@]}")
  local start end rc
  start=$(date +%s.%N)
  "$build/test/fuzz/$t" "${args[@]}" >"$log" 2>&1
  rc=$?
  end=$(date +%s.%N)
  local execs cov ft after secs_used
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  after=$(count_files "$corpus")
  secs_used=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }')
  local rate=0
  [ -n "$execs" ] && [ "$secs_used" -gt 0 ] && rate=$((execs / secs_used))
  local line
  line="$t: ${execs:-?} execs in ${secs_used} s (${rate}/s), cov ${cov:-?}, ft ${ft:-?}, corpus $before -> $after"
  if [ $rc -eq 0 ]; then
    line="$line, ok"
  else
    local crash
    crash=$(ls -t "$artifacts" 2>/dev/null | head -1)
    line="$line, FAILED (exit $rc)"
    [ -n "$crash" ] && line="$line: replay with build-fuzz/test/fuzz/$t build-fuzz/fuzz-artifacts/$t/$crash"
  fi
  echo "$line"
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $line" >>"$build/fuzz-results.txt"
  if [ $rc -ne 0 ]; then
    grep -E 'ERROR|SUMMARY|fuzz assertion|runtime error' "$log" | head -8 | sed 's/^/    /'
    echo "    full log: build-fuzz/fuzz-logs/$t.log"
  fi
  return $rc
}

# The work corpus of a target: the committed one plus what runs added.
work_corpus() {
  local t=$1 dir=$build/fuzz-corpus/$1
  mkdir -p "$dir"
  cp -n "$top/test/fuzz/corpus/$t"/* "$dir"/ 2>/dev/null
  echo "$dir"
}

case "${1:-}" in
  --list)
    all_targets
    ;;
  --short)
    secs=${2:-}
    [[ $secs =~ ^[0-9]+$ ]] || usage
    mapfile -t targets < <(all_targets)
    build_targets "${targets[@]}" || exit 1
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    failed=0
    running=0
    # Two at a time (the machine's cores), each from a fresh copy of its
    # committed corpus so that the run does not depend on earlier ones.
    for t in "${targets[@]}"; do
      mkdir -p "$tmp/$t"
      cp "$top/test/fuzz/corpus/$t"/* "$tmp/$t"/ 2>/dev/null
      # Each line is shown as its target finishes.
      (run_target "$t" "$secs" 0 "$tmp/$t" >"$tmp/$t.out" 2>&1; rc=$?; cat "$tmp/$t.out"; exit $rc) &
      running=$((running + 1))
      if [ $running -ge "$jobs" ]; then
        wait -n || failed=$((failed + 1))
        running=$((running - 1))
      fi
    done
    while [ $running -gt 0 ]; do
      wait -n || failed=$((failed + 1))
      running=$((running - 1))
    done
    echo "fuzz.sh: ${#targets[@]} targets, $failed failed"
    [ $failed -eq 0 ]
    ;;
  --merge)
    t=${2:-}
    [ -n "$t" ] && [ -f "$top/test/fuzz/$t.c" ] || usage
    build_targets "$t" || exit 1
    mkdir -p "$build/fuzz-logs"
    before=$(count_files "$top/test/fuzz/corpus/$t")
    "$build/test/fuzz/$t" -merge=1 "$top/test/fuzz/corpus/$t" "$(work_corpus "$t")" \
      >"$build/fuzz-logs/$t.merge.log" 2>&1 || { tail -20 "$build/fuzz-logs/$t.merge.log"; exit 1; }
    echo "$t: committed corpus $before -> $(count_files "$top/test/fuzz/corpus/$t") files"
    ;;
  ""|-h|--help)
    usage
    ;;
  *)
    target=$1
    secs=${2:-}
    runs=${3:-0}
    [[ $secs =~ ^[0-9]+$ ]] && [[ $runs =~ ^[0-9]+$ ]] || usage
    if [ "$target" = all ]; then
      mapfile -t targets < <(all_targets)
    else
      [ -f "$top/test/fuzz/$target.c" ] || { echo "fuzz.sh: no target $target (see --list)" >&2; exit 2; }
      targets=("$target")
    fi
    build_targets "${targets[@]}" || exit 1
    echo "fuzz.sh: $(uptime | sed 's/.*load average/load average/') on $(nproc) cores"
    failed=0
    for t in "${targets[@]}"; do
      run_target "$t" "$secs" "$runs" "$(work_corpus "$t")" || failed=$((failed + 1))
    done
    [ ${#targets[@]} -gt 1 ] && echo "fuzz.sh: ${#targets[@]} targets, $failed failed"
    [ $failed -eq 0 ]
    ;;
esac

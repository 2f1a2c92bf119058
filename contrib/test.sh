#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test souk has:
#   1. unit tests (make check) on a regular build in build/
#   2. the same unit tests on an ASan+UBSan build in build-asan/
#      (skip with SOUK_TEST_SANITIZERS=0)
#   3. a short fuzz run: every fuzz target for a few seconds from its corpus,
#      as a libFuzzer binary with ASan+UBSan in build-fuzz/ (contrib/fuzz.sh
#      --short; SOUK_FUZZ_SECONDS per target, default 8; skip with
#      SOUK_TEST_FUZZ=0); a finding fails the suite
#   4. the functional tests against both builds (the sanitizer one only when
#      step 2 ran)
# Exits non-zero on any failure; the last line is "N passed, N failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
jobs=$(nproc 2>/dev/null || echo 2)

"$top/contrib/install_deps.sh" --test || { echo "test.sh: installing dependencies failed" >&2; exit 1; }

if [ ! -x "$top/configure" ] || [ "$top/configure.ac" -nt "$top/configure" ]; then
  ./autogen.sh >/dev/null 2>&1 || { echo "test.sh: autogen.sh failed" >&2; ./autogen.sh; exit 1; }
fi

passed=0
failed=0

# Counts the results automake's test driver left in <dir>.
count_results() {
  local dir=$1 p f
  p=$(find "$dir/test" -name '*.trs' -exec grep -h '^:test-result: PASS' {} + 2>/dev/null | wc -l)
  f=$(find "$dir/test" -name '*.trs' -exec grep -h -E '^:test-result: (FAIL|ERROR|XPASS)' {} + 2>/dev/null | wc -l)
  passed=$((passed + p))
  failed=$((failed + f))
}

# build_and_check <dir> <configure args...>
build_and_check() {
  local dir=$1
  shift
  mkdir -p "$dir"
  if [ ! -f "$dir/Makefile" ]; then
    (cd "$dir" && "$top/configure" -q "$@" >/dev/null) || { echo "test.sh: configure failed in $dir" >&2; return 1; }
  fi
  make -C "$dir" -j"$jobs" >/dev/null || { make -C "$dir" 2>&1 | tail -40; echo "test.sh: build failed in $dir" >&2; return 1; }
  find "$dir/test" -name '*.trs' -delete 2>/dev/null
  # One line per test program as it finishes, so a long run shows it is alive.
  local log="$dir/test-check.out"
  : >"$log"   # there before tail opens it
  make -C "$dir" -j"$jobs" check >"$log" 2>&1 &
  local make_pid=$!
  # One line per test program as it finishes, so a long run shows it is alive.
  tail -n +1 --pid=$make_pid -f "$log" | grep --line-buffered -E '^(PASS|FAIL|ERROR|XPASS|SKIP): ' |
    sed -u "s|^|  $(basename "$dir"): |"
  wait $make_pid
  local rc=$?
  count_results "$dir"
  if [ $rc -ne 0 ]; then
    echo "test.sh: unit tests failed in $dir:" >&2
    local failed_logs
    failed_logs=$(grep -l -E '^:test-result: (FAIL|ERROR)' $(find "$dir/test" -name '*.trs') 2>/dev/null)
    for trs in $failed_logs; do
      echo "--- ${trs%.trs}.log" >&2
      tail -30 "${trs%.trs}.log" >&2
    done
    # Nothing failed by itself: the test programs did not build.
    if [ -z "$failed_logs" ]; then
      grep -E 'error|Error' "$log" | head -20 >&2
      failed=$((failed + 1))
    fi
  fi
  return $rc
}

status=0
if [ -f "$top/config.status" ]; then
  # Configured in the source tree (the long-hand build): out-of-tree builds are
  # impossible there, so test that build alone.
  echo "test.sh: source tree is configured in place; testing that build only"
  build_dir=$top
  build_and_check "$top" || status=1
else
  build_dir=$top/build
  echo "test.sh: unit tests (build/)"
  build_and_check "$top/build" --enable-werror || status=1
  if [ "${SOUK_TEST_SANITIZERS:-1}" != 0 ]; then
    echo "test.sh: unit tests under ASan+UBSan (build-asan/)"
    # Sanitized code runs several times slower: check's per-test limit
    # (4 s by default) is scaled to match.
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
      CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-3} \
      build_and_check "$top/build-asan" --enable-werror --with-sanitizers=address,undefined || status=1
  fi
fi

# The short fuzz run: one result per target. clang comes with the test
# dependencies; without it (or in an in-place build, where build-fuzz/
# cannot be configured) the run is skipped with a note.
if [ "${SOUK_TEST_FUZZ:-1}" != 0 ]; then
  if [ "$build_dir" != "$top/build" ]; then
    echo "test.sh: short fuzz run skipped (the source tree is configured in place)"
  elif ! command -v clang >/dev/null 2>&1; then
    echo "test.sh: short fuzz run skipped (no clang)"
  else
    secs=${SOUK_FUZZ_SECONDS:-8}
    echo "test.sh: short fuzz run (build-fuzz/, $secs s per target)"
    log=$(mktemp)
    "$top/contrib/fuzz.sh" --short "$secs" 2>&1 | tee "$log" | sed -u 's/^/  build-fuzz: /'
    rc=${PIPESTATUS[0]}
    p=$(grep -c ', ok$' "$log")
    f=$(grep -c ', FAILED' "$log")
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$rc" -ne 0 ]; then
      status=1
      # Nothing failed by itself: the targets did not build.
      [ "$f" -eq 0 ] && { grep '^fuzz.sh: ' "$log" | tail -3 >&2; failed=$((failed + 1)); }
    fi
    rm -f "$log"
  fi
fi

# The functional tests run under Debian's interpreter when there is one: the
# browser tests need its python3-selenium, which another python3 first on
# PATH (a pyenv, a venv) does not see.
python=python3
[ -x /usr/bin/python3 ] && python=/usr/bin/python3

# run_functional <label> <build dir>
run_functional() {
  local label=$1 dir=$2 log rc last
  echo "test.sh: functional tests ($label)"
  # Each test's line shows as it finishes; the runner's own total is kept
  # for the sum below instead of printed.
  log=$(mktemp)
  SOUK_BUILD_DIR="$dir" "$python" -u "$top/test/functional/test_runner.py" 2>&1 | tee "$log" | sed -u '$d'
  rc=${PIPESTATUS[0]}
  last=$(tail -1 "$log")
  rm -f "$log"
  if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    passed=$((passed + BASH_REMATCH[1]))
    failed=$((failed + BASH_REMATCH[2]))
  else
    echo "$last"
    failed=$((failed + 1))
  fi
  [ $rc -eq 0 ] || status=1
}

if [ -f "$top/test/functional/test_runner.py" ]; then
  run_functional "$(basename "$build_dir")" "$build_dir"
  # The same tests against the sanitizer build: a leak or undefined behaviour
  # in soukd makes it exit non-zero, which fails the test that stopped it.
  if [ "$build_dir" = "$top/build" ] && [ "${SOUK_TEST_SANITIZERS:-1}" != 0 ] &&
     [ -x "$top/build-asan/soukd" ]; then
    run_functional "build-asan" "$top/build-asan"
  fi
fi

[ $failed -eq 0 ] || status=1
echo "$passed passed, $failed failed"
exit $status

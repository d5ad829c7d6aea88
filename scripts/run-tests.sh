#!/usr/bin/env bash
# Run cmocka test binaries (arguments), show their output, and end with one
# summary line "N passed, N failed, N skipped" over all of them. Exit 1 if any
# failed, or if any was skipped while AFSCORE_REQUIRE_ALL=1 (CI sets it: there
# every test must run).
set -u
passed=0 failed=0 skipped=0 status=0
log=$(mktemp)
for t in "$@"; do
  "$t" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$log" | tail -n 1)
  f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' "$log" | tail -n 1)
  s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test(s), listed below:/\1/p' "$log" | tail -n 1)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  skipped=$((skipped + ${s:-0}))
  if [ "$rc" -ne 0 ]; then
    status=1
    # A binary that died without a summary still counts as a failure.
    [ -z "$f" ] && failed=$((failed + 1))
  fi
done
rm -f "$log"
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$skipped" -gt 0 ] && [ "${AFSCORE_REQUIRE_ALL:-0}" = 1 ]; then
  echo "AFSCORE_REQUIRE_ALL=1: a skipped test counts as a failure" >&2
  status=1
fi
exit $status

#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/..
# Usage: berth follow <env> <run-id> [--offset <bytes>]
# Summary: stream a detached run's log; exits with its code
#
# Write a detached run's log to stdout from byte N on (0-based), exactly the file's
# bytes, following it until the run has ended and its log is drained; then exit with
# the run's exit code. A reconnecting client passes the count of bytes it already has.
#
# Exit codes: the run's own; 4 when the run died without an exit code (killed);
# 1/2 for bad usage.
set -euo pipefail
# shellcheck source=lib/common.sh
. "$BERTH_SCRIPTS/lib/common.sh"

parse_args follow '<env> <run-id> --offset=' "$@"
need_env "${ARGS[0]}"
run_id=${ARGS[1]}
valid_run_id "$run_id" || fail "$EXIT_REFUSED" "run id $(printf '%q' "$run_id") is not [A-Za-z0-9._-]{1,64}"
offset=${OPTS[--offset]:-0}
[[ $offset =~ ^[0-9]{1,15}$ ]] || refuse_usage follow "--offset $(printf '%q' "$offset") is not a number of bytes"
dir="$ENV_DIR/runs/$run_id"
[ -d "$dir" ] || fail "$EXIT_REFUSED" "no run $run_id in $ENV_NAME"

drain() {
  local size
  [ -f "$dir/log" ] || return 0
  size=$(stat -c %s "$dir/log")
  if [ "$size" -gt "$offset" ]; then
    tail -c +$((offset + 1)) "$dir/log" | head -c $((size - offset))
    offset=$size
  fi
}

# Bounded: a run is given at most 6 hours; polls every 0.2 s.
for _ in $(seq 1 108000); do
  drain
  if [ -f "$dir/exit" ]; then
    drain
    exit "$(cat "$dir/exit")"
  fi
  if [ -s "$dir/pid" ] && ! kill -0 "$(cat "$dir/pid")" 2>/dev/null && [ ! -f "$dir/exit" ]; then
    sleep 0.2
    [ -f "$dir/exit" ] && continue
    drain
    echo "berth: run $run_id ended without an exit code (killed?); see 'berth status $ENV_NAME'" >&2
    exit "$EXIT_UNRECOVERED"
  fi
  sleep 0.2
done
echo "berth: gave up following run $run_id after 6 hours; it may still be running" >&2
exit "$EXIT_ERROR"

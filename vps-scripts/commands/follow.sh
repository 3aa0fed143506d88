#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/..
# berth follow <env> <run-id> [--offset N]
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

[ $# -eq 2 ] || [ $# -eq 4 ] || fail "$EXIT_ERROR" "usage: berth follow <env> <run-id> [--offset N]"
need_env "$1"
valid_run_id "$2" || fail "$EXIT_REFUSED" "run id $(printf '%q' "$2") is not [A-Za-z0-9._-]{1,64}"
offset=0
if [ $# -eq 4 ]; then
  if [ "$3" != --offset ] || [[ ! $4 =~ ^[0-9]{1,15}$ ]]; then fail "$EXIT_ERROR" "usage: berth follow <env> <run-id> [--offset N]"; fi
  offset=$4
fi
dir="$ENV_DIR/runs/$2"
[ -d "$dir" ] || fail "$EXIT_REFUSED" "no run $2 in $ENV_NAME"

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
    echo "berth: run $2 ended without an exit code (killed?); see 'berth status $ENV_NAME'" >&2
    exit "$EXIT_UNRECOVERED"
  fi
  sleep 0.2
done
echo "berth: gave up following run $2 after 6 hours; it may still be running" >&2
exit "$EXIT_ERROR"

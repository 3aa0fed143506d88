#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/..
# Usage: berth releases <env> [--json]
# Summary: the ledger, newest first
#
# The ledger (<env>/releases.log), newest first: time, kind, SHA, result, phase, actor,
# seconds, backup; `*` marks the line that made the current release current. These are
# the rollback candidates (`berth rollback <env> --to <sha>`). --json prints the lines
# as one JSON array, newest first.
#
# Exit codes: 0 ok; 1 error.
set -euo pipefail
# shellcheck source=lib/common.sh
. "$BERTH_SCRIPTS/lib/common.sh"

parse_args releases '<env> --json' "$@"
need_env "${ARGS[0]}"
# Newest first; a torn line (a crash mid-append) is skipped with a warning, not fatal.
lines() { ledger_lines | tac; }
if [ -n "$JSON_OUT" ]; then
  lines | jq -s . >&3
  exit 0
fi
current=$(read_release current_release)
printf '%-20s %-8s %-42s %-20s %-16s %-14s %-8s %s\n' TIME KIND SHA RESULT PHASE ACTOR SECONDS BACKUP
lines | jq -r -s --arg c "$current" '
  (map(.sha == $c and (.result == "succeeded" or .result == "rolled_back")) | index(true)) as $cur
  | to_entries[] | .key as $i | .value
  | [.time[0:19], (.kind // "deploy"), .sha + (if $i == $cur then " *" else "" end), .result, .phase, .actor,
     (.totalSeconds | tostring), ((.backup // "-") | split("/") | last)] | @tsv' |
  while IFS=$'\t' read -r t k s r p a d b; do
    printf '%-20s %-8s %-42s %-20s %-16s %-14s %-8s %s\n' "$t" "$k" "$s" "$r" "$p" "$a" "$d" "$b"
  done

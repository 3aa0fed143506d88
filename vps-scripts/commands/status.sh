#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/..
# berth status <env> [--json]
#
# What runs where: current and previous release, the lock holder, the maintenance
# flag, an in-flight or interrupted deploy (deploy.state), the last ledger line and
# the project's containers.
#
# Exit codes: 0 ok; 1 error.
set -euo pipefail
# shellcheck source=lib/common.sh
. "$BERTH_SCRIPTS/lib/common.sh"
# shellcheck source=lib/phases.sh
. "$BERTH_SCRIPTS/lib/phases.sh"
# shellcheck source=lib/release.sh
. "$BERTH_SCRIPTS/lib/release.sh"
# shellcheck source=lib/swap.sh
. "$BERTH_SCRIPTS/lib/swap.sh"

[ $# -eq 1 ] || [ $# -eq 2 ] || fail "$EXIT_ERROR" "usage: berth status <env> [--json]"
need_env "$1"
json=false
[ "${2:-}" != --json ] || json=true

holder=null
if ! flock -n "$ENV_DIR/.lock" true 2>/dev/null; then
  holder=$( [ -s "$ENV_DIR/lock.holder" ] && cat "$ENV_DIR/lock.holder" || echo '{"what":"unknown"}')
fi
inflight=null
interrupted=false
if [ -s "$ENV_DIR/deploy.state" ]; then
  inflight=$(cat "$ENV_DIR/deploy.state")
  if stale_state; then interrupted=true; fi
fi
last=$(ledger_lines | tail -n 1)
[ -n "$last" ] || last=null
maintenance=$( [ -f "$(maintenance_flag)" ] && echo true || echo false)
# No engine reachable (dockerd stopped, no docker): no containers, still a status.
# The two steps stay apart: `docker ps | jq -s … || echo '[]'` would print two
# arrays when docker fails and jq succeeds on empty input.
containers='[]'
if ps_lines=$(docker ps -a --filter "label=com.docker.compose.project" --format '{{json .}}' 2>/dev/null); then
  containers=$(jq -sc --arg e "$ENV_NAME" '[.[] | select(.Labels | test("com.docker.compose.project=[^,]*-" + $e + "(_b)?(,|$)")) | {name: .Names, image: .Image, state: .State, status: .Status}]' <<<"$ps_lines" 2>/dev/null) || containers='[]'
fi

status=$(jq -n --arg env "$ENV_NAME" --arg current "$(read_release current_release)" --arg previous "$(read_release previous_release)" --arg slot "$(live_slot)" \
  --argjson lock "$holder" --argjson inflight "$inflight" --argjson interrupted "$interrupted" \
  --argjson maintenance "$maintenance" --argjson last "$last" --argjson containers "$containers" \
  '{environment: $env, current: $current, previous: $previous, slot: $slot, maintenance: $maintenance, lock: $lock,
    inflight: $inflight, interrupted: $interrupted, last: $last, containers: $containers}')
if $json; then
  printf '%s\n' "$status"
  exit 0
fi
jq -r '
  "environment  \(.environment)",
  "current      \(.current | if . == "" then "(none)" else . end)",
  "previous     \(.previous | if . == "" then "(none)" else . end)",
  "slot         \(.slot)",
  "maintenance  \(if .maintenance then "ON" else "off" end)",
  "lock         \(if .lock == null then "free" else "held: \(.lock.what // "?") of \(.lock.release // "?") by \(.lock.actor // "?") since \(.lock.started // "?")" end)",
  (if .inflight != null then "in flight    \(.inflight.kind) of \(.inflight.sha) in phase \(.inflight.phase)\(if .interrupted then " — INTERRUPTED (process gone); the next deploy or rollback recovers" else "" end)" else empty end),
  "last         \(if .last == null then "(no releases yet)" else "\(.last.time) \(.last.kind // "deploy") \(.last.sha) \(.last.result) (phase \(.last.phase))" end)",
  (if .last.rehearsal? != null then "rehearsal    \(.last.rehearsal.result) in \(.last.rehearsal.seconds // "?")s: \(.last.rehearsal.why // "") (\(.last.mode // "maintenance") path)" else empty end),
  (.containers[] | "container    \(.name) \(.state) \(.image)")
' <<<"$status"

#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/..
# Usage: berth status <env> [--json]
# Summary: current/previous, lock holder, maintenance, last run, offsite age
#
# What runs where: current and previous release, the lock holder, the maintenance
# flag, an in-flight or interrupted deploy (deploy.state), the last ledger line, the
# project's containers, and with berth.yml's offsite: the last offsite backup (its age
# and size, from <env>/offsite.log) and the last restore drill (<env>/drills.log).
#
# Exit codes: 0 ok; 1 error; 6 the last successful offsite backup is older than
# offsite.max_age_hours (an environment that never had one: counted from its first
# deploy) — for monitors; the status is printed all the same.
set -euo pipefail
# shellcheck source=lib/common.sh
. "$BERTH_SCRIPTS/lib/common.sh"
# shellcheck source=lib/phases.sh
. "$BERTH_SCRIPTS/lib/phases.sh"
# shellcheck source=lib/maintenance.sh
. "$BERTH_SCRIPTS/lib/maintenance.sh"
# shellcheck source=lib/swap.sh
. "$BERTH_SCRIPTS/lib/swap.sh"
# shellcheck source=lib/offsite.sh
. "$BERTH_SCRIPTS/lib/offsite.sh"

parse_args status '<env> --json' "$@"
need_env "${ARGS[0]}"

holder=null
if ! flock -n "$ENV_DIR/.lock" true 2>/dev/null; then
  holder=$([ -s "$ENV_DIR/lock.holder" ] && cat "$ENV_DIR/lock.holder" || echo '{"what":"unknown"}')
fi
inflight=null
interrupted=false
if [ -s "$ENV_DIR/deploy.state" ]; then
  inflight=$(cat "$ENV_DIR/deploy.state")
  if stale_state; then interrupted=true; fi
fi
last=$(ledger_lines | tail -n 1)
[ -n "$last" ] || last=null
maintenance=$([ -f "$(maintenance_flag)" ] && echo true || echo false)
# No engine reachable (dockerd stopped, no docker): no containers, still a status.
# The two steps stay apart: `docker ps | jq -s … || echo '[]'` would print two
# arrays when docker fails and jq succeeds on empty input.
containers='[]'
if ps_lines=$(docker ps -a --filter "label=com.docker.compose.project" --format '{{json .}}' 2>/dev/null); then
  containers=$(jq -sc --arg e "$ENV_NAME" '[.[] | select(.Labels | test("com.docker.compose.project=[^,]*-" + $e + "(_b)?(,|$)")) | {name: .Names, image: .Image, state: .State, status: .Status}]' <<<"$ps_lines" 2>/dev/null) || containers='[]'
fi

# Offsite: the newest successful line of offsite.log, its age against max_age_hours.
offsite=null
current=$(read_release current_release)
if [ -n "$current" ] && offsite_config "$ENV_DIR/releases/$current" 2>/dev/null; then
  first=$(ledger_lines 2>/dev/null | head -n 1 | jq -r '.time // empty' 2>/dev/null || true)
  offsite_lines='[]'
  [ ! -s "$ENV_DIR/offsite.log" ] || offsite_lines=$(jq -Rsc '[split("\n")[] | fromjson? | objects]' "$ENV_DIR/offsite.log" 2>/dev/null || echo '[]')
  offsite=$(jq -c --arg repo "$(offsite_shown "$OFFSITE_REPO")" --argjson max "$OFFSITE_MAX_AGE_HOURS" --arg first "$first" \
    --argjson now "$(date +%s)" '
    def epoch: sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601;
    (map(select(.result == "succeeded")) | last) as $ok
    | (last) as $attempt
    | (if $ok != null then $ok.time elif $first != "" then $first else null end) as $since
    | (if $since == null then null else (($now - ($since | epoch)) / 3600 * 10 | floor) / 10 end) as $age
    | {repository: $repo, maxAgeHours: $max,
       last: (if $ok == null then null else $ok | {time, snapshot, release, bytes, added, seconds} end),
       lastAttempt: (if $attempt == null then null else $attempt | {time, result, reason} end),
       ageHours: (if $ok == null then null else $age end),
       stale: ($age != null and $age > $max)}' <<<"$offsite_lines")
fi
drill=null
if [ -s "$ENV_DIR/drills.log" ]; then
  drill=$(tail -n 1 "$ENV_DIR/drills.log" | jq -c '{time, ok, seconds, snapshot, reason}' 2>/dev/null) || drill=null
fi

status=$(jq -n --arg env "$ENV_NAME" --arg current "$current" --arg previous "$(read_release previous_release)" --arg slot "$(live_slot)" \
  --argjson lock "$holder" --argjson inflight "$inflight" --argjson interrupted "$interrupted" \
  --argjson maintenance "$maintenance" --argjson last "$last" --argjson containers "$containers" \
  --argjson offsite "$offsite" --argjson drill "$drill" \
  '{environment: $env, current: $current, previous: $previous, slot: $slot, maintenance: $maintenance, lock: $lock,
    inflight: $inflight, interrupted: $interrupted, last: $last, containers: $containers,
    offsite: $offsite, drill: $drill}')
code=0
if [ "$(jq -r '.offsite.stale // false' <<<"$status")" = true ]; then code=$EXIT_OFFSITE_STALE; fi
if [ -n "$JSON_OUT" ]; then
  printf '%s\n' "$status" >&3
  exit "$code"
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
  (.containers[] | "container    \(.name) \(.state) \(.image)"),
  (if .offsite == null then empty
   elif .offsite.last == null then "offsite      no successful backup yet to \(.offsite.repository)\(if .offsite.stale then " — STALE (over \(.offsite.maxAgeHours) h since the first deploy)" else "" end)"
   else "offsite      \(.offsite.last.time) snapshot \(.offsite.last.snapshot[0:8]), \(.offsite.last.bytes) bytes, \(.offsite.ageHours) h ago\(if .offsite.stale then " — STALE (max \(.offsite.maxAgeHours) h)" else "" end)" end),
  (if .offsite.lastAttempt.result? == "failed" then "offsite      last attempt FAILED at \(.offsite.lastAttempt.time): \(.offsite.lastAttempt.reason)" else empty end),
  (if .drill == null then empty else "drill        \(.drill.time) \(if .drill.ok then "ok" else "FAILED: \(.drill.reason)" end) in \(.drill.seconds)s" end)
' <<<"$status"
exit "$code"

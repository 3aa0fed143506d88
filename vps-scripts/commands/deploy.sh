#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/..
# shellcheck disable=SC2317 # the do_* phase functions are invoked through phase(), which shellcheck cannot see
# Usage: berth deploy <env> <sha> [--actor <name>] [--run-url <url>] [--json]
# Summary: run the deploy phases for an uploaded release
# Detached: yes
#
# Run the deploy phases (docs/design.md §3) for the release uploaded to <root>/<env>/releases/<sha>/:
# preflight → pull → rehearse, then one of two paths:
#   swap (the rehearsal shows the migration changes nothing; lib/swap.sh): start the new
#   release in the other slot → ready → switch nginx → drain → handover (singletons) →
#   record → retire the old slot → prune. No maintenance page. A failure before record
#   stops the new slot and leaves (or puts) nginx on the old one.
#   maintenance: maintenance-on → stop → backup → migrate → start → ready →
#   maintenance-off → record → prune. After maintenance-on, any failure restores the DB
#   (if migrate began) and the previous release, then records the failure.
# Who/where: --actor and --run-url, else BERTH_ACTOR and BERTH_RUN_URL from the
# environment, else release.json's; the run id is BERTH_RUN_ID (the only one `berth run`
# sets), else a manual-… id (lib/common.sh start_run).
#
# With --json, the ledger line (or the refusal) is printed on stdout as one JSON object
# and the log goes to stderr.
#
# Exit codes: 0 deployed; 1 error; 2 refused, nothing changed; 3 failed, the previous
# release is serving again; 4 failed and not recovered (the log says the state).
set -euo pipefail
# shellcheck source=lib/runbook.sh
. "$BERTH_SCRIPTS/lib/runbook.sh"

PHASE=preflight
parse_args deploy '<env> <sha> --actor= --run-url= --json' "$@"
need_env "${ARGS[0]}"
valid_sha "${ARGS[1]}" || fail "$EXIT_REFUSED" "sha $(printf '%q' "${ARGS[1]}") is not a full 40-hex commit SHA"
SHA=${ARGS[1]}
BUNDLE="$ENV_DIR/releases/$SHA"
[ -f "$BUNDLE/release.json" ] || fail "$EXIT_REFUSED" "release $SHA was not uploaded to $BUNDLE; run the deploy action (it uploads the bundle first)"
start_run "$(manifest "$BUNDLE" '.actor // "unknown"')" "$(manifest "$BUNDLE" '.runUrl // ""')"

# Chosen once, here in the main shell (so every phase's subshell inherits it), and
# before the lock, so a refusal leaves no lock holder behind.
compose_bin || fail "$EXIT_REFUSED" "$COMPOSE_MISSING"
take_lock "$SHA" deploy
STATE_KIND=deploy STATE_SHA=$SHA STATE_STARTED=$STARTED
if stale_state; then
  warn "an earlier run was interrupted: $(jq -c . "$ENV_DIR/deploy.state"); this deploy takes over and ends in a consistent state"
fi
CURRENT=$(read_release current_release)
CURRENT_BUNDLE=""
[ -z "$CURRENT" ] || CURRENT_BUNDLE="$ENV_DIR/releases/$CURRENT"
# The slot the current release serves from; every compose call follows SLOT.
LIVE=$(live_slot)
SLOT=$LIVE
MODE=maintenance
NEW_SLOT=$LIVE
mapfile -t DBS < <(release_databases "$BUNDLE")
say "deploying $SHA to $ENV_NAME (current: ${CURRENT:-none}) as run $BERTH_RUN_ID by $BERTH_ACTOR"

# --- phases -------------------------------------------------------------------------

do_preflight() {
  preflight_release "$BUNDLE" "$ENV_NAME" "$SHA"
  check_databases_present "$([ -n "$CURRENT" ] && echo yes || echo no)" "${DBS[@]}"
  preflight_disk "$BUNDLE"
}

# After an interrupted run: one release in one slot, nginx on it, before anything else.
do_reconcile() { reconcile_slots "$CURRENT_BUNDLE"; }

# The new release's migration, on an online snapshot, while the site serves.
do_rehearse() {
  trap 'rehearse_cleanup "$WORK/rehearse"' EXIT
  rehearse_migration "$BUNDLE" "$CURRENT_BUNDLE" "$WORK/rehearse" "${DBS[@]}"
}

# --- the maintenance path --------------------------------------------------------------

do_stop() {
  if [ -z "$CURRENT_BUNDLE" ]; then
    say "first deploy to $ENV_NAME: nothing is running"
    return 0
  fi
  if [ "$NEW_SLOT" != "$LIVE" ]; then
    say "$SHA cannot run in slot $LIVE (no slot b file: built by an older berth): stopping all of $CURRENT; $SHA starts in slot $NEW_SLOT"
    SLOT=$LIVE retire_slot "$CURRENT_BUNDLE" "$LIVE"
    return
  fi
  SLOT=$LIVE stop_release_writers "$CURRENT_BUNDLE" "$CURRENT" "$BUNDLE"
}

do_backup() {
  if [ ${#DBS[@]} -eq 0 ]; then
    say "no database configured: nothing to back up"
    return 0
  fi
  schema_versions "${DBS[@]}" >"$WORK/schema_before"
  backup_databases_present "${CURRENT:-none}" "${DBS[@]}"
}

do_migrate() {
  touch "$WORK/migrate_began"
  if ! release_migrates "$BUNDLE"; then
    say "no migrate command configured"
    return 0
  fi
  if [ "$(rehearsal_result)" = unchanged ]; then
    say "not run: the rehearsal showed this migration changes nothing"
    return 0
  fi
  migrate_release "$BUNDLE"
  if [ ${#DBS[@]} -gt 0 ]; then schema_versions "${DBS[@]}" >"$WORK/schema_after"; fi
}

do_record() { record_deploy succeeded "" ""; }

# What the rehearsal found: changed, unchanged, skipped, failed (empty before it ran).
rehearsal_result() { cat "$WORK/rehearse/result" 2>/dev/null || true; }

# --- the ledger -----------------------------------------------------------------------

# record_deploy <result> <failed phase> <rolled back to>
record_deploy() {
  local result=$1 failed=$2 to=$3 migrated=false
  if [ -s "$WORK/schema_before" ] && [ -s "$WORK/schema_after" ] && ! cmp -s "$WORK/schema_before" "$WORK/schema_after"; then
    migrated=true
  fi
  record_run deploy "$SHA" "$CURRENT" "$BUNDLE" "$result" "${failed:-record}" \
    "$(jq -cn --arg to "$to" --argjson migrated "$migrated" --arg rehearsal "$(rehearsal_result)" \
      --arg why "$(cat "$WORK/rehearse/why" 2>/dev/null || true)" --arg seconds "${DURATIONS[rehearse]:-}" \
      --arg mode "$MODE" --arg slot "$NEW_SLOT" --arg pathWhy "${PATH_WHY:-}" \
      '{rolledBackTo: (if $to == "" then null else $to end), migrated: $migrated, mode: $mode, slot: $slot,
        pathWhy: (if $pathWhy == "" then null else $pathWhy end),
        rehearsal: (if $rehearsal == "" then null
          else {result: $rehearsal, why: $why, seconds: (if $seconds == "" then null else ($seconds | tonumber) end)} end)}')"
  if [ "$result" = succeeded ]; then
    write_slot "$NEW_SLOT" "$SHA" "$LIVE"
    if [ -n "$CURRENT" ] && [ "$CURRENT" != "$SHA" ]; then write_atomic "$ENV_DIR/previous_release" "$CURRENT"; fi
    write_atomic "$ENV_DIR/current_release" "$SHA"
  fi
}

# --- failure handling -------------------------------------------------------------------

# Before maintenance-on nothing has changed: record and refuse.
failed_unchanged() {
  say "refused in phase $1: nothing was changed"
  try_record record_deploy refused "$1" ""
  finish_run "$EXIT_REFUSED"
}

# After maintenance-on: put the DB and the previous release back (docs/design.md §3).
recover() {
  local failed=$1
  say "phase $failed failed: recovering"
  if [ -e "$WORK/migrate_began" ] && [ -s "$WORK/backup" ]; then
    phase restore restore_databases "$BUNDLE" "$(cat "$WORK/backup")" remove "${DBS[@]}"
    if [ "$PHASE_RC" -ne 0 ]; then unrecovered "$failed" "the database restore from $(cat "$WORK/backup") failed"; fi
  elif [ -e "$WORK/migrate_began" ] && [ ${#DBS[@]} -gt 0 ] && [ -z "$CURRENT" ]; then
    # First deploy: the DB did not exist before; remove what the failed migration left.
    phase restore discard_new_databases "$BUNDLE" "${DBS[@]}"
  fi
  if [ "$NEW_SLOT" != "$LIVE" ]; then
    swap_undo "$BUNDLE" "$NEW_SLOT" "$CURRENT_BUNDLE" "$LIVE"
    SLOT=$LIVE
  fi
  if [ -z "$CURRENT_BUNDLE" ]; then
    compose "$BUNDLE" stop >/dev/null 2>&1 || true
    PHASE=$failed
    say "first deploy of $ENV_NAME failed in phase $failed: no previous release to go back to."
    say "state: the new containers are stopped, the database is as before the deploy, and the maintenance page stays ON (the site was never live). Fix the release and deploy again; 'berth maintenance off $ENV_NAME' removes the page."
    try_record record_deploy failed "$failed" ""
    finish_run "$EXIT_UNRECOVERED"
  fi
  serve_again "$CURRENT_BUNDLE" "the previous release $CURRENT" "$failed" record_deploy failed "$failed" "$CURRENT"
  say "deploy of $SHA failed in phase $failed; $CURRENT is serving again"
  finish_run "$EXIT_ROLLED_BACK"
}

# The swap path failed before record: the old slot serves (lib/swap.sh swap_undo).
swap_recover() {
  say "phase $1 failed on the swap path: $CURRENT keeps serving from slot $LIVE"
  swap_undo "$BUNDLE" "$NEW_SLOT" "$CURRENT_BUNDLE" "$LIVE"
  NEW_SLOT=$LIVE
  try_record record_deploy failed "$1" "$CURRENT"
  say "deploy of $SHA failed in phase $1; $CURRENT served throughout"
  finish_run "$EXIT_ROLLED_BACK"
}

unrecovered() {
  PHASE=$1
  say "NOT RECOVERED: $2. The maintenance page is ON; the database is $([ -s "$WORK/backup" ] && echo "backed up at $(cat "$WORK/backup")" || echo "not backed up"). Check 'berth status $ENV_NAME', fix, then deploy or roll back."
  try_record record_deploy failed-unrecovered "$1" ""
  finish_run "$EXIT_UNRECOVERED"
}

# --- the runbook ----------------------------------------------------------------------

# deploy_runbook: the phases in order (docs/design.md §3), each followed by its guard.
# Call it as a plain command (phase() and the guards rely on errexit applying).
deploy_runbook() {
  if [ -n "$CURRENT_BUNDLE" ] && stale_state; then
    phase reconcile do_reconcile
    before_change reconcile
  fi
  phase preflight do_preflight
  before_change preflight
  phase pull pull_release "$BUNDLE"
  before_change pull
  phase rehearse do_rehearse
  before_change rehearse

  # The path: swap when nothing the migration would write changes and the environment
  # can switch nginx; else the maintenance window.
  PATH_WHY=""
  case "$(rehearsal_result)/$(cat "$WORK/rehearse/why" 2>/dev/null || true)" in
    unchanged/* | "skipped/no migrate command") PATH_WHY=$(swap_why_not "$BUNDLE" "$(other_slot "$LIVE")") && MODE=swap ;;
    changed/*) PATH_WHY="the migration changes the database" ;;
    *) PATH_WHY="the rehearsal could not prove the migration changes nothing ($(cat "$WORK/rehearse/why" 2>/dev/null || echo "no rehearsal"))" ;;
  esac
  [ -n "$CURRENT_BUNDLE" ] || { MODE=maintenance PATH_WHY="first deploy"; }
  if [ "$MODE" = swap ]; then
    NEW_SLOT=$(other_slot "$LIVE")
    say "the swap path: $SHA starts in slot $NEW_SLOT beside $CURRENT; no maintenance page"
    swap_runbook deploy "$BUNDLE" "$NEW_SLOT" "$CURRENT_BUNDLE" "$LIVE"
    phase prune prune_releases "$SHA" "$CURRENT"
    if [ "$PHASE_RC" -ne 0 ]; then warn "prune failed (the deploy succeeded): check disk space and 'docker image ls'"; fi
    say "deployed $SHA to $ENV_NAME in $(seconds_since "$T0")s with no downtime (slot $NEW_SLOT)"
    finish_run "$EXIT_OK"
  fi
  say "the maintenance path: ${PATH_WHY}"
  if ! slot_runs "$BUNDLE" "$LIVE"; then NEW_SLOT=a; fi
  SLOT=$NEW_SLOT
  phase maintenance-on maintenance_on "$SHA"
  after_change maintenance-on
  phase stop do_stop
  after_change stop
  phase backup do_backup
  after_change backup
  phase migrate do_migrate
  after_change migrate
  start_ready_switch "$BUNDLE" "$NEW_SLOT" "$LIVE"
  phase maintenance-off maintenance_off
  after_change maintenance-off
  phase record do_record
  if [ "$PHASE_RC" -ne 0 ]; then
    fail "$EXIT_ERROR" "the release is live but the ledger could not be written: check disk space under $ENV_DIR"
  fi
  phase prune prune_releases "$SHA" "$CURRENT"
  if [ "$PHASE_RC" -ne 0 ]; then warn "prune failed (the deploy succeeded): check disk space and 'docker image ls'"; fi
  say "deployed $SHA to $ENV_NAME in $(seconds_since "$T0")s"
  finish_run "$EXIT_OK"
}

guard_signals
deploy_runbook

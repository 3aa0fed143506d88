#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/..
# shellcheck disable=SC2317 # the do_* phase functions are invoked through phase(), which shellcheck cannot see
# Usage: berth rollback <env> [--to <sha>] [--restore-db|--keep-db] [--actor <name>] [--run-url <url>] [--json]
# Summary: serve an earlier release again
# Detached: yes
#
# Serve an earlier release again (docs/design.md §3): preflight → pull (if pruned), then
# one of two paths:
#   swap (the database stays, and the environment can switch nginx; lib/swap.sh): the
#   target starts in the other slot → ready → switch nginx → drain → handover
#   (singletons) → record → retire the old slot → prune. No maintenance page. A failure
#   before record stops the target's slot and leaves (or puts) nginx on the current one.
#   in place (--restore-db, or no swap possible: the ledger's pathWhy says why):
#   [maintenance-on → stop → backup → restore, only with --restore-db] → start → ready →
#   [maintenance-off] → record.
# The target defaults to previous_release; --to picks any release that once served
# successfully and whose bundle is still on the server.
#
# The database: if a release deployed since the target ran migrations (or a rollback
# since then restored an older DB), the target's code would meet another schema, so the
# rollback refuses to guess: --restore-db puts back the backup holding the DB as the
# target left it (writes since then are lost; the current DB is backed up first),
# --keep-db keeps the current DB as it is. With no DB change in between, neither is
# needed and there is no maintenance window.
#
# With --json, the ledger line (or the refusal) is printed on stdout as one JSON object
# and the log goes to stderr.
#
# Exit codes: 0 rolled back; 1 error; 2 refused, nothing changed; 3 failed, the release
# that was current is serving again; 4 failed and not recovered (the log says the state).
set -euo pipefail
# shellcheck source=lib/runbook.sh
. "$BERTH_SCRIPTS/lib/runbook.sh"

PHASE=preflight
parse_args rollback '<env> --to= --restore-db --keep-db --actor= --run-url= --json' "$@"
need_env "${ARGS[0]}"
TARGET=$(opt --to)
if [ -n "$TARGET" ]; then
  valid_sha "$TARGET" || fail "$EXIT_REFUSED" "--to $(printf '%q' "$TARGET") is not a full 40-hex commit SHA; 'berth releases $ENV_NAME' lists them"
fi
DB_CHOICE=""
[ -z "$(opt --restore-db)" ] || DB_CHOICE=restore
if [ -n "$(opt --keep-db)" ]; then
  [ -z "$DB_CHOICE" ] || fail "$EXIT_REFUSED" "give only one of --restore-db and --keep-db"
  DB_CHOICE=keep
fi

start_run "$(id -un)" ""

# Refusals change nothing (not even the ledger); the action still gets a result event.
LOCKED=""
refuse() { refuse_unchanged rollback "${TARGET:-}" "${CURRENT:-}" "$1"; }

try_lock "${TARGET:-previous}" rollback || refuse "$LOCK_REFUSAL"
LOCKED=1
STATE_KIND=rollback STATE_STARTED=$STARTED

# rollback_plan: what to roll back to and what happens to the database, from the
# release pointers and the ledger (docs/design.md §3 Rollback); refuses (exit 2, nothing
# changed) when the ledger does not allow it. Sets CURRENT, TARGET, BUNDLE,
# CURRENT_BUNDLE, the slots, DBS, DB_MODE and RESTORE_FROM.
rollback_plan() {
  CURRENT=$(read_release current_release)
  [ -n "$CURRENT" ] || refuse "$ENV_NAME has no current release: nothing to roll back from (deploy first)"
  if [ -z "$TARGET" ]; then
    TARGET=$(read_release previous_release)
    [ -n "$TARGET" ] || refuse "$ENV_NAME has no previous release to roll back to (only $CURRENT was ever deployed); 'berth releases $ENV_NAME' lists the ledger"
  fi
  STATE_SHA=$TARGET
  [ "$TARGET" != "$CURRENT" ] || refuse "$TARGET is already the current release of $ENV_NAME"
  if stale_state; then
    warn "an earlier run was interrupted: $(jq -c . "$ENV_DIR/deploy.state"); check 'berth status $ENV_NAME' after this rollback"
  fi

  # The ledger decides: the target must have served successfully once, and any release
  # made current after that which migrated the DB needs an explicit database choice.
  LEDGER="$ENV_DIR/releases.log"
  [ -f "$LEDGER" ] || refuse "no ledger at $LEDGER: berth has not deployed $ENV_NAME"
  local ledger served_line db_changes
  ledger=$(ledger_lines) # torn lines skipped, with a warning
  served_line=$(jq -cs --arg s "$TARGET" \
    '[to_entries[] | select(.value.sha == $s and (.value.result == "succeeded" or .value.result == "rolled_back"))] | last | .key // empty' \
    <<<"$ledger")
  [ -n "$served_line" ] || refuse "$TARGET never served successfully in $ENV_NAME (no succeeded or rolled_back line in the ledger); 'berth releases $ENV_NAME' lists candidates"
  # What changed the DB after the target last became current: deploys that migrated it,
  # and rollbacks that restored an older one. The first of them tells which backup holds
  # the database as the target left it: a migrating deploy's pre-migration backup, or the
  # copy a --restore-db rollback took of the DB it replaced. (`berth restore` is not such
  # a change: it only succeeds when the release current then is ready on the restored DB.)
  mapfile -t db_changes < <(jq -rs --argjson from "$served_line" \
    '.[($from + 1):][] | select((.kind == "deploy" and .result == "succeeded" and .migrated == true)
      or (.kind == "rollback" and .result == "rolled_back" and .database == "restore"))
    | "\(.kind) of \(.sha)\t\(.backup // "")"' \
    <<<"$ledger")
  MIGRATED=""
  RESTORE_FROM=""
  if [ ${#db_changes[@]} -gt 0 ]; then
    MIGRATED=$(printf '%s\n' "${db_changes[@]}" | cut -f1 | paste -sd, - | sed 's/,/, /g')
    RESTORE_FROM=$(printf '%s\n' "${db_changes[0]}" | cut -f2)
  fi

  BUNDLE="$ENV_DIR/releases/$TARGET"
  CURRENT_BUNDLE="$ENV_DIR/releases/$CURRENT"
  # The slot the current release serves from; every compose call follows SLOT.
  LIVE=$(live_slot)
  SLOT=$LIVE
  NEW_SLOT=$LIVE
  MODE=maintenance
  [ -f "$BUNDLE/release.json" ] ||
    refuse "the bundle of $TARGET is no longer on the server ($BUNDLE was pruned); deploy that SHA again with the deploy action, which uploads it"
  [ -f "$CURRENT_BUNDLE/release.json" ] || refuse "the bundle of the current release $CURRENT is missing ($CURRENT_BUNDLE); run 'berth status $ENV_NAME'"
  mapfile -t DBS < <(release_databases "$BUNDLE")

  if [ -n "$MIGRATED" ]; then
    case "$DB_CHOICE" in
      "") refuse "the database changed since $TARGET last served ($MIGRATED): choose --restore-db (put back the backup taken before that migration, losing writes since; the current DB is backed up first) or --keep-db (run $TARGET on the current schema)" ;;
      restore)
        [ ${#DBS[@]} -gt 0 ] || refuse "--restore-db: release $TARGET has no database configured"
        if [ -z "$RESTORE_FROM" ] || [ ! -f "$RESTORE_FROM" ]; then
          refuse "--restore-db: the backup holding the database as $TARGET left it (${RESTORE_FROM:-none recorded}) is gone; restore by hand ('berth releases $ENV_NAME' lists backups) or use --keep-db"
        fi
        ;;
    esac
  elif [ "$DB_CHOICE" = restore ]; then
    refuse "--restore-db: the database has not changed since $TARGET last served, so there is nothing to restore; roll back without it"
  fi
  DB_MODE=${DB_CHOICE:-unchanged}
  [ -n "$MIGRATED" ] || DB_MODE=unchanged
}

rollback_plan
say "rolling back $ENV_NAME from $CURRENT to $TARGET (database: $DB_MODE) as run $BERTH_RUN_ID by $BERTH_ACTOR"

# --- phases -------------------------------------------------------------------------

do_preflight() {
  preflight_release "$BUNDLE" "$ENV_NAME" "$TARGET"
  if [ "$DB_MODE" = restore ]; then preflight_disk "$BUNDLE"; fi
}

do_stop() {
  if [ "$NEW_SLOT" != "$LIVE" ]; then
    say "$TARGET cannot run in slot $LIVE (no slot b file: built by an older berth): stopping all of $CURRENT; $TARGET starts in slot $NEW_SLOT"
    SLOT=$LIVE retire_slot "$CURRENT_BUNDLE" "$LIVE"
    return
  fi
  SLOT=$LIVE stop_release_writers "$CURRENT_BUNDLE" "$CURRENT"
}

# A safety copy of the DB being replaced, so a failed rollback can put it back.
do_backup() { backup_databases "$CURRENT-before-rollback" "${DBS[@]}"; }

do_record() { record_rollback rolled_back ""; }

# --- the ledger -----------------------------------------------------------------------

record_rollback() {
  local result=$1 failed=$2 restored=""
  if [ -e "$WORK/restored" ]; then restored=$RESTORE_FROM; fi
  record_run rollback "$TARGET" "$CURRENT" "$BUNDLE" "$result" "${failed:-record}" \
    "$(jq -cn --arg from "$CURRENT" --arg database "$DB_MODE" --arg restoredFrom "$restored" \
      --arg mode "$MODE" --arg slot "$NEW_SLOT" \
      '{from: $from, database: $database, restoredFrom: (if $restoredFrom == "" then null else $restoredFrom end),
        migrated: false, mode: $mode, slot: $slot}')"
  if [ "$result" = rolled_back ]; then
    write_slot "$NEW_SLOT" "$TARGET" "$LIVE"
    write_atomic "$ENV_DIR/previous_release" "$CURRENT"
    write_atomic "$ENV_DIR/current_release" "$TARGET"
  fi
}

# --- failure handling -------------------------------------------------------------------

# Before anything changed (preflight, pull): record that nothing was done.
failed_unchanged() {
  say "rollback refused in phase $1: nothing was changed; $CURRENT is still serving"
  try_record record_rollback refused "$1"
  finish_run "$EXIT_REFUSED"
}

# After a change: put the current release (and its DB) back.
recover() {
  local failed=$1
  say "phase $failed failed: putting $CURRENT back"
  if [ -e "$WORK/restored" ]; then
    phase restore restore_databases "$BUNDLE" "$(cat "$WORK/backup")" keep "${DBS[@]}"
    if [ "$PHASE_RC" -ne 0 ]; then unrecovered "$failed" "putting back the database from $(cat "$WORK/backup") failed"; fi
  fi
  if [ "$NEW_SLOT" != "$LIVE" ]; then
    swap_undo "$BUNDLE" "$NEW_SLOT" "$CURRENT_BUNDLE" "$LIVE"
    SLOT=$LIVE
    NEW_SLOT=$LIVE
  fi
  serve_again "$CURRENT_BUNDLE" "$CURRENT" "$failed" record_rollback failed "$failed"
  say "rollback to $TARGET failed in phase $failed; $CURRENT is serving again"
  finish_run "$EXIT_ROLLED_BACK"
}

# The swap path failed before record: the current release served throughout.
swap_recover() {
  say "phase $1 failed on the swap path: $CURRENT keeps serving from slot $LIVE"
  swap_undo "$BUNDLE" "$NEW_SLOT" "$CURRENT_BUNDLE" "$LIVE"
  NEW_SLOT=$LIVE
  try_record record_rollback failed "$1"
  say "rollback to $TARGET failed in phase $1; $CURRENT served throughout"
  finish_run "$EXIT_ROLLED_BACK"
}

unrecovered() { not_recovered "$1" "$2" "deploy or roll back" record_rollback failed-unrecovered "$1"; }

# --- the runbook ----------------------------------------------------------------------

# rollback_runbook: the phases in order (docs/design.md §3), each followed by its guard.
# Call it as a plain command (phase() and the guards rely on errexit applying).
rollback_runbook() {
  compose_bin || refuse "$COMPOSE_MISSING"
  phase preflight do_preflight
  before_change preflight
  phase pull pull_release "$BUNDLE"
  before_change pull

  # The database stays: the swap path, with no maintenance page (lib/swap.sh), when the
  # environment can switch nginx; the target starts in the other slot.
  PATH_WHY=""
  if [ "$DB_MODE" != restore ]; then
    NEW_SLOT=$(other_slot "$LIVE")
    if [ "$NEW_SLOT" = b ] && ! slot_runs "$BUNDLE" b; then
      PATH_WHY="$TARGET cannot run in slot b: $(jq -r '.swap.why // "built by a berth without the swap path"' "$BUNDLE/release.json")"
    else
      PATH_WHY=$(swap_why_not "$BUNDLE" "$NEW_SLOT") && MODE=swap
    fi
    if [ "$MODE" = swap ]; then
      say "the swap path: $TARGET starts in slot $NEW_SLOT beside $CURRENT; no maintenance page"
      swap_runbook rollback "$BUNDLE" "$NEW_SLOT" "$CURRENT_BUNDLE" "$LIVE"
      say "rolled back $ENV_NAME to $TARGET in $(seconds_since "$T0")s with no downtime (slot $NEW_SLOT)"
      finish_run "$EXIT_OK"
    fi
    NEW_SLOT=$LIVE
    say "no swap: $PATH_WHY; the containers are replaced in place"
  fi
  # The target cannot run in the live slot b (an older bundle): it starts in slot a.
  if ! slot_runs "$BUNDLE" "$LIVE"; then NEW_SLOT=a; fi
  SLOT=$NEW_SLOT
  if [ "$DB_MODE" = restore ]; then
    phase maintenance-on maintenance_on "$TARGET"
    after_change maintenance-on
    phase stop do_stop
    after_change stop
    phase backup do_backup
    after_change backup
    phase restore replace_databases "$CURRENT_BUNDLE" "$RESTORE_FROM" "${DBS[@]}"
    after_change restore
  fi
  # `up -d` on the target's project replaces the current containers in place.
  start_ready_switch "$BUNDLE" "$NEW_SLOT" "$LIVE"
  if [ "$DB_MODE" = restore ]; then
    phase maintenance-off maintenance_off
    after_change maintenance-off
  fi
  phase record do_record
  if [ "$PHASE_RC" -ne 0 ]; then
    fail "$EXIT_ERROR" "$TARGET is live but the ledger could not be written: check disk space under $ENV_DIR"
  fi
  say "rolled back $ENV_NAME to $TARGET in $(seconds_since "$T0")s"
  finish_run "$EXIT_OK"
}

guard_signals
rollback_runbook

#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/..
# shellcheck disable=SC2317 # the do_* phase functions are invoked through phase(), which shellcheck cannot see
# Usage: berth restore <env> <backup> [--actor <name>] [--run-url <url>] [--json]
# Summary: put a backup of <env>/backups/ back under the current release
# Detached: yes
#
# Put a backup back under the current release (docs/design.md §2–§3): preflight (the backup
# passes integrity_check, disk space, lock) → maintenance-on → stop (writers) → backup
# (a copy of the database being replaced, `…-before-restore.db`) → restore (stale
# -wal/-shm removed first) → start → ready → maintenance-off → record.
# <backup> is a file name in <root>/<env>/backups/ (`ls` it, or see the BACKUP column of
# `berth releases <env>`); to restore a file from elsewhere, copy it there first.
# If the current release does not become ready on the restored database (its schema
# belongs to another release), the replaced database is put back and the site serves
# as before: roll back to the release that took the backup instead.
#
# With --json, the ledger line (or the refusal) is printed on stdout as one JSON object
# and the log goes to stderr.
#
# Exit codes: 0 restored; 1 error; 2 refused, nothing changed; 3 failed, the database
# as it was is serving again; 4 failed and not recovered (the log says the state).
set -euo pipefail
# shellcheck source=lib/runbook.sh
. "$BERTH_SCRIPTS/lib/runbook.sh"

PHASE=preflight
parse_args restore '<env> <backup> --actor= --run-url= --json' "$@"
need_env "${ARGS[0]}"
valid_file_name "${ARGS[1]}" ||
  fail "$EXIT_REFUSED" "backup $(printf '%q' "${ARGS[1]}") is not a file name in $ENV_DIR/backups/ (no paths); copy the file there first"
SOURCE="$ENV_DIR/backups/${ARGS[1]}"

start_run "$(id -un)" ""

# Refusals change nothing (not even the ledger).
LOCKED=""
CURRENT=""
refuse() { refuse_unchanged restore "$CURRENT" "$CURRENT" "$1"; }

compose_bin || refuse "$COMPOSE_MISSING"
try_lock "$(read_release current_release)" restore || refuse "$LOCK_REFUSAL"
LOCKED=1
STATE_KIND=restore STATE_STARTED=$STARTED

CURRENT=$(read_release current_release)
[ -n "$CURRENT" ] || refuse "$ENV_NAME has no current release to restore under; on a new server put the file in place before the first deploy (docs/ops/disaster-recovery.md)"
STATE_SHA=$CURRENT
BUNDLE="$ENV_DIR/releases/$CURRENT"
# The slot the current release serves from; every compose call follows SLOT.
SLOT=$(live_slot)
[ -f "$BUNDLE/release.json" ] || refuse "the bundle of the current release $CURRENT is missing ($BUNDLE); run 'berth status $ENV_NAME'"
mapfile -t DBS < <(release_databases "$BUNDLE")
[ ${#DBS[@]} -gt 0 ] || refuse "the current release of $ENV_NAME configures no database"
[ -f "$SOURCE" ] || refuse "no backup $SOURCE; 'ls $ENV_DIR/backups' lists them"
if stale_state; then
  warn "an earlier run was interrupted: $(jq -c . "$ENV_DIR/deploy.state"); check 'berth status $ENV_NAME' after this restore"
fi
say "restoring $ENV_NAME's database from $SOURCE under $CURRENT as run $BERTH_RUN_ID by $BERTH_ACTOR"

# --- phases -------------------------------------------------------------------------

do_preflight() {
  check_backup_set "$SOURCE" integrity_check "${DBS[@]}"
  preflight_disk "$BUNDLE"
  say "$SOURCE ($(backup_set_files "$SOURCE" | wc -l) file(s)) passes integrity_check"
}

do_stop() { stop_release_writers "$BUNDLE" "$CURRENT"; }

# A safety copy of the DB being replaced, so a failed restore can put it back.
do_backup() { backup_databases_present "$CURRENT-before-restore" "${DBS[@]}"; }

do_record() { record_restore restored ""; }

# --- the ledger -----------------------------------------------------------------------

record_restore() {
  record_run restore "$CURRENT" "$(read_release previous_release)" "$BUNDLE" "$1" "${2:-record}" \
    "$(jq -cn --arg restoredFrom "$SOURCE" '{database: "restore", restoredFrom: $restoredFrom, migrated: false}')"
}

# --- failure handling -------------------------------------------------------------------

failed_unchanged() {
  say "restore refused in phase $1: nothing was changed"
  try_record record_restore refused "$1"
  finish_run "$EXIT_REFUSED"
}

# After a change: put the replaced database back under the current release.
recover() {
  local failed=$1
  say "phase $failed failed: putting the database as it was back under $CURRENT"
  if [ -e "$WORK/restored" ]; then
    if [ -s "$WORK/backup" ]; then
      phase restore restore_databases "$BUNDLE" "$(cat "$WORK/backup")" remove "${DBS[@]}"
    else
      phase restore discard_new_databases "$BUNDLE" "${DBS[@]}"
    fi
    if [ "$PHASE_RC" -ne 0 ]; then unrecovered "$failed" "putting back the database as it was failed"; fi
  fi
  serve_again "$BUNDLE" "$CURRENT" "$failed" record_restore failed "$failed"
  if [ "$failed" = ready ]; then
    say "$CURRENT did not become ready on $SOURCE (a schema from another release?): roll back to the release that took it instead ('berth releases $ENV_NAME')"
  fi
  say "restore failed in phase $failed; the database as it was is serving again"
  finish_run "$EXIT_ROLLED_BACK"
}

unrecovered() { not_recovered "$1" "$2" "restore again, deploy or roll back" record_restore failed-unrecovered "$1"; }

# --- the runbook ----------------------------------------------------------------------

# restore_runbook: the phases in order (docs/design.md §3), each followed by its guard.
# Call it as a plain command (phase() and the guards rely on errexit applying).
restore_runbook() {
  phase preflight do_preflight
  before_change preflight
  phase maintenance-on maintenance_on "$CURRENT"
  after_change maintenance-on
  phase stop do_stop
  after_change stop
  phase backup do_backup
  after_change backup
  phase restore replace_databases "$BUNDLE" "$SOURCE" "${DBS[@]}"
  after_change restore
  phase start start_release "$BUNDLE"
  after_change start
  phase ready wait_ready "$BUNDLE"
  after_change ready
  phase maintenance-off maintenance_off
  after_change maintenance-off
  phase record do_record
  if [ "$PHASE_RC" -ne 0 ]; then
    fail "$EXIT_ERROR" "the database is restored and $CURRENT serves, but the ledger could not be written: check disk space under $ENV_DIR"
  fi
  say "restored $ENV_NAME's database from $SOURCE in $(seconds_since "$T0")s"
  finish_run "$EXIT_OK"
}

guard_signals
restore_runbook

#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/..
# shellcheck disable=SC2317 # the do_* phase functions are invoked through phase(), which shellcheck cannot see
# Usage: berth sync <from-env> <to-env> [--scrub <command>] [--allow-production] --yes [--actor <name>] [--run-url <url>] [--json]
# Summary: copy <from-env>'s database set into <to-env> (e.g. production → staging), scrubbed
# Detached: yes
#
# docs/ops/sync.md;
# the phases in docs/design.md §3. Under <to-env>'s lock and its current release:
# preflight (both environments have a current release; the same database set by name, in
# release.json's order; disk space; <to-env> is not production unless --allow-production)
# → snapshot (an online, consistent copy of <from-env>'s set — VACUUM INTO, as `berth
# backup` takes it — while <from-env> keeps serving, under <from-env>'s lock for that
# moment only, into <to-env>'s run directory, 0700) → maintenance-on → stop (writers) →
# backup (<to-env>'s set as it was, `…-before-sync.db`) → restore (the snapshot at
# <to-env>'s paths, stale -wal/-shm removed; named volumes through the SQLite helper) →
# migrate (<to-env>'s migrate command, when configured: its release may be ahead) →
# scrub (--scrub: `sh -c <command>` in a one-off container of <to-env>'s release, the
# migrate service's, else the first writer's) → check (integrity_check) → start →
# ready → maintenance-off → record (`kind: sync`, from, fromSha, scrubbed).
# Never copies env files, certificates, images or the release: only the database files.
# The unscrubbed snapshot is deleted when the run ends, whatever its outcome.
#
# A failure after maintenance-on puts <to-env>'s own set back and serves its release again
# (exit 3, ledger `failed`); bad input is refused before anything changes (exit 2, no
# ledger line). <from-env> is only read.
#
# Exit codes: 0 synced; 1 error; 2 refused, nothing changed; 3 failed, <to-env>'s own
# database is serving again; 4 failed and not recovered (the log says the state).
set -euo pipefail
# shellcheck source=lib/runbook.sh
. "$BERTH_SCRIPTS/lib/runbook.sh"

PHASE=preflight
parse_args sync '<from-env> <to-env> --scrub= --allow-production --yes --actor= --run-url= --json' "$@"
FROM=${ARGS[0]}
valid_env "$FROM" || refuse_usage sync "<from-env> $(printf '%q' "$FROM") is not an environment name like production (a-z, 0-9, -)"
need_env "${ARGS[1]}"
TO=$ENV_NAME
SCRUB=$(opt --scrub) SCRUBBING=${OPTS[--scrub]+1} ALLOW_PRODUCTION=$(opt --allow-production) YES=$(opt --yes)

# The scrub command reaches the container as one argv element of `sh -c`; never a host shell.
if [ -n "$SCRUBBING" ]; then
  [ -n "$SCRUB" ] || fail "$EXIT_REFUSED" "--scrub is empty; give the command that anonymises $TO's copy, e.g. --scrub 'node scripts/anonymise.js', or leave --scrub out"
  [ ${#SCRUB} -le 4096 ] || fail "$EXIT_REFUSED" "--scrub is ${#SCRUB} characters long; at most 4096: put a longer scrub in a script the image ships and run that"
fi
[ "$FROM" != "$TO" ] || fail "$EXIT_REFUSED" "<from-env> and <to-env> are both $TO; sync copies one environment's data into another (to put a backup back, use berth restore)"
# Production is a name: berth.yml has no other notion of it.
case "$TO" in
  production | prod)
    [ -n "$ALLOW_PRODUCTION" ] || fail "$EXIT_REFUSED" "<to-env> is $TO: sync would replace production's database with $FROM's; pass --allow-production if that is really meant"
    ;;
esac
[ -n "$YES" ] || fail "$EXIT_REFUSED" "sync replaces $TO's database with $FROM's; pass --yes to go ahead"
SRC_DIR="$BERTH_ROOT/$FROM"
[ -d "$SRC_DIR" ] || fail "$EXIT_REFUSED" "no environment $FROM under $BERTH_ROOT (expected $SRC_DIR); sync copies between environments of the same server root"

start_run "$(id -un)" ""
SNAP_DIR="$WORK/snapshot"
# The snapshot holds <from-env>'s rows unscrubbed: it never outlives the run.
trap 'rm -rf -- "$SNAP_DIR"' EXIT

# Refusals change nothing (not even the ledger).
LOCKED=""
CURRENT=""
refuse() { refuse_unchanged sync "$CURRENT" "$FROM" "$1"; }

compose_bin || refuse "$COMPOSE_MISSING"
try_lock "$(read_release current_release)" sync || refuse "$LOCK_REFUSAL"
LOCKED=1
STATE_KIND=sync STATE_STARTED=$STARTED

CURRENT=$(read_release current_release)
[ -n "$CURRENT" ] || refuse "$TO has no current release to sync into; deploy to $TO first"
STATE_SHA=$CURRENT
BUNDLE="$ENV_DIR/releases/$CURRENT"
# The slot the current release serves from; every compose call follows SLOT.
SLOT=$(live_slot)
[ -f "$BUNDLE/release.json" ] || refuse "the bundle of $TO's current release $CURRENT is missing ($BUNDLE); run 'berth status $TO'"
FROM_SHA=""
[ ! -s "$SRC_DIR/current_release" ] || FROM_SHA=$(tr -d '[:space:]' <"$SRC_DIR/current_release")
valid_sha "$FROM_SHA" || refuse "$FROM has no current release to copy from ($SRC_DIR/current_release); deploy to $FROM first"
FROM_BUNDLE="$SRC_DIR/releases/$FROM_SHA"
[ -f "$FROM_BUNDLE/release.json" ] || refuse "the bundle of $FROM's current release $FROM_SHA is missing ($FROM_BUNDLE); run 'berth status $FROM'"
mapfile -t DBS < <(release_databases "$BUNDLE")
mapfile -t FROM_DBS < <(release_databases "$FROM_BUNDLE")
[ ${#DBS[@]} -gt 0 ] || refuse "$TO's current release configures no database: nothing to sync into"
# Source member i goes to target member i: the sets must be the same files, by name and order.
db_names() {
  local db
  for db in "$@"; do basename -- "${db#*:}"; done | paste -sd ' ' -
}
[ "$(db_names "${DBS[@]}")" = "$(db_names "${FROM_DBS[@]}")" ] ||
  refuse "$FROM's databases ($(db_names "${FROM_DBS[@]}")) are not $TO's ($(db_names "${DBS[@]}")) by name and order in berth.yml's database paths; sync copies file i of $FROM to file i of $TO only when the sets match (deploy the same berth.yml to both first)"
for db in "${FROM_DBS[@]}"; do
  valid_db_ref "$db" || refuse "$FROM's release.json names the database $(printf '%q' "$db"), which is neither an absolute path nor <volume>:<path>"
done
db_present "${FROM_DBS[0]}" || refuse "$FROM has no database at $(db_label "${FROM_DBS[0]}") to copy"
if [ -n "$SCRUBBING" ]; then
  SCRUB_SERVICE=$(jq -r '.migrate.service // .writers[0] // empty' "$BUNDLE/release.json")
  [ -n "$SCRUB_SERVICE" ] || refuse "--scrub runs in a one-off container of $TO's migrate service or first writer, and its release names neither"
fi
if stale_state; then
  warn "an earlier run was interrupted: $(jq -c . "$ENV_DIR/deploy.state"); check 'berth status $TO' after this sync"
fi
say "syncing $FROM's database ($FROM_SHA) into $TO under $CURRENT$([ -z "$SCRUBBING" ] || echo ", scrubbed in a one-off $SCRUB_SERVICE container") as run $BERTH_RUN_ID by $BERTH_ACTOR"

# --- phases -------------------------------------------------------------------------

do_preflight() {
  preflight_disk "$BUNDLE"
  db_refuse_links "${FROM_DBS[@]}" || fail "$EXIT_REFUSED" "refusing to read $FROM's database through a symbolic link"
  # Beyond the target's own two copies: the snapshot, and its copy placed at the target's paths.
  local need free
  need=$(($(manifest "$BUNDLE" .minFreeMB) + 2 * ($(databases_bytes "${FROM_DBS[@]}") / 1048576 + 1) + $(databases_bytes "${DBS[@]}") / 1048576 + 1))
  free=$(free_mb "$ENV_DIR/backups")
  [ "$free" -ge "$need" ] || fail "$EXIT_REFUSED" "only ${free} MB free under $ENV_DIR; need ${need} MB (minFreeMB, 2× $FROM's databases, $TO's backup). Free some space; nothing was changed"
  say "disk: ${free} MB free, ${need} MB needed for the snapshot, its copy and $TO's backup"
}

do_snapshot() { snapshot_databases "$SNAP_DIR/snapshot.db" "$SRC_DIR" "$FROM" "$FROM_SHA" "${FROM_DBS[@]}"; }

do_maintenance_on() { maintenance_on "$CURRENT"; }

do_stop() { stop_release_writers "$BUNDLE" "$CURRENT"; }

# <to-env>'s own set, kept: what a failed sync puts back, and what the ledger names.
do_backup() {
  if ! db_present "${DBS[0]}"; then
    say "no database at $(db_label "${DBS[0]}") yet: nothing to keep"
    return 0
  fi
  backup_databases "$CURRENT-before-sync" "${DBS[@]}"
}

do_restore() {
  touch "$WORK/restored"
  restore_databases "$BUNDLE" "$SNAP_DIR/snapshot.db" remove "${DBS[@]}"
}

# <to-env>'s own migrate command, when configured: its release may be ahead of <from-env>'s data.
do_migrate() {
  if ! release_migrates "$BUNDLE"; then
    say "no migrate command configured"
    return 0
  fi
  schema_versions "${DBS[@]}" >"$WORK/schema_before"
  migrate_release "$BUNDLE"
  schema_versions "${DBS[@]}" >"$WORK/schema_after"
}

do_scrub() {
  if [ -z "$SCRUBBING" ]; then
    say "no --scrub given: $TO holds $FROM's rows as they are"
    return 0
  fi
  scrub_databases "$BUNDLE" "$SCRUB_SERVICE" "$SCRUB"
}

scrub_sha256() { printf '%s' "$SCRUB" | sha256sum | cut -d' ' -f1; }

do_check() { check_databases "$WORK" "${DBS[@]}"; }

do_start() { start_release "$BUNDLE"; }

do_ready() { wait_ready "$BUNDLE"; }

do_maintenance_off() { maintenance_off; }

do_record() { record_sync synced ""; }

# --- the ledger -----------------------------------------------------------------------

record_sync() {
  local migrated=false scrub=null
  if [ -s "$WORK/schema_after" ] && ! cmp -s "$WORK/schema_before" "$WORK/schema_after"; then migrated=true; fi
  [ -z "$SCRUBBING" ] || scrub=$(jq -cn --arg sha256 "$(scrub_sha256)" --arg service "$SCRUB_SERVICE" '{sha256: $sha256, service: $service}')
  record_run sync "$CURRENT" "$(read_release previous_release)" "$BUNDLE" "$1" "${2:-record}" \
    "$(jq -cn --arg from "$FROM" --arg fromSha "$FROM_SHA" --argjson scrubbed "$([ -n "$SCRUBBING" ] && echo true || echo false)" \
      --argjson scrub "$scrub" --argjson migrated "$migrated" \
      '{database: "sync", from: $from, fromSha: $fromSha, scrubbed: $scrubbed, scrub: $scrub, migrated: $migrated}')"
}

# --- failure handling -------------------------------------------------------------------

failed_unchanged() {
  say "sync refused in phase $1: nothing was changed"
  try_record record_sync refused "$1"
  finish_run "$EXIT_REFUSED"
}

# After a change: put <to-env>'s own set back under its current release.
recover() {
  local failed=$1
  say "phase $failed failed: putting $TO's database as it was back under $CURRENT"
  if [ -e "$WORK/restored" ]; then
    if [ -s "$WORK/backup" ]; then
      phase restore restore_databases "$BUNDLE" "$(cat "$WORK/backup")" remove "${DBS[@]}"
    else
      phase restore discard_new_databases "$BUNDLE" "${DBS[@]}"
    fi
    if [ "$PHASE_RC" -ne 0 ]; then unrecovered "$failed" "putting back $TO's database as it was failed"; fi
  fi
  serve_again "$BUNDLE" "$CURRENT" "$failed" record_sync failed "$failed"
  say "sync failed in phase $failed; $TO's database as it was is serving again"
  finish_run "$EXIT_ROLLED_BACK"
}

unrecovered() {
  PHASE=$1
  say "NOT RECOVERED: $2. The maintenance page is $([ -e "$(maintenance_flag)" ] && echo ON || echo off); $TO's database as it was is $([ -s "$WORK/backup" ] && echo "saved at $(cat "$WORK/backup")" || echo "unchanged"). Check 'berth status $TO', fix, then restore it (berth restore $TO <that file>), deploy or roll back."
  try_record record_sync failed-unrecovered "$1"
  finish_run "$EXIT_UNRECOVERED"
}

guard_signals

# --- the runbook ----------------------------------------------------------------------

phase preflight do_preflight
before_change preflight
phase snapshot do_snapshot
before_change snapshot
phase maintenance-on do_maintenance_on
after_change maintenance-on
phase stop do_stop
after_change stop
phase backup do_backup
after_change backup
phase restore do_restore
after_change restore
phase migrate do_migrate
after_change migrate
phase scrub do_scrub
after_change scrub
phase check do_check
after_change check
phase start do_start
after_change start
phase ready do_ready
after_change ready
phase maintenance-off do_maintenance_off
after_change maintenance-off
rm -rf -- "$SNAP_DIR"
phase record do_record
if [ "$PHASE_RC" -ne 0 ]; then
  fail "$EXIT_ERROR" "$TO holds $FROM's database and serves, but the ledger could not be written: check disk space under $ENV_DIR"
fi
say "synced $FROM's database into $TO in $(seconds_since "$T0")s"
finish_run "$EXIT_OK"

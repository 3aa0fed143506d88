#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/..
# Usage: berth backup <env> [--offsite] [--json]
# Summary: a consistent SQLite backup now (prints its path); --offsite: also sent with restic to berth.yml's offsite:
# Detached: yes
#
# A consistent backup of the environment's SQLite database set now, while the app runs:
# VACUUM INTO (one read snapshot; never the CLI's .backup, which restarts forever
# under concurrent writes), checked with quick_check, renamed into <env>/backups/.
# Prints the set's files (the first names the set); with --json,
# {env, release, path, files, bytes, seconds}. Run detached (`berth run`), that object is
# also the run's result marker line.
#
# --offsite: the same online copy plus the ledger, the release pointers and bundles and
# the env files' variable names (never values), sent with restic to berth.yml's
# offsite.repository (lib/offsite.sh, docs/ops/offsite.md), then restic forget --prune
# with offsite.keep. The copy stays in <env>/backups/ too (…-offsite.db). Each run
# appends a line to <env>/offsite.log (what `berth status` reads); with --json,
# {env, release, snapshot, repository, time, bytes, added, seconds, databases, forget}.
# The environment's lock is held only while the copy is taken (BERTH_LOCK_WAIT seconds
# to wait for a deploy); one offsite backup per environment at a time.
#
# Exit codes: 0 ok; 1 error (offsite: the line in offsite.log says why); 2 refused (no
# database configured or present, no offsite: configured, no restic or password).
set -euo pipefail
# shellcheck source=lib/common.sh
. "$BERTH_SCRIPTS/lib/common.sh"
# shellcheck source=lib/sqlite.sh
. "$BERTH_SCRIPTS/lib/sqlite.sh"
# shellcheck source=lib/sqlite-helper.sh
. "$BERTH_SCRIPTS/lib/sqlite-helper.sh"
# shellcheck source=lib/database-set.sh
. "$BERTH_SCRIPTS/lib/database-set.sh"
# shellcheck source=lib/backup.sh
. "$BERTH_SCRIPTS/lib/backup.sh"
# shellcheck source=lib/lock.sh
. "$BERTH_SCRIPTS/lib/lock.sh"
# shellcheck source=lib/offsite.sh
. "$BERTH_SCRIPTS/lib/offsite.sh"

parse_args backup '<env> --offsite --json' "$@"
env_arg=${ARGS[0]}
offsite=$(opt --offsite)
PHASE=backup
need_env "$env_arg"
current=$(read_release current_release)
[ -n "$current" ] || fail "$EXIT_REFUSED" "$ENV_NAME has no current release; nothing to back up"
mapfile -t dbs < <(release_databases "$ENV_DIR/releases/$current")
[ ${#dbs[@]} -gt 0 ] || fail "$EXIT_REFUSED" "the current release of $ENV_NAME configures no database"
db_present "${dbs[0]}" || fail "$EXIT_REFUSED" "no database at $(db_label "${dbs[0]}")"
private_dir "$ENV_DIR/backups"

# print_result <json>: to stdout with --json (else <text>), and as the result marker of a detached run.
print_result() {
  # Started by `berth run` (the berth CLI): the result marker its follower reads.
  [ -z "${BERTH_RUN_ID:-}" ] || printf '@@berth %s\n' "$(jq -c '{event: "result"} + .' <<<"$1")"
  if [ -n "$JSON_OUT" ]; then json_result "$1"; else printf '%s\n' "$2"; fi
}

if [ -z "$offsite" ]; then
  dest="$ENV_DIR/backups/$(date -u +%Y%m%dT%H%M%SZ)-$current-manual.db"
  t0=$(now_us)
  backup_databases_online "$dest" "${dbs[@]}"
  mapfile -t files < <(backup_set_files "$dest")
  result=$(jq -cn --arg env "$ENV_NAME" --arg release "$current" --arg path "$dest" \
    --argjson bytes "$(databases_bytes "${files[@]}")" --argjson seconds "$(seconds_since "$t0")" \
    '{env: $env, release: $release, path: $path, files: $ARGS.positional, bytes: $bytes, seconds: $seconds}' \
    --args "${files[@]}")
  print_result "$result" "$(printf '%s\n' "${files[@]}")"
  exit 0
fi

# --- offsite ----------------------------------------------------------------------------

bundle="$ENV_DIR/releases/$current"
offsite_config "$bundle" ||
  fail "$EXIT_REFUSED" "offsite backups are not configured for $ENV_NAME: add an offsite: block to berth.yml (repository:, and RESTIC_PASSWORD in <root>/env/offsite.env on the server), deploy, then run this again (docs/ops/offsite.md)"
command -v restic >/dev/null || fail "$EXIT_REFUSED" "restic is not installed on this server (Debian/Ubuntu: apt-get install restic; berth setup installs it)"
offsite_secrets
app=$(manifest "$bundle" .app)
private_dir "$ENV_DIR/offsite"
exec 8>>"$ENV_DIR/offsite/.lock"
flock -w "${BERTH_LOCK_WAIT:-0}" 8 || fail "$EXIT_REFUSED" "another offsite backup of $ENV_NAME is running (flock on $ENV_DIR/offsite/.lock)"
t0=$(now_us)
started=$(now_iso)

# offsite_record <result> <json fields>: the run's line in <env>/offsite.log.
offsite_record() {
  local line
  line=$(jq -cn --arg time "$(now_iso)" --arg started "$started" --arg env "$ENV_NAME" --arg result "$1" \
    --arg repository "$(offsite_shown "$OFFSITE_REPO")" --arg seconds "$(seconds_since "$t0")" --argjson extra "$2" \
    '{time: $time, started: $started, env: $env, kind: "offsite-backup", result: $result, repository: $repository,
      seconds: ($seconds | tonumber)} + $extra')
  printf '%s\n' "$line" >>"$ENV_DIR/offsite.log" || warn "could not append to $ENV_DIR/offsite.log (disk full?)"
  printf '%s\n' "$line"
}
offsite_failed() {
  local line
  line=$(offsite_record failed "$(jq -cn --arg phase "$PHASE" --arg reason "$1" '{phase: $phase, reason: $reason}')")
  [ -z "${BERTH_RUN_ID:-}" ] || printf '@@berth %s\n' "$(jq -c '{event: "result"} + .' <<<"$line")"
  json_result "$line"
  fail "$EXIT_ERROR" "$1"
}

# The copy, the ledger and the pointers are taken under the environment's lock, so they
# agree with each other (never half-way through a deploy); the upload runs without it.
try_lock "$current" offsite-backup || fail "$EXIT_REFUSED" "$LOCK_REFUSAL"
current=$(read_release current_release)
bundle="$ENV_DIR/releases/$current"
previous=$(read_release previous_release)
stage="$ENV_DIR/offsite/stage"
set +e
(
  set -e
  offsite_stage "$stage" "$bundle" "$current" "$previous" "${dbs[@]}"
)
rc=$?
set -e
exec 9>&-
rm -f "$ENV_DIR/lock.holder"
[ "$rc" -eq 0 ] || offsite_failed "the online copy of the database set could not be taken (exit $rc; see above)"

PHASE=offsite
say "sending the snapshot to $(offsite_shown "$OFFSITE_REPO")"
OFFSITE_WHY=""
offsite_repo_ready || offsite_failed "$OFFSITE_WHY"
summary=$(offsite_send "$stage" "$app") || offsite_failed "restic backup to $(offsite_shown "$OFFSITE_REPO") failed (see above)"
say "snapshot $(jq -r .snapshot_id <<<"$summary"): $(jq -r .total_bytes_processed <<<"$summary") bytes processed, $(jq -r .data_added <<<"$summary") bytes added to the repository"
forget=$(offsite_forget "$app") || forget=""
[ -n "$forget" ] || forget=null

# The same set stays in <env>/backups/ (hard links: no second copy on disk).
local_set="$ENV_DIR/backups/$(date -u +%Y%m%dT%H%M%SZ)-$current-offsite.db"
i=0
for db in "${dbs[@]}"; do
  if [ -f "$stage/databases/$i.db" ]; then
    ln -- "$stage/databases/$i.db" "$(backup_member "$local_set" "$i")" 2>/dev/null ||
      cp -- "$stage/databases/$i.db" "$(backup_member "$local_set" "$i")"
  fi
  i=$((i + 1))
done
databases=$(jq -c '[.databases[] | {path, bytes, rows}]' "$stage/$OFFSITE_MANIFEST")
stage_bytes=$(du -sb -- "$stage" | cut -f1)
rm -rf -- "$stage"
line=$(offsite_record succeeded "$(jq -cn --arg release "$current" --arg snapshot "$(jq -r .snapshot_id <<<"$summary")" \
  --argjson bytes "$stage_bytes" --argjson added "$(jq .data_added <<<"$summary")" \
  --argjson databases "$databases" --argjson forget "$forget" --arg local "$local_set" \
  '{release: $release, snapshot: $snapshot, bytes: $bytes, added: $added, databases: $databases, forget: $forget, local: $local}')")
say "offsite backup of $ENV_NAME done in $(jq -r .seconds <<<"$line")s"
print_result "$line" "$(jq -r '"snapshot \(.snapshot) in \(.repository): \(.bytes) bytes (\(.added) new)"' <<<"$line")"

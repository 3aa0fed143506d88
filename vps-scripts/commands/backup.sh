#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/..
# berth backup <env> [--json]
#
# A consistent backup of the environment's SQLite database set now, while the app runs:
# VACUUM INTO (one read snapshot; never the CLI's .backup, which restarts forever
# under concurrent writes), checked with quick_check, renamed into <env>/backups/.
# Prints the set's files (the first names the set); with --json,
# {env, release, path, files, bytes, seconds}. Run detached (`berth run`), that object is
# also the run's result marker line.
#
# Exit codes: 0 ok; 1 error; 2 refused (no database configured or present).
set -euo pipefail
# shellcheck source=lib/common.sh
. "$BERTH_SCRIPTS/lib/common.sh"
# shellcheck source=lib/sqlite.sh
. "$BERTH_SCRIPTS/lib/sqlite.sh"
# shellcheck source=lib/sqlite-helper.sh
. "$BERTH_SCRIPTS/lib/sqlite-helper.sh"
# shellcheck source=lib/database-set.sh
. "$BERTH_SCRIPTS/lib/database-set.sh"

if [ $# -eq 2 ] && [ "$2" = --json ]; then json_output; elif [ $# -ne 1 ]; then fail "$EXIT_ERROR" "usage: berth backup <env> [--json]"; fi
PHASE=backup
need_env "$1"
current=$(read_release current_release)
[ -n "$current" ] || fail "$EXIT_REFUSED" "$ENV_NAME has no current release; nothing to back up"
mapfile -t dbs < <(release_databases "$ENV_DIR/releases/$current")
[ ${#dbs[@]} -gt 0 ] || fail "$EXIT_REFUSED" "the current release of $ENV_NAME configures no database"
db_present "${dbs[0]}" || fail "$EXIT_REFUSED" "no database at $(db_label "${dbs[0]}")"
private_dir "$ENV_DIR/backups"
dest="$ENV_DIR/backups/$(date -u +%Y%m%dT%H%M%SZ)-$current-manual.db"
t0=$(now_us)
backup_databases_online "$dest" "${dbs[@]}"
mapfile -t files < <(backup_set_files "$dest")
result=$(jq -cn --arg env "$ENV_NAME" --arg release "$current" --arg path "$dest" \
  --argjson bytes "$(databases_bytes "${files[@]}")" --argjson seconds "$(seconds_since "$t0")" \
  '{env: $env, release: $release, path: $path, files: $ARGS.positional, bytes: $bytes, seconds: $seconds}' \
  --args "${files[@]}")
# Started by `berth run` (the berth CLI): the result marker its follower reads.
[ -z "${BERTH_RUN_ID:-}" ] || printf '@@berth %s\n' "$(jq -c '{event: "result"} + .' <<<"$result")"
if [ -n "$JSON_OUT" ]; then
  json_result "$result"
else
  printf '%s\n' "${files[@]}"
fi

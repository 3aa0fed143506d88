#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/..
# berth backup <env> [--json]
#
# A consistent backup of the environment's SQLite database now, while the app runs:
# VACUUM INTO (one read snapshot; never the CLI's .backup, which restarts forever
# under concurrent writes), checked with quick_check, renamed into <env>/backups/.
# Prints the backup's path; with --json, {env, release, path, bytes, seconds}.
#
# Exit codes: 0 ok; 1 error; 2 refused (no database configured or present).
set -euo pipefail
# shellcheck source=lib/common.sh
. "$BERTH_SCRIPTS/lib/common.sh"
# shellcheck source=lib/sqlite.sh
. "$BERTH_SCRIPTS/lib/sqlite.sh"

if [ $# -eq 2 ] && [ "$2" = --json ]; then json_output; elif [ $# -ne 1 ]; then fail "$EXIT_ERROR" "usage: berth backup <env> [--json]"; fi
PHASE=backup
need_env "$1"
current=$(read_release current_release)
[ -n "$current" ] || fail "$EXIT_REFUSED" "$ENV_NAME has no current release; nothing to back up"
db=$(jq -r '.database.path // empty' "$ENV_DIR/releases/$current/release.json")
[ -n "$db" ] || fail "$EXIT_REFUSED" "the current release of $ENV_NAME configures no database"
[ -f "$db" ] || fail "$EXIT_REFUSED" "no database at $db"
mkdir -p "$ENV_DIR/backups"
dest="$ENV_DIR/backups/$(date -u +%Y%m%dT%H%M%SZ)-$current-manual.db"
t0=$(now_us)
sqlite_backup_online "$db" "$dest"
if [ -n "$JSON_OUT" ]; then
  json_result "$(jq -cn --arg env "$ENV_NAME" --arg release "$current" --arg path "$dest" \
    --argjson bytes "$(stat -c %s "$dest")" --argjson seconds "$(seconds_since "$t0")" \
    '{env: $env, release: $release, path: $path, bytes: $bytes, seconds: $seconds}')"
else
  echo "$dest"
fi

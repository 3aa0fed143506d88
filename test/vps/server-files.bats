#!/usr/bin/env bats
# Files on the server (vps-scripts/lib/sqlite.sh, common.sh): the data directory is the
# app's, so a restore never writes through a name found there and a database reached
# through a symlink is refused; backups are 0600 in a 0700 <env>/backups whatever the
# umask.

bats_require_minimum_version 1.5.0

setup() {
  export BERTH_SCRIPTS="$BATS_TEST_DIRNAME/../../vps-scripts"
  export BERTH_ROOT="$BATS_TEST_TMPDIR/root"
  mkdir -p "$BERTH_ROOT/staging/runs/t"
  # shellcheck source=../../vps-scripts/lib/runbook.sh
  . "$BERTH_SCRIPTS/lib/runbook.sh"
  # shellcheck disable=SC2034 # read by the functions runbook.sh defines
  ENV_NAME=staging
  ENV_DIR="$BERTH_ROOT/staging"
  # shellcheck disable=SC2034 # read by backup_databases
  WORK="$ENV_DIR/runs/t"
  DATA="$BATS_TEST_TMPDIR/data"
  mkdir -p "$DATA"
  DB="$DATA/app.db"
  # What a compromised app would aim at: a file of the deploy user's.
  VICTIM="$BATS_TEST_TMPDIR/authorized_keys"
  echo "ssh-ed25519 AAAA deploy@laptop" >"$VICTIM"
}

count() { sqlite3 -readonly "$1" "SELECT count(*) FROM notes"; }
make_db() {
  sqlite3 "$1" "PRAGMA journal_mode=WAL; CREATE TABLE notes(id INTEGER PRIMARY KEY, text TEXT);
    INSERT INTO notes(text) VALUES ('one'), ('two'), ('three');" >/dev/null
}
victim_untouched() { [ "$(cat "$VICTIM")" = "ssh-ed25519 AAAA deploy@laptop" ]; }
mode() { stat -c %a "$1"; }

@test "a restore never writes through a link planted at its temp name" {
  make_db "$DB"
  sqlite_backup_stopped "$DB" "$BATS_TEST_TMPDIR/backup.db"
  sqlite3 "$DB" "DELETE FROM notes"
  # The names a restore used to write: <db>.restoring, fixed and guessable.
  ln -s "$VICTIM" "$DB.restoring"
  sqlite_restore "$BATS_TEST_TMPDIR/backup.db" "$DB"
  victim_untouched
  [ "$(count "$DB")" = 3 ]
  [ ! -L "$DB" ]
  # Nothing of the restore is left beside the database.
  [ "$(find "$DATA" -name 'app.db.restoring.*' | wc -l)" -eq 0 ]
}

@test "copy_exclusive refuses any existing name — a link, a dangling link, a file — and follows none" {
  echo data >"$BATS_TEST_TMPDIR/source"
  ln -s "$VICTIM" "$BATS_TEST_TMPDIR/link"
  ln -s "$BATS_TEST_TMPDIR/nowhere" "$BATS_TEST_TMPDIR/dangling"
  echo mine >"$BATS_TEST_TMPDIR/file"
  for name in link dangling file; do
    run copy_exclusive "$BATS_TEST_TMPDIR/source" "$BATS_TEST_TMPDIR/$name"
    [ "$status" -ne 0 ]
  done
  victim_untouched
  [ ! -e "$BATS_TEST_TMPDIR/nowhere" ]
  [ "$(cat "$BATS_TEST_TMPDIR/file")" = mine ]
  # A new name: created with the mode asked for, whatever the umask.
  (umask 000 && copy_exclusive "$BATS_TEST_TMPDIR/source" "$BATS_TEST_TMPDIR/new" 640)
  [ "$(cat "$BATS_TEST_TMPDIR/new")" = data ]
  [ "$(mode "$BATS_TEST_TMPDIR/new")" = 640 ]
}

@test "a database, -wal, -shm or -journal that is a symlink: restore, backup and schema check refuse, naming it" {
  make_db "$BATS_TEST_TMPDIR/real.db"
  sqlite_backup_stopped "$BATS_TEST_TMPDIR/real.db" "$BATS_TEST_TMPDIR/backup.db"
  for suffix in "" -wal -shm -journal; do
    rm -f "$DB" "$DB-wal" "$DB-shm" "$DB-journal"
    [ -n "$suffix" ] && make_db "$DB"
    ln -s "$VICTIM" "$DB$suffix"
    run sqlite_restore "$BATS_TEST_TMPDIR/backup.db" "$DB"
    [ "$status" -eq 1 ]
    [[ $output == *"$DB$suffix is a symbolic link (to $VICTIM)"*"Put the real file in its place"* ]]
    run sqlite_backup_stopped "$DB" "$BATS_TEST_TMPDIR/b2.db"
    [ "$status" -eq 1 ]
    [[ $output == *"$DB$suffix is a symbolic link"* ]]
    run sqlite_backup_online "$DB" "$BATS_TEST_TMPDIR/b3.db"
    [ "$status" -eq 1 ]
    run sqlite_schema_version "$DB"
    [ "$status" -eq 1 ]
    victim_untouched
    [ -L "$DB$suffix" ]
  done
  [ ! -e "$BATS_TEST_TMPDIR/b2.db" ]
  [ ! -e "$BATS_TEST_TMPDIR/b3.db" ]
}

@test "a restored database keeps the mode of the one it replaces" {
  make_db "$DB"
  sqlite_backup_stopped "$DB" "$BATS_TEST_TMPDIR/backup.db"
  chmod 660 "$DB"
  sqlite_restore "$BATS_TEST_TMPDIR/backup.db" "$DB"
  [ "$(mode "$DB")" = 660 ]
  [ "$(count "$DB")" = 3 ]
}

@test "preflight refuses a linked database before anything changes, and makes backups/ private" {
  make_db "$BATS_TEST_TMPDIR/real.db"
  ln -s "$BATS_TEST_TMPDIR/real.db" "$DB"
  bundle="$ENV_DIR/releases/b"
  mkdir -p "$bundle"
  jq -n --arg db "$DB" '{minFreeMB: 1, databases: [$db]}' >"$bundle/release.json"
  run preflight_disk "$bundle"
  [ "$status" -eq "$EXIT_REFUSED" ]
  [[ $output == *"$DB is a symbolic link"*"refusing to back up or restore through a symbolic link; nothing was changed"* ]]
  rm "$DB"
  make_db "$DB"
  mkdir -p "$ENV_DIR/backups"
  chmod 755 "$ENV_DIR/backups"
  run preflight_disk "$bundle"
  [ "$status" -eq 0 ]
  [ "$(mode "$ENV_DIR/backups")" = 700 ]
}

@test "backups are 0600 in a 0700 backups/ whatever the umask, on every path that writes one" {
  umask 022
  make_db "$DB"
  make_db "$DATA/queue.db"
  # A deploy's backup of the stopped set (cp under a read transaction).
  backup_databases r1 "$DB" "$DATA/queue.db"
  first=$(cat "$WORK/backup")
  [ "$(mode "$ENV_DIR/backups")" = 700 ]
  [ "$(mode "$first")" = 600 ]
  [ "$(mode "$first.1")" = 600 ]
  # `berth backup`: VACUUM INTO while the app runs.
  backup_databases_online "$ENV_DIR/backups/manual.db" "$DB"
  [ "$(mode "$ENV_DIR/backups/manual.db")" = 600 ]
  # The fallback when a reader blocks the checkpoint is VACUUM INTO too.
  sqlite_backup_online "$DB" "$BATS_TEST_TMPDIR/online.db"
  [ "$(mode "$BATS_TEST_TMPDIR/online.db")" = 600 ]
  # No temp file is left behind.
  [ "$(find "$ENV_DIR/backups" "$BATS_TEST_TMPDIR" -maxdepth 1 -name '*.partial*' | wc -l)" -eq 0 ]
}

@test "berth backup makes an existing world-readable backups/ private" {
  make_db "$DB"
  sha=0123456789abcdef0123456789abcdef01234567
  mkdir -p "$ENV_DIR/releases/$sha" "$ENV_DIR/backups"
  chmod 755 "$ENV_DIR/backups"
  jq -n --arg db "$DB" '{databases: [$db]}' >"$ENV_DIR/releases/$sha/release.json"
  echo "$sha" >"$ENV_DIR/current_release"
  run bash "$BERTH_SCRIPTS/bin/berth" backup staging
  [ "$status" -eq 0 ]
  [ "$(mode "$ENV_DIR/backups")" = 700 ]
  [ "$(mode "$output")" = 600 ]
}

# shellcheck shell=bash
# Consistent SQLite backups and restores (DESIGN §2).

# sqlite_backup_stopped <db> <dest>: writers are stopped, so checkpoint the WAL into
# the main file (TRUNCATE), then copy the file while holding a read transaction: the
# open snapshot blocks any further checkpoint, so the main file cannot change under
# cp even if a stray writer appears. Copy speed, and consistent.
# The copy is only taken if the WAL is empty inside that snapshot: a process still
# holding an older snapshot (a cron job, an admin's sqlite3 shell) makes the checkpoint
# stop early (busy), leaving committed pages only in -wal, and a copy of the main file
# would silently lack them. Then the backup falls back to VACUUM INTO, which reads
# through the WAL. (The writers are stopped, so the checkpoint waits at most 3 s for
# such a reader: this runs inside the maintenance window.) Then check the copy
# (quick_check) and rename it into place.
sqlite_backup_stopped() {
  local db=$1 dest=$2 tmp="$2.partial"
  rm -f "$tmp"
  timeout "${BACKUP_TIMEOUT:-1800}" sqlite3 "$db" <<SQL >/dev/null
.bail on
PRAGMA busy_timeout = ${SQLITE_BUSY_MS:-3000};
PRAGMA wal_checkpoint(TRUNCATE);
BEGIN;
SELECT count(*) FROM sqlite_master;
.shell [ ! -s '$db-wal' ] && cp -- '$db' '$tmp'
COMMIT;
SQL
  if [ ! -e "$tmp" ] && [ -s "$db-wal" ]; then
    warn "the WAL of $db could not be checkpointed (another process holds an older snapshot open; 'fuser -v $db' names it): backing up with VACUUM INTO instead"
    sqlite_backup_online "$db" "$dest"
    return
  fi
  # .shell's own exit status does not stop sqlite3: check the copy really happened.
  [ -s "$tmp" ] && [ "$(stat -c %s "$tmp")" = "$(stat -c %s "$db")" ] || {
    warn "the copy of $db is missing or incomplete"
    rm -f "$tmp"
    return 1
  }
  sqlite_check "$tmp" || { rm -f "$tmp"; return 1; }
  mv -f "$tmp" "$dest"
}

# sqlite_backup_online <db> <dest>: the app is running and may be writing: VACUUM INTO
# takes one consistent read snapshot (the CLI's .backup restarts forever under writes).
sqlite_backup_online() {
  local db=$1 dest=$2 tmp="$2.partial"
  rm -f "$tmp"
  timeout "${BACKUP_TIMEOUT:-1800}" sqlite3 "$db" "PRAGMA busy_timeout = ${SQLITE_BUSY_MS:-10000}; VACUUM INTO '$tmp';" >/dev/null
  sqlite_check "$tmp" || { rm -f "$tmp"; return 1; }
  mv -f "$tmp" "$dest"
}

# sqlite_check <file> [quick_check|integrity_check]: the file is a sound SQLite
# database; else say why (the first lines of SQLite's answer) and return 1.
sqlite_check() {
  local check=${2:-quick_check} result
  [ -s "$1" ] || { warn "$1 is missing or empty"; return 1; }
  result=$(sqlite3 "$1" "PRAGMA $check;" 2>&1) || result="sqlite3 could not open it: $result"
  [ "$result" = ok ] || { warn "$1 fails $check: $(head -n 3 <<<"$result" | paste -sd ' ' -)"; return 1; }
}

# sqlite_restore <backup> <db>: nothing may have the DB open. Stale -wal/-shm go first:
# a leftover -wal would be replayed over the restored file.
sqlite_restore() {
  local backup=$1 db=$2 tmp="$2.restoring"
  sqlite_check "$backup" || return 1
  cp -- "$backup" "$tmp"
  rm -f -- "$db-wal" "$db-shm"
  mv -f -- "$tmp" "$db"
}

# The schema cookie: changes whenever any migration changes the schema.
sqlite_schema_version() { [ -f "$1" ] && sqlite3 "$1" "PRAGMA busy_timeout=5000; PRAGMA schema_version;" 2>/dev/null | tail -n1 || echo 0; }

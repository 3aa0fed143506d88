# shellcheck shell=bash
# Consistent SQLite backups and restores (docs/design.md §2).

# Files: the data directory is the app's, writable by its containers, so nothing here
# writes through a name found there — a database, -wal, -shm or -journal that is a
# symlink is refused (sqlite3 would write through it), and a restore writes a file it
# creates exclusively, then renames it into place. Backups are taken into a temp file
# mktemp creates (0600) beside <dest>, in <env>/backups/ (0700, private_dir), and
# renamed into place.

# sqlite_refuse_links <db…>: none of the databases, nor their -wal, -shm or -journal,
# is a symbolic link; else say which and return 1.
sqlite_refuse_links() {
  local db f
  for db in "$@"; do
    for f in "$db" "$db-wal" "$db-shm" "$db-journal"; do
      if [ -L "$f" ]; then
        warn "$f is a symbolic link (to $(readlink -- "$f")): berth never opens or writes a database through a link in a directory the app can write. Put the real file in its place (e.g. mv the file it points to over the link), then run again"
        return 1
      fi
    done
  done
}

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
  local db=$1 dest=$2 tmp busy line="" said="" rc=0 from_sqlite to_sqlite pid
  sqlite_refuse_links "$db" || return 1
  busy=$(sqlite_busy_ms 3000) || return 1
  tmp=$(mktemp -- "$dest.partial.XXXXXX") || {
    warn "cannot create a temp file beside $dest"
    return 1
  }
  # sqlite3 reads its statements from this shell (a coprocess): it checkpoints, opens a
  # read transaction and says so; this shell copies the file while it is held, then ends
  # it. No value is pasted into SQL or a shell line: the database is sqlite3's argument,
  # the copy is this shell's cp. (cp into the file mktemp made keeps its 0600.)
  coproc SQLITE { exec timeout "${BACKUP_TIMEOUT:-1800}" sqlite3 -batch -bail -cmd ".timeout $busy" "$db" 2>&1; }
  # Kept here: bash unsets SQLITE and SQLITE_PID once it reaps the coprocess.
  from_sqlite=${SQLITE[0]} to_sqlite=${SQLITE[1]} pid=$SQLITE_PID
  printf '%s\n' 'PRAGMA wal_checkpoint(TRUNCATE);' 'BEGIN;' 'SELECT count(*) FROM sqlite_master;' \
    "SELECT 'berth: snapshot held';" 1>&"$to_sqlite" || rc=1
  while [ "$rc" -eq 0 ] && IFS= read -r line <&"$from_sqlite"; do
    [ "$line" != "berth: snapshot held" ] || break
    said+="$line "
  done
  if [ "$rc" -ne 0 ] || [ "$line" != "berth: snapshot held" ]; then
    warn "sqlite3 could not open a read transaction on $db: ${said:-no answer}"
    rc=1
  elif [ ! -s "$db-wal" ]; then
    cp -- "$db" "$tmp" || rc=1
  fi
  printf 'COMMIT;\n' 1>&"$to_sqlite" 2>/dev/null || true
  exec {to_sqlite}>&-
  wait "$pid" 2>/dev/null || rc=1
  exec {from_sqlite}<&-
  if [ "$rc" -ne 0 ]; then
    rm -f -- "$tmp"
    warn "sqlite3 could not back up $db"
    return 1
  fi
  if [ ! -s "$tmp" ] && [ -s "$db-wal" ]; then
    warn "the WAL of $db could not be checkpointed (another process holds an older snapshot open; 'fuser -v $db' names it): backing up with VACUUM INTO instead"
    rm -f -- "$tmp"
    sqlite_backup_online "$db" "$dest"
    return
  fi
  # The copy is complete: as large as the file it was taken from.
  { [ -s "$tmp" ] && [ "$(stat -c %s "$tmp")" = "$(stat -c %s "$db")" ]; } || {
    warn "the copy of $db is missing or incomplete"
    rm -f -- "$tmp"
    return 1
  }
  sqlite_keep_backup "$tmp" "$dest"
}

# sqlite_backup_online <db> <dest>: the app is running and may be writing: VACUUM INTO
# takes one consistent read snapshot (the CLI's .backup restarts forever under writes).
# Into a directory of its own (mktemp -d, 0700) beside <dest>, so the SQL names a
# constant file, `copy.db`, relative to it: the destination's path is never pasted
# into SQL. The copy is made under umask 077 (0600).
sqlite_backup_online() {
  local db=$1 dest=$2 dir busy
  sqlite_refuse_links "$db" || return 1
  busy=$(sqlite_busy_ms 10000) || return 1
  dir=$(mktemp -d -- "$dest.partial.XXXXXX") || {
    warn "cannot create a temp directory beside $dest"
    return 1
  }
  if ! (cd -- "$dir" && umask 077 &&
    exec timeout "${BACKUP_TIMEOUT:-1800}" sqlite3 -batch -bail -cmd ".timeout $busy" "$db" "VACUUM INTO 'copy.db';" >/dev/null); then
    rm -rf -- "$dir"
    warn "VACUUM INTO could not back up $db"
    return 1
  fi
  if sqlite_keep_backup "$dir/copy.db" "$dest"; then
    rm -rf -- "$dir"
    return 0
  fi
  rm -rf -- "$dir"
  return 1
}

# sqlite_busy_ms <default>: SQLITE_BUSY_MS (how long SQLite waits for a lock), checked to
# be a number of milliseconds: it becomes sqlite3's `.timeout` argument.
sqlite_busy_ms() {
  local ms=${SQLITE_BUSY_MS:-$1}
  [[ $ms =~ ^[0-9]{1,7}$ ]] || {
    warn "SQLITE_BUSY_MS $(printf '%q' "$ms") is not a number of milliseconds"
    return 1
  }
  printf '%s' "$ms"
}

# sqlite_keep_backup <temp> <dest>: a sound copy becomes <dest>, 0600; else it goes.
sqlite_keep_backup() {
  sqlite_check "$1" || {
    rm -f -- "$1"
    return 1
  }
  chmod 600 -- "$1"
  mv -f -- "$1" "$2"
}

# sqlite_check <file> [quick_check|integrity_check]: the file is a sound SQLite
# database; else say why (the first lines of SQLite's answer) and return 1.
sqlite_check() {
  local check=${2:-quick_check} result
  [ -s "$1" ] || {
    warn "$1 is missing or empty"
    return 1
  }
  # One of two constant statements, never a value pasted into SQL.
  case "$check" in
    quick_check) result=$(sqlite3 "$1" "PRAGMA quick_check;" 2>&1) || result="sqlite3 could not open it: $result" ;;
    integrity_check) result=$(sqlite3 "$1" "PRAGMA integrity_check;" 2>&1) || result="sqlite3 could not open it: $result" ;;
    *)
      warn "sqlite_check: $(printf '%q' "$check") is not quick_check or integrity_check"
      return 1
      ;;
  esac
  [ "$result" = ok ] || {
    warn "$1 fails $check: $(head -n 3 <<<"$result" | paste -sd ' ' -)"
    return 1
  }
}

# sqlite_restore <backup> <db>: nothing may have the DB open. The backup is checked,
# then put back (sqlite_put_back).
sqlite_restore() {
  sqlite_check "$1" || return 1
  sqlite_put_back "$1" "$2"
}

# sqlite_put_back <checked backup, or - for stdin> <db>: the copy goes to a new name
# beside the DB, created exclusively (copy_exclusive: a link planted there is refused,
# never followed) with the DB's mode (0644 when there is none yet), then renamed over
# it. Stale -wal/-shm go first: a leftover -wal would be replayed over the restored
# file. (The helper container passes the backup on stdin: its owner-uid side cannot
# open the deploy user's 0600 file, the root side opens it.)
sqlite_put_back() {
  local backup=$1 db=$2 tmp mode=644
  sqlite_refuse_links "$db" || return 1
  if [ -e "$db" ]; then mode=$(stat -c %a -- "$db"); fi
  tmp=$(mktemp -u -- "$db.restoring.XXXXXXXX")
  copy_exclusive "$backup" "$tmp" "$mode" || {
    warn "could not write the restored copy of $db at $tmp (disk full, or that name appeared meanwhile)"
    rm -f -- "$tmp"
    return 1
  }
  rm -f -- "$db-wal" "$db-shm"
  mv -f -- "$tmp" "$db"
}

# The schema cookie: changes whenever any migration changes the schema. (Opening a WAL
# database writes its -shm: refused through a link.)
sqlite_schema_version() {
  sqlite_refuse_links "$1" || return 1
  [ -f "$1" ] && sqlite3 "$1" "PRAGMA busy_timeout=5000; PRAGMA schema_version;" 2>/dev/null | tail -n1 || echo 0
}

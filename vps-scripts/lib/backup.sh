# shellcheck shell=bash
# The `backup` phase: the database set, consistent and checked (docs/design.md §2), into
# <env>/backups/ (lib/database-set.sh names the set's files; lib/sqlite.sh copies one file).

# backup_databases <name> <db…>: back up the stopped set to
# <env>/backups/<time>-<name>.db (+ .1, .2 …), each copy checked, and note the set's
# first file in $WORK/backup (the ledger's `backup`, and what a failed run puts back).
backup_databases() {
  local name=$1 dest i=0 db member bytes=0 files=0
  shift
  dest="$ENV_DIR/backups/$(date -u +%Y%m%dT%H%M%SZ)-$name.db"
  private_dir "$ENV_DIR/backups"
  for db in "$@"; do
    member=$(backup_member "$dest" "$i")
    if db_present "$db"; then
      db_backup stopped "$db" "$member"
      bytes=$((bytes + $(stat -c %s "$member")))
      files=$((files + 1))
    elif [ "$i" -eq 0 ]; then
      fail "$EXIT_ERROR" "the database $(db_label "$db") is missing: nothing to name the backup set by"
    else
      say "no $(db_label "$db") yet: the set records it as absent"
    fi
    i=$((i + 1))
  done
  printf '%s\n' "$dest" >"$WORK/backup"
  say "backup $dest ($files of $# file(s), $bytes bytes, quick_check ok)"
}

# backup_databases_online <dest first file> <db…>: the same set while the app runs
# (VACUUM INTO: one consistent read snapshot per file).
backup_databases_online() {
  local dest=$1 i=0 db
  shift
  for db in "$@"; do
    if db_present "$db"; then db_backup online "$db" "$(backup_member "$dest" "$i")"; fi
    i=$((i + 1))
  done
}

# backup_databases_present <name> <db…>: backup_databases, or — when the set's first file
# does not exist yet (a first deploy; a restore onto an environment that has none) — say
# so and back up nothing ($WORK/backup stays empty: there is nothing to put back).
backup_databases_present() {
  if ! db_present "$2"; then
    say "no database at $(db_label "$2") yet: nothing to back up"
    return 0
  fi
  backup_databases "$@"
}

# shellcheck shell=bash
# The `check` phase (berth sync): the database set in place passes integrity_check.

# check_databases <scratch dir> <dbs…>: PRAGMA integrity_check on each present file; one
# behind the SQLite helper is checked on a stopped copy made in <scratch dir>.
check_databases() {
  local scratch=$1 db i=0 copy
  shift
  for db in "$@"; do
    if ! db_present "$db"; then
      say "$(db_label "$db"): absent"
    elif db_via_helper "$db"; then
      copy="$scratch/check.$i.db"
      db_backup stopped "$db" "$copy" || return 1
      sqlite_check "$copy" integrity_check || return 1
      rm -f -- "$copy"
    else
      sqlite_check "$db" integrity_check || return 1
    fi
    i=$((i + 1))
  done
  say "the database set passes integrity_check"
}

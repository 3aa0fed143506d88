# shellcheck shell=bash
# The `restore` phase: a backup set put back (a failed deploy's recovery, rollback
# --restore-db, berth restore).

# restore_databases <bundle whose containers may hold the DBs> <first file> <absent: remove|keep> <db…>:
# put the set back. A member the set does not hold is removed (`remove`: it was created
# after the set was taken, e.g. by the failed migration) or left as it is (`keep`).
restore_databases() {
  local bundle=$1 first=$2 absent=$3 i=0 db member
  shift 3
  check_backup_set "$first" quick_check "$@" || return 1
  compose "$bundle" stop
  for db in "$@"; do
    member=$(backup_member "$first" "$i")
    if [ -e "$member" ]; then
      db_restore "$member" "$db"
    elif [ "$absent" = remove ]; then
      db_remove "$db"
      say "removed $(db_label "$db") (it did not exist when $first was taken)"
    else
      warn "$first holds no copy of $(db_label "$db"): left as it is"
    fi
    i=$((i + 1))
  done
  say "database set restored from $first"
}

# discard_new_databases <bundle> <db…>: a first deploy failed: remove what its migration created.
discard_new_databases() {
  local bundle=$1 db
  shift
  compose "$bundle" stop
  for db in "$@"; do db_remove "$db"; done
  say "removed the database files the failed first migration created"
}

# replace_databases <bundle whose containers may hold the DBs> <first file> <db…>: the
# `restore` phase of rollback --restore-db and berth restore: the live set is replaced
# by a backup set ($WORK/restored marks it, so a failure after it puts the set saved
# by the backup phase back); a member the backup set does not hold is left as it is.
replace_databases() {
  local bundle=$1 first=$2
  shift 2
  touch "$WORK/restored"
  restore_databases "$bundle" "$first" keep "$@"
}

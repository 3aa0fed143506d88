# shellcheck shell=bash
# The `snapshot` phase (berth sync): an online, consistent copy of another environment's
# database set, taken while it keeps serving.

# snapshot_databases <dest> <from env dir> <from env> <from sha> <dbs…>: the set at
# <dest> (backup_databases_online: VACUUM INTO), checked with integrity_check. Taken
# under <from env>'s lock for that moment only, so no deploy of it is half-way.
snapshot_databases() {
  local dest=$1 from_dir=$2 from=$3 from_sha=$4 to=$ENV_NAME rc=0
  shift 4
  ENV_DIR=$from_dir ENV_NAME=$from try_lock "$from_sha" "sync to $to (snapshot)" || {
    warn "$LOCK_REFUSAL"
    return 1
  }
  private_dir "$(dirname -- "$dest")"
  backup_databases_online "$dest" "$@" || rc=$?
  rm -f -- "$from_dir/lock.holder"
  exec 9>&-
  [ "$rc" -eq 0 ] || return "$rc"
  check_backup_set "$dest" integrity_check "$@"
  say "snapshot of $from ($(backup_set_files "$dest" | wc -l) file(s), $(databases_bytes "$@") bytes live) passes integrity_check"
}

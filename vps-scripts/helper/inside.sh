#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/..
# berth's SQLite helper, inside its container (docs/ops/where-is-my-database.md).
#
#   inside.sh probe <rel>                          present|absent|link <bytes> <uid:gid> (tab-separated)
#   inside.sh backup stopped|online <rel> <uid:gid> the checked copy at $SCRATCH/db, 0600, owned by <uid:gid>
#   inside.sh restore <rel>                        put the backup on stdin back (checked by the caller)
#   inside.sh remove <rel>                         the database, its -wal and -shm
#   inside.sh schema-version <rel>                 its schema cookie (0 when absent)
#
# The container starts as root with a few capabilities (vps-scripts/lib/sqlite-helper.sh),
# the database's directory or named volume at $VOLUME (/v), a scratch directory of the
# deploy user at $SCRATCH (/x), and berth's scripts read-only at /berth. Every SQLite
# operation, copy and rename in the volume runs as the uid:gid that owns the database
# (setpriv), so the files the app finds afterwards (-wal, -shm, a restored file) are its
# own; the root side only opens the backup a restore reads (stdin) and hands the copy a
# backup made to the deploy user (chown). The work itself is lib/sqlite.sh's, with its
# guarantees: links refused, exclusive creates, quick_check before a copy is kept.
#
# Exit codes: 0 done; 1 failed (the reason on stderr); 2 refused (a link, a bad name).
set -euo pipefail
BERTH_SCRIPTS=${BERTH_SCRIPTS:-/berth}
# shellcheck source=lib/common.sh
. "$BERTH_SCRIPTS/lib/common.sh"
# shellcheck source=lib/sqlite.sh
. "$BERTH_SCRIPTS/lib/sqlite.sh"
VOLUME=${HELPER_VOLUME:-/v}
SCRATCH=${HELPER_SCRATCH:-/x}
PHASE=${PHASE:-sqlite-helper}
# The log goes to stderr: stdout carries answers.
exec 3>&1 1>&2

op=${1:-}
[ $# -ge 2 ] || fail "$EXIT_ERROR" "usage: inside.sh probe|backup|restore|remove|schema-version … <path in the volume>"
rel_arg() {
  [[ $1 =~ ^[A-Za-z0-9_][A-Za-z0-9_./-]*$ && ! $1 =~ (^|/)\.\.(/|$) ]] ||
    fail "$EXIT_REFUSED" "$(printf '%q' "$1") is not a path inside the volume (letters, digits, _ . - /)"
  DB="$VOLUME/$1"
  # A directory on the way that is a link would lead the owner's writes out of the volume.
  [ "$(realpath -m -- "$(dirname -- "$DB")")" = "$(dirname -- "$DB")" ] ||
    fail "$EXIT_REFUSED" "$(dirname -- "$1") in the volume is, or passes through, a symbolic link: berth never writes a database through a link. Put the real directory in its place, then run again"
}

# owner: the uid:gid of the database, else of the nearest directory holding it.
owner() {
  local p=$DB
  until [ -e "$p" ] || [ "$p" = "$VOLUME" ]; do p=$(dirname -- "$p"); done
  stat -c %u:%g -- "$p"
}

# as_owner <uid:gid> <op> <args…>: this script again, as that uid and gid, no other groups.
as_owner() {
  local who=$1
  shift
  setpriv --reuid="${who%:*}" --regid="${who#*:}" --clear-groups -- bash "$0" "$@" >&3
}

case "$op" in
  probe)
    rel_arg "$2"
    for f in "$DB" "$DB-wal" "$DB-shm" "$DB-journal"; do
      if [ -L "$f" ]; then
        printf 'link\t%s\t0\t%s\n' "${f#"$VOLUME"/}" "$(stat -c %u:%g -- "$f")" >&3
        exit 0
      fi
    done
    if [ -f "$DB" ]; then
      printf 'present\t%s\t%s\t%s\n' "$2" "$(stat -c %s -- "$DB")" "$(owner)" >&3
    else
      printf 'absent\t%s\t0\t%s\n' "$2" "$(owner)" >&3
    fi
    ;;
  backup)
    if [ $# -ne 4 ] || [[ ! $2 =~ ^(stopped|online)$ ]] || [[ ! $4 =~ ^[0-9]+:[0-9]+$ ]]; then
      fail "$EXIT_ERROR" "usage: inside.sh backup stopped|online <rel> <uid:gid>"
    fi
    rel_arg "$3"
    who=$(owner)
    # The owner writes the copy into the scratch directory, which is its own meanwhile
    # (inside the deploy user's 0700 backups/, so no one else can reach it); then the
    # copy and the directory go back to the deploy user, 0600 and 0700, whatever happened.
    chown -- "$who" "$SCRATCH"
    rc=0
    as_owner "$who" _backup "$2" "$3" || rc=$?
    chown -R -- "$4" "$SCRATCH"
    chmod 700 -- "$SCRATCH"
    if [ -e "$SCRATCH/db" ]; then chmod 600 -- "$SCRATCH/db"; fi
    exit "$rc"
    ;;
  _backup)
    rel_arg "$3"
    if [ "$2" = stopped ]; then sqlite_backup_stopped "$DB" "$SCRATCH/db"; else sqlite_backup_online "$DB" "$SCRATCH/db"; fi
    ;;
  restore)
    rel_arg "$2"
    # stdin is the backup, opened by the caller; the owner reads it through this descriptor.
    as_owner "$(owner)" _restore "$2"
    ;;
  _restore)
    rel_arg "$2"
    sqlite_put_back - "$DB"
    ;;
  remove)
    rel_arg "$2"
    as_owner "$(owner)" _remove "$2"
    ;;
  _remove)
    rel_arg "$2"
    rm -f -- "$DB" "$DB-wal" "$DB-shm"
    ;;
  schema-version)
    rel_arg "$2"
    as_owner "$(owner)" _schema_version "$2"
    ;;
  _schema_version)
    rel_arg "$2"
    sqlite_schema_version "$DB" >&3
    ;;
  *) fail "$EXIT_ERROR" "unknown operation $(printf '%q' "$op")" ;;
esac

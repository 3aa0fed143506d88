# shellcheck shell=bash
# The release's SQLite files as ONE set (Rails keeps primary, queue and cache apart):
# backed up, checked and restored together. A backup set is named by its first file,
# <env>/backups/<time>-<name>.db; the set's other members sit beside it as
# <that name>.1, .2 … in the order release.json lists the databases. A member that did
# not exist when the set was taken has no file.

# release_databases <bundle>: the release's SQLite files, one per line: a host path, or
# <volume>:<path in the volume> for a file in a named volume (lib/sqlite-helper.sh). A
# bundle from before sets has .database.path.
release_databases() {
  jq -r '(.databases // [.database.path // empty])[] | if type == "object" then "\(.volume):\(.path)" else . end' "$1/release.json"
}

# backup_member <first file of the set> <index>: the file holding member <index>.
backup_member() {
  if [ "$2" -eq 0 ]; then printf '%s\n' "$1"; else printf '%s.%s\n' "$1" "$2"; fi
}

# backup_set_files <first file>: every file of the set that exists, one per line.
backup_set_files() {
  local f
  [ ! -e "$1" ] || printf '%s\n' "$1"
  for f in "$1".[0-9]*; do
    if [[ ${f#"$1".} =~ ^[0-9]+$ ]] && [ -e "$f" ]; then printf '%s\n' "$f"; fi
  done
}

# check_databases_present <has a current release: yes|no> <db…>: a configured file that
# is missing while a release serves means a wrong path (often the path inside the
# container, not on the host): refuse before anything changes. On a first deploy the
# files may not exist yet, but the first one must exist if any other does (it names
# the backup set).
check_databases_present() {
  local current=$1 db missing=() present=0
  shift
  [ $# -gt 0 ] || return 0
  # A named volume, or a file the deploy user cannot write, goes through the SQLite
  # helper (lib/sqlite-helper.sh): its image must be there before anything changes.
  for db in "$@"; do
    db_via_helper "$db" || continue
    helper_image >/dev/null || fail "$EXIT_REFUSED" "$(db_label "$db") needs berth's SQLite helper container, and its image is not available (the reason is above); nothing was changed"
    break
  done
  local first=yes
  for db in "$@"; do
    if db_present "$db"; then
      present=$((present + 1))
      if db_via_helper "$db" && ! db_in_volume "$db"; then
        say "$db is $(stat -c '%U:%G %a' -- "$db") in a directory $(id -un) cannot write to as needed ($(stat -c '%U:%G %a' -- "$(dirname -- "$db")")): berth backs it up and restores it in its SQLite helper container, as that owner"
      fi
    else
      missing+=("$(db_label "$db")")
      if [ "$first" = yes ]; then first=missing; fi
    fi
    [ "$first" = missing ] || first=no
  done
  if [ "$current" = yes ] && [ "$first" = missing ]; then
    if db_in_volume "$1"; then
      fail "$EXIT_REFUSED" "the database $(db_label "$1") is configured but missing while a release is current: is the volume's name right (docker volume ls), and the file's path inside it? 'berth check' shows how berth.yml's path maps"
    fi
    fail "$EXIT_REFUSED" "the database $1 is configured but missing on this server while a release is current; is it the path inside the container? berth.yml's database paths are host paths (absolute, or relative to $ENV_DIR) where the compose file's volume keeps the file, or the path the app sees — 'berth check' shows how each one maps"
  fi
  if [ "$current" = no ] && [ "$first" = missing ] && [ "$present" -gt 0 ]; then
    fail "$EXIT_REFUSED" "the first database $(db_label "$1") is missing but $present other configured file(s) exist; list an existing database first in berth.yml's database.paths"
  fi
  if [ ${#missing[@]} -gt 0 ] && [ "$current" = yes ]; then
    warn "not on the server yet (this release's migration may create them): ${missing[*]}"
  fi
  return 0
}

# databases_bytes <db…>: their total size in bytes (missing files count 0).
databases_bytes() {
  local db total=0
  for db in "$@"; do total=$((total + $(db_bytes "$db"))); done
  printf '%s\n' "$total"
}

# schema_versions <db…>: each file's schema cookie, one line per file (0 when absent):
# any change means a migration changed some schema.
schema_versions() {
  local db
  for db in "$@"; do db_schema_version "$db"; done
}

# check_backup_set <first file> <check> <db…>: every member the set holds passes the check.
check_backup_set() {
  local first=$1 check=$2 i=0 db member
  shift 2
  for db in "$@"; do
    member=$(backup_member "$first" "$i")
    if [ -e "$member" ]; then sqlite_check "$member" "$check" || return 1; fi
    i=$((i + 1))
  done
}

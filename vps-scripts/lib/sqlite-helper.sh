# shellcheck shell=bash
# The release's SQLite files wherever compose keeps them (docs/ops/where-is-my-database.md).
#
# release.json lists each database as a host path, or as {volume, path} for a file in a
# named volume; release_databases prints the latter as `<volume>:<path in the volume>`
# (a host path starts with /, a volume name never does). The deploy user cannot reach a
# named volume (/var/lib/docker/volumes is root's), nor write a bind-mounted file the
# app's uid owns: those go through berth's SQLite helper, a short-lived container of
# berth's own image (helper/Dockerfile: Debian + sqlite3; never the app's image) that
# mounts the volume or the file's directory and runs lib/sqlite.sh's functions there as
# the uid that owns the database (helper/inside.sh). Backups still land in the deploy
# user's <env>/backups/, 0600, so restore, rollback and the rehearsal read them as before.
#
# The db_* functions take either form and do what lib/sqlite.sh does on a host path.

# db_label <ref>: how the log names it.
db_label() {
  if db_in_volume "$1"; then printf 'volume %s, file %s' "${1%%:*}" "${1#*:}"; else printf '%s' "$1"; fi
}
db_in_volume() { [[ $1 != /* ]]; }

# valid_db_ref <ref>: a host path, or <Docker volume name>:<relative path, no ..>.
valid_db_ref() {
  if db_in_volume "$1"; then
    [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}:[A-Za-z0-9_][A-Za-z0-9_./-]*$ && ! ${1#*:} =~ (^|/)\.\.(/|$) ]]
  else
    valid_path "$1"
  fi
}

# db_via_helper <ref>: 0 when berth must use the helper: a named volume, or a host file
# (or, before it exists, its directory) the deploy user cannot write — owned by the
# container's uid, typically. The preflight and every later phase decide alike.
db_via_helper() {
  db_in_volume "$1" && return 0
  local dir
  dir=$(dirname -- "$1")
  [ -d "$dir" ] || return 1
  if [ -e "$1" ]; then [ ! -w "$1" ] || [ ! -w "$dir" ]; else [ ! -w "$dir" ]; fi
}

# --- the helper image -------------------------------------------------------------------

# helper_base: the image the helper is built FROM: <root>/sqlite-helper.base when the
# operator wrote one (a server without internet: a local image that has sqlite3), else
# the Dockerfile's pinned digest.
helper_base() { if [ -s "$BERTH_ROOT/sqlite-helper.base" ]; then head -n1 -- "$BERTH_ROOT/sqlite-helper.base" | tr -d '[:space:]'; fi; }

# helper_tag: berth-sqlite-helper:<12 hex over the Dockerfile and the base>: a new
# Dockerfile or base builds a new image; the same ones reuse it.
helper_tag() {
  printf 'berth-sqlite-helper:%s' "$({
    cat -- "$BERTH_SCRIPTS/helper/Dockerfile"
    helper_base
  } | sha256sum | cut -c1-12)"
}

# helper_image: the helper's image ID (sha256:…), built first if this server has none
# for this Dockerfile and base. The ID, not the tag, is what runs, and it is kept in
# $WORK for the run's later phases. Returns 1 (saying why) when it cannot be built.
helper_image() {
  local tag id base args=()
  if [ -n "${WORK:-}" ] && [ -s "$WORK/sqlite-helper.image" ]; then
    cat -- "$WORK/sqlite-helper.image"
    return 0
  fi
  tag=$(helper_tag)
  if ! id=$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null); then
    base=$(helper_base)
    [ -z "$base" ] || args=(--build-arg "BASE=$base")
    say "building berth's SQLite helper image $tag${base:+ from $base} (once per server and Dockerfile)" >&2
    { exec 7>>"$BERTH_ROOT/.sqlite-helper.lock"; } 2>/dev/null ||
      {
        warn "cannot open $BERTH_ROOT/.sqlite-helper.lock to build berth's SQLite helper image" >&2
        return 1
      }
    flock -w 900 7 || {
      warn "another build of the SQLite helper held $BERTH_ROOT/.sqlite-helper.lock for 15 minutes" >&2
      return 1
    }
    if ! docker image inspect "$tag" >/dev/null 2>&1 &&
      ! timeout "${HELPER_BUILD_TIMEOUT:-900}" docker build --quiet "${args[@]}" --label berth.helper=sqlite -t "$tag" "$BERTH_SCRIPTS/helper" >/dev/null; then
      warn "could not build berth's SQLite helper image from $BERTH_SCRIPTS/helper/Dockerfile${base:+ on $base}: docker's reason is above. On a server without internet, write the name of a local image that has sqlite3 into $BERTH_ROOT/sqlite-helper.base (docs/ops/where-is-my-database.md)" >&2
      exec 7>&-
      return 1
    fi
    exec 7>&-
    id=$(docker image inspect --format '{{.Id}}' "$tag")
  fi
  [[ $id =~ ^sha256:[0-9a-f]{64}$ ]] || {
    warn "the SQLite helper image $tag has no sha256 ID ($id)" >&2
    return 1
  }
  if [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then printf '%s\n' "$id" >"$WORK/sqlite-helper.image"; fi
  printf '%s\n' "$id"
}

# --- running it -------------------------------------------------------------------------

# helper_run <ref> <scratch dir|-> <backup file|-> <operation> <args…>: one short-lived
# helper container: the ref's volume (or its host directory) at /v, the scratch
# directory at /x, berth's scripts read-only at /berth; no network; root with only the
# capabilities to become the owner and hand a copy to the deploy user. With a backup
# file, the container's stdin is that file (opened here, by the deploy user).
helper_run() {
  local ref=$1 scratch=$2 backup=$3 image args=()
  shift 3
  image=$(helper_image) || return 1
  if db_in_volume "$ref"; then
    args+=(--mount "type=volume,source=${ref%%:*},target=/v")
  else
    args+=(--mount "type=bind,source=$(dirname -- "$ref"),target=/v")
  fi
  [ "$scratch" = - ] || args+=(--mount "type=bind,source=$scratch,target=/x")
  if [ "$backup" = - ]; then
    docker run --rm --network none --cap-drop ALL --cap-add CHOWN --cap-add DAC_OVERRIDE --cap-add FOWNER \
      --cap-add SETUID --cap-add SETGID --security-opt no-new-privileges --read-only --tmpfs /tmp \
      --label berth.helper=sqlite \
      -e "BACKUP_TIMEOUT=${BACKUP_TIMEOUT:-1800}" -e "SQLITE_BUSY_MS=${SQLITE_BUSY_MS:-}" -e "PHASE=$PHASE" \
      --mount "type=bind,source=$BERTH_SCRIPTS,target=/berth,readonly" "${args[@]}" \
      "$image" bash /berth/helper/inside.sh "$@" </dev/null
  else
    docker run -i --rm --network none --cap-drop ALL --cap-add CHOWN --cap-add DAC_OVERRIDE --cap-add FOWNER \
      --cap-add SETUID --cap-add SETGID --security-opt no-new-privileges --read-only --tmpfs /tmp \
      --label berth.helper=sqlite \
      -e "BACKUP_TIMEOUT=${BACKUP_TIMEOUT:-1800}" -e "SQLITE_BUSY_MS=${SQLITE_BUSY_MS:-}" -e "PHASE=$PHASE" \
      --mount "type=bind,source=$BERTH_SCRIPTS,target=/berth,readonly" "${args[@]}" \
      "$image" bash /berth/helper/inside.sh "$@" <"$backup"
  fi
}

# helper_rel <ref>: the file's path below the helper's /v.
helper_rel() { if db_in_volume "$1"; then printf '%s' "${1#*:}"; else basename -- "$1"; fi; }

# db_probe <ref>: "present|absent|link <path> <bytes> <uid:gid>" (tab-separated), as
# inside.sh prints it; a volume that does not exist yet is absent (never created here:
# compose creates it, with its labels).
db_probe() {
  if db_in_volume "$1" && ! docker volume inspect "${1%%:*}" >/dev/null 2>&1; then
    printf 'absent\t%s\t0\t-\n' "${1#*:}"
    return 0
  fi
  helper_run "$1" - - probe "$(helper_rel "$1")"
}

# --- the operations lib/sqlite.sh does on a host path ----------------------------------

# db_present <ref>: the database file exists.
db_present() {
  if db_via_helper "$1"; then [ "$(db_probe "$1" | cut -f1)" = present ]; else [ -f "$1" ]; fi
}

# db_bytes <ref>: its size (0 when absent).
db_bytes() {
  if db_via_helper "$1"; then
    db_probe "$1" | cut -f3
  elif [ -f "$1" ]; then stat -c %s -- "$1"; else echo 0; fi
}

# db_refuse_links <ref…>: as sqlite_refuse_links, for either form.
db_refuse_links() {
  local ref probe
  for ref in "$@"; do
    if db_via_helper "$ref"; then
      probe=$(db_probe "$ref") || return 1
      if [ "$(cut -f1 <<<"$probe")" = link ]; then
        warn "$(cut -f2 <<<"$probe") in $(db_label "$ref") is a symbolic link: berth never opens or writes a database through a link in a place the app can write. Put the real file in its place, then run again"
        return 1
      fi
    else
      sqlite_refuse_links "$ref" || return 1
    fi
  done
}

# db_backup <stopped|online> <ref> <dest>: as sqlite_backup_stopped / _online: the
# checked copy, 0600, at <dest> in the deploy user's backups/. Through the helper, the
# copy is made in a scratch directory beside <dest> and renamed into place here.
db_backup() {
  local mode=$1 ref=$2 dest=$3 scratch rc=0
  if ! db_via_helper "$ref"; then
    if [ "$mode" = stopped ]; then sqlite_backup_stopped "$ref" "$dest"; else sqlite_backup_online "$ref" "$dest"; fi
    return
  fi
  scratch=$(mktemp -d -- "$(dirname -- "$dest")/.helper.XXXXXX") || {
    warn "cannot create a scratch directory beside $dest"
    return 1
  }
  helper_run "$ref" "$scratch" - backup "$mode" "$(helper_rel "$ref")" "$(id -u):$(id -g)" || rc=$?
  if [ "$rc" -eq 0 ] && [ -s "$scratch/db" ] && [ -O "$scratch/db" ]; then
    chmod 600 -- "$scratch/db"
    mv -f -- "$scratch/db" "$dest"
  elif [ "$rc" -eq 0 ]; then
    warn "the helper's copy of $(db_label "$ref") is missing or not the deploy user's"
    rc=1
  else
    warn "the SQLite helper could not back up $(db_label "$ref") (exit $rc)"
  fi
  rm -rf -- "$scratch" || warn "could not remove $scratch"
  return "$rc"
}

# db_restore <backup> <ref>: as sqlite_restore: the backup checked here (the deploy
# user's file, with the host's sqlite3), then put back by the database's owner.
db_restore() {
  local backup=$1 ref=$2
  db_via_helper "$ref" || {
    sqlite_restore "$backup" "$ref"
    return
  }
  sqlite_check "$backup" || return 1
  helper_run "$ref" - "$backup" restore "$(helper_rel "$ref")" ||
    {
      warn "the SQLite helper could not restore $(db_label "$ref") from $backup"
      return 1
    }
}

# db_remove <ref>: the database, its -wal and -shm, gone.
db_remove() {
  if db_via_helper "$1"; then
    if db_in_volume "$1" && ! docker volume inspect "${1%%:*}" >/dev/null 2>&1; then return 0; fi
    helper_run "$1" - - remove "$(helper_rel "$1")"
  else
    rm -f -- "$1" "$1-wal" "$1-shm"
  fi
}

# db_schema_version <ref>: as sqlite_schema_version.
db_schema_version() {
  if db_via_helper "$1"; then
    if db_in_volume "$1" && ! docker volume inspect "${1%%:*}" >/dev/null 2>&1; then
      echo 0
      return 0
    fi
    helper_run "$1" - - schema-version "$(helper_rel "$1")"
  else
    sqlite_schema_version "$1"
  fi
}

# shellcheck shell=bash
# The `rehearse` phase (docs/design.md §3): before anything changes, run the new
# release's migrate command against an online snapshot of the database set, in a
# one-off container whose database directories are the snapshot's. A migration that
# fails here is refused with nothing changed and no downtime; one that changes
# nothing lets the maintenance window skip the migration.
#
# Where the app sees each database is read from the running containers of the current
# release (docker inspect's Mounts): the bind mount whose host source holds the file, or
# the named volume that holds it. The snapshot directory replaces exactly those mounts (compose merges a service's
# volumes by container path), so a migration that writes elsewhere is not contained:
# the rehearsal proves the database migration, nothing more.

# rehearse_mounts <project> <service> <db…>: "<source>\t<container dir>" for each
# distinct mount that holds one of the databases, from a running container of the
# service — the source is "<host dir>/" for a bind mount, "<volume>:" for a named volume
# (so a database's ref starts with its mount's source); nothing (and 1) when no
# container runs or a database is in no mount.
rehearse_mounts() {
  local project=$1 service=$2 cid mounts db found
  shift 2
  cid=$(docker ps -q --filter "label=com.docker.compose.project=$project" \
    --filter "label=com.docker.compose.service=$service" --filter "label=com.docker.compose.oneoff=False" | head -n1)
  [ -n "$cid" ] || return 1
  mounts=$(docker inspect --format '{{json .Mounts}}' "$cid")
  for db in "$@"; do
    found=$(jq -r --arg db "$db" '[.[] | select((.Type == "bind" and (.Source as $s | $db | startswith($s + "/")))
        or (.Type == "volume" and (.Name as $n | $db | startswith($n + ":"))))
        | {source: (if .Type == "bind" then .Source + "/" else .Name + ":" end), Destination}]
      | sort_by(.source | length) | last | select(. != null) | "\(.source)\t\(.Destination)"' <<<"$mounts")
    [ -n "$found" ] || return 1
    printf '%s\n' "$found"
  done | sort -u
}

# database_fingerprint <db>: what a migration could change: the schema, user_version and
# every row (a dump), hashed. A lock row set and cleared again (knex) leaves it unchanged.
database_fingerprint() {
  {
    sqlite3 -readonly "$1" "PRAGMA user_version;"
    sqlite3 -readonly "$1" .dump
  } | sha256sum | cut -d' ' -f1
}

rehearse_skip() {
  printf 'skipped\n' >"$1/result"
  printf '%s\n' "$2" >"$1/why"
  say "rehearsal skipped: $2"
}

# rehearse_migration <bundle> <current bundle> <out dir> <db…>: snapshot, migrate the
# snapshot, compare. Writes <out>/result (changed|unchanged|skipped) and <out>/why.
# Returns non-zero when the migration itself fails (its output is in the log).
rehearse_migration() {
  local bundle=$1 current_bundle=$2 out=$3 svc project dir mounts host target db rel i=0 cmd rc volumes=()
  shift 3
  mkdir -p "$out"
  if ! jq -e '.migrate' "$bundle/release.json" >/dev/null; then
    rehearse_skip "$out" "no migrate command"
    return 0
  fi
  if [ $# -eq 0 ]; then
    rehearse_skip "$out" "no database configured"
    return 0
  fi
  if [ -z "$current_bundle" ] || ! db_present "$1"; then
    rehearse_skip "$out" "no database yet (first deploy)"
    return 0
  fi
  svc=$(manifest "$bundle" .migrate.service)
  project=$(slot_project "$current_bundle" "${SLOT:-a}")
  if ! mounts=$(rehearse_mounts "$project" "$svc" "$@"); then
    rehearse_skip "$out" "no running $svc container of the current release shows where the databases are mounted"
    return 0
  fi
  dir="$out/snapshot"
  mkdir -p "$dir"
  # The container may run as any uid: the scratch copies are writable by it.
  chmod 0777 "$dir"
  while IFS=$'\t' read -r host target; do
    i=$((i + 1))
    mkdir -p "$dir/$i"
    chmod 0777 "$dir/$i"
    volumes+=("$dir/$i:$target")
    for db in "$@"; do
      case "$db" in "$host"*) ;; *) continue ;; esac
      db_present "$db" || continue
      rel=${db#"$host"}
      mkdir -p "$(dirname "$dir/$i/$rel")"
      chmod 0777 "$(dirname "$dir/$i/$rel")"
      db_backup online "$db" "$dir/$i/$rel"
      chmod 0666 "$dir/$i/$rel"
      database_fingerprint "$dir/$i/$rel" >"$dir/$i/$rel.before"
    done
  done <<<"$mounts"
  # JSON is YAML: jq quotes every path. The main file's version: is repeated (compose v1
  # refuses to merge files of mixed versions).
  jq -n --arg svc "$svc" --arg version "$(compose_file_version "$bundle")" '
    (if $version == "" then {} else {version: $version} end)
    + {services: {($svc): {volumes: $ARGS.positional}}}' --args "${volumes[@]}" >"$out/compose.rehearse.json"
  mapfile -t cmd < <(jq -r '.migrate.command[]' "$bundle/release.json")
  say "rehearsing ${cmd[*]} in a one-off $svc container of the new release, on a snapshot of ${#} database file(s)"
  set +e
  COMPOSE_OVERRIDE="$out/compose.rehearse.json" COMPOSE_TIMEOUT=${REHEARSE_TIMEOUT:-600} \
    compose "$bundle" run --rm --no-deps -T "$svc" "${cmd[@]}"
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    printf 'failed\n' >"$out/result"
    printf 'the migration exited %s on the snapshot\n' "$rc" >"$out/why"
    say "the migration failed on the snapshot (exit $rc): refusing this release; nothing was changed and the site kept serving"
    return "$rc"
  fi
  local changed=""
  while IFS= read -r -d '' before; do
    db=${before%.before}
    if [ ! -f "$db" ] || [ "$(database_fingerprint "$db")" != "$(cat "$before")" ]; then changed="${changed:+$changed, }${db#"$dir"/}"; fi
  done < <(find "$dir" -name '*.before' -print0)
  # A database file the migration created where there was none is a change too.
  while IFS= read -r -d '' db; do
    [ -f "$db.before" ] || changed="${changed:+$changed, }${db#"$dir"/} (new)"
  done < <(find "$dir" -type f ! -name '*.before' ! -name '*-wal' ! -name '*-shm' ! -name '*-journal' -print0)
  if [ -n "$changed" ]; then
    printf 'changed\n' >"$out/result"
    printf 'the migration changed %s\n' "$changed" >"$out/why"
    say "rehearsal: the migration changes the database ($changed): the maintenance path"
  else
    printf 'unchanged\n' >"$out/result"
    printf 'the migration changed nothing\n' >"$out/why"
    say "rehearsal: the migration changes nothing: it is not run again inside the maintenance window"
  fi
}

# rehearse_cleanup <out dir>: the snapshot may be large; the result files stay for the ledger.
# Files the container wrote as another uid may resist: say so, never fail the phase.
rehearse_cleanup() {
  rm -rf -- "$1/snapshot" 2>/dev/null || warn "could not remove all of $1/snapshot (files written by the container's uid); remove it by hand"
}

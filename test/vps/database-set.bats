#!/usr/bin/env bats
# Several SQLite files as one set (vps-scripts/lib/database-set.sh): backed up together
# under one name, checked, restored together; a file the set did not hold is removed
# when a failed migration created it, kept otherwise.

bats_require_minimum_version 1.5.0

setup() {
  export BERTH_SCRIPTS="$BATS_TEST_DIRNAME/../../vps-scripts"
  export BERTH_ROOT="$BATS_TEST_TMPDIR/root"
  mkdir -p "$BERTH_ROOT/staging/runs/t"
  # shellcheck source=../../vps-scripts/lib/runbook.sh
  . "$BERTH_SCRIPTS/lib/runbook.sh"
  # shellcheck disable=SC2034 # read by the functions runbook.sh defines
  ENV_NAME=staging
  ENV_DIR="$BERTH_ROOT/staging"
  WORK="$ENV_DIR/runs/t"
  # No containers here: the set's restore stops the release's writers through compose.
  # shellcheck disable=SC2317 # called by restore_databases
  compose() { :; }
  PRIMARY="$BATS_TEST_TMPDIR/storage/production.sqlite3"
  QUEUE="$BATS_TEST_TMPDIR/storage/production_queue.sqlite3"
  CACHE="$BATS_TEST_TMPDIR/storage/production_cache.sqlite3"
  mkdir -p "$BATS_TEST_TMPDIR/storage"
}

rows() { sqlite3 -readonly "$1" "SELECT group_concat(v) FROM t"; }
make_db() { sqlite3 "$1" "PRAGMA journal_mode=WAL; CREATE TABLE t(v TEXT); INSERT INTO t VALUES ('$2');" >/dev/null; }
refuses() {
  if "$@"; then
    echo "expected a refusal: $*"
    return 1
  fi
}

@test "a release's databases: the list, or an older bundle's single path" {
  mkdir -p "$BATS_TEST_TMPDIR/new" "$BATS_TEST_TMPDIR/old" "$BATS_TEST_TMPDIR/none"
  echo '{"databases": ["/a/one.db", "/a/two.db"]}' >"$BATS_TEST_TMPDIR/new/release.json"
  echo '{"database": {"path": "/a/one.db"}}' >"$BATS_TEST_TMPDIR/old/release.json"
  echo '{"database": null}' >"$BATS_TEST_TMPDIR/none/release.json"
  [ "$(release_databases "$BATS_TEST_TMPDIR/new" | paste -sd,)" = "/a/one.db,/a/two.db" ]
  [ "$(release_databases "$BATS_TEST_TMPDIR/old")" = "/a/one.db" ]
  [ -z "$(release_databases "$BATS_TEST_TMPDIR/none")" ]
}

@test "the set is backed up under one name, restored together, and a file it did not hold is removed or kept" {
  make_db "$PRIMARY" primary-v1
  make_db "$QUEUE" queue-v1
  backup_databases v1 "$PRIMARY" "$QUEUE" "$CACHE"
  first=$(cat "$WORK/backup")
  [ "$(rows "$first")" = primary-v1 ]
  [ "$(rows "$first.1")" = queue-v1 ]
  [ ! -e "$first.2" ] # the cache did not exist: recorded as absent
  [ "$(backup_set_files "$first" | wc -l)" -eq 2 ]

  # A migration changes both files and creates the cache DB, then fails.
  sqlite3 "$PRIMARY" "INSERT INTO t VALUES ('primary-v2')"
  sqlite3 "$QUEUE" "INSERT INTO t VALUES ('queue-v2')"
  make_db "$CACHE" cache-v2
  restore_databases bundle "$first" remove "$PRIMARY" "$QUEUE" "$CACHE"
  [ "$(rows "$PRIMARY")" = primary-v1 ]
  [ "$(rows "$QUEUE")" = queue-v1 ]
  [ ! -e "$CACHE" ]

  # A rollback keeps a file the set does not hold.
  make_db "$CACHE" cache-v3
  restore_databases bundle "$first" keep "$PRIMARY" "$QUEUE" "$CACHE"
  [ "$(rows "$CACHE")" = cache-v3 ]
}

@test "a damaged member refuses the whole set before anything is replaced" {
  make_db "$PRIMARY" primary-v1
  make_db "$QUEUE" queue-v1
  backup_databases v1 "$PRIMARY" "$QUEUE"
  first=$(cat "$WORK/backup")
  printf 'not a database' >"$first.1"
  sqlite3 "$PRIMARY" "INSERT INTO t VALUES ('primary-v2')"
  refuses restore_databases bundle "$first" remove "$PRIMARY" "$QUEUE"
  [ "$(rows "$PRIMARY")" = "primary-v1,primary-v2" ]
}

@test "a configured database missing while a release is current is refused, naming the container-path mistake" {
  make_db "$PRIMARY" primary-v1
  check_databases_present yes "$PRIMARY" "$QUEUE" # a new file for this release: allowed
  run -2 check_databases_present yes /rails/storage/production.sqlite3
  [[ $output == *"/rails/storage/production.sqlite3 is configured but missing"*"path inside the container"* ]]
  check_databases_present no "$QUEUE" "$CACHE" # first deploy, nothing yet
  run -2 check_databases_present no "$QUEUE" "$PRIMARY"
  [[ $output == *"list an existing database first"* ]]
}

@test "pruning removes a whole set, never its members alone" {
  mkdir -p "$ENV_DIR/backups"
  for i in 1 2 3; do
    make_db "$ENV_DIR/backups/2026010${i}T000000Z-r$i.db" "p$i"
    make_db "$ENV_DIR/backups/2026010${i}T000000Z-r$i.db.1" "q$i"
    touch -d "2026-01-0$i" "$ENV_DIR/backups/2026010${i}T000000Z-r$i.db" "$ENV_DIR/backups/2026010${i}T000000Z-r$i.db.1"
  done
  sha=0123456789abcdef0123456789abcdef01234567
  mkdir -p "$ENV_DIR/releases/$sha"
  echo '{"keep": {"releases": 5, "backups": 2}, "images": {}}' >"$ENV_DIR/releases/$sha/release.json"
  # shellcheck disable=SC2317 # called by prune_releases: no images to remove here
  docker() { :; }
  prune_releases "$sha" ""
  [ ! -e "$ENV_DIR/backups/20260101T000000Z-r1.db" ]
  [ ! -e "$ENV_DIR/backups/20260101T000000Z-r1.db.1" ]
  [ -e "$ENV_DIR/backups/20260103T000000Z-r3.db.1" ]
  [ -e "$ENV_DIR/backups/20260102T000000Z-r2.db.1" ]
}

@test "preflight re-checks every path release.json hands to a command, refusing hostile ones" {
  bundle="$BATS_TEST_TMPDIR/bundle"
  mkdir -p "$bundle"
  # shellcheck disable=SC2317 # stubs called by preflight_release: no docker or nginx here
  docker() { :; }
  # shellcheck disable=SC2317
  preflight_nginx_assets() { :; }
  make_bundle() {
    jq -n --arg db "$1" --arg file "$2" --arg project "$3" --arg env "$BATS_TEST_TMPDIR/app.env" '{
      environment: "staging", sha: "0123456789abcdef0123456789abcdef01234567",
      images: {web: {repo: "r/web", digest: ("sha256:" + ("a" * 64))}},
      envFile: $env, databases: [$db], compose: {file: $file, project: $project}}' >"$bundle/release.json"
    echo 'services: {}' >"$bundle/compose.yml"
    (cd "$bundle" && sha256sum release.json compose.yml >SHA256SUMS)
  }
  touch "$BATS_TEST_TMPDIR/app.env"
  sha=0123456789abcdef0123456789abcdef01234567
  make_bundle /srv/app/staging/data/app.db compose.yml shop-staging
  preflight_release "$bundle" staging "$sha"
  # shellcheck disable=SC2016 # the $(…) is the hostile value itself, never expanded
  make_bundle '/srv/app/$(touch /tmp/x).db' compose.yml shop-staging
  run -2 preflight_release "$bundle" staging "$sha"
  [[ $output == *"release.json names the database"*"neither an absolute path"*"nor a named volume's file"* ]]
  make_bundle /srv/app/../../etc/passwd compose.yml shop-staging
  run -2 preflight_release "$bundle" staging "$sha"
  # A file in a named volume: <volume>:<path inside it>, relative, no .., no odd characters.
  make_bundle shop-staging_storage:db/production.sqlite3 compose.yml shop-staging
  preflight_release "$bundle" staging "$sha"
  for bad in 'shop-staging_storage:../../etc/passwd' 'shop-staging_storage:/etc/passwd' \
    'shop-staging_storage:a b.db' '-v:/x' 'shop,src=/:app.db'; do
    make_bundle "$bad" compose.yml shop-staging
    run -2 preflight_release "$bundle" staging "$sha"
    [[ $output == *"release.json names the database"* ]]
  done
  make_bundle /srv/app/app.db ../../compose.yml shop-staging
  run -2 preflight_release "$bundle" staging "$sha"
  [[ $output == *"names the compose file"* ]]
  make_bundle /srv/app/app.db compose.yml 'shop;id'
  run -2 preflight_release "$bundle" staging "$sha"
  [[ $output == *"names the compose project"* ]]
}

@test "a database the deploy user cannot write goes through the SQLite helper: without its image, preflight refuses before any window" {
  # A directory another user can reach (bats' own temp dir is private to root).
  dir=$(mktemp -d /tmp/berth-perm-XXXXXX)
  chmod 0755 "$dir"
  db="$dir/production.sqlite3"
  make_db "$db" primary-v1
  check_databases_present yes "$db"
  chmod 0444 "$db"
  chmod 0555 "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    # root writes anything: ask as another user, the way the deploy user meets it, with a
    # copy of the scripts it can read (the checkout may be private to root).
    scripts=$(mktemp -d /tmp/berth-perm-scripts-XXXXXX)
    cp -R "$BERTH_SCRIPTS/." "$scripts/"
    chmod -R a+rX "$scripts"
    # shellcheck disable=SC2016 # the script is for the child bash: its $ expand there
    run -2 runuser -u nobody -- env BERTH_SCRIPTS="$scripts" BERTH_ROOT=/nonexistent bash -c \
      '. "$BERTH_SCRIPTS/lib/runbook.sh"; ENV_DIR=/nonexistent/staging; check_databases_present yes "$1"' _ "$db"
    rm -rf -- "$scripts"
  else
    run -2 check_databases_present yes "$db"
  fi
  chmod 0755 "$dir"
  rm -rf -- "$dir"
  [[ $output == *"$db needs berth's SQLite helper container, and its image is not available"*"nothing was changed"* ]]
}

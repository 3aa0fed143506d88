# shellcheck shell=bash
# The `place` phase (berth recover --from-offsite, docs/ops/disaster-recovery.md): a
# restored and verified offsite snapshot's files put where a lost environment kept them.

# place_snapshot <restored dir> <its current release>: the current and previous
# release bundles, the ledger (one found here is kept aside), the database set (a file
# found at a database's path is kept aside) and the release pointers, each in its place.
# The snapshot's layout is lib/offsite.sh's.
place_snapshot() {
  local dir=$1 current=$2 m="$1/$OFFSITE_MANIFEST" previous sha n i path file
  previous=$(jq -r '.previous // empty' "$m")
  for sha in "$current" "$previous"; do
    if [ -z "$sha" ] || ! valid_sha "$sha" || [ ! -d "$dir/releases/$sha" ]; then continue; fi
    rm -rf -- "$ENV_DIR/releases/$sha"
    cp -a -- "$dir/releases/$sha" "$ENV_DIR/releases/$sha"
  done
  if [ -f "$dir/releases.log" ]; then
    [ ! -s "$ENV_DIR/releases.log" ] || mv -f -- "$ENV_DIR/releases.log" "$ENV_DIR/releases.log.before-recover-$BERTH_RUN_ID"
    cp -- "$dir/releases.log" "$ENV_DIR/releases.log"
  fi
  mkdir -p "$ENV_DIR/backups" "$ENV_DIR/maintenance"
  private_dir "$ENV_DIR/backups"
  n=$(jq '.databases | length' "$m")
  for ((i = 0; i < n; i++)); do
    path=$(jq -r --argjson i "$i" '.databases[$i].path' "$m")
    file=$(jq -r --argjson i "$i" '.databases[$i].file // empty' "$m")
    valid_path "$path" || fail "$EXIT_ERROR" "the snapshot names the database $(printf '%q' "$path"), not an absolute path"
    [ -n "$file" ] || continue
    mkdir -p -- "$(dirname -- "$path")"
    if [ -e "$path" ]; then
      mv -f -- "$path" "$path.before-recover-$BERTH_RUN_ID"
      warn "a file was already at $path: kept as $path.before-recover-$BERTH_RUN_ID"
    fi
    sqlite_restore "$dir/$file" "$path"
    say "database $path restored ($(stat -c %s -- "$path") bytes)"
  done
  write_atomic "$ENV_DIR/current_release" "$current"
  [ -z "$previous" ] || write_atomic "$ENV_DIR/previous_release" "$previous"
}

#!/usr/bin/env bats
# The preflight disk check (lib/preflight.sh preflight_disk) counts what the deploy is
# about to write: 2× the databases (backup and its temp copy), minFreeMB, and the
# release's images not on the server yet — 3× their compressed size, which the action
# read in the registry manifests (release.json imageBytes). Refused before anything
# changes, with the sizes named. No lab needed: the images named here exist nowhere, so
# docker (running or not) has none of them.

bats_require_minimum_version 1.5.0

setup() {
  export BERTH_SCRIPTS="$BATS_TEST_DIRNAME/../../vps-scripts"
  export BERTH_ROOT="$BATS_TEST_TMPDIR/root"
  # shellcheck source=../../vps-scripts/lib/runbook.sh
  . "$BERTH_SCRIPTS/lib/runbook.sh"
  # shellcheck disable=SC2034 # read by the functions runbook.sh defines
  ENV_NAME=staging
  ENV_DIR="$BERTH_ROOT/staging"
  BUNDLE="$ENV_DIR/releases/b"
  mkdir -p "$BUNDLE" "$ENV_DIR/backups"
  DB="$BATS_TEST_TMPDIR/app.db"
  sqlite3 "$DB" "CREATE TABLE t(x); INSERT INTO t VALUES (1);"
  FREE=$(df -Pm "$ENV_DIR/backups" | awk 'NR == 2 { print $4 }')
  # Where docker keeps images, when a docker answers: the larger of the two must not fit.
  root=$(docker info --format '{{.DockerRootDir}}' 2>/dev/null || true)
  if [ -n "$root" ]; then
    docker_free=$(df -Pm "$root" | awk 'NR == 2 { print $4 }')
    [ "$docker_free" -le "$FREE" ] || FREE=$docker_free
  fi
}

D1="sha256:$(printf '1%.0s' {1..64})"
D2="sha256:$(printf '2%.0s' {1..64})"

# bundle <imageBytes JSON>: a release of two services, backend and worker sharing one image.
bundle() {
  jq -n --arg db "$DB" --arg d1 "$D1" --arg d2 "$D2" --argjson bytes "$1" '{
    minFreeMB: 1, databases: [$db], imageBytes: $bytes,
    images: {
      backend: {repo: "registry.invalid/berth-test/app", digest: $d1},
      worker: {repo: "registry.invalid/berth-test/app", digest: $d1},
      frontend: {repo: "registry.invalid/berth-test/web", digest: $d2}
    }}' >"$BUNDLE/release.json"
}

@test "images to pull are counted at 3× their compressed size, each image once" {
  bundle '{"backend": 10485760, "worker": 10485760, "frontend": 5242880}'
  run -0 preflight_disk "$BUNDLE"
  [[ $output == *"3× the 15 MB (compressed) of images to pull (backend frontend)"* ]]
  # On the backups' filesystem (else docker's own line names its need): 1 + 2×1 + 45.
  [[ $output == *"MB free, 48 MB needed (minFreeMB 1 + 2× the 1 MB of databases + 3× the 15 MB"* ]] ||
    [[ $output == *"MB free for images under "*", 46 MB needed"* ]]
}

@test "a release whose images would not fit is refused before anything changes, naming the sizes" {
  # A third of the free space and a bit more, compressed: 3× is over what is free.
  big=$(((FREE / 3 + 100) * 1048576))
  bundle "{\"backend\": $big, \"frontend\": 0}"
  run -2 preflight_disk "$BUNDLE"
  [[ $output == *"only "*" MB free under "*"; need "*" MB (minFreeMB 1"*"3× the $((big / 1048576)) MB (compressed) of images to pull (backend frontend))"* ]]
  [[ $output == *"nothing was changed"* ]]
}

@test "an image without a size is named and not counted" {
  bundle '{"backend": 1048576}'
  run -0 preflight_disk "$BUNDLE"
  [[ $output == *"WARNING: size unknown, not counted in the disk check: frontend"* ]]
  [[ $output == *"3× the 1 MB (compressed) of images to pull (backend frontend)"* ]]
  # A bundle from before sizes were recorded: the databases alone, as before.
  jq 'del(.imageBytes)' "$BUNDLE/release.json" >"$BUNDLE/r" && mv "$BUNDLE/r" "$BUNDLE/release.json"
  run -0 preflight_disk "$BUNDLE"
  [[ $output == *"size unknown, not counted in the disk check: backend frontend"* ]]
  [[ $output == *"MB free, 3 MB needed (minFreeMB 1 + 2× the 1 MB of databases)"* ]]
}

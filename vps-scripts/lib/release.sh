# shellcheck shell=bash
# Steps on a release bundle shared by deploy and rollback.

# preflight_release <bundle> <env> <sha>: the bundle is intact and matches, the
# server has what it needs, and the env file covers the compose file's variables.
preflight_release() {
  local bundle=$1 env=$2 sha=$3 missing=() cmd env_file file vars var unset=()
  (cd "$bundle" && sha256sum --quiet --strict -c SHA256SUMS) ||
    fail "$EXIT_REFUSED" "release bundle $bundle does not match its SHA256SUMS; upload it again"
  [ "$(manifest "$bundle" .environment)" = "$env" ] || fail "$EXIT_REFUSED" "bundle $bundle was made for another environment"
  [ "$(manifest "$bundle" .sha)" = "$sha" ] || fail "$EXIT_REFUSED" "bundle $bundle is for another SHA"
  for cmd in docker flock curl jq timeout sha256sum; do command -v "$cmd" >/dev/null || missing+=("$cmd"); done
  if [ -n "$(release_databases "$bundle")" ]; then command -v sqlite3 >/dev/null || missing+=(sqlite3); fi
  [ ${#missing[@]} -eq 0 ] || fail "$EXIT_REFUSED" "missing on this server: ${missing[*]} (Debian: apt-get install docker.io curl jq sqlite3 util-linux coreutils)"
  docker info >/dev/null 2>&1 || fail "$EXIT_REFUSED" "docker does not answer for $(id -un): is dockerd running and is $(id -un) in the docker group?"
  jq -e '.images | length > 0 and all(.[]; .digest | test("^sha256:[0-9a-f]{64}$"))' "$bundle/release.json" >/dev/null ||
    fail "$EXIT_REFUSED" "release.json has an image without a sha256 digest"
  env_file=$(manifest "$bundle" .envFile)
  valid_path "$env_file" || fail "$EXIT_REFUSED" "envFile $(printf '%q' "$env_file") is not an absolute path"
  [ -r "$env_file" ] || fail "$EXIT_REFUSED" "env file $env_file is missing or unreadable for $(id -un); create it (mode 600) with the app's settings"
  # Every other path and name release.json hands to a command, checked again here: the
  # bundle is data from the runner, and the server trusts nothing it did not validate.
  local db name
  while IFS= read -r db; do
    valid_db_ref "$db" || fail "$EXIT_REFUSED" "release.json names the database $(printf '%q' "$db"), which is neither an absolute path of letters, digits and _ . - / nor a named volume's file (<volume>:<path inside it>)"
  done < <(release_databases "$bundle")
  name=$(manifest "$bundle" .compose.file)
  valid_file_name "$name" || fail "$EXIT_REFUSED" "release.json names the compose file $(printf '%q' "$name"), which is not a plain file name in the bundle"
  name=$(manifest "$bundle" .compose.project)
  [[ $name =~ ^[a-z0-9][a-z0-9_-]{0,62}$ ]] || fail "$EXIT_REFUSED" "release.json names the compose project $(printf '%q' "$name"); expected a-z, 0-9, _ and -"
  file="$bundle/$(manifest "$bundle" .compose.file)"
  # Variables used without a default (${VAR}, ${VAR:?…}, $VAR; comments aside) must be set in the env file.
  vars=$(sed -E 's/\$\$//g; s/(^|[[:space:]])#.*$//' "$file" | grep -oE '\$\{[A-Za-z_][A-Za-z0-9_]*(:?\?[^}]*)?\}|\$[A-Za-z_][A-Za-z0-9_]*' |
    sed -E 's/^\$\{?([A-Za-z_][A-Za-z0-9_]*).*/\1/' | sort -u || true)
  for var in $vars; do
    case "$var" in BERTH_SHA | BERTH_ENV) continue ;; esac
    grep -qE "^[[:space:]]*(export[[:space:]]+)?$var=" "$env_file" || unset+=("$var")
  done
  [ ${#unset[@]} -eq 0 ] || fail "$EXIT_REFUSED" "the compose file uses ${unset[*]} but $env_file does not set them; add them there (names only are shown here)"
  preflight_nginx_assets # lib/nginx-assets.sh: nginx's workers can read the maintenance page and see the flag
  say "bundle verified, prerequisites present, env file covers the compose file"
}

# Unpacked image layers take about 2–3× their compressed size, and a pull holds the
# compressed download while it unpacks: what a pull may take, per compressed byte.
readonly PULL_DISK_FACTOR=3

# images_to_pull <bundle>: PULL_BYTES, the compressed bytes of the release's images not
# on this server yet, from the sizes the action read in the registry manifests
# (release.json imageBytes; an image without a size counts 0 and is named in the log),
# and PULL_SERVICES, their services. Images shared by several services count once.
images_to_pull() {
  local bundle=$1 svc ref bytes total=0 names=() unknown=()
  local -A seen=()
  while IFS=$'\t' read -r svc ref bytes; do
    [ -z "${seen[$ref]:-}" ] || continue
    seen[$ref]=1
    ! docker image inspect "$ref" >/dev/null 2>&1 || continue
    names+=("$svc")
    if [[ $bytes =~ ^[0-9]{1,15}$ ]]; then total=$((total + bytes)); else unknown+=("$svc"); fi
  done < <(jq -r '(.imageBytes // {}) as $b | .images | to_entries[]
    | "\(.key)\t\(.value.repo)@\(.value.digest)\t\($b[.key] // "")"' "$bundle/release.json")
  [ ${#unknown[@]} -eq 0 ] || warn "size unknown, not counted in the disk check: ${unknown[*]}"
  PULL_BYTES=$total
  PULL_SERVICES=${names[*]:-}
}

# free_mb <dir>: MB free on the filesystem holding <dir>; fs_of <dir>: that filesystem's id.
free_mb() { df -Pm -- "$1" | awk 'NR == 2 { print $4 }'; }
fs_of() { stat -c %d -- "$1"; }

preflight_disk() {
  local bundle=$1 dbs need free size min pull pull_mb docker_root docker_free why
  mapfile -t dbs < <(release_databases "$bundle")
  size=$(($(databases_bytes "${dbs[@]}") / 1048576 + 1))
  min=$(manifest "$bundle" .minFreeMB)
  need=$((min + 2 * size))
  why="minFreeMB $min + 2× the ${size} MB of databases"
  # Before anything changes: berth never writes a database through a link (lib/sqlite.sh).
  db_refuse_links "${dbs[@]}" || fail "$EXIT_REFUSED" "refusing to back up or restore through a symbolic link; nothing was changed"
  private_dir "$ENV_DIR/backups"
  free=$(free_mb "$ENV_DIR/backups")
  images_to_pull "$bundle"
  pull=$PULL_BYTES
  pull_mb=0
  [ "$pull" -eq 0 ] || pull_mb=$(((pull * PULL_DISK_FACTOR + 1048575) / 1048576))
  if [ "$pull_mb" -gt 0 ]; then
    local images_why="${PULL_DISK_FACTOR}× the $(((pull + 1048575) / 1048576)) MB (compressed) of images to pull ($PULL_SERVICES)"
    docker_root=$(docker info --format '{{.DockerRootDir}}' 2>/dev/null || true)
    if [ -n "$docker_root" ] && docker_free=$(free_mb "$docker_root" 2>/dev/null) &&
      [ "$(fs_of "$docker_root" 2>/dev/null)" != "$(fs_of "$ENV_DIR/backups")" ]; then
      # Another filesystem: each needs its own room.
      [ "$docker_free" -ge $((min + pull_mb)) ] || fail "$EXIT_REFUSED" "only ${docker_free} MB free under docker's $docker_root; need $((min + pull_mb)) MB (minFreeMB $min + $images_why). Free some space ('docker image prune', old releases) or raise the disk; nothing was changed"
      say "disk: ${docker_free} MB free for images under $docker_root, $((min + pull_mb)) MB needed ($images_why)"
    else
      need=$((need + pull_mb))
      why="$why + $images_why"
    fi
  fi
  [ "$free" -ge "$need" ] || fail "$EXIT_REFUSED" "only ${free} MB free under $ENV_DIR/backups; need ${need} MB ($why). Free some space (old backups, 'docker image prune'); nothing was changed"
  say "disk: ${free} MB free, ${need} MB needed ($why)"
}

# run_docker_config: the docker config holding this run's own registry login, when the
# action logged in for it (src/remote/commands.ts runAuthDir; `berth run` removes it at
# the end). Without one, pulls use the deploy user's standing credential
# (~/.docker/config.json), which berth never writes.
run_docker_config() {
  local dir
  if [ -z "${BERTH_RUN_ID:-}" ] || ! valid_run_id "$BERTH_RUN_ID"; then return 1; fi
  dir="$ENV_DIR/.registry-auth/$BERTH_RUN_ID"
  if [ -L "$dir" ] || [ ! -f "$dir/config.json" ]; then return 1; fi
  printf '%s' "$dir"
}

# pull_image <ref>: with the run's own login if there is one, else (or if that is
# refused) with the server's standing credential.
pull_image() {
  local auth
  if auth=$(run_docker_config); then
    DOCKER_CONFIG=$auth timeout "${PULL_TIMEOUT:-900}" docker pull --quiet "$1" >/dev/null && return 0
    warn "pulling $1 with this run's registry login failed; trying the server's own credential"
  fi
  timeout "${PULL_TIMEOUT:-900}" docker pull --quiet "$1" >/dev/null
}

# pull_release <bundle>: each image by repo@digest, then check the local image
# really carries that digest.
pull_release() {
  local bundle=$1 svc ref digests
  while IFS=$'\t' read -r svc ref; do
    if ! docker image inspect "$ref" >/dev/null 2>&1; then
      say "pulling $svc $ref"
      pull_image "$ref"
    fi
    digests=$(docker image inspect --format '{{json .RepoDigests}}' "$ref")
    # docker lists Docker Hub images by their short name (acme/api@…, nginx@…).
    jq -e --arg r "$ref" 'any(.[]; . == $r or ("docker.io/" + .) == $r or ("docker.io/library/" + .) == $r
      or ("index.docker.io/" + .) == $r or ("index.docker.io/library/" + .) == $r)' <<<"$digests" >/dev/null ||
      fail "$EXIT_REFUSED" "$svc: local image $ref does not carry that digest (has $digests)"
    say "$svc $ref verified"
  done < <(jq -r '.images | to_entries[] | "\(.key)\t\(.value.repo)@\(.value.digest)"' "$bundle/release.json")
  write_override "$bundle"
}

maintenance_flag() { printf '%s/maintenance/MAINTENANCE_ON' "$ENV_DIR"; }

maintenance_on() {
  mkdir -p "$ENV_DIR/maintenance"
  chmod 755 "$ENV_DIR/maintenance"
  write_atomic "$(maintenance_flag)" "$(jq -cn --arg sha "$1" --arg since "$(now_iso)" '{release: $sha, since: $since}')"
  chmod 644 "$(maintenance_flag)"
  say "maintenance page ON"
}

maintenance_off() {
  rm -f "$(maintenance_flag)"
  say "maintenance page OFF"
}

start_release() { compose "$1" up -d --remove-orphans; }

# stop_writers <bundle> <service…>: stop those services' containers of the bundle's
# project. With each one's grace period in release.json (stop_grace_period, read by the
# action), `docker stop -t` them directly: a compose call would add ~0.5 s to the
# maintenance window. Older bundles, or an unreadable period, fall back to compose stop.
stop_writers() {
  local bundle=$1 project w grace cids
  shift
  if ! jq -e --args '(.stopGraceSeconds // {}) as $g | $ARGS.positional | all(.[]; $g[.] != null)' "$@" \
    <"$bundle/release.json" >/dev/null; then
    compose "$bundle" stop "$@"
    return
  fi
  project=$(slot_project "$bundle" "${SLOT:-a}")
  for w in "$@"; do
    grace=$(jq -r --arg w "$w" '.stopGraceSeconds[$w]' "$bundle/release.json")
    mapfile -t cids < <(docker ps -q --filter "label=com.docker.compose.project=$project" \
      --filter "label=com.docker.compose.service=$w" --filter "label=com.docker.compose.oneoff=False")
    if [ ${#cids[@]} -gt 0 ]; then docker stop -t "$grace" "${cids[@]}" >/dev/null; fi
  done
}

# stop_release_writers <running bundle> <its sha> [<bundle naming the writers>]: stop the
# writers (release.json .writers) of the release that is running.
stop_release_writers() {
  local writers
  mapfile -t writers < <(jq -r '.writers[]' "${3:-$1}/release.json")
  say "stopping writers of $2: ${writers[*]}"
  stop_writers "$1" "${writers[@]}"
}

# prune_releases <current> <previous>: keep the newest N releases' images and the
# newest N backups; never the current or previous release's. Older bundles (~150 KB)
# stay longer (5×N, at least 20) so `rollback --to` can pull their images again.
prune_releases() {
  local current=$1 previous=$2 keep keep_backups keep_bundles dir sha n=0 ref
  keep=$(manifest "$ENV_DIR/releases/$current" .keep.releases)
  keep_backups=$(manifest "$ENV_DIR/releases/$current" .keep.backups)
  keep_bundles=$((keep * 5 > 20 ? keep * 5 : 20))
  # shellcheck disable=SC2012 # ls -t: newest first by mtime; names that are not SHAs are skipped
  while read -r dir; do
    sha=$(basename "$dir")
    valid_sha "$sha" || continue
    n=$((n + 1))
    if [ "$n" -le "$keep" ] || [ "$sha" = "$current" ] || [ "$sha" = "$previous" ]; then continue; fi
    while read -r ref; do
      if docker image rm "$ref" >/dev/null 2>&1; then say "pruned image $ref"; fi
    done < <(jq -r '.images[] | "\(.repo)@\(.digest)"' "$dir/release.json" 2>/dev/null)
    if [ "$n" -gt "$keep_bundles" ]; then
      rm -rf -- "$dir"
      say "pruned release bundle $sha"
    fi
  done < <(ls -1dt "$ENV_DIR"/releases/*/ 2>/dev/null | sed 's:/$::')
  # Backups that `rollback --restore-db` may need (those named by the latest successful
  # ledger lines) are kept whatever their age.
  local needed
  needed=$(ledger_lines | jq -rs --argjson k "$keep" '[.[] | select(.result == "succeeded" or .result == "rolled_back")] | .[-($k + 2):][] | .backup // empty' || true)
  n=0
  while read -r dir; do
    n=$((n + 1))
    if grep -qxF -- "$dir" <<<"$needed"; then continue; fi
    if [ "$n" -gt "$keep_backups" ]; then
      # The set's members, and the -wal/-shm a reader may have left beside any of them.
      rm -f -- "$dir" "$dir"-wal "$dir"-shm "$dir".[0-9]* && say "pruned backup $(basename "$dir")"
    fi
  done < <(ls -1t "$ENV_DIR"/backups/*.db 2>/dev/null)
  find "$ENV_DIR/runs" -mindepth 1 -maxdepth 1 -type d -mtime +30 -exec rm -rf {} + 2>/dev/null || true
}

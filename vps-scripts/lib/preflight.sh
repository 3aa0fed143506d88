# shellcheck shell=bash
# The `preflight` phase (docs/design.md §3): before anything changes, the bundle, the
# server's prerequisites and the disk are checked; a failure refuses with nothing changed.

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

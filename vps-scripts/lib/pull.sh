# shellcheck shell=bash
# The `pull` phase: each image by digest, with the run's own registry login if it has one.

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

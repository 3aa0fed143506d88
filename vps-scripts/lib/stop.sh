# shellcheck shell=bash
# The `stop` phase: the running release's writers stop before the database is backed up.

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

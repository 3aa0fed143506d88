# shellcheck shell=bash
# The `migrate` phase: the new release's migrate command (berth.yml migrate:) in a
# one-off container of the new image, on the live database set (the rehearsal ran it on a
# snapshot first: lib/rehearse.sh).

# release_migrates <bundle>: the release has a migrate command.
release_migrates() { jq -e '.migrate' "$1/release.json" >/dev/null; }

# migrate_release <bundle>: run its migrate command; its exit code is the phase's.
migrate_release() {
  local bundle=$1 svc cmd
  svc=$(manifest "$bundle" .migrate.service)
  mapfile -t cmd < <(jq -r '.migrate.command[]' "$bundle/release.json")
  say "running ${cmd[*]} in a one-off $svc container of $(manifest "$bundle" .sha)"
  compose "$bundle" run --rm --no-deps -T "$svc" "${cmd[@]}"
}

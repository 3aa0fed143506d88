# shellcheck shell=bash
# The `scrub` phase (berth sync): the user's command that anonymises the copied data, in a
# one-off container of the target's release.

# scrub_databases <bundle> <service> <command>: `sh -c <command>` in a one-off <service>
# container; the command is one argv element, never seen by a host shell, and never
# logged (it may name a secret): its sha256 is.
scrub_databases() {
  local bundle=$1 svc=$2 command=$3
  say "running the scrub command (${#command} characters, sha256 $(printf '%s' "$command" | sha256sum | cut -c1-12)…) with sh -c in a one-off $svc container of $(manifest "$bundle" .sha)"
  compose "$bundle" run --rm --no-deps -T "$svc" sh -c "$command"
}

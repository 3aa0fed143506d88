# shellcheck shell=bash
# The `reconcile` phase: after an interrupted run, one release in one slot again.

# reconcile_slots <current bundle>: after an interrupted run, make the environment one
# release in one slot: nginx on the live slot, the live slot's services running, the
# other slot's containers gone. Idempotent.
# The order keeps the site serving: the live slot up, nginx on it, then the rest removed.
reconcile_slots() {
  local bundle=$1 live other project
  live=$(live_slot)
  other=$(other_slot "$live")
  project=$(slot_project "$bundle" "$other")
  say "after an interrupted run: $(manifest "$bundle" .sha) serves from slot $live"
  SLOT=$live compose "$bundle" up -d --no-recreate
  if [ -f "$(live_conf)" ] && ! grep -q "from slot $live\$" "$(live_conf)"; then
    say "nginx pointed at slot $other: switching it back to slot $live"
    SLOT=$live wait_ready "$bundle"
    switch_nginx "$bundle" "$live"
  fi
  if [ -n "$(docker ps -aq --filter "label=com.docker.compose.project=$project")" ]; then
    say "the interrupted run left slot $other ($project) behind: removing it"
    clear_slot "$project"
  fi
}

# clear_slot <project>: remove every container of a compose project, without its bundle
# (an interrupted swap's leftovers).
clear_slot() {
  local cids
  mapfile -t cids < <(docker ps -aq --filter "label=com.docker.compose.project=$1")
  [ ${#cids[@]} -eq 0 ] || docker rm -f "${cids[@]}" >/dev/null
}

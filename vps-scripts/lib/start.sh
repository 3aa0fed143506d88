# shellcheck shell=bash
# The `start` phase: the release's containers, pinned by digest, in the live slot (the
# maintenance path) or beside it in the other slot (the swap path, lib/swap.sh).

start_release() { compose "$1" up -d --remove-orphans; }

# swap_start <bundle> <slot>: every service but the singletons, beside the live slot.
swap_start() {
  local others
  mapfile -t others < <(slot_services "$1" others)
  touch "$WORK/swap_started"
  say "starting $(manifest "$1" .sha) in slot $2: ${others[*]}"
  SLOT=$2 compose "$1" up -d --no-deps "${others[@]}"
}

# shellcheck shell=bash
# The `handover` phase (the swap path): singletons never run twice.

# swap_handover <old bundle> <old slot> <new bundle> <new slot>: singletons never run
# twice: the old ones stop right before the new ones start.
swap_handover() {
  local singletons
  mapfile -t singletons < <(slot_services "$3" singletons)
  if [ ${#singletons[@]} -eq 0 ]; then
    say "no singletons to hand over"
    return 0
  fi
  touch "$WORK/handover_began"
  say "handing over ${singletons[*]}: stopped in slot $2, then started in slot $4"
  SLOT=$2 compose "$1" stop "${singletons[@]}"
  SLOT=$4 compose "$3" up -d --no-deps "${singletons[@]}"
}

undo_handover() {
  local new=$1 new_slot=$2 old=$3 old_slot=$4
  shift 4
  SLOT=$new_slot compose "$new" stop "$@"
  SLOT=$old_slot compose "$old" up -d --no-deps "$@"
}

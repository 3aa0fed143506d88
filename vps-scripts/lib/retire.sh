# shellcheck shell=bash
# The `retire` phase (the swap path): the old slot's containers stopped and removed.

# retire_slot <bundle> <slot>: stop and remove that slot's containers (each with its
# stop_grace_period); named volumes and data stay.
retire_slot() { SLOT=$2 compose "$1" down --remove-orphans; }

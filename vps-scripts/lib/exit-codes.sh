# shellcheck shell=bash
# Exit codes of every berth command (docs/design.md §1 lists them for users).
# shellcheck disable=SC2034 # this file only defines constants, for the files that source it
readonly EXIT_OK=0          # done
readonly EXIT_ERROR=1       # usage or unexpected error; nothing was changed on purpose
readonly EXIT_REFUSED=2     # refused before any change: bad input, preflight, lock held
readonly EXIT_ROLLED_BACK=3 # failed after maintenance-on; the previous release is serving again
readonly EXIT_UNRECOVERED=4 # failed and could not recover; the message says the server's state
# berth status only: the last successful offsite copy is older than berth.yml's
# offsite.max_age_hours (for monitors). Not 5: jq exits 5 on its own errors.
readonly EXIT_OFFSITE_STALE=6

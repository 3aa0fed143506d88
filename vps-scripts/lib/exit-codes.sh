# shellcheck shell=bash
# Exit codes of every berth command, each with its meaning: written here once.
# `berth help` prints these lines (lib/verbs.sh), and npm run build generates the runner's
# copy from them (scripts/gen-server-facts.mjs → src/remote/exit-codes.generated.ts), so
# each constant stays one line: readonly EXIT_<NAME>=<code> # <meaning>.
# 1 is also bash's own on an unexpected error: nothing was changed on purpose.
# 2 is given before any change: bad input, preflight, the lock held.
# 3 either path: the maintenance path restored the database and the previous release; the
# swap path never left the old slot (or put nginx back on it).
# 6 (berth status only, for monitors) is not 5: jq exits 5 on its own errors.
# shellcheck disable=SC2034 # this file only defines constants, for the files that source it
readonly EXIT_OK=0            # done
readonly EXIT_ERROR=1         # usage or unexpected error
readonly EXIT_REFUSED=2       # refused, nothing changed
readonly EXIT_ROLLED_BACK=3   # failed; what was serving before is serving again
readonly EXIT_UNRECOVERED=4   # failed and NOT recovered; the log says the server's state
readonly EXIT_OFFSITE_STALE=6 # status only: the last offsite backup is older than offsite.max_age_hours

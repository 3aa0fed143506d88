# shellcheck shell=bash
# The `drain` phase (the swap path): the nginx workers from before the switch finish their
# requests.

swap_drain() { drain "$(jq -r '.swap.drainSeconds // 30' "$1/release.json")"; }

# drain <seconds>: wait until the nginx workers from before the switch have finished
# their requests and exited (graceful reload), at most <seconds>.
drain() {
  local limit=$1 deadline left
  deadline=$(($(date +%s) + limit))
  while :; do
    left=0
    while read -r pid; do
      [ -n "$pid" ] && [ -d "/proc/$pid" ] && left=$((left + 1))
    done <"$WORK/old_workers"
    if [ "$left" -eq 0 ]; then
      say "the old nginx workers finished their requests"
      return 0
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      warn "$left old nginx worker(s) still busy after ${limit}s (long-lived connections?): going on; their connections end with the old slot"
      return 0
    fi
    sleep 0.1
  done
}

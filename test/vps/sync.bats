#!/usr/bin/env bats
# berth sync's refusals (commands/sync.sh): bad input is refused with exit 2 before the
# lock, the ledger or any file changes, each message naming the value and the fix. The
# phases themselves run against the lab (test/e2e/sync.test.ts).

bats_require_minimum_version 1.5.0

setup() {
  export BERTH_SCRIPTS="$BATS_TEST_DIRNAME/../../vps-scripts"
  export BERTH_ROOT="$BATS_TEST_TMPDIR/root"
  A=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
  B=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
  for env in staging production; do mkdir -p "$BERTH_ROOT/$env"; done
}

berth() { bash "$BERTH_SCRIPTS/bin/berth" "$@"; }

# release <env> <sha> <database paths as a JSON array>: a current release with a bundle.
release() {
  mkdir -p "$BERTH_ROOT/$1/releases/$2"
  jq -n --argjson dbs "$3" '{databases: $dbs, images: {}}' >"$BERTH_ROOT/$1/releases/$2/release.json"
  echo "$2" >"$BERTH_ROOT/$1/current_release"
}

# nothing_changed <env>: no ledger, no lock holder, no state, no maintenance flag.
nothing_changed() {
  [ ! -e "$BERTH_ROOT/$1/releases.log" ]
  [ ! -e "$BERTH_ROOT/$1/lock.holder" ]
  [ ! -e "$BERTH_ROOT/$1/deploy.state" ]
  [ ! -e "$BERTH_ROOT/$1/maintenance/MAINTENANCE_ON" ]
}

@test "refused before anything: no --yes, from = to, production without --allow-production, unknown or bad names, an empty or huge --scrub" {
  run berth sync production staging
  [ "$status" -eq 2 ]
  [[ $output == *"sync replaces staging's database with production's; pass --yes to go ahead"* ]]
  run berth sync staging staging --yes
  [ "$status" -eq 2 ]
  [[ $output == *"<from-env> and <to-env> are both staging"* ]]
  run berth sync staging production --yes
  [ "$status" -eq 2 ]
  [[ $output == *"<to-env> is production: sync would replace production's database with staging's; pass --allow-production"* ]]
  run berth sync nowhere staging --yes
  [ "$status" -eq 2 ]
  [[ $output == *"no environment nowhere under $BERTH_ROOT"* ]]
  run berth sync 'x;reboot' staging --yes
  [ "$status" -eq 2 ]
  [[ $output == *"<from-env> x\\;reboot is not an environment name"* ]]
  run berth sync production staging --scrub '' --yes
  [ "$status" -eq 2 ]
  [[ $output == *"--scrub is empty"* ]]
  run berth sync production staging --scrub "$(printf 'x%.0s' $(seq 4097))" --yes
  [ "$status" -eq 2 ]
  [[ $output == *"--scrub is 4097 characters long; at most 4096"* ]]
  run berth sync production staging --frob
  [ "$status" -eq 2 ]
  [[ $output == *"unknown argument --frob"* ]]
  nothing_changed staging
  nothing_changed production
}

@test "refused under the lock, nothing recorded: no current release on either side, different database sets" {
  docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null || skip "no docker compose here"
  run berth sync production staging --yes
  [ "$status" -eq 2 ]
  [[ $output == *"staging has no current release to sync into; deploy to staging first"* ]]
  release staging "$A" '["/srv/app/staging/data/app.db"]'
  run berth sync production staging --yes
  [ "$status" -eq 2 ]
  [[ $output == *"production has no current release to copy from"* ]]
  release production "$B" '["/srv/app/production/data/app.db", "/srv/app/production/data/queue.db"]'
  run berth sync production staging --yes
  [ "$status" -eq 2 ]
  [[ $output == *"production's databases (app.db queue.db) are not staging's (app.db) by name and order"* ]]
  nothing_changed staging
  nothing_changed production
}

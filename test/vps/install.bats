#!/usr/bin/env bats
# `berth install` (commands/install.sh): one <root>/bin for every environment deployed
# there, so the installed scripts are versioned — a lower serial than the installed one
# is refused unless --allow-downgrade — and swapped only while no berth verb of any
# environment runs from them (bin/berth holds <root>/.install.lock shared for each verb).
# Run by `npm test` (bats test/vps); no lab needed.

bats_require_minimum_version 1.5.0

setup() {
  REPO="$BATS_TEST_DIRNAME/../.."
  BASE=$(mktemp -d /tmp/berth-install.XXXXXX)
  export BERTH_ROOT="$BASE/root"
  # Three bundles as a deploy uploads them (vps-scripts/ beside nginx/), serials 5 < 6 < 7,
  # each with a line of its own in a library so the installed copy shows which one it is.
  for serial in 5 6 7; do
    mkdir -p "$BASE/b$serial"
    cp -R "$REPO/vps-scripts" "$REPO/nginx" "$BASE/b$serial/"
    sed -i "s/^serial=.*/serial=$serial/" "$BASE/b$serial/vps-scripts/VERSION"
    echo "# bundle $serial" >>"$BASE/b$serial/vps-scripts/lib/common.sh"
  done
}

teardown() {
  [ -z "${FOLLOW_PID:-}" ] || kill "$FOLLOW_PID" 2>/dev/null || true
  rm -rf -- "${BASE:?}"
}

install_from() {
  local serial=$1
  shift
  bash "$BASE/b$serial/vps-scripts/bin/berth" install "$@"
}
installed() { tail -n 1 "$BERTH_ROOT/lib/common.sh"; }
installed_serial() { sed -n 's/^serial=//p' "$BERTH_ROOT/VERSION"; }

@test "install records its serial; older scripts are refused with the fix named, nothing changed; --allow-downgrade installs them" {
  run -0 install_from 6
  [ "$(installed_serial)" = 6 ]
  [ "$(installed)" = "# bundle 6" ]
  diff -r "$BASE/b6/vps-scripts/commands" "$BERTH_ROOT/commands"

  run -2 install_from 5
  [[ $output == *"refusing to replace berth's scripts in $BERTH_ROOT, serial 6 (berth "*"), with older ones, serial 5"* ]]
  [[ $output == *"allow-scripts-downgrade: true"* ]]
  [[ $output == *"berth install --allow-downgrade"* ]]
  [ "$(installed_serial)" = 6 ]
  [ "$(installed)" = "# bundle 6" ]

  run -0 install_from 5 --allow-downgrade
  [[ $output == *"WARNING: installing serial 5"*"over the newer serial 6"* ]]
  [ "$(installed_serial)" = 5 ]
  [ "$(installed)" = "# bundle 5" ]

  run -2 install_from 7 --force
  [[ $output == *"unknown argument --force (nothing was done); usage: berth install [--allow-downgrade]"* ]]
}

@test "a newer serial installs; the same scripts again are left in place; scripts from before versioning count as serial 0" {
  run -0 install_from 6
  inode=$(stat -c %i "$BERTH_ROOT/lib")
  run -0 install_from 6
  [[ $output == *"already these, serial 6"* ]]
  [ "$(stat -c %i "$BERTH_ROOT/lib")" = "$inode" ]
  run -0 install_from 7
  [ "$(installed_serial)" = 7 ]
  [ "$(installed)" = "# bundle 7" ]
  # An install from before versioning left no VERSION: any serial replaces it.
  rm "$BERTH_ROOT/VERSION"
  run -0 install_from 5
  [ "$(installed_serial)" = 5 ]
}

@test "install waits while a berth verb of any environment runs from the installed scripts, and refuses after BERTH_INSTALL_WAIT naming it" {
  run -0 install_from 6
  # A real long-running verb from the installed scripts: following a run that has not ended.
  mkdir -p "$BERTH_ROOT/production/runs/r1"
  : >"$BERTH_ROOT/production/runs/r1/log"
  bash "$BERTH_ROOT/bin/berth" follow production r1 >/dev/null 2>&1 &
  FOLLOW_PID=$!
  for _ in $(seq 1 50); do
    flock -n -x "$BERTH_ROOT/.install.lock" true || break
    sleep 0.1
  done
  run ! flock -n -x "$BERTH_ROOT/.install.lock" true

  BERTH_INSTALL_WAIT=1 run -2 install_from 7
  [[ $output == *"berth runs still use the scripts in $BERTH_ROOT after 1 s"*"follow.sh production r1"* ]]
  [[ $output == *"Nothing was installed"* ]]
  [ "$(installed_serial)" = 6 ]
  [ "$(installed)" = "# bundle 6" ]

  # Waiting: the install goes through once the run ends (its exit code is written).
  BERTH_INSTALL_WAIT=30 install_from 7 >"$BASE/install.out" 2>&1 &
  installer=$!
  sleep 1
  [ "$(installed_serial)" = 6 ]
  echo 0 >"$BERTH_ROOT/production/runs/r1/exit"
  wait "$installer"
  wait "$FOLLOW_PID"
  FOLLOW_PID=
  grep -q "waiting up to 30 s for berth runs using $BERTH_ROOT to end: pid [0-9]*: .*follow.sh production r1" "$BASE/install.out"
  [ "$(installed_serial)" = 7 ]
  [ "$(installed)" = "# bundle 7" ]
}

@test "identical scripts install without waiting for running verbs" {
  run -0 install_from 6
  mkdir -p "$BERTH_ROOT/staging/runs/r1"
  : >"$BERTH_ROOT/staging/runs/r1/log"
  bash "$BERTH_ROOT/bin/berth" follow staging r1 >/dev/null 2>&1 &
  FOLLOW_PID=$!
  for _ in $(seq 1 50); do
    flock -n -x "$BERTH_ROOT/.install.lock" true || break
    sleep 0.1
  done
  BERTH_INSTALL_WAIT=0 run -0 install_from 6
  [[ $output == *"already these"* ]]
}

#!/usr/bin/env bats
# What nginx's workers read on the server (lib/nginx-assets.sh): `berth install` makes
# <root>/nginx world-readable whatever the umask, and preflight refuses — naming the path,
# its mode and the chmod — when nginx's user cannot read the maintenance page or reach
# the flag. Run by `npm test` (bats test/vps); as root, like the rest of the suite.

bats_require_minimum_version 1.5.0

setup() {
  export BERTH_SCRIPTS="$BATS_TEST_DIRNAME/../../vps-scripts"
  # shellcheck source=../../vps-scripts/lib/runbook.sh
  . "$BERTH_SCRIPTS/lib/runbook.sh"
  # bats' own temp directory is 0700: nginx's user could never reach into it.
  BASE=$(mktemp -d /tmp/berth-nginx-assets.XXXXXX)
  chmod 755 "$BASE"
  export BERTH_ROOT="$BASE/root"
  ENV_DIR="$BERTH_ROOT/staging"
  # Checked even where no nginx is installed.
  export BERTH_NGINX_USER=www-data
}

teardown() { rm -rf -- "${BASE:?}"; }

install_berth() { (umask 077 && bash "$BERTH_SCRIPTS/bin/berth" install); }

@test "install: nginx/ is world-readable under umask 077, and an older install's modes are fixed" {
  install_berth
  [ "$(stat -c %a "$BERTH_ROOT" "$BERTH_ROOT/nginx" "$BERTH_ROOT/nginx/snippets")" = "$(printf '755\n755\n755')" ]
  [ "$(stat -c %a "$BERTH_ROOT/nginx/maintenance.html" "$BERTH_ROOT/nginx/snippets/berth-maintenance.conf")" = "$(printf '644\n644')" ]
  [ "$(stat -c %a "$BERTH_ROOT/nginx/render.sh")" = 755 ]
  # Same content, modes an older berth left under umask 077: installed again.
  chmod 600 "$BERTH_ROOT/nginx/maintenance.html"
  chmod 700 "$BERTH_ROOT/nginx/snippets"
  install_berth
  [ "$(stat -c %a "$BERTH_ROOT/nginx/maintenance.html" "$BERTH_ROOT/nginx/snippets")" = "$(printf '644\n755')" ]
}

@test "preflight: skipped without an installed maintenance page" {
  mkdir -p "$ENV_DIR"
  run preflight_nginx_assets
  [ "$status" -eq 0 ]
  [[ $output == *"nginx check skipped"* ]]
}

@test "preflight: passes when nginx's user can read the page; refuses a 0700 parent with the fix" {
  id -u www-data >/dev/null 2>&1 || {
    echo "no www-data user: install nginx (npm test needs it)"
    return 1
  }
  [ "$(id -u)" -eq 0 ] || {
    echo "runuser needs root: npm test runs as root"
    return 1
  }
  install_berth
  mkdir -p "$ENV_DIR"
  chmod 755 "$ENV_DIR"
  run preflight_nginx_assets
  [ "$status" -eq 0 ]
  [[ $output == *"nginx (www-data) can read $BERTH_ROOT/nginx/maintenance.html"* ]]

  chmod 700 "$BERTH_ROOT"
  run preflight_nginx_assets
  [ "$status" -eq "$EXIT_REFUSED" ]
  [[ $output == *"cannot read the maintenance page $BERTH_ROOT/nginx/maintenance.html: $BERTH_ROOT is drwx------ (700)"* ]]
  [[ $output == *"Fix: chmod o+x $BERTH_ROOT "* ]]

  # The flag's directory, made by a deploy under umask 077.
  chmod 755 "$BERTH_ROOT"
  chmod 700 "$ENV_DIR"
  run preflight_nginx_assets
  [ "$status" -eq "$EXIT_REFUSED" ]
  [[ $output == *"cannot reach the directory of the maintenance flag, $ENV_DIR: $ENV_DIR is drwx------ (700)"* ]]
  [[ $output == *"Fix: chmod o+x $ENV_DIR "* ]]
}

@test "the mode check (a non-root deploy user's view) names the component and the class to open" {
  id -u www-data >/dev/null 2>&1 || {
    echo "no www-data user: install nginx (npm test needs it)"
    return 1
  }
  [ "$(id -u)" -eq 0 ] || {
    echo "chgrp needs root: npm test runs as root"
    return 1
  }
  install_berth
  page="$BERTH_ROOT/nginx/maintenance.html"
  [ -z "$(nginx_blocker www-data r "$page")" ]
  chmod 600 "$page"
  [ "$(nginx_blocker www-data r "$page")" = "$page o" ]
  chmod 644 "$page"
  chmod 700 "$BERTH_ROOT"
  [ "$(nginx_blocker www-data r "$page")" = "$BERTH_ROOT o" ]
  # nginx's user in the directory's group: the group's bits are the ones that count.
  chgrp www-data "$BERTH_ROOT"
  chmod 705 "$BERTH_ROOT"
  [ "$(nginx_blocker www-data r "$page")" = "$BERTH_ROOT g" ]
  chmod 750 "$BERTH_ROOT"
  [ -z "$(nginx_blocker www-data r "$page")" ]
  # An unknown user is judged by the others' bits.
  [ "$(nginx_blocker no-such-nginx-user r "$page")" = "$BERTH_ROOT o" ]
}

#!/usr/bin/env bats
# berth setup's provisioning script (vps-scripts/setup/provision.sh) on this machine,
# without SSH: every bad value is refused before anything changes, plan mode changes
# nothing, apply makes the deploy user, the tree, the data directory and the env file,
# and a second apply finds everything ok. And nginx/render.sh's single-upstream, plain
# HTTP mode, which setup renders until a certificate exists. Run by `npm test` (bats
# test/vps), as root.

bats_require_minimum_version 1.5.0

setup() {
  REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
  PROVISION="$REPO/vps-scripts/setup/provision.sh"
  BASE=$(mktemp -d /tmp/berth-setup-bats.XXXXXX)
  chmod 755 "$BASE"
  ROOT="$BASE/app"
  U="berth-bats$$"
  KEY="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGje2LPcUZg/Qr597SiGF60qqYNUuxDIZ45bGnLEad2x ci@acme"
}

teardown() {
  if id "$U" >/dev/null 2>&1; then userdel --force --remove "$U" 2>/dev/null || true; fi
  if getent group "$U" >/dev/null; then groupdel "$U" 2>/dev/null || true; fi
  rm -rf -- "${BASE:?}"
}

# provision <mode> [extra args…]: the arguments berth setup would give, for $U and $ROOT.
provision() {
  local mode=$1
  shift
  bash "$PROVISION" --mode "$mode" --app shop --env staging --user "$U" --root "$ROOT" \
    --env-file "$ROOT/env/staging.env" --assets "$REPO/nginx" --deploy-key "$KEY" \
    --data-dir "$ROOT/staging/storage=deploy" --env-var SECRET_KEY_BASE --env-optional WEB_PORT --no-nginx "$@"
}

@test "every bad value is refused with exit 2, named with the fix, before anything changes" {
  local bad
  for bad in "--user root" "--user Bad;id" "--root /opt/../etc" "--root relative" "--env Prod" \
    "--data-dir $ROOT/staging/x=0" "--data-dir /etc/cron.d=1000" "--data-dir $ROOT/staging/x=www-data" \
    "--env-var A-B" "--deploy-key ssh-ed25519" "--user-uid 0" "--mode yolo"; do
    # shellcheck disable=SC2086 # one option and its value, split on purpose
    run -2 provision plan $bad
    [[ $output == "berth setup: "* ]] || {
      echo "$bad: $output"
      return 1
    }
  done
  run -2 bash "$PROVISION" --mode plan --app shop --env staging --user "$U" --root "$ROOT" \
    --env-file "$ROOT/env/staging.env" --assets "$REPO/nginx" --server-name 'a b' --app-port 3000
  [[ $output == *"--server-name a\\ b is not a DNS name"* ]]
  run -2 provision plan --deploy-key "$KEY; rm -rf /"
  [[ $output == *"is not one OpenSSH public key line"* ]]
  run ! id "$U"
  [ ! -e "$ROOT" ]
}

@test "plan mode says what it would do and changes nothing" {
  run -0 provision plan
  [[ $output == *$'plan\tuser\tcreate '"$U"* ]]
  [[ $output == *$'plan\tdir\t'"$ROOT/staging/backups ($U, 700)"* ]]
  [[ $output == *$'plan\tenv-file\t'"$ROOT/env/staging.env ($U, 600) naming SECRET_KEY_BASE"* ]]
  [[ $output == *$'summary\tplan\t'* ]]
  run ! id "$U"
  [ ! -e "$ROOT" ]
}

@test "apply makes the user, the tree and the env file; a second apply finds everything ok" {
  docker info >/dev/null 2>&1 || skip "dockerd is not running here (the docker step would start it)"
  run -0 provision apply
  [[ $output == *$'changed\tuser\t'* ]]
  id -nG "$U" | tr ' ' '\n' | grep -qx docker
  grep -qxF "$KEY" "/home/$U/.ssh/authorized_keys"
  [ "$(stat -c '%U %a' "/home/$U/.ssh" "/home/$U/.ssh/authorized_keys")" = "$(printf '%s 700\n%s 600' "$U" "$U")" ]
  [ "$(stat -c '%U %a' "$ROOT" "$ROOT/env" "$ROOT/staging" "$ROOT/staging/backups" "$ROOT/staging/storage")" = \
    "$(printf '%s 755\n%s 700\n%s 755\n%s 700\n%s 750' "$U" "$U" "$U" "$U" "$U")" ]
  [ "$(stat -c '%U %a' "$ROOT/env/staging.env")" = "$U 600" ]
  grep -qx 'SECRET_KEY_BASE=' "$ROOT/env/staging.env"
  grep -q '^# WEB_PORT= ' "$ROOT/env/staging.env"

  # The user sets a value; the compose file gains a variable: only the name is appended.
  sed -i 's/^SECRET_KEY_BASE=$/SECRET_KEY_BASE=s3cret-value/' "$ROOT/env/staging.env"
  run -0 provision apply --env-var DATABASE_KEY
  [[ $output == *$'changed\tenv-file\t'"$ROOT/env/staging.env: add DATABASE_KEY"* ]]
  [[ $output != *s3cret-value* ]]
  grep -qx 'SECRET_KEY_BASE=s3cret-value' "$ROOT/env/staging.env"
  grep -qx 'DATABASE_KEY=' "$ROOT/env/staging.env"
  [[ $output == *$'note\tenv-file\tno value yet in '"$ROOT/env/staging.env: DATABASE_KEY"* ]]

  run -0 provision apply --env-var DATABASE_KEY
  [[ $output != *$'changed\t'* ]]
  [[ $output == *$'summary\tapply\t0'* ]]

  # A mode changed by hand is put back.
  chmod 755 "$ROOT/staging/backups"
  run -0 provision apply --env-var DATABASE_KEY
  [[ $output == *$'changed\tdir\t'"$ROOT/staging/backups ($U, 700)"* ]]
  [[ $output == *$'summary\tapply\t1'* ]]
}

@test "--offsite-schedule: a timer per environment runs berth backup <env> --offsite as the deploy user" {
  docker info >/dev/null 2>&1 || skip "dockerd is not running here (the docker step would start it)"
  run -2 provision plan --offsite-schedule $'daily\nExecStartPre=/bin/sh'
  [[ $output == *"--offsite-schedule"*"is not a systemd OnCalendar expression"* ]]
  run -0 provision plan --offsite-schedule '*-*-* 03:15:00' --systemd-dir "$BASE/systemd"
  [[ $output == *$'plan\toffsite-timer\t'"$BASE/systemd/berth-shop-staging-offsite.timer: $ROOT/bin/berth backup staging --offsite as $U on '*-*-* 03:15:00'"* ]]
  [ ! -e "$BASE/systemd" ]
  run -0 provision apply --offsite-schedule '*-*-* 03:15:00' --systemd-dir "$BASE/systemd"
  [[ $output == *$'changed\toffsite-timer\t'* ]]
  service="$BASE/systemd/berth-shop-staging-offsite.service"
  timer="$BASE/systemd/berth-shop-staging-offsite.timer"
  # The command the timer runs, as whom, and when: exactly the verb test/vps/offsite.bats
  # and test/e2e/offsite.test.ts run (with BERTH_LOCK_WAIT: a deploy in progress is waited for).
  grep -qx "User=$U" "$service"
  grep -qx "ExecStart=$ROOT/bin/berth backup staging --offsite" "$service"
  grep -qx "Environment=BERTH_LOCK_WAIT=1800" "$service"
  grep -qx "Type=oneshot" "$service"
  grep -qx "OnCalendar=\*-\*-\* 03:15:00" "$timer"
  grep -qx "Persistent=true" "$timer"
  grep -qx "WantedBy=timers.target" "$timer"
  [ "$(stat -c %a "$service" "$timer")" = "$(printf '644\n644')" ]
  if command -v systemd-analyze >/dev/null; then
    systemd-analyze calendar '*-*-* 03:15:00' >/dev/null
  fi
  run -0 provision apply --offsite-schedule '*-*-* 03:15:00' --systemd-dir "$BASE/systemd"
  [[ $output == *$'ok\toffsite-timer\t'* ]]
  # A new schedule rewrites the timer.
  run -0 provision apply --offsite-schedule '*-*-* 04:00:00' --systemd-dir "$BASE/systemd"
  [[ $output == *$'changed\toffsite-timer\t'* ]]
  grep -qx "OnCalendar=\*-\*-\* 04:00:00" "$timer"
}

@test "a data directory owned by another uid than the deploy user's is flagged" {
  run -0 provision plan --data-dir "$ROOT/staging/uploads=4242:4242" --user-uid 4343
  [[ $output == *$'warn\tdata-dir\t'"$ROOT/staging/uploads belongs to uid 4242"*"run as $U (uid 4343)"*"--deploy-uid 4242"* ]]
  run -0 provision plan --data-dir "$ROOT/staging/uploads=4242:4242" --prefer-uid 4242
  [[ $output != *$'warn\tdata-dir'* ]]
  [[ $output == *"create $U with uid 4242"* ]]
}

@test "render.sh --app-port --no-tls: every route to one port, plain HTTP, WebSocket headers; nginx -t accepts it" {
  run -0 bash "$REPO/nginx/render.sh" --env staging --server-name app.example.com --root "$ROOT" \
    --app-port 3000 --no-tls --http-listen 127.0.0.1:28199 --cache-dir "$BASE/cache"
  # Every route through the live slot's variable: the rendered port until live.conf says otherwise.
  [ "$(grep -c "proxy_pass http://\$berth_staging_3000;" <<<"$output")" -eq 4 ]
  [[ $output == *"set \$berth_staging_3000 127.0.0.1:3000;"* ]]
  [[ $output == *"include $ROOT/staging/nginx/live.con[f];"* ]]
  [[ $output != *"listen 443"* && $output != *ssl_certificate* && $output != *"return 301"* ]]
  [[ $output == *"proxy_set_header Upgrade \$http_upgrade;"* ]]
  [[ $output == *"proxy_set_header Connection \$berth_connection_staging;"* ]]
  [[ $output == *"location /.well-known/acme-challenge/"* ]]
  mkdir -p "$BASE/cache" "$BASE/logs" "$ROOT/nginx/snippets"
  cp "$REPO/nginx/snippets/berth-maintenance.conf" "$ROOT/nginx/snippets/"
  printf '%s\n' "$output" >"$BASE/site.conf"
  run ! grep -Ex '# @(tls|no-tls|end)' "$BASE/site.conf"
  cat >"$BASE/nginx.conf" <<CONF
pid $BASE/nginx.pid;
error_log $BASE/logs/error.log;
events {}
http { include $BASE/site.conf; }
CONF
  run -0 nginx -t -q -p "$BASE" -c "$BASE/nginx.conf"
  # berth's live.conf (slot b's port) is valid where the site includes it.
  mkdir -p "$ROOT/staging/nginx"
  echo "set \$berth_staging_3000 127.0.0.1:13000;" >"$ROOT/staging/nginx/live.conf"
  run -0 nginx -t -q -p "$BASE" -c "$BASE/nginx.conf"

  # With a certificate: HTTP redirects, HTTPS serves; the two ports as before.
  run -0 bash "$REPO/nginx/render.sh" --env staging --server-name app.example.com --root "$ROOT" \
    --frontend-port 3001 --backend-port 3002
  [[ $output == *"listen 443 ssl http2;"* && $output == *"return 301 https"* ]]
  [[ $output == *"proxy_pass http://\$berth_staging_3002;"* && $output == *"proxy_pass http://\$berth_staging_3001;"* ]]
  run -2 bash "$REPO/nginx/render.sh" --env staging --server-name app.example.com --root "$ROOT" \
    --app-port 3000 --frontend-port 3001 --backend-port 3002
  [[ $output == *"give --app-port alone"* ]]
}

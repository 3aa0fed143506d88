#!/usr/bin/env bash
# berth setup's provisioning of a bare Debian/Ubuntu server, run as root (directly or
# through sudo) by `berth setup <env>` (src/cli/setup.ts), which uploads it with berth's
# nginx/ files and runs it twice: `--mode plan` (changes nothing: says what it would do),
# then, once confirmed, `--mode apply`. Every value comes as an argument and is checked
# before anything else; the script text is a constant.
#
#   provision.sh --mode plan|apply --app NAME --env NAME --user NAME --root PATH
#     --env-file PATH --assets DIR [--user-uid UID | --prefer-uid UID]
#     [--deploy-key 'TYPE BASE64 [COMMENT]']
#     [--data-dir PATH=OWNER …]  (OWNER: deploy, UID or UID:GID)
#     [--env-var NAME …] [--env-optional NAME …]
#     [--registry HOST --registry-user USER]  (the token: stdin's first line)
#     [--offsite-schedule ONCALENDAR [--systemd-dir DIR]]  (berth.yml offsite.schedule)
#     [--no-nginx | --server-name NAME (--app-port P | --frontend-port P --backend-port P)
#       [--http-listen L] [--https-listen L] [--admin-ip IP …] [--cert-dir DIR]
#       [--acme-root DIR] [--sites-dir DIR] [--certbot EMAIL]]
#
# Output: one line per step on stdout, `<status><TAB><step><TAB><detail>`, status one of
# ok (already so), changed (done now), plan (would be done), note, warn. What commands
# print goes to stderr. Values of the env file are never printed, only variable names.
# Exit codes: 0 done; 1 a step failed (the line on stderr says which and why);
# 2 a bad argument (named with its value and the fix), nothing changed.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LC_ALL=C

die() {
  printf 'berth setup: %s\n' "$*" >&2
  exit 1
}
bad() {
  printf 'berth setup: %s\n' "$*" >&2
  exit 2
}
q() { printf '%q' "$1"; }
report() { printf '%s\t%s\t%s\n' "$1" "$2" "$3"; }

mode="" app="" env_name="" user="" user_uid="" prefer_uid="" root="" env_file="" assets="" deploy_key=""
offsite_schedule="" systemd_dir=/etc/systemd/system
registry="" registry_user="" nginx=1 server_name="" app_port="" frontend_port="" backend_port=""
http_listen=80 https_listen=443 cert_dir="" acme_root=/var/www/certbot sites_dir="" certbot_email=""
data_dirs=() env_vars=() env_optional=() admin_ips=()
while [ $# -gt 0 ]; do
  if [ "$1" = --no-nginx ]; then
    nginx=0
    shift
    continue
  fi
  [ $# -ge 2 ] || bad "$1 needs a value"
  case "$1" in
    --mode) mode=$2 ;;
    --app) app=$2 ;;
    --env) env_name=$2 ;;
    --user) user=$2 ;;
    --user-uid) user_uid=$2 ;;
    --prefer-uid) prefer_uid=$2 ;;
    --root) root=$2 ;;
    --env-file) env_file=$2 ;;
    --assets) assets=$2 ;;
    --deploy-key) deploy_key=$2 ;;
    --data-dir) data_dirs+=("$2") ;;
    --env-var) env_vars+=("$2") ;;
    --env-optional) env_optional+=("$2") ;;
    --registry) registry=$2 ;;
    --offsite-schedule) offsite_schedule=$2 ;;
    --systemd-dir) systemd_dir=$2 ;;
    --registry-user) registry_user=$2 ;;
    --server-name) server_name=$2 ;;
    --app-port) app_port=$2 ;;
    --frontend-port) frontend_port=$2 ;;
    --backend-port) backend_port=$2 ;;
    --http-listen) http_listen=$2 ;;
    --https-listen) https_listen=$2 ;;
    --admin-ip) admin_ips+=("$2") ;;
    --cert-dir) cert_dir=$2 ;;
    --acme-root) acme_root=$2 ;;
    --sites-dir) sites_dir=$2 ;;
    --certbot) certbot_email=$2 ;;
    *) bad "unknown option $(q "$1")" ;;
  esac
  shift 2
done

# --- validation: every value, before anything changes --------------------------------

name_re='^[a-z][a-z0-9-]{0,31}$'
user_re='^[a-z_][a-z0-9_-]{0,31}$'
var_re='^[A-Za-z_][A-Za-z0-9_]{0,127}$'
port_re='^[0-9]{1,5}$'
listen_re='^(([0-9]{1,3}\.){3}[0-9]{1,3}:|\[[0-9a-fA-F:]+\]:)?[0-9]{1,5}$'
is_path() { [[ $1 =~ ^/[A-Za-z0-9_./-]*$ && ! $1 =~ (^|/)\.\.(/|$) ]]; }
is_port() { [[ $1 =~ $port_re ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }
is_id() { [[ $1 =~ ^[0-9]{1,10}$ ]] && [ "$1" -le 4294967294 ]; }
need_path() { is_path "$2" || bad "$1 $(q "$2") is not an absolute path (letters, digits, _ . - /; no ..): e.g. $3"; }

case "$mode" in plan | apply) ;; *) bad "--mode $(q "$mode"): use plan (change nothing) or apply" ;; esac
[[ $app =~ ^[a-z][a-z0-9-]{0,39}$ ]] || bad "--app $(q "$app") is not an app name (a-z, 0-9, -): berth.yml's app:, e.g. shop"
[[ $env_name =~ $name_re ]] || bad "--env $(q "$env_name") is not an environment name (a-z, 0-9, -): e.g. staging"
[[ $user =~ $user_re ]] || bad "--user $(q "$user") is not a Unix user name (a-z, 0-9, _ -): berth.yml's environments.$env_name.user, e.g. deploy"
[ "$user" != root ] || bad "--user root: berth deploys as a user without root; set environments.$env_name.user in berth.yml to e.g. deploy"
[ -z "$user_uid" ] || { is_id "$user_uid" && [ "$user_uid" -ge 1 ]; } ||
  bad "--user-uid $(q "$user_uid") is not a uid for a new user (a number from 1): e.g. 1000"
[ -z "$prefer_uid" ] || { is_id "$prefer_uid" && [ "$prefer_uid" -ge 1 ]; } ||
  bad "--prefer-uid $(q "$prefer_uid") is not a uid for a new user (a number from 1): e.g. 1000"
need_path --root "$root" /opt/shop
[ "$root" != / ] || bad "--root /: give the app's own directory, e.g. /opt/$app"
need_path --env-file "$env_file" "$root/env/$env_name.env"
need_path --assets "$assets" /tmp/berth-setup.XXXX/nginx
{ [ -f "$assets/render.sh" ] && [ -f "$assets/maintenance.html" ]; } ||
  bad "--assets $(q "$assets") does not hold berth's nginx/ files (render.sh, maintenance.html): upload them with the script"
if [ -n "$deploy_key" ]; then
  key_re='^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]{16,}={0,3}( [A-Za-z0-9@._+:=-]{1,100})?$'
  [[ $deploy_key =~ $key_re ]] ||
    bad "--deploy-key $(q "$deploy_key") is not one OpenSSH public key line: give the .pub file's line, e.g. ssh-ed25519 AAAA… deploy@ci"
fi
declare -A data_owner=()
data_paths=()
for spec in "${data_dirs[@]}"; do
  path=${spec%=*} owner=${spec##*=}
  [[ $spec == *=* ]] || bad "--data-dir $(q "$spec") is not PATH=OWNER: e.g. $root/$env_name/storage=1000:1000"
  need_path --data-dir "$path" "$root/$env_name/storage"
  case "$path/" in
    "$root/"*) ;;
    *) bad "--data-dir $(q "$path") is outside --root $root: setup only creates directories under the app's root; create it yourself" ;;
  esac
  if [ "$owner" != deploy ]; then
    { [[ $owner =~ ^[0-9]{1,10}(:[0-9]{1,10})?$ ]] && is_id "${owner%%:*}" && is_id "${owner##*:}"; } ||
      bad "--data-dir $(q "$spec"): owner $(q "$owner") is not deploy, UID or UID:GID: e.g. 1000:1000"
    [ "${owner%%:*}" != 0 ] ||
      bad "--data-dir $(q "$spec"): owner uid 0 (root): berth's backups run as $user and could not write what root owns; run the containers as a non-root uid (compose user:), or pass --data-uid"
  fi
  data_paths+=("$path")
  data_owner[$path]=$owner
done
for v in "${env_vars[@]}" "${env_optional[@]}"; do
  [[ $v =~ $var_re ]] || bad "--env-var $(q "$v") is not a variable name (letters, digits, _): e.g. SECRET_KEY_BASE"
done
if [ -n "$registry$registry_user" ]; then
  [[ $registry =~ ^[A-Za-z0-9]([A-Za-z0-9.-]{0,253}[A-Za-z0-9])?(:[0-9]{1,5})?$ ]] ||
    bad "--registry $(q "$registry") is not a registry host[:port]: e.g. ghcr.io"
  [[ $registry_user =~ ^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,254}$ ]] ||
    bad "--registry-user $(q "$registry_user") is not a registry user name: e.g. acme-bot"
fi
if [ -n "$offsite_schedule" ]; then
  [[ $offsite_schedule =~ ^[A-Za-z0-9*:,./\ -]{1,64}$ ]] ||
    bad "--offsite-schedule $(q "$offsite_schedule") is not a systemd OnCalendar expression: berth.yml's offsite.schedule, e.g. '*-*-* 03:15:00'"
  need_path --systemd-dir "$systemd_dir" /etc/systemd/system
fi
if [ "$nginx" = 1 ]; then
  [[ $server_name =~ ^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$ ]] ||
    bad "--server-name $(q "$server_name") is not a DNS name: the site's name, e.g. app.example.com"
  if [ -n "$app_port" ]; then
    [ -z "$frontend_port$backend_port" ] || bad "--app-port with --frontend-port/--backend-port: give one port for every route, or the two"
    is_port "$app_port" || bad "--app-port $(q "$app_port") is not a TCP port: the app's published loopback port, e.g. 3000"
  else
    is_port "$frontend_port" || bad "--frontend-port $(q "$frontend_port") is not a TCP port: give --app-port P for an app with one port"
    is_port "$backend_port" || bad "--backend-port $(q "$backend_port") is not a TCP port: give --app-port P for an app with one port"
  fi
  [[ $http_listen =~ $listen_re ]] || bad "--http-listen $(q "$http_listen"): use a port or address:port, e.g. 80"
  [[ $https_listen =~ $listen_re ]] || bad "--https-listen $(q "$https_listen"): use a port or address:port, e.g. 443"
  for ip in "${admin_ips[@]}"; do
    [[ $ip =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}(/[0-9]{1,2})?$ || $ip =~ ^[0-9a-fA-F:]+(/[0-9]{1,3})?$ ]] ||
      bad "--admin-ip $(q "$ip"): use an IPv4/IPv6 address or CIDR, e.g. 203.0.113.7"
  done
  cert_dir=${cert_dir:-/etc/letsencrypt/live/$server_name}
  need_path --cert-dir "$cert_dir" "/etc/letsencrypt/live/$server_name"
  need_path --acme-root "$acme_root" /var/www/certbot
  [ -z "$sites_dir" ] || need_path --sites-dir "$sites_dir" /etc/nginx/conf.d
  if [ -n "$certbot_email" ]; then
    [[ $certbot_email =~ ^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$ ]] ||
      bad "--certbot $(q "$certbot_email") is not an e-mail address (Let's Encrypt's expiry notices go there): e.g. ops@example.com"
  fi
fi
[ "$(id -u)" -eq 0 ] || die "provisioning needs root: log in as root (--ssh-user root) or as a user with passwordless sudo"

token=""
if [ -n "$registry" ]; then
  IFS= read -r token || true
  [ -n "$token" ] || bad "--registry $registry: no token on stdin; set BERTH_REGISTRY_TOKEN to a long-lived read-only (pull) token"
fi

# --- steps -----------------------------------------------------------------------------

changes=0
# step <name> <detail when done> <test command…>: ok when the test passes; else, in plan
# mode, plan; in apply mode run do_<function> (set by the caller in $fix) and report changed.
fix=""
step() {
  local name=$1 detail=$2
  shift 2
  if "$@"; then
    report ok "$name" "$detail"
    return 0
  fi
  changes=$((changes + 1))
  if [ "$mode" = plan ]; then
    report plan "$name" "$detail"
  else
    "$fix" || die "$name: could not be done (see above)"
    report changed "$name" "$detail"
  fi
}

# Packages: only what is missing, and apt-get only when something is.
compose_present() { docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1; }
compose_package() {
  local p candidate
  for p in docker-compose-v2 docker-compose-plugin docker-compose; do
    candidate=$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
    if [ -n "$candidate" ] && [ "$candidate" != "(none)" ]; then
      printf '%s\n' "$p"
      return 0
    fi
  done
  printf 'docker-compose\n'
}
missing=()
command -v docker >/dev/null 2>&1 || missing+=(docker.io)
command -v jq >/dev/null 2>&1 || missing+=(jq)
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v flock >/dev/null 2>&1 || missing+=(util-linux)
# restic: offsite backups (berth backup --offsite, drill, recover; docs/ops/offsite.md).
command -v restic >/dev/null 2>&1 || missing+=(restic)
if [ "$nginx" = 1 ]; then command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx); fi
if [ -n "$certbot_email" ]; then command -v certbot >/dev/null 2>&1 || missing+=(certbot); fi
packages_present() { [ ${#missing[@]} -eq 0 ] && compose_present; }
do_packages() {
  command -v apt-get >/dev/null 2>&1 ||
    die "missing ${missing[*]} and this is not a Debian/Ubuntu server (no apt-get): install docker, docker compose, jq, sqlite3, curl, flock, restic and nginx, then run berth setup again"
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
  compose_present || apt-get install -y -q --no-install-recommends "$(compose_package)" >&2
  compose_present || die "no docker compose after installing $(compose_package): install the docker compose v2 plugin or docker-compose"
}
wanted="docker, docker compose, jq, sqlite3, curl, flock, restic"
[ "$nginx" = 0 ] || wanted+=", nginx"
[ -z "$certbot_email" ] || wanted+=", certbot"
[ ${#missing[@]} -eq 0 ] || wanted+=" (apt-get install ${missing[*]})"
compose_present || wanted+=" (and a docker compose package)"
fix=do_packages
step packages "$wanted" packages_present

systemd() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }
docker_up() { docker info >/dev/null 2>&1; }
do_docker() {
  systemd || die "dockerd is not running and there is no systemd to start it: start dockerd"
  systemctl enable --now docker >&2
  docker_up
}
fix=do_docker
step docker "dockerd answers" docker_up

# The deploy user: a login shell, no password (`*`, not a locked `!`: sshd without PAM
# refuses locked accounts even for keys), in the docker group.
user_ok() {
  id -u "$user" >/dev/null 2>&1 || return 1
  [ -z "$user_uid" ] || [ "$(id -u "$user")" = "$user_uid" ] ||
    warn_once "--user-uid $user_uid: $user already exists with uid $(id -u "$user"); it is left as it is"
  [[ $(getent shadow "$user" | cut -d: -f2) != '!'* ]]
}
warned=""
warn_once() {
  [[ $warned == *"|$1|"* ]] && return 0
  warned+="|$1|"
  report warn user "$1"
}
do_user() {
  if ! id -u "$user" >/dev/null 2>&1; then
    local uid_args=()
    if [ -n "$user_uid" ]; then
      if getent passwd "$user_uid" >/dev/null; then
        die "uid $user_uid is taken by $(getent passwd "$user_uid" | cut -d: -f1): pick another --deploy-uid"
      fi
      uid_args=(--uid "$user_uid")
    elif [ -n "$prefer_uid" ] && ! getent passwd "$prefer_uid" >/dev/null; then
      uid_args=(--uid "$prefer_uid")
    fi
    useradd --create-home --shell /bin/bash --user-group "${uid_args[@]}" "$user" >&2
  fi
  usermod -p '*' "$user"
}
# The uid the deploy user has, or will get ("" when useradd picks it).
deploy_uid() {
  if id -u "$user" >/dev/null 2>&1; then
    id -u "$user"
  elif [ -n "$user_uid" ]; then
    printf '%s\n' "$user_uid"
  elif [ -n "$prefer_uid" ] && ! getent passwd "$prefer_uid" >/dev/null; then
    printf '%s\n' "$prefer_uid"
  fi
  return 0
}
if id -u "$user" >/dev/null 2>&1; then
  user_detail="$user (uid $(id -u "$user")) exists and may log in with a key (no password)"
else
  new_uid=$(deploy_uid)
  user_detail="create $user${new_uid:+ with uid $new_uid}, a login shell and no password (key logins only)"
fi
fix=do_user
step user "$user_detail" user_ok

in_docker_group() { id -u "$user" >/dev/null 2>&1 && id -nG "$user" | tr ' ' '\n' | grep -qx docker; }
do_docker_group() {
  getent group docker >/dev/null || groupadd docker
  usermod -aG docker "$user"
}
fix=do_docker_group
step docker-group "$user is in the docker group" in_docker_group

home_of() { getent passwd "$user" | cut -d: -f6; }
if [ -n "$deploy_key" ]; then
  key_blob=$(cut -d' ' -f2 <<<"$deploy_key")
  key_ok() {
    local home f
    home=$(home_of) || return 1
    [ -n "$home" ] || return 1
    f="$home/.ssh/authorized_keys"
    [ -f "$f" ] && awk -v b="$key_blob" '{ for (i = 1; i <= NF; i++) if ($i == b) found = 1 } END { exit !found }' "$f" &&
      [ "$(stat -c '%U %a' "$home/.ssh")" = "$user 700" ] && [ "$(stat -c '%U' "$f")" = "$user" ] &&
      [ $((8#$(stat -c '%a' "$f") & 8#022)) -eq 0 ]
  }
  do_key() {
    local home group f
    home=$(home_of)
    group=$(id -gn "$user")
    f="$home/.ssh/authorized_keys"
    install -d -o "$user" -g "$group" -m 700 "$home/.ssh"
    chown "$user:$group" "$home/.ssh"
    chmod 700 "$home/.ssh"
    touch "$f"
    awk -v b="$key_blob" '{ for (i = 1; i <= NF; i++) if ($i == b) found = 1 } END { exit !found }' "$f" ||
      printf '%s\n' "$deploy_key" >>"$f"
    chown "$user:$group" "$f"
    chmod 600 "$f"
  }
  fix=do_key
  step deploy-key "the deploy key ($(cut -d' ' -f1 <<<"$deploy_key")) is in ~$user/.ssh/authorized_keys" key_ok
else
  report note deploy-key "no --deploy-key given: ~$user/.ssh/authorized_keys left as it is"
fi

# Directories (docs/design.md §4): the root and <env>/ searchable by nginx's workers
# (the maintenance flag), env/ and backups/ the deploy user's alone.
dir_ok() { # dir_ok <path> <owner> <group> <mode>
  [ -d "$1" ] && [ ! -L "$1" ] && [ "$(stat -c '%U:%G %a' "$1")" = "$2:$3 $4" ]
}
dir_ok_ids() { # dir_ok_ids <path> <uid:gid> <mode>
  [ -d "$1" ] && [ ! -L "$1" ] && [ "$(stat -c '%u:%g %a' "$1")" = "$2 $3" ]
}
make_dir() { # make_dir <path> <owner> <group> <mode>
  local parent
  parent=$(dirname "$1")
  # Parents berth does not own are made as root, searchable by all (like /opt).
  [ -d "$parent" ] || install -d -m 755 "$parent"
  [ ! -L "$1" ] || die "$1 is a symbolic link: berth setup does not follow it; replace it with a directory"
  [ -d "$1" ] || mkdir "$1"
  chown "$2:$3" "$1"
  chmod "$4" "$1"
}
user_group() { id -gn "$user" 2>/dev/null || printf '%s' "$user"; }
group=$(user_group)
dirs=("$root 755" "$root/env 700" "$root/$env_name 755" "$root/$env_name/releases 755"
  "$root/$env_name/backups 700" "$root/$env_name/maintenance 755" "$root/$env_name/runs 700")
for spec in "${dirs[@]}"; do
  d=${spec% *} m=${spec##* }
  # Each step's fix reads its own directory: a function per loop pass would be lost.
  dir_target=$d dir_mode=$m
  do_dir() { make_dir "$dir_target" "$user" "$(user_group)" "$dir_mode"; }
  fix=do_dir
  step dir "$d ($user, $m)" dir_ok "$d" "$user" "$group" "$m"
done

# The host directories the compose file bind-mounts: owned by the uid the containers
# run as (the deploy user when unknown), 0750.
for d in "${data_paths[@]}"; do
  owner=${data_owner[$d]}
  if [ "$owner" = deploy ]; then
    dir_target=$d
    do_data() { make_dir "$dir_target" "$user" "$(user_group)" 750; }
    fix=do_data
    step data-dir "$d ($user, 750)" dir_ok "$d" "$user" "$group" 750
  else
    data_uid=${owner%%:*}
    if [[ $owner == *:* ]]; then
      data_gid=${owner##*:}
    else
      data_gid=$(id -g "$user" 2>/dev/null || echo "$data_uid")
    fi
    dir_target=$d dir_ids="$data_uid:$data_gid"
    do_data_ids() { make_dir "$dir_target" "${dir_ids%%:*}" "${dir_ids##*:}" 750; }
    fix=do_data_ids
    step data-dir "$d (uid $data_uid, gid $data_gid, 750)" dir_ok_ids "$d" "$data_uid:$data_gid" 750
    now_uid=$(deploy_uid)
    if [ "$now_uid" != "$data_uid" ]; then
      taken=$(getent passwd "$data_uid" | cut -d: -f1 || true)
      if [ -n "$taken" ]; then
        other="deploy as $taken, whose uid it is (berth.yml: environments.$env_name.user: $taken)"
      elif id -u "$user" >/dev/null 2>&1; then
        other="change $user's uid to $data_uid (usermod -u $data_uid $user)"
      else
        other="create $user with uid $data_uid (berth setup --deploy-uid $data_uid)"
      fi
      report warn data-dir "$d belongs to uid $data_uid (the containers' user) but berth's backups and restores run as $user ($([ -n "$now_uid" ] && echo "uid $now_uid" || echo "a new uid")) and must write the SQLite files there; they would fail. Run the containers as $user's uid (compose user:), or $other"
    fi
  fi
done

# The env file: created 0600 for the deploy user; names the compose file needs and the
# file lacks are appended as NAME= (optional ones as a comment). Values are never read
# out, never printed, never changed.
has_name() { grep -qE "^[[:space:]]*(export[[:space:]]+)?$1=" "$env_file"; }
has_name_or_comment() { grep -qE "^[[:space:]#]*(export[[:space:]]+)?$1=" "$env_file"; }
env_missing() {
  local v
  for v in "${env_vars[@]}"; do has_name "$v" || printf '%s\n' "$v"; done
  for v in "${env_optional[@]}"; do has_name_or_comment "$v" || printf '# %s\n' "$v"; done
}
env_ok() {
  [ -f "$env_file" ] && [ ! -L "$env_file" ] && [ "$(stat -c '%U %a' "$env_file")" = "$user 600" ] &&
    [ -z "$(env_missing)" ]
}
do_env() {
  local parent missing_names v
  parent=$(dirname "$env_file")
  [ -d "$parent" ] || make_dir "$parent" "$user" "$(user_group)" 700
  [ ! -L "$env_file" ] || die "$env_file is a symbolic link: berth setup does not write through it"
  if [ ! -f "$env_file" ]; then
    (umask 077 && printf '# %s %s: settings and secrets for the compose file (never uploaded; berth never prints values)\n' "$app" "$env_name" >"$env_file")
  fi
  chown "$user:$(user_group)" "$env_file"
  chmod 600 "$env_file"
  missing_names=$(env_missing)
  while IFS= read -r v; do
    [ -n "$v" ] || continue
    if [[ $v == '# '* ]]; then
      printf '# %s=  (optional: the compose file has a default)\n' "${v#'# '}" >>"$env_file"
    else
      printf '%s=\n' "$v" >>"$env_file"
    fi
  done <<<"$missing_names"
}
env_detail() {
  local names
  if [ -f "$env_file" ]; then names=$(env_missing | sed 's/^# //' | paste -sd, - | sed 's/,/, /g'); else names=""; fi
  if [ ! -f "$env_file" ]; then
    printf '%s (%s, 600)' "$env_file" "$user"
    [ ${#env_vars[@]} -eq 0 ] || printf ' naming %s' "$(printf '%s\n' "${env_vars[@]}" | paste -sd, - | sed 's/,/, /g')"
  elif [ -n "$names" ]; then
    printf '%s: add %s' "$env_file" "$names"
  else
    printf '%s (%s, 600) names every variable the compose file needs' "$env_file" "$user"
  fi
}
fix=do_env
step env-file "$(env_detail)" env_ok
if [ -f "$env_file" ]; then
  empty=()
  for v in "${env_vars[@]}"; do
    grep -qE "^[[:space:]]*(export[[:space:]]+)?$v=[[:space:]]*$" "$env_file" && empty+=("$v")
  done
  [ ${#empty[@]} -eq 0 ] || report note env-file "no value yet in $env_file: ${empty[*]} (set them there before the first deploy)"
elif [ ${#env_vars[@]} -gt 0 ]; then
  report note env-file "then set ${env_vars[*]} in $env_file before the first deploy"
fi

# The offsite backup timer (docs/ops/offsite.md): berth-<app>-<env>-offsite.timer runs
# `berth backup <env> --offsite` as the deploy user on berth.yml's offsite.schedule (the
# copy stays in <env>/backups/ too: local and offsite at once), waiting up to 30 minutes
# for a deploy that holds the environment's lock. `berth status` reports its age.
if [ -n "$offsite_schedule" ]; then
  unit="berth-$app-$env_name-offsite"
  render_units() {
    cat >"$units/$unit.service" <<UNIT
# written by berth setup (vps-scripts/setup/provision.sh); docs/ops/offsite.md
[Unit]
Description=berth: offsite backup of $app $env_name (restic)
Wants=network-online.target
After=network-online.target docker.service

[Service]
Type=oneshot
User=$user
Environment=BERTH_LOCK_WAIT=1800
ExecStart=$root/bin/berth backup $env_name --offsite
Nice=10
IOSchedulingClass=idle
UNIT
    cat >"$units/$unit.timer" <<UNIT
# written by berth setup (vps-scripts/setup/provision.sh); docs/ops/offsite.md
[Unit]
Description=berth: offsite backup of $app $env_name on a schedule

[Timer]
OnCalendar=$offsite_schedule
RandomizedDelaySec=15m
Persistent=true

[Install]
WantedBy=timers.target
UNIT
  }
  units=$(mktemp -d)
  render_units
  timer_ok() {
    cmp -s "$units/$unit.service" "$systemd_dir/$unit.service" && cmp -s "$units/$unit.timer" "$systemd_dir/$unit.timer" &&
      { ! systemd || systemctl is-enabled --quiet "$unit.timer" 2>/dev/null; }
  }
  do_timer() {
    install -d -m 755 "$systemd_dir"
    install -m 644 "$units/$unit.service" "$systemd_dir/$unit.service"
    install -m 644 "$units/$unit.timer" "$systemd_dir/$unit.timer"
    if systemd; then
      systemctl daemon-reload >&2
      systemctl enable --now "$unit.timer" >&2
    else
      report note offsite-timer "no systemd running here: $unit.timer is written to $systemd_dir but not enabled"
    fi
  }
  fix=do_timer
  step offsite-timer "$systemd_dir/$unit.timer: $root/bin/berth backup $env_name --offsite as $user on '$offsite_schedule'" timer_ok
  rm -rf -- "$units"
fi

# berth's nginx pieces in <root>/nginx (as `berth install` puts them with each deploy):
# the server block includes the maintenance snippet from there.
assets_ok() {
  [ -d "$root/nginx" ] && diff -rq "$assets" "$root/nginx" >/dev/null 2>&1 &&
    [ -z "$(find "$root/nginx" \( ! -user "$user" \) -o \( -type d ! -perm -0755 \) -o \( -type f ! -perm -0644 \) 2>/dev/null | head -n1)" ]
}
do_assets() {
  local stage old
  stage=$(mktemp -d "$root/.nginx.new.XXXXXX")
  cp -R "$assets/." "$stage/"
  chmod -R u=rwX,go=rX "$stage"
  chown -R "$user:$(user_group)" "$stage"
  if [ -d "$root/nginx" ]; then
    old="$root/.nginx.old.$$"
    mv -T "$root/nginx" "$old"
    mv -T "$stage" "$root/nginx"
    rm -rf -- "$old"
  else
    mv -T "$stage" "$root/nginx"
  fi
}
if [ "$nginx" = 1 ]; then
  fix=do_assets
  step nginx-files "$root/nginx: berth's maintenance page and snippet, readable by nginx" assets_ok
fi

# A long-lived pull credential for the deploy user (`docker login`, token on stdin).
if [ -n "$registry" ]; then
  want_auth=$(printf '%s:%s' "$registry_user" "$token" | base64 -w0)
  login_ok() {
    local home
    home=$(home_of 2>/dev/null) || return 1
    [ -n "$home" ] && [ -f "$home/.docker/config.json" ] &&
      # docker login stores Docker Hub under its v1 URL.
      jq -e --arg h "$registry" --arg a "$want_auth" \
        '.auths | (.[$h].auth == $a) or ($h == "docker.io" and .["https://index.docker.io/v1/"].auth == $a)' \
        "$home/.docker/config.json" >/dev/null 2>&1
  }
  do_login() {
    local home
    home=$(home_of)
    printf '%s\n' "$token" | runuser -u "$user" -- env HOME="$home" DOCKER_CONFIG="$home/.docker" \
      docker login "$registry" --username "$registry_user" --password-stdin >&2
  }
  fix=do_login
  step registry "$user is logged in to $registry as $registry_user" login_ok
fi

# --- nginx -------------------------------------------------------------------------------

# The running nginx master that loads our sites directory: its pid, and the -p/-c it was
# started with (its title keeps them: "nginx: master process /usr/sbin/nginx -c …"); its
# config (-c, else /etc/nginx/nginx.conf) names the directory. masters: how many run.
master_pid="" master_args=() masters=0
find_master() {
  local f pid line words i prefix conf dir=$1
  master_pid="" master_args=() masters=0
  for f in /proc/[0-9]*/cmdline; do
    line=$(tr '\0' ' ' <"$f" 2>/dev/null) || continue
    [[ $line == "nginx: master process "* ]] || continue
    pid=${f#/proc/}
    pid=${pid%/cmdline}
    masters=$((masters + 1))
    read -ra words <<<"${line#nginx: master process }"
    prefix="" conf=""
    for ((i = 1; i < ${#words[@]}; i++)); do
      case "${words[$i]}" in
        -p) prefix=${words[$((i + 1))]:-} ;;
        -c) conf=${words[$((i + 1))]:-} ;;
      esac
    done
    [ -z "$conf" ] || [[ $conf == /* ]] || conf="${prefix%/}/$conf"
    [ -n "$master_pid" ] || ! grep -qF "$dir" "${conf:-/etc/nginx/nginx.conf}" 2>/dev/null || {
      master_pid=$pid
      [ -z "$prefix" ] || master_args+=(-p "$prefix")
      [ -z "$conf" ] || master_args+=(-c "$conf")
    }
  done
  [ -n "$master_pid" ]
}

if [ "$nginx" = 1 ]; then
  site="$app-$env_name.conf"
  if [ -n "$sites_dir" ]; then
    site_file="$sites_dir/$site" site_link="" enabled_dir=$sites_dir
  else
    site_file="/etc/nginx/sites-available/$site" site_link="/etc/nginx/sites-enabled/$site" enabled_dir=/etc/nginx/sites-enabled
    if [ "$mode" = apply ] && [ ! -d /etc/nginx/sites-enabled ]; then
      die "/etc/nginx/sites-enabled does not exist (an nginx laid out without sites-enabled, e.g. nginx.org's packages): pass --nginx-sites-dir with the directory its nginx.conf includes, e.g. /etc/nginx/conf.d"
    fi
  fi
  work=$(mktemp -d)
  trap 'rm -rf -- "$work"' EXIT
  has_cert() { [ -f "$cert_dir/fullchain.pem" ] && [ -f "$cert_dir/privkey.pem" ]; }
  render_site() {
    local args=(--env "$env_name" --server-name "$server_name" --root "$root" --cert-dir "$cert_dir"
      --acme-root "$acme_root" --http-listen "$http_listen" --https-listen "$https_listen")
    if [ -n "$app_port" ]; then args+=(--app-port "$app_port"); else args+=(--frontend-port "$frontend_port" --backend-port "$backend_port"); fi
    for ip in "${admin_ips[@]}"; do args+=(--admin-ip "$ip"); done
    has_cert || args+=(--no-tls)
    bash "$assets/render.sh" "${args[@]}" >"$work/site.conf"
  }
  site_ok() {
    render_site && [ -f "$site_file" ] && cmp -s "$work/site.conf" "$site_file" &&
      { [ -z "$site_link" ] || [ "$(readlink "$site_link")" = "$site_file" ]; }
  }
  nginx_test() {
    local out
    if find_master "$enabled_dir"; then
      out=$(nginx -t "${master_args[@]}" 2>&1) && return 0
    else
      out=$(nginx -t 2>&1) && return 0
    fi
    printf '%s\n' "$out" >&2
    return 1
  }
  nginx_reload() {
    if ! find_master "$enabled_dir"; then
      if [ "$masters" -gt 0 ]; then
        report warn nginx "no running nginx loads $enabled_dir: add 'include $enabled_dir/*;' to the http block of its nginx.conf (or pass --nginx-sites-dir with a directory it includes), then reload it"
      elif systemd; then
        systemctl enable --now nginx >&2
      else
        report note nginx "nginx is not running: start it (nginx, or your init system's nginx service); the site is installed"
      fi
      return 0
    fi
    if systemd && systemctl is-active --quiet nginx 2>/dev/null &&
      [ "$(systemctl show -p MainPID --value nginx 2>/dev/null)" = "$master_pid" ]; then
      systemctl reload nginx >&2
    else
      kill -HUP "$master_pid"
    fi
  }
  do_site() {
    local had_file=0 had_link=0
    [ -f "$site_file" ] && cp -p "$site_file" "$work/previous.conf" && had_file=1
    [ -z "$site_link" ] || [ ! -L "$site_link" ] || had_link=1
    # The cache directory's parent: nginx creates berth-<env> in it, not the parent.
    install -d -m 755 /var/cache/nginx "$(dirname "$site_file")"
    install -m 644 "$work/site.conf" "$site_file"
    [ -z "$site_link" ] || ln -sfn "$site_file" "$site_link"
    if ! nginx_test; then
      if [ "$had_file" = 1 ]; then install -m 644 "$work/previous.conf" "$site_file"; else rm -f -- "$site_file"; fi
      [ -z "$site_link" ] || [ "$had_link" = 1 ] || rm -f -- "$site_link"
      die "nginx -t refused the rendered server block (its message is above); the previous state is back"
    fi
    nginx_reload
  }
  fix=do_site
  step nginx-site "$site_file$([ -z "$site_link" ] || echo " (enabled in $enabled_dir)"): $server_name on $http_listen → 127.0.0.1:${app_port:-$frontend_port}$(has_cert && echo ", HTTPS on $https_listen" || echo ", plain HTTP (no certificate in $cert_dir yet)")" site_ok

  # Zero-downtime deploys switch nginx between slots (docs/ops/deploy.md): the deploy
  # user may test and reload this nginx, nothing else (one sudoers line), and
  # <root>/nginx.json tells berth those commands, the pid file and the config directory.
  grant_words() {
    local n=/usr/sbin/nginx
    find_master "$enabled_dir" >/dev/null 2>&1 || true
    printf '%s\n' "$n" "${master_args[@]}"
  }
  grant_line() {
    local words
    mapfile -t words < <(grant_words)
    printf '%s ALL=(root) NOPASSWD: %s -t -q, %s -s reload\n' "$user" "${words[*]}" "${words[*]}"
  }
  # nginx's pid file: its config's `pid` (relative to the -p prefix), else the build default.
  nginx_pidfile() {
    local pidfile prefix=""
    find_master "$enabled_dir" >/dev/null 2>&1 || true
    pidfile=$(nginx "${master_args[@]}" -T 2>/dev/null | sed -n 's/^[[:space:]]*pid[[:space:]]\{1,\}\([^;]*\);.*/\1/p' | head -n1)
    [ "${master_args[0]:-}" != -p ] || prefix=${master_args[1]%/}/
    if [ -z "$pidfile" ]; then pidfile=/run/nginx.pid; elif [[ $pidfile != /* ]]; then pidfile="$prefix$pidfile"; fi
    printf '%s' "$pidfile"
  }
  grant_json() {
    local words pidfile
    mapfile -t words < <(grant_words)
    pidfile=$(nginx_pidfile)
    # (the words go in on stdin: jq would read -p and -c as its own options)
    printf '%s\n' "${words[@]}" | jq -R . | jq -s --arg pid "${pidfile:-/run/nginx.pid}" --arg conf "$(dirname "$enabled_dir")" \
      '. as $n | {test: (["sudo", "-n"] + $n + ["-t", "-q"]), reload: (["sudo", "-n"] + $n + ["-s", "reload"]), pid: $pid, conf: $conf}'
  }
  grant_file="/etc/sudoers.d/berth-$user"
  grant_ok() {
    [ -f "$grant_file" ] && [ "$(cat "$grant_file")" = "$(grant_line)" ] &&
      [ -f "$root/nginx.json" ] && [ "$(jq -c . "$root/nginx.json" 2>/dev/null)" = "$(grant_json | jq -c .)" ] &&
      [ -d "$root/$env_name/nginx" ]
  }
  do_grant() {
    command -v visudo >/dev/null 2>&1 || apt-get install -y -q sudo >&2
    grant_line >"$work/sudoers"
    visudo -cq -f "$work/sudoers" || die "the sudoers line for $user is invalid: $(cat "$work/sudoers")"
    install -m 440 "$work/sudoers" "$grant_file"
    grant_json >"$work/nginx.json"
    install -o "$user" -g "$user" -m 644 "$work/nginx.json" "$root/nginx.json"
    install -d -o "$user" -g "$user" -m 755 "$root/$env_name/nginx"
  }
  fix=do_grant
  step nginx-reload "$grant_file: $user may test and reload nginx (zero-downtime deploys), nothing else" grant_ok

  if [ -n "$certbot_email" ]; then
    do_certbot() {
      install -d -m 755 "$acme_root"
      certbot certonly --webroot -w "$acme_root" -d "$server_name" --email "$certbot_email" \
        --agree-tos --non-interactive --keep-until-expiring \
        --deploy-hook 'nginx -t && { systemctl reload nginx || nginx -s reload; }' >&2
      has_cert || die "certbot finished but $cert_dir has no fullchain.pem/privkey.pem"
      render_site
      do_site
    }
    fix=do_certbot
    step certbot "a certificate for $server_name in $cert_dir (certbot --webroot; renewals reload nginx), then HTTPS on $https_listen" has_cert
  else
    has_cert || report note certbot "no certificate for $server_name yet: the site is plain HTTP; run berth setup again with --certbot EMAIL once DNS points here"
  fi
fi

report summary "$mode" "$changes"

#!/usr/bin/env bash
# Render berth's nginx server blocks for one environment to stdout.
#
#   nginx/render.sh --env production --server-name app.example.com --root /opt/app \
#     (--frontend-port 24101 --backend-port 24100 | --app-port 3000) [--admin-ip 203.0.113.7 …] \
#     [--cert-dir /etc/letsencrypt/live/app.example.com] [--acme-root /var/www/certbot] \
#     [--http-listen 80] [--https-listen 443] [--cache-dir /var/cache/nginx] [--no-tls]
#
# --app-port: an app with one port (a Rails or FastAPI server): every route goes there.
# --no-tls: plain HTTP on --http-listen (with certbot's challenge path), for a server
# that has no certificate yet; render again without it once certbot has one.
# Every value is checked before anything is printed; a bad one is named with the fix.
# Install: render into /etc/nginx/sites-available/<app>-<env>.conf, link it into
# sites-enabled, `nginx -t && systemctl reload nginx` (docs/ops/bootstrap.md).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() {
  printf 'nginx/render.sh: %s\n' "$*" >&2
  exit 2
}

env_name="" server_name="" root="" frontend="" backend="" cert_dir="" acme_root=/var/www/certbot cache_dir=/var/cache/nginx
http_listen=80 https_listen=443 app="" tls=1
admin_ips=()
while [ $# -gt 0 ]; do
  if [ "$1" = --no-tls ]; then
    tls=0
    shift
    continue
  fi
  [ $# -ge 2 ] || die "$1 needs a value"
  case "$1" in
    --env) env_name=$2 ;;
    --server-name) server_name=$2 ;;
    --root) root=$2 ;;
    --frontend-port) frontend=$2 ;;
    --backend-port) backend=$2 ;;
    --app-port) app=$2 ;;
    --cert-dir) cert_dir=$2 ;;
    --acme-root) acme_root=$2 ;;
    --cache-dir) cache_dir=$2 ;;
    --http-listen) http_listen=$2 ;;
    --https-listen) https_listen=$2 ;;
    --admin-ip) admin_ips+=("$2") ;;
    *) die "unknown option $(printf '%q' "$1")" ;;
  esac
  shift 2
done

path_re='^/[A-Za-z0-9_./-]*$'
listen_re='^(([0-9]{1,3}\.){3}[0-9]{1,3}:|\[[0-9a-fA-F:]+\]:)?[0-9]{1,5}$'
[[ $env_name =~ ^[a-z][a-z0-9-]{0,31}$ ]] || die "--env $(printf '%q' "$env_name"): use a name like staging (a-z, 0-9, -)"
[[ $server_name =~ ^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$ ]] || die "--server-name $(printf '%q' "$server_name"): use a DNS name like app.example.com"
[[ $root =~ $path_re && ! $root =~ \.\. ]] || die "--root $(printf '%q' "$root"): use the absolute app root, e.g. /opt/app"
if [ -n "$app" ]; then
  [ -z "$frontend$backend" ] || die "--app-port $(printf '%q' "$app") with --frontend-port/--backend-port: give --app-port alone (one port for every route) or the two ports"
  [[ $app =~ ^[0-9]{1,5}$ ]] || die "--app-port $(printf '%q' "$app"): use the app's loopback port, e.g. 3000"
  frontend=$app backend=$app
fi
[[ $frontend =~ ^[0-9]{1,5}$ ]] || die "--frontend-port $(printf '%q' "$frontend"): use the frontend's loopback port"
[[ $backend =~ ^[0-9]{1,5}$ ]] || die "--backend-port $(printf '%q' "$backend"): use the backend's loopback port"
cert_dir=${cert_dir:-/etc/letsencrypt/live/$server_name}
[[ $cert_dir =~ $path_re && ! $cert_dir =~ \.\. ]] || die "--cert-dir $(printf '%q' "$cert_dir"): use an absolute path"
[[ $acme_root =~ $path_re && ! $acme_root =~ \.\. ]] || die "--acme-root $(printf '%q' "$acme_root"): use an absolute path"
[[ $cache_dir =~ $path_re && ! $cache_dir =~ \.\. ]] || die "--cache-dir $(printf '%q' "$cache_dir"): use an absolute path"
[[ $http_listen =~ $listen_re ]] || die "--http-listen $(printf '%q' "$http_listen"): use a port or address:port"
[[ $https_listen =~ $listen_re ]] || die "--https-listen $(printf '%q' "$https_listen"): use a port or address:port"
ips=""
for ip in "${admin_ips[@]}"; do
  [[ $ip =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}(/[0-9]{1,2})?$ || $ip =~ ^[0-9a-fA-F:]+(/[0-9]{1,3})?$ ]] ||
    die "--admin-ip $(printf '%q' "$ip"): use an IPv4/IPv6 address or CIDR"
  ips+="  $ip 1;\n"
done

# Values are validated above: none holds sed's delimiter (|), & or a backslash. Then keep
# the template's `# @tls` or `# @no-tls` lines (up to `# @end`), and drop the markers.
sed -e "s|@ENV@|$env_name|g" -e "s|@ENV_ID@|${env_name//-/_}|g" -e "s|@SERVER_NAME@|$server_name|g" \
  -e "s|@ROOT@|$root|g" -e "s|@FRONTEND_PORT@|$frontend|g" -e "s|@BACKEND_PORT@|$backend|g" \
  -e "s|@CERT_DIR@|$cert_dir|g" -e "s|@ACME_ROOT@|$acme_root|g" -e "s|@CACHE_DIR@|$cache_dir|g" \
  -e "s|@HTTP_LISTEN@|$http_listen|g" -e "s|@HTTPS_LISTEN@|$https_listen|g" \
  -e "s|@ADMIN_IPS@|$ips|g" \
  "$here/sites/berth-site.conf.template" |
  awk -v tls="$tls" '
    /^# @tls$/ { part = "tls"; next }
    /^# @no-tls$/ { part = "plain"; next }
    /^# @end$/ { part = ""; next }
    part == "" || (part == "tls" && tls == 1) || (part == "plain" && tls == 0)'

#!/usr/bin/env bash
# The lab: real parts on loopback that play GitHub's runner surroundings and the VPS.
#
#   bash test/lab/lab.sh up       start everything that is not running (idempotent)
#   bash test/lab/lab.sh status   one line per part; exit 0 when all are up
#   bash test/lab/lab.sh env      JSON coordinates for tests and the demo (stdout only)
#   bash test/lab/lab.sh down     stop the parts and remove lab state (keeps the base image)
#
# Parts: dockerd (Debian docker.io), a v2 registry (Debian docker-registry) with htpasswd
# auth on 127.0.0.1:25000, an sshd on 127.0.0.1:2222 with its own ed25519 host key and a
# non-root `deploy` user in the docker group (the VPS) and an sftp-only `offsite` account
# (restic's offsite target), nginx on 127.0.0.1:28080 (staging)
# and :28090 (production) with berth's maintenance snippet, and a bookworm + node base
# image built with debootstrap (no image pulls exist here). Needs root.
#
# Exit codes: 0 ok; 1 error; 2 usage.
set -euo pipefail

LAB_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$LAB_HOME/../.." && pwd)
LAB_DIR=${BERTH_LAB_DIR:-/var/tmp/berth-lab}
VPS_ROOT=${BERTH_LAB_VPS_ROOT:-/srv/berth-lab/app}
readonly LAB_HOME REPO_ROOT LAB_DIR VPS_ROOT

# shellcheck source=test/lab/lib/common.sh
. "$LAB_HOME/lib/common.sh"
# shellcheck source=test/lab/lib/dockerd.sh
. "$LAB_HOME/lib/dockerd.sh"
# shellcheck source=test/lab/lib/base-image.sh
. "$LAB_HOME/lib/base-image.sh"
# shellcheck source=test/lab/lib/sqlite-helper-base.sh
. "$LAB_HOME/lib/sqlite-helper-base.sh"
# shellcheck source=test/lab/lib/registry.sh
. "$LAB_HOME/lib/registry.sh"
# shellcheck source=test/lab/lib/vps.sh
. "$LAB_HOME/lib/vps.sh"
# shellcheck source=test/lab/lib/nginx.sh
. "$LAB_HOME/lib/nginx.sh"

usage() {
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

cmd_up() {
  require_root
  mkdir -p "$LAB_DIR"
  dockerd_up
  base_image_up
  sqlite_helper_base_up
  registry_up
  vps_up
  nginx_up
  log "lab is up (state in $LAB_DIR, VPS root $VPS_ROOT)"
}

cmd_status() {
  local ok=0
  dockerd_status || ok=1
  base_image_status || ok=1
  registry_status || ok=1
  vps_status || ok=1
  nginx_status || ok=1
  return "$ok"
}

cmd_env() {
  if [ ! -f "$LAB_DIR/registry/password" ] || [ ! -f "$LAB_DIR/ssh/known_hosts" ]; then
    die "the lab is not up: run 'npm run lab -- up' (as root)"
  fi
  jq -n \
    --arg key "$LAB_DIR/ssh/deploy_ed25519" \
    --arg adminkey "$LAB_DIR/ssh/admin_ed25519" \
    --arg known "$(cat "$LAB_DIR/ssh/known_hosts")" \
    --arg reguser "$REGISTRY_USER" \
    --arg regpass "$(cat "$LAB_DIR/registry/password")" \
    --arg root "$VPS_ROOT" \
    --arg base "$(base_image_tag)" \
    --arg labdir "$LAB_DIR" \
    --arg offsite "$OFFSITE_CHROOT" \
    --argjson sshport "$SSH_PORT" \
    --argjson regport "$REGISTRY_PORT" \
    --argjson stport "$NGINX_STAGING_PORT" \
    --argjson prport "$NGINX_PRODUCTION_PORT" \
    --argjson ports "$(jq -n --argjson sb "${BACKEND_PORT[staging]}" --argjson sf "${FRONTEND_PORT[staging]}" \
      --argjson pb "${BACKEND_PORT[production]}" --argjson pf "${FRONTEND_PORT[production]}" \
      '{staging: {backend: $sb, frontend: $sf}, production: {backend: $pb, frontend: $pf}}')" \
    '{
      ssh: {host: "127.0.0.1", port: $sshport, user: "deploy", privateKeyPath: $key, knownHosts: $known,
        admin: {user: "root", privateKeyPath: $adminkey}},
      registry: {url: "http://127.0.0.1:\($regport)", host: "127.0.0.1:\($regport)", username: $reguser, password: $regpass},
      vps: {root: $root, envDir: "\($root)/env"},
      nginx: {staging: "http://127.0.0.1:\($stport)", production: "http://127.0.0.1:\($prport)"},
      ports: $ports,
      baseImage: $base,
      docker: {host: "unix:///var/run/docker.sock"},
      labDir: $labdir,
      offsite: {sshHost: "berth-offsite", repositories: "\($offsite)/repos", repositoryBase: "sftp:berth-offsite:/repos",
        envFile: "\($root)/env/offsite.env"}
    }'
}

cmd_down() {
  require_root
  nginx_down
  vps_down
  registry_down
  dockerd_down
  log "lab is down (base image kept: $(base_image_tag))"
}

main() {
  [ $# -eq 1 ] || usage
  case "$1" in
    up) cmd_up ;;
    status) cmd_status ;;
    env) cmd_env ;;
    down) cmd_down ;;
    *) usage ;;
  esac
}

main "$@"

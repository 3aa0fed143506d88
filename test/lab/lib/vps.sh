# shellcheck shell=bash
# The VPS: a non-root `deploy` user in the docker group, reached by its own sshd on
# 127.0.0.1:2222 (own ed25519 host key, keys only), and the app root of docs/design.md §4
# with an env file per environment (the user's secrets; never uploaded).
# `berth setup` logs in as an admin: root, with the lab's admin key ($LAB_DIR/ssh/admin_ed25519,
# authorized for this sshd only, in $VPS_ADMIN_KEYS, never in /root/.ssh), and creates
# deploy users named berth-*, which this sshd lets in too.
# The offsite target (docs/ops/offsite.md): a second account, `offsite`, on the same sshd,
# sftp only, chrooted to $OFFSITE_CHROOT and let in from 127.0.0.1 only. The deploy user
# reaches it as `berth-offsite` (a Host block in ~deploy/.ssh/config: its own key, the
# pinned host key, BatchMode), so restic's repository is sftp:berth-offsite:/repos/<app>;
# RESTIC_PASSWORD is in $VPS_ROOT/env/offsite.env.

VPS_ADMIN_KEYS=/etc/ssh/berth-lab

OFFSITE_CHROOT=/srv/berth-lab-offsite

VPS_ENVS=(staging production)
declare -A BACKEND_PORT=([staging]=23100 [production]=24100)
declare -A FRONTEND_PORT=([staging]=23101 [production]=24101)

vps_user() {
  id deploy >/dev/null 2>&1 || useradd --create-home --home-dir /home/deploy --shell /bin/bash deploy
  # No password (`*`) rather than a locked account (`!`): sshd without PAM refuses
  # locked accounts even for key logins.
  [ "$(getent shadow deploy | cut -d: -f2)" = '*' ] || usermod -p '*' deploy
  getent group docker >/dev/null || groupadd docker
  id -nG deploy | tr ' ' '\n' | grep -qx docker || usermod -aG docker deploy
  # The socket of a daemon started before the group existed may be root-only.
  [ -S /var/run/docker.sock ] && chgrp docker /var/run/docker.sock && chmod 660 /var/run/docker.sock
  return 0
}

# vps_offsite_user: the sftp-only account restic writes to; its chroot must be root's
# all the way down (sshd refuses it otherwise), the repositories below it its own.
vps_offsite_user() {
  id offsite >/dev/null 2>&1 || useradd --create-home --home-dir /home/offsite --shell /usr/sbin/nologin offsite
  [ "$(getent shadow offsite | cut -d: -f2)" = '*' ] || usermod -p '*' offsite
  install -d -o root -g root -m 755 "$OFFSITE_CHROOT"
  install -d -o offsite -g offsite -m 700 "$OFFSITE_CHROOT/repos"
}

vps_keys() {
  local dir="$LAB_DIR/ssh"
  mkdir -p "$dir"
  chmod 700 "$dir"
  [ -f "$dir/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C berth-lab-host -f "$dir/ssh_host_ed25519_key"
  [ -f "$dir/deploy_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C berth-lab-deploy -f "$dir/deploy_ed25519"
  [ -f "$dir/admin_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C berth-lab-admin -f "$dir/admin_ed25519"
  # Outside $LAB_DIR: sshd's StrictModes refuses a key file under a world-writable /var/tmp.
  install -d -m 755 "$VPS_ADMIN_KEYS"
  install -m 644 "$dir/admin_ed25519.pub" "$VPS_ADMIN_KEYS/authorized_keys.root"
  printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$dir/ssh_host_ed25519_key.pub")" >"$dir/known_hosts"
  install -d -o deploy -g deploy -m 700 /home/deploy/.ssh
  install -o deploy -g deploy -m 600 "$dir/deploy_ed25519.pub" /home/deploy/.ssh/authorized_keys
  # The deploy user's way to the offsite account: its own key and the pinned host key.
  [ -f "$dir/offsite_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C berth-lab-offsite -f "$dir/offsite_ed25519"
  install -d -o offsite -g offsite -m 700 /home/offsite/.ssh
  install -o offsite -g offsite -m 600 "$dir/offsite_ed25519.pub" /home/offsite/.ssh/authorized_keys
  install -o deploy -g deploy -m 600 "$dir/offsite_ed25519" /home/deploy/.ssh/berth-offsite_ed25519
  install -o deploy -g deploy -m 600 "$dir/known_hosts" /home/deploy/.ssh/known_hosts.berth-offsite
  cat >"$dir/deploy_ssh_config" <<CONF
# written by the berth lab: restic's way to the offsite account (sftp:berth-offsite:/repos/…)
Host berth-offsite
  HostName 127.0.0.1
  Port $SSH_PORT
  User offsite
  IdentityFile ~/.ssh/berth-offsite_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile ~/.ssh/known_hosts.berth-offsite
  StrictHostKeyChecking yes
  BatchMode yes
CONF
  install -o deploy -g deploy -m 600 "$dir/deploy_ssh_config" /home/deploy/.ssh/config
}

# vps_sshd_config: write the sshd config; 0 when it changed (a running sshd must reload it).
vps_sshd_config() {
  local dir="$LAB_DIR/ssh"
  cat >"$dir/sshd_config.new" <<CONF
# The lab VPS's sshd: loopback only, keys only; the deploy user, root (berth setup's
# admin, by the lab's admin key) and the deploy users berth setup creates (berth-*).
ListenAddress 127.0.0.1:$SSH_PORT
HostKey $dir/ssh_host_ed25519_key
PidFile $dir/sshd.pid
AllowUsers deploy root berth-* offsite@127.0.0.1
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys $VPS_ADMIN_KEYS/authorized_keys.%u
UsePAM no
StrictModes yes
ClientAliveInterval 15
ClientAliveCountMax 3
MaxStartups 50:30:100
MaxSessions 50
Subsystem sftp internal-sftp
# The offsite account: sftp into its chroot, nothing else.
Match User offsite
  ForceCommand internal-sftp
  ChrootDirectory $OFFSITE_CHROOT
  DisableForwarding yes
  PermitTTY no
CONF
  sshd -t -f "$dir/sshd_config.new" || die "the lab sshd config is invalid"
  if cmp -s "$dir/sshd_config.new" "$dir/sshd_config"; then
    rm -f "$dir/sshd_config.new"
    return 1
  fi
  mv "$dir/sshd_config.new" "$dir/sshd_config"
}

vps_env_files() {
  local env uid gid file
  uid=$(id -u deploy)
  gid=$(id -g deploy)
  install -d -o deploy -g deploy -m 755 /srv/berth-lab "$VPS_ROOT" "$VPS_ROOT/env"
  # Several checkouts share this lab, each with its own serial of berth's scripts: the
  # one now bringing the lab up installs its own, whatever an other left (install.sh
  # refuses a lower serial than the recorded one).
  rm -f -- "$VPS_ROOT/VERSION"
  for env in "${VPS_ENVS[@]}"; do
    for d in "" releases backups maintenance data runs; do
      install -d -o deploy -g deploy -m 755 "$VPS_ROOT/$env/$d"
    done
    file="$VPS_ROOT/env/$env.env"
    if [ ! -f "$file" ]; then
      (
        umask 077
        cat >"$file" <<ENV
# $env secrets and settings for the example app (never uploaded, never printed)
BACKEND_PORT=${BACKEND_PORT[$env]}
FRONTEND_PORT=${FRONTEND_PORT[$env]}
DATA_DIR=$VPS_ROOT/$env/data
ENV_FILE=$file
APP_UID=$uid
APP_GID=$gid
APP_SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
ENV
      )
      chown deploy:deploy "$file"
    fi
  done
  # berth's SQLite helper builds FROM this local image (base-image.sh), as on a server
  # without internet (docs/ops/where-is-my-database.md).
  printf '%s\n' "$SQLITE_HELPER_BASE" >"$VPS_ROOT/sqlite-helper.base"
  # restic's password for the offsite repositories: never in the app's env file, which
  # containers read (env_file:).
  file="$VPS_ROOT/env/offsite.env"
  if [ ! -f "$file" ]; then
    (
      umask 077
      printf '# restic password of the offsite repositories (never printed)\nRESTIC_PASSWORD=%s\n' \
        "$(head -c 32 /dev/urandom | base64 | tr -d '/+=')" >"$file"
    )
    chown deploy:deploy "$file"
  fi
}

vps_up() {
  vps_user
  vps_offsite_user
  vps_keys
  mkdir -p /run/sshd
  local changed=0
  vps_sshd_config && changed=1
  vps_env_files
  if pid_alive "$LAB_DIR/ssh/sshd.pid"; then
    # sshd reads its config again on SIGHUP (existing sessions keep theirs).
    [ "$changed" -eq 0 ] || {
      log "reloading the VPS sshd"
      kill -HUP "$(cat "$LAB_DIR/ssh/sshd.pid")"
    }
    return 0
  fi
  log "starting the VPS sshd on 127.0.0.1:$SSH_PORT"
  /usr/sbin/sshd -f "$LAB_DIR/ssh/sshd_config" -E "$LAB_DIR/ssh/sshd.log"
  wait_for 20 sshd port_open "$SSH_PORT"
}

vps_status() {
  if pid_alive "$LAB_DIR/ssh/sshd.pid" && port_open "$SSH_PORT"; then
    status_line vps up "deploy@127.0.0.1:$SSH_PORT root $VPS_ROOT"
  else
    status_line vps down "127.0.0.1:$SSH_PORT"
    return 1
  fi
}

vps_down() {
  local env ids
  stop_pidfile "$LAB_DIR/ssh/sshd.pid" sshd
  for env in "${VPS_ENVS[@]}"; do
    if docker info >/dev/null 2>&1; then
      ids=$(docker ps -aq --filter "label=com.docker.compose.project=example-$env")
      # shellcheck disable=SC2086 # one word per container id
      [ -z "$ids" ] || docker rm -f $ids >/dev/null
    fi
  done
  rm -rf /srv/berth-lab "$OFFSITE_CHROOT" "$LAB_DIR/ssh" "$VPS_ADMIN_KEYS"
}

# shellcheck shell=bash
# berth's nginx pieces on the server, <root>/nginx (the maintenance snippet and page, the
# server-block template, render.sh), are read by nginx, not by the deploy user: the
# snippet by its master (root) when it loads the config, the page — and a stat of the
# flag <root>/<env>/maintenance/MAINTENANCE_ON — by its workers (www-data on Debian) on
# every request. A worker that cannot read them answers nginx's bare 503 page (or, if it
# cannot see the flag, proxies to the stopped release: a 502). So berth installs them
# world-readable whatever the deploy user's umask, and preflight checks the path.

# nginx_assets_modes <dir>: directories 0755, files 0644 (0755 for the executable
# render.sh), whatever the umask they were copied with.
nginx_assets_modes() { chmod -R u=rwX,go=rX -- "$1"; }

# nginx_assets_modes_ok <dir>: every directory at least 0755 and every file at least 0644.
nginx_assets_modes_ok() {
  [ -z "$(find "$1" \( -type d ! -perm -0755 \) -o \( -type f ! -perm -0644 \) -print -quit 2>/dev/null)" ]
}

# nginx_installed: an nginx binary on this server (the deploy user's PATH may lack sbin).
nginx_installed() {
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || [ -x /usr/local/sbin/nginx ] ||
    [ -x /usr/local/nginx/sbin/nginx ]
}

# nginx_blocker <user> <r|x> <path>: by the mode bits, as the kernel applies them (the
# owner's, the group's or the others' class; ACLs aside), print the first component of
# <path> (symlinks resolved) that <user> cannot pass — search (x) for each directory on
# the way, <r|x> for <path> itself — as "<component> <class u|g|o>"; print nothing when
# the modes allow it. An unknown <user> is judged by the others' bits.
nginx_blocker() {
  local user=$1 want=$2 path uid="" groups=" " p="" part i mode owner group class bits need
  local -a parts comps=(/)
  if id -u "$user" >/dev/null 2>&1; then
    uid=$(id -u "$user")
    groups=" $(id -G "$user") "
  fi
  [ "$uid" != 0 ] || return 0
  path=$(readlink -f -- "$3" 2>/dev/null) || path=$3
  IFS=/ read -ra parts <<<"${path#/}"
  for part in "${parts[@]}"; do
    [ -n "$part" ] || continue
    p="$p/$part"
    comps+=("$p")
  done
  for i in "${!comps[@]}"; do
    need=1
    if [ "$i" -eq $((${#comps[@]} - 1)) ] && [ "$want" = r ]; then need=4; fi
    if ! read -r mode owner group < <(stat -c '%a %u %g' -- "${comps[$i]}" 2>/dev/null); then
      printf '%s o\n' "${comps[$i]}"
      return 0
    fi
    mode=$((8#$mode))
    if [ "$owner" = "$uid" ]; then
      class=u bits=$(((mode >> 6) & 7))
    elif [[ $groups == *" $group "* ]]; then
      class=g bits=$(((mode >> 3) & 7))
    else
      class=o bits=$((mode & 7))
    fi
    if [ $((bits & need)) -eq 0 ]; then
      printf '%s %s\n' "${comps[$i]}" "$class"
      return 0
    fi
  done
}

# nginx_can <user> <r|x> <path> <what> <consequence>: refuse, naming the path, its mode
# and the fix, when <user> cannot read (r) or search (x) <path>. As root, asks the kernel
# (runuser … test); otherwise judges the mode bits of every component.
nginx_can() {
  local user=$1 want=$2 path=$3 what=$4 consequence=$5 blocker comp class fix verb=reach
  [ "$want" != r ] || verb="read"
  if [ "$(id -u)" -eq 0 ] && id -u "$user" >/dev/null 2>&1; then
    runuser -u "$user" -- test "-$want" "$path" && return 0
    blocker=$(nginx_blocker "$user" "$want" "$path")
    [ -n "$blocker" ] || fail "$EXIT_REFUSED" "nginx's workers ($user) cannot $verb $what $path ('runuser -u $user -- test -$want' fails) although its modes allow it: check its ACLs (getfacl) and the security module (AppArmor/SELinux); $consequence"
  else
    blocker=$(nginx_blocker "$user" "$want" "$path")
    [ -n "$blocker" ] || return 0
  fi
  comp=${blocker% *}
  class=${blocker##* }
  # Search is all nginx needs of a directory: +x, not +r, keeps e.g. backups/ unlisted.
  if [ -d "$comp" ]; then fix="chmod $class+x $comp"; else fix="chmod $class+r $comp"; fi
  fail "$EXIT_REFUSED" "nginx's workers ($user) cannot $verb $what $path: $comp is $(stat -c '%A (%a) %U:%G' -- "$comp" 2>/dev/null || echo 'not reachable'); $consequence. Fix: $fix (or set BERTH_NGINX_USER to the user nginx's workers run as)"
}

# preflight_nginx_assets: nginx's worker user (BERTH_NGINX_USER, default www-data) can
# read the installed maintenance page and reach this environment's maintenance flag.
# Skipped when berth's page is not installed or nginx is not (unless BERTH_NGINX_USER says
# which user to check). Uses BERTH_ROOT and ENV_DIR.
preflight_nginx_assets() {
  local page="$BERTH_ROOT/nginx/maintenance.html" user=${BERTH_NGINX_USER:-www-data}
  if [ ! -f "$page" ]; then
    say "no maintenance page installed at $page (nginx not in use): nginx check skipped"
    return 0
  fi
  if [ -z "${BERTH_NGINX_USER:-}" ] && ! nginx_installed; then
    say "nginx is not installed on this server: nginx check skipped"
    return 0
  fi
  id -u "$user" >/dev/null 2>&1 ||
    warn "nginx's worker user $user does not exist here: judging by the others' mode bits (set BERTH_NGINX_USER to the user in nginx.conf's 'user' line)"
  nginx_can "$user" r "$page" "the maintenance page" "visitors would get nginx's bare 503 page instead of berth's"
  nginx_can "$user" x "$ENV_DIR" "the directory of the maintenance flag," "nginx would never see the flag and would send visitors to the stopped release (502)"
  say "nginx ($user) can read $page and reach $ENV_DIR/maintenance/"
}

/**
 * Every command the action runs on the server, as argv data. The two fixed scripts
 * below are constants: user values reach them only as positional arguments ("$1"…),
 * quoted by render(), never spliced into the script text.
 */
import type { Command } from "./render.js";

/** Unpack the uploaded tarball (stdin) into a fresh dir, verify checksums, swap into place. */
const RECEIVE = `set -eu
dest=$1 incoming=$2
# <root>/<env> holds the maintenance flag nginx's workers read: traversable whatever
# the deploy user's umask (its private parts, backups and env files, keep their own modes).
envdir=$(dirname -- "$(dirname -- "$dest")")
if [ ! -d "$envdir" ]; then mkdir -p -- "$envdir" && chmod 755 -- "$envdir"; fi
rm -rf -- "$incoming"
mkdir -p -- "$incoming"
tar -xzf - -C "$incoming"
(cd -- "$incoming" && sha256sum --quiet --strict -c SHA256SUMS)
if [ -d "$dest" ]; then
  old="$dest.replaced.$$"
  mv -T -- "$dest" "$old"
  mv -T -- "$incoming" "$dest"
  rm -rf -- "$old"
else
  mv -T -- "$incoming" "$dest"
fi
echo "stored $dest"`;

export function receiveBundle(dest: string, incoming: string): Command {
  return { argv: ["sh", "-c", RECEIVE, "berth-receive", dest, incoming] };
}

/**
 * Copy the bundle's vps-scripts into <root>/bin…, so the server runs our version; older
 * scripts than the installed ones only with allowDowngrade (commands/install.sh).
 */
export function installScripts(bundleDir: string, root: string, allowDowngrade = false): Command {
  return {
    argv: [
      "env",
      `BERTH_ROOT=${root}`,
      `${bundleDir}/vps-scripts/bin/berth`,
      "install",
      ...(allowDowngrade ? ["--allow-downgrade"] : []),
    ],
  };
}

/**
 * Where one run's registry login lives on the server: a docker config of its own, which
 * `pull_release` (vps-scripts/lib/pull.sh) uses for that run's pulls and `berth run`
 * removes when the run ends. The deploy user's ~/.docker/config.json (the standing,
 * read-only pull credential `berth setup` stores) is never written.
 */
export function runAuthDir(root: string, env: string, runId: string): string {
  return `${root}/${env}/.registry-auth/${runId}`;
}

const LOGIN = `set -eu
dir=$1 host=$2 user=$3
# <root>/<env> holds the maintenance flag nginx's workers read (see berth-receive).
envdir=$(dirname -- "$(dirname -- "$dir")")
if [ ! -d "$envdir" ]; then mkdir -p -- "$envdir" && chmod 755 -- "$envdir"; fi
umask 077
mkdir -p -- "$dir"
DOCKER_CONFIG=$dir exec docker login "$host" --username "$user" --password-stdin`;

/** Registry login on the server into the run's own docker config; the password goes on stdin, never in argv. */
export function registryLogin(authDir: string, host: string, username: string): Command {
  return { argv: ["sh", "-c", LOGIN, "berth-login", authDir, host, username] };
}

/** Forget a run's registry login (its docker config directory). */
export function registryLogout(authDir: string): Command {
  return { argv: ["rm", "-rf", "--", authDir] };
}

export function berthPath(root: string): string {
  return `${root}/bin/berth`;
}

export function releaseDir(root: string, env: string, sha: string): string {
  return `${root}/${env}/releases/${sha}`;
}

/** The environment's ledger, as raw text (parsed on the runner). */
export function readLedger(root: string, env: string): Command {
  return {
    argv: ["sh", "-c", 'if [ -f "$1" ]; then cat -- "$1"; fi', "berth-ledger", `${root}/${env}/releases.log`],
  };
}

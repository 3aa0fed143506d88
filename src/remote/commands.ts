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

/** Registry login on the server; the password goes on stdin, never in argv. */
export function registryLogin(host: string, username: string): Command {
  return { argv: ["docker", "login", host, "--username", username, "--password-stdin"] };
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

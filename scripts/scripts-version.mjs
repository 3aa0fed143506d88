// vps-scripts/VERSION: the version of the server scripts a deploy installs into
// <root>/bin, lib, commands and nginx (vps-scripts/commands/install.sh). One server root
// is shared by every environment deployed there, so an install must never put an older
// berth's scripts over a newer one's: install compares `serial`, an integer that only
// grows. `npm run build` raises it by one whenever the installed files changed since the
// recorded `tree` digest (so it grows along main's history: a merge that brings script
// changes is rebuilt, and bumps it again); scripts/check-dist.mjs fails while the
// recorded digest is stale. `package` is package.json's version, for people.
//
// Why a counter and not the commit: the server sees only the uploaded files (no git),
// and commits do not order; package.json's version is bumped only at releases, while
// the scripts change between them.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

/** What `berth install` copies: the parts of vps-scripts/ it installs, and nginx/. */
const INSTALLED = ["vps-scripts/bin", "vps-scripts/lib", "vps-scripts/commands", "nginx"];
export const VERSION_FILE = "vps-scripts/VERSION";

/** sha256 over the installed files' paths and contents, in path order. */
export function treeDigest(root) {
  const lines = [];
  for (const part of INSTALLED) {
    const dir = join(root, part);
    for (const f of readdirSync(dir, { recursive: true }).map(String)) {
      const full = join(dir, f);
      if (!statSync(full).isFile()) continue;
      const sum = createHash("sha256").update(readFileSync(full)).digest("hex");
      lines.push(`${relative(root, full).split("\\").join("/")}\0${sum}\n`);
    }
  }
  return `sha256:${createHash("sha256").update(lines.sort().join("")).digest("hex")}`;
}

export function readVersion(root) {
  const text = readFileSync(join(root, VERSION_FILE), "utf8");
  const field = (k) => new RegExp(`^${k}=(.*)$`, "m").exec(text)?.[1];
  return { serial: Number(field("serial")), package: field("package"), tree: field("tree") };
}

export function renderVersion(v) {
  return [
    "# berth's server scripts: `berth install` refuses to replace a higher serial with a",
    "# lower one (unless --allow-downgrade). Written by npm run build (scripts/scripts-version.mjs).",
    `serial=${v.serial}`,
    `package=${v.package}`,
    `tree=${v.tree}`,
    "",
  ].join("\n");
}

/** The VERSION file the current tree needs: the same, or the serial raised by one. */
export function wantedVersion(root) {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
  const tree = treeDigest(root);
  let now;
  try {
    now = readVersion(root);
  } catch {
    now = { serial: 0, package: pkg, tree: "" };
  }
  if (!Number.isSafeInteger(now.serial) || now.serial < 0)
    throw new Error(`${VERSION_FILE}: serial=${now.serial} is not a whole number; restore it from git`);
  const serial = now.tree === tree ? now.serial : now.serial + 1;
  return { serial, package: pkg, tree };
}

/** For `npm run build`: rewrite VERSION when the scripts changed; returns what it holds. */
export function updateVersion(root) {
  const v = wantedVersion(root);
  const text = renderVersion(v);
  let old = "";
  try {
    old = readFileSync(join(root, VERSION_FILE), "utf8");
  } catch {}
  if (old !== text) writeFileSync(join(root, VERSION_FILE), text);
  return v;
}

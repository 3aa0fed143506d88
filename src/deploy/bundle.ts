/**
 * The release bundle uploaded to <root>/<env>/releases/<sha>/: the manifest, the
 * compose file, the vps-scripts and nginx pieces that match this version of berth,
 * and SHA256SUMS over all of them. Only these named files are ever uploaded: never
 * env files, data or certificates (docs/design.md §2, secrets stay put).
 */
import { createHash } from "node:crypto";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { execa } from "execa";
import { ConfigError } from "../config/errors.js";
import type { Manifest } from "../release/manifest.js";

export interface BundleFile {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface Bundle {
  readonly dir: string;
  readonly files: readonly BundleFile[];
}

/** Names that must never leave the runner, whatever a config says. */
const FORBIDDEN =
  /(^|\/)(\.env(\..*)?|.*\.env|.*\.(pem|key|crt|p12|pfx)|id_(rsa|ed25519|ecdsa)(\.pub)?|.*\.db(-wal|-shm)?|.*\.sqlite3?)$/i;

export function assertUploadable(path: string): void {
  if (FORBIDDEN.test(path)) {
    throw new ConfigError(
      `refusing to upload ${JSON.stringify(path)}: env files, keys, certificates and databases never leave the runner; keep secrets in the server's env file`,
    );
  }
}

/** Locate berth's own files (vps-scripts/, nginx/) next to the running action. */
export function berthHome(start = dirname(process.argv[1] ?? ".")): string {
  const candidates = [process.env.BERTH_HOME, join(start, "../../.."), join(start, "../..")];
  for (const c of candidates) {
    if (c && existsSync(join(c, "vps-scripts", "bin", "berth"))) return c;
  }
  throw new Error(`cannot find berth's vps-scripts next to ${start}; set BERTH_HOME to the berth checkout`);
}

/** `generated`: more files berth wrote for the release (slot b's compose file), by name. */
export function writeBundle(
  dir: string,
  manifest: Manifest,
  composeSource: string,
  home: string,
  generated: Readonly<Record<string, string>> = {},
): Bundle {
  mkdirSync(dir, { recursive: true });
  const composeName = basename(composeSource);
  assertUploadable(composeName);
  writeFileSync(join(dir, "release.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  cpSync(composeSource, join(dir, composeName));
  for (const [name, text] of Object.entries(generated)) {
    assertUploadable(name);
    writeFileSync(join(dir, basename(name)), text);
  }
  for (const part of ["vps-scripts", "nginx"]) {
    const from = join(home, part);
    if (existsSync(from)) cpSync(from, join(dir, part), { recursive: true });
  }
  for (const f of listFiles(dir)) {
    assertUploadable(f);
    // Scripts keep their exec bit whatever the checkout did with modes.
    if (f.startsWith("vps-scripts/")) chmodSync(join(dir, f), 0o755);
  }
  const files = listFiles(dir).map((path) => {
    const data = readFileSync(join(dir, path));
    return { path, sha256: createHash("sha256").update(data).digest("hex"), bytes: data.length };
  });
  writeFileSync(join(dir, "SHA256SUMS"), files.map((f) => `${f.sha256}  ${f.path}\n`).join(""));
  return { dir, files };
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => relative(dir, join(dir, f)))
    .sort();
}

/** A gzip'd tar of the bundle, for one `tar -x` on the server (no SFTP subsystem needed). */
export async function tarball(bundle: Bundle): Promise<Buffer> {
  const r = await execa("tar", ["-czf", "-", "-C", bundle.dir, "."], { encoding: "buffer" });
  return Buffer.from(r.stdout);
}

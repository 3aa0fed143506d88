/**
 * What `berth setup` uploads: the provisioning script and berth's nginx/ files, as one
 * gzip'd tar (ustar, written here: no local tar needed, the same bytes from any OS),
 * unpacked on the server into a fresh private temp directory and removed afterwards.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import type { Command } from "../remote/render.js";

export interface ArchiveEntry {
  /** Relative path, / separated; a directory ends without a slash and has no data. */
  readonly path: string;
  readonly data: Buffer | undefined;
  readonly mode: number;
}

/** The files setup uploads from berth's checkout: setup/provision.sh and nginx/…. */
export function setupEntries(home: string): ArchiveEntry[] {
  const entries: ArchiveEntry[] = [
    {
      path: "provision.sh",
      data: readFileSync(join(home, "vps-scripts", "setup", "provision.sh")),
      mode: 0o755,
    },
    { path: "nginx", data: undefined, mode: 0o755 },
  ];
  const nginx = join(home, "nginx");
  for (const name of readdirSync(nginx, { recursive: true }).map(String).sort()) {
    const full = join(nginx, name);
    const path = `nginx/${relative(nginx, full).split("\\").join("/")}`;
    if (statSync(full).isDirectory()) entries.push({ path, data: undefined, mode: 0o755 });
    else entries.push({ path, data: readFileSync(full), mode: name.endsWith(".sh") ? 0o755 : 0o644 });
  }
  return entries;
}

function header(e: ArchiveEntry): Buffer {
  const h = Buffer.alloc(512);
  if (Buffer.byteLength(e.path) > 100)
    throw new Error(`cannot archive ${e.path}: the name is over 100 bytes`);
  const put = (text: string, at: number, len: number) => h.write(text, at, len, "utf8");
  const octal = (n: number, at: number, len: number) =>
    put(`${n.toString(8).padStart(len - 1, "0")}\0`, at, len);
  put(e.path, 0, 100);
  octal(e.mode, 100, 8);
  octal(0, 108, 8); // uid
  octal(0, 116, 8); // gid
  octal(e.data?.length ?? 0, 124, 12);
  octal(0, 136, 12); // mtime: the epoch, so the archive depends on the content only
  put("        ", 148, 8); // the checksum counts as spaces while it is computed
  put(e.data === undefined ? "5" : "0", 156, 1);
  put("ustar\u000000", 257, 8);
  put("root", 265, 32);
  put("root", 297, 32);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
  return h;
}

/** A gzip'd ustar archive of the entries. */
export function archive(entries: readonly ArchiveEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(header(e));
    if (e.data !== undefined) {
      parts.push(e.data);
      const pad = (512 - (e.data.length % 512)) % 512;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}

/** Unpack the archive (stdin) into a new private temp directory; prints its path. */
const UNPACK = `set -eu
umask 077
d=$(mktemp -d "\${TMPDIR:-/tmp}/berth-setup.XXXXXX")
tar -xzf - --no-same-owner -C "$d"
printf '%s\\n' "$d"`;

export function unpackCommand(): Command {
  return { argv: ["sh", "-c", UNPACK, "berth-setup-unpack"] };
}

/** The directory UNPACK printed, checked before it goes into another command. */
export function unpackedDir(stdout: string): string | undefined {
  const dir = stdout.trim();
  return /^\/[A-Za-z0-9_./-]*\/berth-setup\.[A-Za-z0-9]+$/.test(dir) && !dir.includes("..") ? dir : undefined;
}

/**
 * known_hosts matching for host-key pinning. Supports plain (`host`, `[host]:port`),
 * comma-separated patterns and hashed (`|1|salt|hash`) entries as written by
 * ssh-keyscan / ssh-keygen -H. Wildcards and @revoked/@cert-authority markers are not
 * supported: such lines are ignored, which fails closed. Format: sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT".
 */
import { createHash, createHmac } from "node:crypto";

export interface KnownKey {
  readonly type: string;
  readonly blob: Buffer;
}

/** The name ssh uses for a host in known_hosts: `host` on port 22, else `[host]:port`. */
export function hostPattern(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function matches(pattern: string, name: string): boolean {
  if (pattern.startsWith("|1|")) {
    const [, , salt, hash] = pattern.split("|");
    if (!salt || !hash) return false;
    const h = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
    return h === hash;
  }
  return pattern.split(",").includes(name);
}

/** Keys pinned for host:port in a known_hosts text. */
export function keysFor(knownHosts: string, host: string, port: number): KnownKey[] {
  const name = hostPattern(host, port);
  const keys: KnownKey[] = [];
  for (const raw of knownHosts.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith("@")) continue;
    const [patterns, type, key] = line.split(/\s+/);
    if (!patterns || !type || !key || !matches(patterns, name)) continue;
    keys.push({ type, blob: Buffer.from(key, "base64") });
  }
  return keys;
}

/** OpenSSH's SHA256 fingerprint of a raw public key blob, as `ssh-keygen -lf` prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** The key type named inside an SSH public key blob (string length + name). */
export function blobType(blob: Buffer): string {
  if (blob.length < 4) return "unknown";
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString("latin1");
}

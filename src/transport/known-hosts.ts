/**
 * known_hosts matching for host-key pinning. Supports plain (`host`, `[host]:port`),
 * comma-separated patterns and hashed (`|1|salt|hash`) entries as written by
 * ssh-keyscan / ssh-keygen -H; host names match case-insensitively, as ssh lowercases
 * them. `@revoked` lines are honoured: their key is refused for every host, even where
 * another line pins it (stricter than OpenSSH, which applies the line's patterns).
 * Wildcard patterns never match, and lines ssh2 cannot use for this host
 * (`@cert-authority`, certificate and security-key types) are skipped with a
 * warning: all of this fails closed. Format: sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT".
 */
import { createHash, createHmac } from "node:crypto";

export interface KnownKey {
  readonly type: string;
  readonly blob: Buffer;
}

export interface HostKeys {
  /** Keys pinned for the host, of types ssh2 can verify, none of them revoked. */
  readonly keys: KnownKey[];
  /** Keys of @revoked lines (any host): refused whatever else pins them. */
  readonly revoked: KnownKey[];
  /** Lines for the host that were skipped, and why. */
  readonly warnings: string[];
}

/** Host key types ssh2 verifies (its SUPPORTED_SERVER_HOST_KEY, by known_hosts name). */
const SUPPORTED_KEY_TYPES: readonly string[] = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "ssh-rsa",
  "ssh-dss",
];

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
  return pattern.toLowerCase().split(",").includes(name);
}

interface Entry {
  readonly marker: string | undefined;
  readonly patterns: string;
  readonly type: string;
  readonly blob: Buffer;
  readonly line: number;
}

function entries(knownHosts: string): Entry[] {
  const out: Entry[] = [];
  for (const [i, raw] of knownHosts.split(/\r?\n/).entries()) {
    const fields = raw.trim().split(/\s+/);
    if (!fields[0] || fields[0].startsWith("#")) continue;
    const marker = fields[0].startsWith("@") ? fields.shift() : undefined;
    const [patterns, type, key] = fields;
    if (!patterns || !type || !key) continue;
    out.push({ marker, patterns, type, blob: Buffer.from(key, "base64"), line: i + 1 });
  }
  return out;
}

/** The keys known_hosts pins (and revokes) for host:port, and the lines it skipped. */
export function hostKeys(knownHosts: string, host: string, port: number): HostKeys {
  const name = hostPattern(host.toLowerCase(), port);
  const all = entries(knownHosts);
  const revoked = all.filter((e) => e.marker === "@revoked").map(({ type, blob }) => ({ type, blob }));
  const keys: KnownKey[] = [];
  const warnings: string[] = [];
  for (const e of all) {
    if (e.marker === "@revoked" || !matches(e.patterns, name)) continue;
    const skip =
      skipReason(e) ?? (revoked.some((r) => r.blob.equals(e.blob)) ? "that key is @revoked" : undefined);
    if (skip) warnings.push(`ssh-known-hosts line ${e.line} (${e.marker ?? e.type}) skipped: ${skip}`);
    else keys.push({ type: e.type, blob: e.blob });
  }
  return { keys, revoked, warnings };
}

function skipReason(e: Entry): string | undefined {
  if (e.marker === "@cert-authority") return "host certificates are not supported; pin the host's own key";
  if (e.marker) return `unknown marker ${e.marker}`;
  if (!SUPPORTED_KEY_TYPES.includes(e.type)) {
    return `key type ${e.type} is not supported (supported: ${SUPPORTED_KEY_TYPES.join(", ")}); pin the host's plain key, e.g. from \`ssh-keyscan -t ed25519\``;
  }
  return undefined;
}

/** Keys pinned for host:port in a known_hosts text (supported types, none revoked). */
export function keysFor(knownHosts: string, host: string, port: number): KnownKey[] {
  return hostKeys(knownHosts, host, port).keys;
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

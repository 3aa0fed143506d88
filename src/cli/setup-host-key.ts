/**
 * First contact with a server for `berth setup`: its host key, fetched without logging
 * in, is never trusted silently. The user confirms its fingerprint on a terminal, or
 * gives the one they checked on the server (--host-key-fingerprint); only then is it
 * pinned, and the known_hosts line printed for the ssh-known-hosts secret.
 */
import { Client, type ServerHostKeyAlgorithm } from "ssh2";
import { blobType, fingerprint, hostKeys, hostPattern } from "../transport/known-hosts.js";

export interface HostKey {
  readonly type: string;
  readonly blob: Buffer;
}

/** Host key algorithms asked for, best first: the server answers with the first it has. */
const PREFERRED: ServerHostKeyAlgorithm[] = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
];

/** The key the server presents, read during the key exchange; no login is attempted. */
export function scanHostKey(host: string, port: number): Promise<HostKey> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let key: Buffer | undefined;
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      client.end();
      if (key) resolve({ type: blobType(key), blob: key });
      else
        reject(
          new Error(
            `cannot read the host key of ${host}:${port}: ${error?.message ?? "the connection closed first"}; check the host, the port and that sshd runs there`,
          ),
        );
    };
    client
      .on("error", (e) => settle(e))
      .on("close", () => settle())
      .connect({
        host,
        port,
        username: "berth-host-key-check",
        readyTimeout: 20_000,
        algorithms: { serverHostKey: PREFERRED },
        hostVerifier: (k: Buffer) => {
          key = Buffer.from(k);
          return false; // stop here: nothing is sent but the key exchange
        },
      });
  });
}

/** The known_hosts line for a key, as ssh-keyscan writes it. */
export function knownHostsLine(host: string, port: number, key: HostKey): string {
  return `${hostPattern(host.toLowerCase(), port)} ${key.type} ${key.blob.toString("base64")}`;
}

/** The known_hosts lines for the keys pinned for host:port in a known_hosts text. */
export function pinnedLines(knownHosts: string, host: string, port: number): string[] {
  return hostKeys(knownHosts, host, port).keys.map((k) => knownHostsLine(host, port, k));
}

export type HostKeyDecision =
  | { readonly accept: true; readonly how: string }
  | { readonly accept: false; readonly message: string };

/**
 * Whether to pin an unknown server's key: it must match --host-key-fingerprint when that
 * is given; else only a person at a terminal may confirm it (`ask`).
 */
export async function decideHostKey(
  key: HostKey,
  where: string,
  given: string | undefined,
  ask: ((question: string) => Promise<boolean>) | undefined,
): Promise<HostKeyDecision> {
  const fp = fingerprint(key.blob);
  const check =
    "check it on the server (its console at your provider, not over this network): `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` (or the .pub of its type)";
  if (given !== undefined) {
    if (given === fp) return { accept: true, how: `it matches --host-key-fingerprint ${given}` };
    return {
      accept: false,
      message: `${where} presented ${key.type} ${fp}, not the --host-key-fingerprint ${given} you gave: refusing to connect, nothing was changed. If the server was rebuilt, ${check}; otherwise treat this as an attack`,
    };
  }
  if (ask === undefined) {
    return {
      accept: false,
      message: `${where} is not in the known hosts yet; it presents ${key.type} ${fp}. There is no terminal to confirm it on: ${check}, then run again with --host-key-fingerprint ${fp} if it is the same. Nothing was changed`,
    };
  }
  const yes = await ask(
    `${where} is not in the known hosts yet. It presents ${key.type} ${fp}.\n${capitalize(check)}.\nIs it the same fingerprint?`,
  );
  if (yes) return { accept: true, how: "you confirmed its fingerprint" };
  return { accept: false, message: "host key not confirmed: nothing was changed" };
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * The SSH transport (ssh2): host key pinned against known_hosts, keepalive so a dead
 * peer is noticed, and bounded retries on connect — never on a host-key, key-format or
 * auth failure, which must fail closed at once. The private key and known_hosts are
 * checked before connecting: their errors are reported once, naming the fix.
 */
import { Client, type ConnectConfig, type ServerHostKeyAlgorithm, utils } from "ssh2";
import { type Command, render } from "../remote/render.js";
import { blobType, fingerprint, type HostKeys, hostKeys, hostPattern } from "./known-hosts.js";
import { ConnectionLost, type ExecOptions, type ExecResult, type Transport } from "./transport.js";

export interface SshTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** The private key's text (OpenSSH or PEM). At least one of privateKey and agent. */
  readonly privateKey?: string | undefined;
  /** An ssh-agent socket path (SSH_AUTH_SOCK): its keys are offered after privateKey. */
  readonly agent?: string | undefined;
  readonly knownHosts: string;
}

export class HostKeyRefused extends Error {
  override name = "HostKeyRefused";
}

/** The private key cannot be used as given (format, passphrase): retrying will not help. */
export class PrivateKeyUnusable extends Error {
  override name = "PrivateKeyUnusable";
}

export interface ConnectOptions {
  readonly attempts?: number;
  readonly retryDelayMs?: number;
  readonly log?: (message: string) => void;
}

export async function connectSsh(target: SshTarget, options: ConnectOptions = {}): Promise<SshTransport> {
  const attempts = options.attempts ?? 4;
  checkPrivateKey(target.privateKey);
  const known = pinnedKeys(target, options.log);
  let lastError: unknown;
  for (let i = 1; i <= attempts; i++) {
    try {
      return await connectOnce(target, known, 20_000);
    } catch (e) {
      lastError = e;
      // A wrong host key or a refused login will not get better by retrying.
      if (e instanceof HostKeyRefused || /authentication/i.test((e as { level?: string }).level ?? ""))
        throw e;
      if (i < attempts) {
        const delay = (options.retryDelayMs ?? 1000) * 2 ** (i - 1);
        options.log?.(
          `ssh ${target.user}@${target.host}:${target.port}: ${(e as Error).message}; retrying in ${delay} ms`,
        );
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
  const message = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(
    `cannot connect to ${target.user}@${target.host}:${target.port} after ${attempts} attempts: ${message}; check ssh-host/ssh-port, the firewall, and that sshd is running`,
  );
}

/**
 * ssh2 reads OpenSSH and PEM keys without a passphrase; anything else would fail each
 * connection attempt the same way, after retries that blame the network.
 */
function checkPrivateKey(key: string | undefined): void {
  if (key === undefined) return;
  const parsed = utils.parseKey(key);
  if (!(parsed instanceof Error)) return;
  if (/passphrase|encrypted/i.test(parsed.message) || /ENCRYPTED/.test(key)) {
    throw new PrivateKeyUnusable(
      "ssh-private-key is protected by a passphrase, which berth cannot enter: give the deploy user a key without one " +
        "(`ssh-keygen -t ed25519 -N '' -f deploy_key`), or remove the passphrase from a copy (`ssh-keygen -p -N '' -f copy_of_key`)",
    );
  }
  if (/-----BEGIN PRIVATE KEY-----/.test(key)) {
    throw new PrivateKeyUnusable(
      "ssh-private-key is a PKCS#8 key (-----BEGIN PRIVATE KEY-----), which ssh2 cannot read: rewrite it in the OpenSSH format " +
        "with `ssh-keygen -p -P '' -N '' -f <file>` (in place), or make a new one with `ssh-keygen -t ed25519`",
    );
  }
  throw new PrivateKeyUnusable(
    `ssh-private-key cannot be read (${parsed.message}): expected an OpenSSH (-----BEGIN OPENSSH PRIVATE KEY-----) or PEM private key; ` +
      "paste the whole key file, its BEGIN and END lines included",
  );
}

/** The host's usable pinned keys; skipped lines are reported through `log`. */
function pinnedKeys(target: SshTarget, log: ((message: string) => void) | undefined): HostKeys {
  const known = hostKeys(target.knownHosts, target.host, target.port);
  for (const w of known.warnings) log?.(w);
  if (known.keys.length > 0) return known;
  const name = hostPattern(target.host, target.port);
  const why =
    known.warnings.length > 0
      ? `ssh-known-hosts has no usable key for ${name} (${known.warnings.join("; ")})`
      : `ssh-known-hosts has no key for ${name}`;
  throw new HostKeyRefused(
    `${why}: refusing to connect to an unknown host. ` +
      `Add the server's line (verify it out of band, e.g. \`ssh-keyscan -p ${target.port} ${target.host}\` run on a trusted network and compared with \`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\` on the server)`,
  );
}

function connectOnce(target: SshTarget, known: HostKeys, readyTimeout: number): Promise<SshTransport> {
  const pinned = known.keys;
  return new Promise((resolve, reject) => {
    const client = new Client();
    let refused: HostKeyRefused | undefined;
    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.user,
      ...(target.privateKey === undefined ? {} : { privateKey: target.privateKey }),
      ...(target.agent === undefined ? {} : { agent: target.agent }),
      readyTimeout,
      keepaliveInterval: 5_000,
      keepaliveCountMax: 3,
      // Offer only the key types we pinned, so the server presents one we can check.
      algorithms: { serverHostKey: [...new Set(pinned.flatMap((k) => hostKeyAlgorithms(k.type)))] },
      hostVerifier: (key: Buffer) => {
        if (known.revoked.some((k) => k.blob.equals(key))) {
          refused = new HostKeyRefused(
            `host key of ${hostPattern(target.host, target.port)} is revoked: the server presented ${blobType(key)} ${fingerprint(key)}, ` +
              "which an @revoked line of ssh-known-hosts names. Refusing to connect: give the server a new host key and pin that.",
          );
          return false;
        }
        if (pinned.some((k) => k.blob.equals(key))) return true;
        refused = new HostKeyRefused(
          `host key mismatch for ${hostPattern(target.host, target.port)}: the server presented ${blobType(key)} ${fingerprint(key)}, ` +
            `which is not in ssh-known-hosts (pinned: ${pinned.map((k) => `${k.type} ${fingerprint(k.blob)}`).join(", ")}). ` +
            "Refusing to connect. If the server was rebuilt, verify the new key out of band and update ssh-known-hosts; otherwise treat this as an attack.",
        );
        return false;
      },
    };
    client
      .once("ready", () => resolve(new SshTransport(client)))
      .once("error", (err) => {
        client.end();
        reject(refused ?? err);
      })
      .connect(config);
  });
}

/** An RSA key (known_hosts type ssh-rsa) is verified with the SHA-2 signature algorithms. */
function hostKeyAlgorithms(type: string): ServerHostKeyAlgorithm[] {
  if (type === "ssh-rsa") return ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"];
  return [type as ServerHostKeyAlgorithm];
}

export class SshTransport implements Transport {
  private closed = false;

  constructor(private readonly client: Client) {
    client.on("close", () => {
      this.closed = true;
    });
    client.on("error", () => {
      this.closed = true;
    });
  }

  exec(command: Command, options: ExecOptions = {}): Promise<ExecResult> {
    if (this.closed) return Promise.reject(new ConnectionLost("the SSH connection is closed"));
    const line = render(command);
    return new Promise((resolve, reject) => {
      this.client.exec(line, (err, stream) => {
        if (err) {
          reject(new ConnectionLost(`ssh exec failed: ${err.message}`));
          return;
        }
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let exitCode: number | null = null;
        const onLost = () => stream.close();
        this.client.once("close", onLost);
        stream.on("data", (d: Buffer) => {
          out.push(d);
          options.onStdout?.(d);
        });
        stream.stderr.on("data", (d: Buffer) => {
          errOut.push(d);
          options.onStderr?.(d);
        });
        stream.on("exit", (code: number | null) => {
          exitCode = typeof code === "number" ? code : null;
        });
        stream.on("close", () => {
          this.client.removeListener("close", onLost);
          const result = {
            exitCode,
            stdout: Buffer.concat(out).toString(),
            stderr: Buffer.concat(errOut).toString(),
          };
          if (exitCode === null && this.closed) reject(new ConnectionLost("the SSH connection was lost"));
          else resolve(result);
        });
        if (options.stdin !== undefined) stream.end(options.stdin);
        else stream.end();
      });
    });
  }

  close(): void {
    this.closed = true;
    this.client.end();
  }
}

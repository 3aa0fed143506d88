import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Server } from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blobType, fingerprint, hostKeys, hostPattern, keysFor } from "../../src/transport/known-hosts.js";
import { connectSsh, HostKeyRefused, PrivateKeyUnusable } from "../../src/transport/ssh.js";

// Real keys made by ssh-keygen, so the fingerprint is checked against OpenSSH itself.
const dir = mkdtempSync(join(tmpdir(), "berth-kh-"));
function keygen(name: string, ...args: string[]) {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", ...args, "-f", join(dir, name)]);
  const pub = readFileSync(join(dir, `${name}.pub`), "utf8").trim();
  const [type, b64] = pub.split(" ") as [string, string];
  return { pub, type, b64, blob: Buffer.from(b64, "base64"), key: readFileSync(join(dir, name), "utf8") };
}
const { pub, type, b64, blob } = keygen("k");
const other = keygen("other");
const CERT = `[127.0.0.1]:2222 ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29t`;

describe("known_hosts", () => {
  it.each([
    [22, "vps.example.com"],
    [2222, "[127.0.0.1]:2222"],
  ])("names port %i as %s", (port, expected) => {
    expect(hostPattern(port === 22 ? "vps.example.com" : "127.0.0.1", port)).toBe(expected);
  });

  it("finds plain, bracketed and comma-listed entries, and only for that host:port", () => {
    const text = [
      "# comment",
      `[127.0.0.1]:2222 ${type} ${b64}`,
      `other.example.com,vps.example.com ${type} ${b64}`,
    ].join("\n");
    expect(keysFor(text, "127.0.0.1", 2222)).toEqual([{ type, blob }]);
    expect(keysFor(text, "vps.example.com", 22)).toEqual([{ type, blob }]);
    expect(keysFor(text, "127.0.0.1", 22)).toEqual([]);
    expect(keysFor(text, "127.0.0.2", 2222)).toEqual([]);
  });

  it("matches hashed entries written by ssh-keygen -H", () => {
    const file = join(dir, "known_hosts");
    execFileSync("sh", ["-c", `echo '[127.0.0.1]:2222 ${pub}' > ${file} && ssh-keygen -q -H -f ${file}`]);
    const hashed = readFileSync(file, "utf8");
    expect(hashed.startsWith("|1|")).toBe(true);
    expect(keysFor(hashed, "127.0.0.1", 2222)).toEqual([{ type, blob }]);
    expect(keysFor(hashed, "127.0.0.1", 2223)).toEqual([]);
  });

  it("prints the same fingerprint as ssh-keygen -l", () => {
    const ours = fingerprint(blob);
    const theirs = execFileSync("ssh-keygen", ["-l", "-f", join(dir, "k.pub")])
      .toString()
      .split(" ")[1];
    expect(ours).toBe(theirs);
    expect(blobType(blob)).toBe("ssh-ed25519");
  });

  it("skips unsupported lines with a warning, as long as a supported key matches", () => {
    const text = [
      CERT,
      `@cert-authority [127.0.0.1]:2222 ${type} ${other.b64}`,
      `[127.0.0.1]:2222 sk-ssh-ed25519@openssh.com ${other.b64}`,
      `[127.0.0.1]:2222 ${type} ${b64}`,
      `elsewhere.example.com ssh-ed25519-cert-v01@openssh.com ${b64}`,
    ].join("\n");
    const found = hostKeys(text, "127.0.0.1", 2222);
    expect(found.keys).toEqual([{ type, blob }]);
    expect(found.warnings).toEqual([
      expect.stringMatching(
        /^ssh-known-hosts line 1 \(ssh-ed25519-cert-v01@openssh.com\) skipped: key type ssh-ed25519-cert-v01@openssh.com is not supported \(supported: ssh-ed25519, /,
      ),
      "ssh-known-hosts line 2 (@cert-authority) skipped: host certificates are not supported; pin the host's own key",
      expect.stringMatching(/^ssh-known-hosts line 3 \(sk-ssh-ed25519@openssh.com\) skipped: key type/),
    ]);
  });

  it("matches host names case-insensitively, plain and hashed, as ssh does", () => {
    expect(keysFor(`VPS.Example.COM ${type} ${b64}`, "vps.example.com", 22)).toEqual([{ type, blob }]);
    expect(keysFor(`vps.example.com ${type} ${b64}`, "Vps.Example.Com", 22)).toEqual([{ type, blob }]);
    const file = join(dir, "known_hosts_case");
    execFileSync("sh", ["-c", `echo 'vps.example.com ${pub}' > ${file} && ssh-keygen -q -H -f ${file}`]);
    expect(keysFor(readFileSync(file, "utf8"), "VPS.EXAMPLE.COM", 22)).toEqual([{ type, blob }]);
  });

  it("honours @revoked: a revoked key is refused even where another line pins it, other keys stay", () => {
    const text = [
      `[127.0.0.1]:2222 ${type} ${b64}`,
      `[127.0.0.1]:2222 ${other.type} ${other.b64}`,
      `@revoked * ${type} ${b64}`,
    ].join("\n");
    const found = hostKeys(text, "127.0.0.1", 2222);
    expect(found.keys).toEqual([{ type: other.type, blob: other.blob }]);
    expect(found.revoked).toEqual([{ type, blob }]);
    expect(found.warnings).toEqual([`ssh-known-hosts line 1 (${type}) skipped: that key is @revoked`]);
  });
});

describe("connectSsh", () => {
  const host = keygen("host");
  const client = keygen("client");
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    server = new Server({ hostKeys: [host.key] }, (conn) => {
      conn.on("authentication", (ctx) =>
        ctx.method === "publickey" ? ctx.accept() : ctx.reject(["publickey"]),
      );
      conn.on("error", () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => server.close());
  const target = (knownHosts: string, privateKey = client.key) => ({
    host: "127.0.0.1",
    port,
    user: "deploy",
    privateKey,
    knownHosts,
  });
  const pinned = () => `[127.0.0.1]:${port} ${host.type} ${host.b64}`;
  // Long retry delays: a retry would time the test out.
  const options = (log: string[]) => ({ attempts: 4, retryDelayMs: 60_000, log: (m: string) => log.push(m) });

  it("connects past a certificate line, warning once about it", async () => {
    const log: string[] = [];
    const ssh = await connectSsh(target(`${CERT.replace("2222", String(port))}\n${pinned()}`), options(log));
    ssh.close();
    expect(log).toEqual([expect.stringContaining("line 1 (ssh-ed25519-cert-v01@openssh.com) skipped")]);
  });

  it("refuses a revoked host key even though it is pinned", async () => {
    const log: string[] = [];
    const known = [
      pinned(),
      `[127.0.0.1]:${port} ${other.type} ${other.b64}`,
      `@revoked * ${host.type} ${host.b64}`,
    ];
    const e = await connectSsh(target(known.join("\n")), options(log)).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(HostKeyRefused);
    expect((e as Error).message).toMatch(
      /^host key of \[127\.0\.0\.1\]:\d+ is revoked: the server presented ssh-ed25519 SHA256:/,
    );
    expect(log).toEqual([expect.stringContaining("skipped: that key is @revoked")]);
  });

  it("refuses at once, without retries, when no supported key is pinned", async () => {
    const log: string[] = [];
    const e = await connectSsh(target(CERT.replace("2222", String(port))), options(log)).catch(
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(HostKeyRefused);
    expect((e as Error).message).toMatch(
      /^ssh-known-hosts has no usable key for \[127\.0\.0\.1\]:\d+ \(ssh-known-hosts line 1/,
    );
    expect(log.filter((m) => m.includes("retrying"))).toEqual([]);
  });

  it.each([
    ["PKCS#8", ["-m", "PKCS8"], "is a PKCS#8 key (-----BEGIN PRIVATE KEY-----), which ssh2 cannot read"],
    ["passphrase-protected", ["-N", "secret"], "is protected by a passphrase, which berth cannot enter"],
  ])("reports a %s private key once, clearly, without connecting or retrying", async (_, args, expected) => {
    const name = `bad-${args.join("")}`;
    execFileSync("ssh-keygen", [
      "-q",
      "-t",
      args[0] === "-m" ? "ecdsa" : "ed25519",
      "-N",
      "",
      ...args,
      "-f",
      join(dir, name),
    ]);
    const log: string[] = [];
    let connections = 0;
    const count = () => connections++;
    server.on("connection", count);
    const e = await connectSsh(target(pinned(), readFileSync(join(dir, name), "utf8")), options(log)).catch(
      (err: unknown) => err,
    );
    server.off("connection", count);
    expect(e).toBeInstanceOf(PrivateKeyUnusable);
    expect((e as Error).message).toContain(expected);
    expect(log).toEqual([]);
    expect(connections).toBe(0);
  });
});

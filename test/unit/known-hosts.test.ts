import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { blobType, fingerprint, hostPattern, keysFor } from "../../src/transport/known-hosts.js";

// A real key made by ssh-keygen, so the fingerprint is checked against OpenSSH itself.
const dir = mkdtempSync(join(tmpdir(), "berth-kh-"));
execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "k")]);
const pub = readFileSync(join(dir, "k.pub"), "utf8").trim();
const [type, b64] = pub.split(" ") as [string, string];
const blob = Buffer.from(b64, "base64");

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
      `@revoked [127.0.0.1]:2222 ${type} ${b64}`,
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
});

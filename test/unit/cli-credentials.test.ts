/** Where the CLI finds its SSH key and pinned host keys, and what it says when it cannot. */
import { utils } from "ssh2";
import { describe, expect, it } from "vitest";
import { CredentialError, sshCredentials } from "../../src/cli/ssh-credentials.js";

const KEY = utils.generateKeyPairSync("ed25519").private;
const LOCKED = utils.generateKeyPairSync("ed25519", {
  passphrase: "secret",
  cipher: "aes256-cbc",
  rounds: 16,
}).private;

const files = (map: Record<string, string>) => ({
  homeDir: "/home/bob",
  readFile: (path: string) => {
    const text = map[path];
    if (text === undefined) throw Object.assign(new Error("no"), { code: "ENOENT" });
    return text;
  },
});
const KH = { "/home/bob/.ssh/known_hosts": "kh" };
const none = { knownHostsFile: undefined, identityFile: undefined };

describe("sshCredentials", () => {
  it("resolves --identity and --known-hosts against the working directory and ~", () => {
    const c = sshCredentials(
      { knownHostsFile: "~/pins", identityFile: "keys/deploy" },
      "/work/app",
      { SSH_AUTH_SOCK: "/agent" },
      files({ "/home/bob/pins": "pins", "/work/app/keys/deploy": KEY }),
    );
    expect(c).toMatchObject({ knownHosts: "pins", privateKey: KEY, agent: undefined });
    expect(c.keySource).toBe("--identity /work/app/keys/deploy");
  });

  it("skips a passphrase-protected default key for the next one, and offers ssh-agent too", () => {
    const c = sshCredentials(
      none,
      "/",
      { SSH_AUTH_SOCK: "/agent" },
      files({ ...KH, "/home/bob/.ssh/id_ed25519": LOCKED, "/home/bob/.ssh/id_rsa": KEY }),
    );
    expect(c).toMatchObject({
      privateKey: KEY,
      agent: "/agent",
      keySource: "/home/bob/.ssh/id_rsa and ssh-agent",
    });
    const agentOnly = sshCredentials(none, "/", { SSH_AUTH_SOCK: "/agent" }, files({ ...KH }));
    expect(agentOnly).toMatchObject({ privateKey: undefined, agent: "/agent" });
  });

  it.each([
    [
      "a passphrase-protected --identity",
      { ...none, identityFile: "/k" },
      {},
      { ...KH, "/k": LOCKED },
      "is passphrase-protected: add it to ssh-agent (`ssh-add /k`)",
    ],
    ["no key anywhere", none, {}, KH, "no SSH key to log in with"],
    [
      "only a locked default key and no agent",
      none,
      {},
      { ...KH, "/home/bob/.ssh/id_ed25519": LOCKED },
      "/home/bob/.ssh/id_ed25519 (passphrase-protected) cannot be used without one",
    ],
    ["BERTH_SSH_KEY that is not a key", none, { BERTH_SSH_KEY: "hello" }, KH, "BERTH_SSH_KEY does not hold"],
    [
      "no ~/.ssh/known_hosts",
      none,
      {},
      { "/home/bob/.ssh/id_ed25519": KEY },
      "known hosts file /home/bob/.ssh/known_hosts cannot be read (ENOENT); connect once with ssh",
    ],
  ])("refuses %s and says what to do", (_what, options, env, map, message) => {
    expect(() => sshCredentials(options, "/", env, files(map))).toThrow(CredentialError);
    expect(() => sshCredentials(options, "/", env, files(map))).toThrow(message);
  });
});

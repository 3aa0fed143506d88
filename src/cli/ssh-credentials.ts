/**
 * What the CLI connects with, found the way ssh users expect: the pinned host keys from
 * --known-hosts or ~/.ssh/known_hosts (plain or hashed lines), and the private key from
 * --identity, else $BERTH_SSH_KEY (the key's text, as in CI), else ssh-agent
 * ($SSH_AUTH_SOCK) together with the first usable ~/.ssh/id_ed25519, id_ecdsa, id_rsa.
 */
import { isAbsolute, join, resolve } from "node:path";
import { utils } from "ssh2";

export interface CredentialFiles {
  /** Reads a file as UTF-8; throws a NodeJS.ErrnoException (code ENOENT…) when it cannot. */
  readonly readFile: (path: string) => string;
  readonly homeDir: string;
}

export interface SshCredentials {
  readonly knownHosts: string;
  readonly knownHostsFile: string;
  readonly privateKey: string | undefined;
  readonly agent: string | undefined;
  /** Where the key came from, for error messages: "--identity ./k", "ssh-agent and ~/.ssh/id_rsa"… */
  readonly keySource: string;
}

export class CredentialError extends Error {
  override name = "CredentialError";
}

const DEFAULT_KEYS = ["id_ed25519", "id_ecdsa", "id_rsa"];

function expand(path: string, cwd: string, home: string): string {
  if (path === "~") return home;
  if (path.startsWith("~/")) return join(home, path.slice(2));
  return isAbsolute(path) ? path : resolve(cwd, path);
}

function read(files: CredentialFiles, path: string, what: string, fix: string): string {
  try {
    return files.readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new CredentialError(`${what} ${path} cannot be read (${code}); ${fix}`);
  }
}

/** Undefined when the text is a key ssh2 can use as is; else why not. */
function keyProblem(text: string): string | undefined {
  const parsed = utils.parseKey(text);
  if (!(parsed instanceof Error)) return undefined;
  return /encrypted|passphrase/i.test(parsed.message) ? "encrypted" : parsed.message;
}

export function sshCredentials(
  options: { readonly knownHostsFile: string | undefined; readonly identityFile: string | undefined },
  cwd: string,
  env: NodeJS.ProcessEnv,
  files: CredentialFiles,
): SshCredentials {
  const home = files.homeDir;
  const knownHostsFile = expand(options.knownHostsFile ?? "~/.ssh/known_hosts", cwd, home);
  const knownHosts = read(
    files,
    knownHostsFile,
    "known hosts file",
    options.knownHostsFile === undefined
      ? "connect once with ssh (and check the fingerprint it shows against the server's) or pass --known-hosts FILE holding the server's line"
      : "pass --known-hosts the file holding the server's known_hosts line",
  );
  const agent = env.SSH_AUTH_SOCK || undefined;

  if (options.identityFile !== undefined) {
    const path = expand(options.identityFile, cwd, home);
    const key = read(files, path, "--identity", "pass the path of the deploy user's private key");
    const problem = keyProblem(key);
    if (problem === "encrypted")
      throw new CredentialError(
        `--identity ${path} is passphrase-protected: add it to ssh-agent (\`ssh-add ${path}\`) and leave out --identity`,
      );
    if (problem)
      throw new CredentialError(`--identity ${path} is not a private key berth can use: ${problem}`);
    return { knownHosts, knownHostsFile, privateKey: key, agent: undefined, keySource: `--identity ${path}` };
  }
  if (env.BERTH_SSH_KEY) {
    const problem = keyProblem(env.BERTH_SSH_KEY);
    if (problem)
      throw new CredentialError(
        `BERTH_SSH_KEY does not hold a usable private key (${problem === "encrypted" ? "it is passphrase-protected" : problem}); set it to the key's text without a passphrase, or unset it to use ssh-agent or ~/.ssh/id_*`,
      );
    return {
      knownHosts,
      knownHostsFile,
      privateKey: env.BERTH_SSH_KEY,
      agent: undefined,
      keySource: "BERTH_SSH_KEY",
    };
  }
  const tried: string[] = [];
  for (const name of DEFAULT_KEYS) {
    const path = join(home, ".ssh", name);
    let key: string;
    try {
      key = files.readFile(path);
    } catch {
      continue;
    }
    const problem = keyProblem(key);
    if (!problem) {
      return {
        knownHosts,
        knownHostsFile,
        privateKey: key,
        agent,
        keySource: agent ? `${path} and ssh-agent` : path,
      };
    }
    tried.push(`${path} (${problem === "encrypted" ? "passphrase-protected" : problem})`);
  }
  if (agent) return { knownHosts, knownHostsFile, privateKey: undefined, agent, keySource: "ssh-agent" };
  throw new CredentialError(
    `no SSH key to log in with: no --identity, no BERTH_SSH_KEY, no ssh-agent (SSH_AUTH_SOCK unset)${
      tried.length
        ? `, and ${tried.join(", ")} cannot be used without one`
        : `, and none of ~/.ssh/${DEFAULT_KEYS.join(", ")}`
    }; pass --identity FILE or start ssh-agent and \`ssh-add\` the deploy key`,
  );
}

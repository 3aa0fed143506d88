/**
 * `berth setup <env> [--ssh-user root] [--yes] …`: provisions the environment's server
 * once, over SSH as an admin — packages, the deploy user and its key, the directory
 * tree, the bind-mounted data directories owned by the containers' uid, the env file's
 * variable names, the nginx site — with vps-scripts/setup/provision.sh, a constant
 * script given every value as an argument. It first runs the script in plan mode and
 * shows what would change; only then (asked, or --yes) applies it. A second run finds
 * nothing to change and says so. An unknown host key is pinned only once confirmed.
 * Exit 0 done (or nothing to do), 1 error, 2 refused with nothing changed.
 */
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { utils } from "ssh2";
import { ComposeError, type ComposeModel, parseCompose } from "../config/compose-model.js";
import { ConfigError } from "../config/errors.js";
import {
  type LoadedConfig,
  loadConfig,
  type ResolvedEnvironment,
  resolveEnvironment,
} from "../config/load.js";
import { connectSsh, HostKeyRefused, type SshTarget } from "../transport/ssh.js";
import type { Transport } from "../transport/transport.js";
import { painter } from "./findings.js";
import { cliBerthHome } from "./home.js";
import { type CliIo, confirm } from "./io.js";
import { decideHostKey, type HostKey, knownHostsLine, pinnedLines, scanHostKey } from "./setup-host-key.js";
import {
  imageRegistry,
  parseSetupArgs,
  planSetup,
  publicKeyLine,
  SETUP_USAGE,
  type SetupOptions,
  type SetupPlan,
  SetupUsageError,
} from "./setup-plan.js";
import { archive, setupEntries, unpackCommand, unpackedDir } from "./setup-upload.js";
import { CredentialError, type SshCredentials, sshCredentials } from "./ssh-credentials.js";

/** The side effects of setup beyond CliIo: the network and berth's own files. */
export interface SetupDeps {
  readonly connect: (target: SshTarget, log: (message: string) => void) => Promise<Transport>;
  readonly scanHostKey: (host: string, port: number) => Promise<HostKey>;
  /** berth's checkout: vps-scripts/setup/provision.sh and nginx/. */
  readonly berthHome: (env: NodeJS.ProcessEnv) => string;
}

const defaultSetupDeps: SetupDeps = {
  connect: (target, log) => connectSsh(target, { attempts: 3, log }),
  scanHostKey,
  berthHome: (env) => cliBerthHome(env),
};

/** One line of provision.sh's output: `<status>\t<step>\t<detail>`. */
interface StepLine {
  readonly status: string;
  readonly step: string;
  readonly detail: string;
}

export async function runSetup(
  args: string[],
  io: CliIo,
  deps: SetupDeps = defaultSetupDeps,
): Promise<number> {
  const c = painter(io.isTTY, io.env);
  const fail = (message: string, code = 1) => {
    io.err(`${c.red("berth setup:")} ${message}\n`);
    return code;
  };

  let options: SetupOptions;
  try {
    options = parseSetupArgs(args);
  } catch (e) {
    if (!(e instanceof SetupUsageError)) throw e;
    return fail(`${e.message}\n${SETUP_USAGE}`);
  }
  if (options.help) {
    io.out(SETUP_USAGE);
    return 0;
  }

  // berth.yml, the environment, the compose file: what the server must be made ready for.
  let loaded: LoadedConfig;
  let env: ResolvedEnvironment;
  try {
    ({ loaded, env } = environment(options, io.cwd));
  } catch (e) {
    if (e instanceof ConfigError) return fail(e.message);
    throw e;
  }
  const composeFile = resolve(loaded.dir, loaded.config.compose.file);
  let compose: ComposeModel;
  try {
    compose = parseCompose(readFileSync(composeFile, "utf8"), loaded.config.compose.file);
  } catch (e) {
    if (e instanceof ComposeError) return fail(`${e.message}; run berth check`);
    const code = (e as NodeJS.ErrnoException).code;
    if (code) return fail(`compose.file ${composeFile} cannot be read (${code}); run berth check`);
    throw e;
  }
  const home = io.env.HOME || homedir();
  const app = loaded.config.app;

  // The deploy user's key: given, found from an earlier run, or made now (written
  // only once the changes are confirmed).
  let key: DeployKey;
  try {
    key = deployKey(options, app, home, io.cwd);
  } catch (e) {
    if (e instanceof SetupUsageError) return fail(e.message);
    throw e;
  }
  const token = options.registryUsername === undefined ? undefined : io.env.BERTH_REGISTRY_TOKEN;
  if (options.registryUsername !== undefined && !token)
    return fail(
      "--registry-username: set BERTH_REGISTRY_TOKEN to a long-lived read-only (pull) token for it; it goes to the server on stdin, never in argv",
    );

  if (token !== undefined && !/^[^\p{Cc}]*$/u.test(token))
    return fail("BERTH_REGISTRY_TOKEN holds a newline or control character: set it to the token alone");

  let plan: SetupPlan;
  try {
    plan = planSetup({
      config: loaded.config,
      env,
      compose,
      composeFile: loaded.config.compose.file,
      options,
      deployKey: key.publicLine,
      registryFromImages: imageRegistry(Object.values(loaded.config.services).map((s) => s.image)),
    });
  } catch (e) {
    if (e instanceof SetupUsageError) return fail(e.message);
    throw e;
  }

  const host = options.overrides.host ?? env.host;
  const port = options.overrides.port ?? env.port;
  const admin = `${options.sshUser}@${host}:${port}`;
  io.out(
    `berth setup ${env.name}: ${admin} — deploy user ${env.user}, root ${env.root}, compose file ${loaded.config.compose.file}\n`,
  );
  for (const d of plan.dataDirs) io.out(`  data dir  ${d.path} → owner ${d.owner} (${d.ownerSource})\n`);
  if (plan.nginx) io.out(`  nginx     ${plan.nginx.serverName}: ${plan.nginx.upstream}\n`);
  for (const n of plan.notes) io.out(`  ${c.dim(`note: ${n}`)}\n`);
  for (const w of plan.warnings) io.out(`  ${c.yellow(`warning: ${w}`)}\n`);

  let bundle: Buffer;
  try {
    bundle = archive(setupEntries(deps.berthHome(io.env)));
  } catch (e) {
    return fail(`cannot read berth's setup files: ${(e as Error).message}`);
  }

  // Credentials and the host key: an unknown key is shown and confirmed, never trusted.
  const knownHostsPath = expand(options.knownHostsFile ?? "~/.ssh/known_hosts", io.cwd, home);
  let creds: SshCredentials;
  try {
    creds = sshCredentials(
      { knownHostsFile: knownHostsPath, identityFile: options.identityFile },
      io.cwd,
      io.env,
      {
        homeDir: home,
        readFile: (p) => {
          try {
            return readFileSync(p, "utf8");
          } catch (e) {
            // No known_hosts yet is fine here: this is the first contact.
            if (p === knownHostsPath && (e as NodeJS.ErrnoException).code === "ENOENT") return "";
            throw e;
          }
        },
      },
    );
  } catch (e) {
    if (e instanceof CredentialError) return fail(e.message);
    throw e;
  }
  let knownHosts = creds.knownHosts;
  if (pinnedLines(knownHosts, host, port).length === 0) {
    let scanned: HostKey;
    try {
      scanned = await deps.scanHostKey(host, port);
    } catch (e) {
      return fail((e as Error).message);
    }
    const decision = await decideHostKey(
      scanned,
      `${host}:${port}`,
      options.hostKeyFingerprint,
      io.isTTY ? (q) => confirm(io, q) : undefined,
    );
    if (!decision.accept) return fail(decision.message, 2);
    const line = knownHostsLine(host, port, scanned);
    try {
      pin(knownHostsPath, knownHosts, line);
    } catch (e) {
      return fail(
        `cannot add the host key to ${knownHostsPath}: ${(e as Error).message}; pass --known-hosts FILE`,
      );
    }
    knownHosts = `${knownHosts}${knownHosts === "" || knownHosts.endsWith("\n") ? "" : "\n"}${line}\n`;
    io.out(`host key  ${decision.how}: pinned in ${knownHostsPath}\n`);
  }

  const target: SshTarget = {
    host,
    port,
    user: options.sshUser,
    privateKey: creds.privateKey,
    agent: creds.agent,
    knownHosts,
  };
  let transport: Transport;
  try {
    transport = await deps.connect(target, (m) => io.err(`${c.dim(m)}\n`));
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof HostKeyRefused)
      return fail(
        `${message.replace(/ssh-known-hosts/g, "the known hosts file")} (known hosts read from ${knownHostsPath})`,
      );
    if (/authentication/i.test((e as { level?: string }).level ?? ""))
      return fail(
        `${admin} refused the login with ${creds.keySource} (${message}): log in as an admin whose key that is (--ssh-user, --identity FILE); berth setup needs root, or a user with passwordless sudo`,
      );
    return fail(message.replace(/ssh-host\/ssh-port/, "--host/--port or berth.yml's environment"));
  }

  const sudo = options.sshUser === "root" ? [] : ["sudo", "-n", "--"];
  let dir: string | undefined;
  try {
    const upload = await transport.exec(unpackCommand(), { stdin: bundle });
    dir = upload.exitCode === 0 ? unpackedDir(upload.stdout) : undefined;
    if (dir === undefined)
      return fail(
        `could not upload the setup script to ${admin}: ${upload.stderr.trim() || upload.stdout.trim() || "no output"}`,
      );
    const run = (mode: "plan" | "apply", show: (l: StepLine) => boolean) =>
      provision(
        transport,
        [...sudo, "bash", `${dir}/provision.sh`, "--mode", mode, "--assets", `${dir}/nginx`, ...plan.args],
        token,
        io,
        show,
      );

    const planned = await run("plan", () => true);
    if (planned.exitCode !== 0) return provisionFailed(planned.exitCode, fail);
    const changes = planned.lines.filter((l) => l.status === "plan").length;
    if (changes === 0) {
      io.out(
        `${c.green("nothing to change")}: ${host} is set up for ${env.name} (every step ok); nothing changed\n`,
      );
      finish(io, { env, host, port, knownHosts, key, plan, changed: false });
      return 0;
    }
    io.out(`${changes} change${changes === 1 ? "" : "s"} to make on ${host}\n`);
    if (!options.yes) {
      if (!io.isTTY)
        return fail(
          `there is no terminal to confirm the ${changes} change${changes === 1 ? "" : "s"} above on: pass --yes to apply them. Nothing was changed`,
          2,
        );
      if (!(await confirm(io, `${c.yellow(`Apply these ${changes} changes`)} to ${admin}?`)))
        return fail("not confirmed; nothing was changed", 2);
    }
    if (key.write) key.write();
    const applied = await run("apply", (l) => l.status !== "ok" && l.status !== "note");
    if (applied.exitCode !== 0) return provisionFailed(applied.exitCode, fail);
    const done = applied.lines.filter((l) => l.status === "changed").length;
    io.out(
      done === 0
        ? `${c.green("nothing changed")}: ${host} was already set up for ${env.name}\n`
        : `${c.green("done")}: ${done} change${done === 1 ? "" : "s"} made on ${host}\n`,
    );
    finish(io, { env, host, port, knownHosts, key, plan, changed: done > 0 });
    return 0;
  } finally {
    if (dir !== undefined) await transport.exec({ argv: ["rm", "-rf", "--", dir] }).catch(() => undefined);
    transport.close();
  }
}

function environment(options: SetupOptions, cwd: string): { loaded: LoadedConfig; env: ResolvedEnvironment } {
  const source = options.config ?? "berth.yml";
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig(source, cwd);
  } catch (e) {
    if (e instanceof ConfigError && options.config === undefined && /cannot be read/.test(e.message))
      throw new ConfigError(
        `no berth.yml in ${cwd}: run berth setup from your app's repository, pass --config FILE, or write one with \`berth init\``,
      );
    throw e;
  }
  const known = Object.keys(loaded.config.environments);
  if (!known.includes(options.environment))
    throw new ConfigError(
      `environment ${JSON.stringify(options.environment)} is not in ${source}; its environments are: ${known.join(", ")} (or add it under environments:)`,
    );
  return { loaded, env: resolveEnvironment(loaded.config, options.environment, source) };
}

function expand(path: string, cwd: string, home: string): string {
  if (path === "~") return home;
  if (path.startsWith("~/")) return join(home, path.slice(2));
  return isAbsolute(path) ? path : resolve(cwd, path);
}

/** Append a confirmed host key line to the known hosts file (created 0600 in a 0700 dir). */
function pin(file: string, current: string, line: string): void {
  if (!existsSync(dirname(file))) mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const sep = current === "" || current.endsWith("\n") ? "" : "\n";
  if (existsSync(file)) appendFileSync(file, `${sep}${line}\n`);
  else writeFileSync(file, `${line}\n`, { mode: 0o600 });
}

interface DeployKey {
  readonly publicLine: string | undefined;
  /** The private key's path, when known. */
  readonly privatePath: string | undefined;
  readonly generated: boolean;
  /** Writes a generated key pair (after confirmation). */
  readonly write: (() => void) | undefined;
}

function deployKey(options: SetupOptions, app: string, home: string, cwd: string): DeployKey {
  if (options.deployKeyFile !== undefined) {
    const path = expand(options.deployKeyFile, cwd, home);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      throw new SetupUsageError(
        `--deploy-key ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? e}); give the deploy key's .pub file`,
      );
    }
    const line = publicKeyLine(text);
    if (line === undefined)
      throw new SetupUsageError(
        `--deploy-key ${path} is not an OpenSSH public key (ssh-ed25519 AAAA… comment); give the .pub file, never the private key`,
      );
    const priv = path.replace(/\.pub$/, "");
    return {
      publicLine: line,
      privatePath: priv !== path && existsSync(priv) ? priv : undefined,
      generated: false,
      write: undefined,
    };
  }
  const priv = join(home, ".ssh", `berth_${app.replace(/-/g, "_")}_deploy_ed25519`);
  if (existsSync(`${priv}.pub`)) {
    const line = publicKeyLine(readFileSync(`${priv}.pub`, "utf8"));
    if (line === undefined)
      throw new SetupUsageError(
        `${priv}.pub is not an OpenSSH public key; remove it, or pass --deploy-key FILE.pub`,
      );
    return { publicLine: line, privatePath: priv, generated: false, write: undefined };
  }
  const pair = utils.generateKeyPairSync("ed25519", { comment: `berth-deploy-${app}` });
  const line = publicKeyLine(pair.public);
  return {
    publicLine: line,
    privatePath: priv,
    generated: true,
    write: () => {
      mkdirSync(dirname(priv), { recursive: true, mode: 0o700 });
      writeFileSync(priv, pair.private, { mode: 0o600, flag: "wx" });
      chmodSync(priv, 0o600);
      writeFileSync(`${priv}.pub`, `${pair.public.trim()}\n`, { mode: 0o644, flag: "wx" });
    },
  };
}

/** Run provision.sh, printing its step lines as they come (those `show` keeps) and its stderr. */
async function provision(
  transport: Transport,
  argv: string[],
  token: string | undefined,
  io: CliIo,
  show: (l: StepLine) => boolean,
): Promise<{ exitCode: number | null; lines: StepLine[] }> {
  const c = painter(io.isTTY, io.env);
  const lines: StepLine[] = [];
  const out = new StringDecoder("utf8");
  const err = new StringDecoder("utf8");
  let pending = "";
  const take = (text: string) => {
    pending += text;
    let nl = pending.indexOf("\n");
    while (nl >= 0) {
      const raw = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      nl = pending.indexOf("\n");
      const [status = "", step = "", ...rest] = raw.split("\t");
      const line = { status, step, detail: rest.join("\t") };
      if (status === "summary") continue;
      if (rest.length === 0) {
        io.out(`${raw}\n`);
        continue;
      }
      lines.push(line);
      if (show(line)) io.out(`${formatStep(line, c)}\n`);
    }
  };
  const r = await transport.exec(
    { argv },
    {
      ...(token === undefined ? {} : { stdin: `${token}\n` }),
      onStdout: (d) => take(out.write(d)),
      onStderr: (d) => io.err(c.dim(err.write(d))),
    },
  );
  take(`${out.end()}\n`);
  io.err(err.end());
  return { exitCode: r.exitCode, lines };
}

const LABEL: Record<string, string> = {
  ok: "ok",
  plan: "change",
  changed: "changed",
  note: "note",
  warn: "warning",
};

function formatStep(l: StepLine, c: ReturnType<typeof painter>): string {
  const label = (LABEL[l.status] ?? l.status).padEnd(8);
  const paint =
    l.status === "ok"
      ? c.green
      : l.status === "warn"
        ? c.yellow
        : l.status === "note"
          ? c.dim
          : (s: string) => s;
  return `  ${paint(label)} ${l.step.padEnd(12)} ${l.detail}`;
}

function provisionFailed(code: number | null, fail: (m: string, code?: number) => number): number {
  if (code === null)
    return fail(
      "the connection dropped before the setup script finished; run berth setup again (it resumes where it stopped)",
    );
  if (code === 2) return fail("the setup script refused a value (named above); nothing was changed", 2);
  return fail(
    `the setup script failed (exit ${code}; the step and its reason are above); run berth setup again once fixed`,
  );
}

/** What to do next: the secrets for GitHub, the env file's values, the first deploy. */
function finish(
  io: CliIo,
  r: {
    env: ResolvedEnvironment;
    host: string;
    port: number;
    knownHosts: string;
    key: DeployKey;
    plan: SetupPlan;
    changed: boolean;
  },
): void {
  const lines = pinnedLines(r.knownHosts, r.host, r.port);
  const env = r.env.name;
  io.out(
    `\nsecrets of the GitHub environment ${env} (Settings → Environments → ${env} → Environment secrets; berth's ${env} jobs read them there):\n`,
  );
  io.out(`  BERTH_SSH_KNOWN_HOSTS  ${lines.join("\n                         ")}\n`);
  if (r.key.privatePath !== undefined)
    io.out(
      `  BERTH_SSH_PRIVATE_KEY  the content of ${r.key.privatePath}${r.key.generated ? " (made now)" : ""}: gh secret set BERTH_SSH_PRIVATE_KEY --env ${env} < ${r.key.privatePath}\n`,
    );
  else
    io.out(
      `  BERTH_SSH_PRIVATE_KEY  the private key of ${r.plan.args.includes("--deploy-key") ? "the --deploy-key you gave" : "the deploy user"}\n`,
    );
  if (r.plan.envVars.length > 0)
    io.out(
      `next: set ${r.plan.envVars.join(", ")} in ${r.env.envFile} on the server (values stay there: berth never prints them), then push to main (the staging workflow deploys)\n`,
    );
  else io.out("next: push to main (the staging workflow deploys)\n");
}

/**
 * `berth status|releases|logs|rollback|deploy|maintenance|backup|restore|sync|drill|recover <env>` from a
 * laptop: the same verb runs as `<root>/bin/berth …` on the server, over the transport
 * and host-key pinning the actions use. Read-only verbs print what the server prints
 * and exit with its code; verbs that change the server need --yes or a confirmation,
 * and the long ones run detached (`berth run`) and are followed, so a dropped laptop
 * connection cannot stop them half-way.
 */
import { StringDecoder } from "node:string_decoder";
import { ConfigError } from "../config/errors.js";
import {
  type LoadedConfig,
  loadConfig,
  type ResolvedEnvironment,
  resolveEnvironment,
} from "../config/load.js";
import { RunNotStarted } from "../deploy/remote-run.js";
import { runVerb, type Server } from "../deploy/server-session.js";
import { berthPath } from "../remote/commands.js";
import { EXIT, EXIT_MEANING } from "../remote/exit-codes.generated.js";
import type { Reporter } from "../reporter.js";
import { HostKeyRefused, type SshTarget } from "../transport/ssh.js";
import type { Transport } from "../transport/transport.js";
import { painter } from "./findings.js";
import { type CliIo, confirm } from "./io.js";
import {
  parseServerArgs,
  type ServerRequest,
  type ServerVerb,
  UsageError,
  VERB_USAGE,
} from "./server-args.js";
import {
  CredentialError,
  type CredentialFiles,
  type SshCredentials,
  sshCredentials,
} from "./ssh-credentials.js";

/** The side effects of a server verb beyond CliIo: the network, key files, who runs it. */
export interface ServerDeps {
  readonly connect: (target: SshTarget, log: (message: string) => void) => Promise<Transport>;
  readonly files: CredentialFiles;
  /** The local user name, recorded in the ledger as the actor. */
  readonly localUser: () => string;
  /** A fresh id for a detached run ([A-Za-z0-9._-], at most 64). */
  readonly newRunId: () => string;
}

export async function runServerVerb(
  verb: ServerVerb,
  args: readonly string[],
  io: CliIo,
  deps: ServerDeps,
): Promise<number> {
  const c = painter(io.isTTY, io.env);
  const fail = (message: string, code: number = EXIT.ERROR) => {
    io.err(`${c.red("berth:")} ${message}\n`);
    return code;
  };

  let req: ServerRequest;
  try {
    req = parseServerArgs(verb, args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return fail(
      `${verb}: ${e.message}\nusage: ${VERB_USAGE[verb]}\n(berth help lists every verb and option)`,
    );
  }
  if (req.help) {
    io.out(`usage: ${VERB_USAGE[verb]}\n(berth help lists every option)\n`);
    return 0;
  }

  let env: ResolvedEnvironment;
  let loaded: LoadedConfig;
  try {
    ({ env, loaded } = environment(req, io.cwd));
  } catch (e) {
    if (e instanceof ConfigError) return fail(e.message);
    throw e;
  }
  if (req.source !== undefined) {
    const why = sameServer(req, loaded);
    if (why !== undefined) return fail(why, EXIT.REFUSED);
  }
  if (req.verb === "recover") {
    // On a lost server there is no release.json to read the repository from.
    const offsite = loaded.config.offsite;
    if (offsite === undefined) {
      return fail(
        `recover needs berth.yml's offsite: block (offsite.repository: the restic repository the backups went to); ${req.config ?? "berth.yml"} has none. Nothing was run.`,
        EXIT.REFUSED,
      );
    }
    req = { ...req, serverArgs: [...req.serverArgs, "--repository", offsite.repository] };
  }
  const where = `${env.user}@${env.host}:${env.port} (${env.root})`;

  if (req.changes && !req.yes && !io.isTTY) {
    return fail(
      `${verb} changes ${env.name} on ${where}; there is no terminal to confirm on, so pass --yes to go ahead. Nothing was run.`,
      EXIT.REFUSED,
    );
  }

  let creds: SshCredentials;
  try {
    creds = sshCredentials(req, io.cwd, io.env, deps.files);
  } catch (e) {
    if (e instanceof CredentialError) return fail(e.message);
    throw e;
  }

  if (req.changes && !req.yes && !(await confirm(io, `${c.yellow(capitalize(req.action))} on ${where}?`))) {
    return fail("not confirmed; nothing was run", EXIT.REFUSED);
  }

  const target: SshTarget = {
    host: env.host,
    port: env.port,
    user: env.user,
    privateKey: creds.privateKey,
    agent: creds.agent,
    knownHosts: creds.knownHosts,
  };
  const connect = () => deps.connect(target, (m) => io.err(`${c.dim(m)}\n`));
  let transport: Transport;
  try {
    transport = await connect();
  } catch (e) {
    return fail(connectFailure(e, env, creds));
  }
  try {
    if (!req.detached) return await direct(transport, env, req, io);
    const server: Server = { root: env.root, environment: env.name, connect };
    return await detached(transport, server, req, io, deps, fail);
  } finally {
    transport.close();
  }
}

function environment(req: ServerRequest, cwd: string): { env: ResolvedEnvironment; loaded: LoadedConfig } {
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig(req.config ?? "berth.yml", cwd);
  } catch (e) {
    if (e instanceof ConfigError && req.config === undefined && /cannot be read/.test(e.message)) {
      throw new ConfigError(
        `no berth.yml in ${cwd}: run berth from your app's repository, pass --config FILE, or write one with \`berth init\``,
      );
    }
    throw e;
  }
  const source = req.config ?? "berth.yml";
  const known = Object.keys(loaded.config.environments);
  if (!known.includes(req.environment)) {
    throw new ConfigError(
      `environment ${JSON.stringify(req.environment)} is not in ${source}; its environments are: ${known.join(", ")} (or add it under environments:)`,
    );
  }
  const env = resolveEnvironment(loaded.config, req.environment, source);
  return { env: Object.freeze({ ...env, ...req.overrides }), loaded };
}

/**
 * sync reads <from> on the server <to> lives on: both must be environments of berth.yml
 * on the same host and server root (the snapshot never crosses a network). A message
 * when they are not.
 */
function sameServer(req: ServerRequest, loaded: LoadedConfig): string | undefined {
  const file = req.config ?? "berth.yml";
  const from = req.source ?? "";
  const known = Object.keys(loaded.config.environments);
  if (!known.includes(from)) {
    return `<from-env> ${JSON.stringify(from)} is not in ${file}; its environments are: ${known.join(", ")}. Nothing was run.`;
  }
  const a = resolveEnvironment(loaded.config, from, file);
  const b = resolveEnvironment(loaded.config, req.environment, file);
  const where = (e: ResolvedEnvironment) => `${e.host}:${e.port} ${e.root}`;
  if (where(a) !== where(b)) {
    return `sync copies between environments of one server root: ${from} is on ${where(a)}, ${req.environment} on ${where(b)} (${file}). Copy a backup across and use berth restore instead. Nothing was run.`;
  }
  return undefined;
}

function connectFailure(e: unknown, env: ResolvedEnvironment, creds: SshCredentials): string {
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof HostKeyRefused) {
    return `${message.replace(/ssh-known-hosts/g, "the known hosts file")} (known hosts read from ${creds.knownHostsFile}; --known-hosts FILE picks another)`;
  }
  if (/authentication/i.test((e as { level?: string }).level ?? "")) {
    return `${env.user}@${env.host}:${env.port} refused the login with ${creds.keySource} (${message}); check that its public key is in ~${env.user}/.ssh/authorized_keys on the server, or pass --identity FILE / --user USER`;
  }
  return `${message.replace(/ssh-host\/ssh-port/, "--host/--port or berth.yml's environment")}`;
}

/** Run `<root>/bin/berth <verb> …` in this session, streaming its stdout and stderr through. */
async function direct(transport: Transport, env: ResolvedEnvironment, req: ServerRequest, io: CliIo) {
  const out = new StringDecoder("utf8");
  const err = new StringDecoder("utf8");
  const argv = [berthPath(env.root), ...req.serverArgs, ...(req.json ? ["--json"] : [])];
  const r = await transport.exec(
    { argv },
    { onStdout: (d) => io.out(out.write(d)), onStderr: (d) => io.err(err.write(d)) },
  );
  io.out(out.end());
  io.err(err.end());
  if (r.exitCode === null) {
    io.err(
      `berth: the connection dropped before \`berth ${req.serverArgs.join(" ")}\` reported its exit code${req.changes ? `; check with \`berth ${req.verb === "maintenance" ? "maintenance status" : "status"} ${env.name}\`` : ""}\n`,
    );
    return 1;
  }
  return r.exitCode;
}

/** Start the verb detached on the server and follow its log until it ends. */
async function detached(
  transport: Transport,
  server: Server,
  req: ServerRequest,
  io: CliIo,
  deps: ServerDeps,
  fail: (message: string, code?: number) => number,
) {
  const actor =
    deps
      .localUser()
      .replace(/[^A-Za-z0-9._@-]/g, "_")
      .slice(0, 64) || "unknown";
  const verb = [...req.serverArgs, ...(req.takesActor ? ["--actor", actor] : [])];
  const runId = deps.newRunId();
  // The verb and its environment(s): `sync production staging`, `restore staging`.
  const what = req.serverArgs.slice(0, req.source === undefined ? 2 : 3).join(" ");
  // With --json, stdout holds only the result object; the log goes to stderr.
  const log = req.json ? io.err : io.out;
  io.err(
    `berth: ${what} runs on the server as run ${runId} (Ctrl-C stops watching, not the run; \`berth logs ${server.environment} --run ${runId}\` shows its log)\n`,
  );
  const reporter: Reporter = {
    info: (m) => log(`${m}\n`),
    warning: (m) => io.err(`berth: ${m}\n`),
    startGroup: () => {},
    endGroup: () => {},
    remote: (m) => log(`${m}\n`),
    remoteEnd: () => {},
  };
  let outcome: Awaited<ReturnType<typeof runVerb>>;
  try {
    outcome = await runVerb(transport, server, runId, verb, reporter);
  } catch (e) {
    if (e instanceof RunNotStarted) return fail(e.message, e.exitCode ?? 1);
    return fail((e as Error).message);
  }
  if (req.json && outcome.result) io.out(`${JSON.stringify(outcome.result)}\n`);
  if (outcome.exitCode !== 0) {
    io.err(
      `berth: ${what} ended with exit code ${outcome.exitCode} (${EXIT_MEANING[outcome.exitCode] ?? "see the log above"})\n`,
    );
  }
  return outcome.exitCode;
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

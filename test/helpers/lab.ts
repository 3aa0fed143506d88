/** Test helpers for the lab: its coordinates, and running an action as the runner does. */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { browserFetch } from "../../scripts/lib/browser-fetch.mjs";
import { resetEnvironment as resetLabEnvironment } from "../../scripts/lib/runner.mjs";

export const repoRoot = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

export interface LabEnv {
  ssh: {
    host: string;
    port: number;
    user: string;
    privateKeyPath: string;
    knownHosts: string;
    /** berth setup's admin login (root, by the lab's admin key). */
    admin: { user: string; privateKeyPath: string };
  };
  registry: { url: string; host: string; username: string; password: string };
  vps: { root: string };
  nginx: { staging: string; production: string };
  /** The example app's loopback host ports (slot a) per environment. */
  ports: Record<"staging" | "production", { backend: number; frontend: number }>;
  baseImage: string;
  labDir: string;
  /** restic's offsite target: sftp to the lab's `offsite` account (test/lab/lib/vps.sh). */
  offsite: { sshHost: string; repositories: string; repositoryBase: string; envFile: string };
}

let cached: LabEnv | undefined;
export function labEnv(): LabEnv {
  cached ??= JSON.parse(
    execFileSync("bash", [join(repoRoot, "test/lab/lab.sh"), "env"]).toString(),
  ) as LabEnv;
  return cached;
}

/** One environment of the lab VPS as tests look at it: its nginx URL, directory, DB and files. */
export function labEnvironment(env: "staging" | "production") {
  const lab = labEnv();
  const dir = join(lab.vps.root, env);
  return {
    url: lab.nginx[env],
    dir,
    db: join(dir, "data", "app.db"),
    /** A file of <root>/<env>, trimmed (current_release, previous_release, …). */
    read: (file: string) => readFileSync(join(dir, file), "utf8").trim(),
  };
}

export function randomSha(): string {
  return randomBytes(20).toString("hex");
}

export function tempDir(prefix = "berth-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Run an action as the runner does (scripts/lib/runner.mjs, shared with the demo and bench). */
export { type ActionRun, runAction } from "../../scripts/lib/runner.mjs";

/**
 * A `docker` on PATH that records every invocation, then runs the real one: the
 * canary that proves which docker commands an action ran (or that none ran).
 */
export function dockerSpy(): { pathDir: string; calls: () => string[][] } {
  const dir = tempDir("berth-docker-spy-");
  const log = join(dir, "calls.jsonl");
  const real = execFileSync("bash", ["-c", "command -v docker"]).toString().trim();
  writeFileSync(
    join(dir, "docker"),
    `#!/usr/bin/env bash\nprintf '%s\\n' "$(jq -cn '$ARGS.positional' --args -- "$@")" >> '${log}'\nexec '${real}' "$@"\n`,
  );
  chmodSync(join(dir, "docker"), 0o755);
  writeFileSync(log, "");
  return {
    pathDir: dir,
    calls: () =>
      readFileSync(log, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string[]),
  };
}

/** The manifest digest the registry itself reports for repo:tag (HTTP API v2). */
export async function registryDigest(repo: string, tag: string): Promise<string | null> {
  const lab = labEnv();
  const name = repo.slice(lab.registry.host.length + 1);
  const res = await fetch(`${lab.registry.url}/v2/${name}/manifests/${tag}`, {
    method: "HEAD",
    headers: {
      Accept:
        "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json",
      Authorization: `Basic ${Buffer.from(`${lab.registry.username}:${lab.registry.password}`).toString("base64")}`,
    },
  });
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`registry answered ${res.status}`);
  return res.headers.get("docker-content-digest");
}

/** Run a command on the lab VPS as the deploy user (as root, via runuser: no SSH needed). */
export function asDeploy(argv: string[]): string {
  return execFileSync("runuser", ["-u", "deploy", "--", ...argv], { encoding: "utf8" });
}

/**
 * Put an environment of the lab VPS back to "never deployed": its containers gone and
 * its state directories empty (the env file stays). Lets e2e tests start from a known state.
 * The same step `npm run demo` and `npm run bench` take (scripts/lib/runner.mjs).
 */
export function resetEnvironment(env: string): void {
  resetLabEnvironment(labEnv(), env);
}

/** The deploy action's SSH and registry inputs for the lab VPS. */
export function sshInputs(): Record<string, string> {
  const lab = labEnv();
  return {
    "ssh-private-key": readFileSync(lab.ssh.privateKeyPath, "utf8"),
    "ssh-known-hosts": lab.ssh.knownHosts,
    "registry-username": lab.registry.username,
    "registry-password": lab.registry.password,
  };
}

/** A logical checksum of a SQLite DB: its full SQL dump, read in one consistent snapshot. */
export function dbChecksum(path: string): string {
  const dump = execFileSync("sqlite3", ["-readonly", path, ".dump"]);
  return createHash("sha256").update(dump).digest("hex");
}

export async function served(baseUrl: string, path = "/api/version"): Promise<string> {
  // On a kept-alive connection nginx closed as it reloaded (a swap's switch), ask again as a browser does.
  const { res } = await browserFetch(`${baseUrl}${path}`, () => ({ signal: AbortSignal.timeout(10_000) }));
  if (!res.ok) return `HTTP ${res.status}`;
  return ((await res.json()) as { sha: string }).sha;
}

export function ledger(env: string): Record<string, unknown>[] {
  return readFileSync(join(labEnv().vps.root, env, "releases.log"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A ledger line as tests read it (docs/design.md §4); each kind adds its own fields. */
export interface LedgerLine {
  kind: string;
  sha: string;
  result: string;
  phase: string;
  actor: string;
  from?: string;
  database?: string;
  restoredFrom?: string | null;
  backup?: string | null;
  durations: Record<string, number>;
  totalSeconds: number;
}

/** The environment's newest ledger line. */
export function lastLedgerLine(env: string): LedgerLine {
  return ledger(env).at(-1) as unknown as LedgerLine;
}

/**
 * What the runner would show of an action's stdout: `::add-mask::` commands are
 * consumed by the runner (that is how masking is requested), everything else is shown.
 */
export function visibleLog(stdout: string): string {
  return stdout
    .split("\n")
    .filter((l) => !l.startsWith("::add-mask::"))
    .join("\n");
}

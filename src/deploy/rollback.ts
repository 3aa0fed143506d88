/**
 * actions/rollback: connect → (log the server in for this run only, in case the
 * target's images were pruned) → run `berth rollback` detached and stream it → record a GitHub deployment of
 * the release now serving → report. The target, its digests and the database choice are
 * resolved on the server from the ledger.
 */
import type { Credentials } from "../build/registry.js";
import { readLedgerEntry } from "../release/ledger.js";
import type { Reporter } from "../reporter.js";
import type { GitHubDeployments } from "./github-deployment.js";
import type { Server } from "./server-session.js";
import { forgetRegistryLogin, loginRegistry, runVerb } from "./server-session.js";

export interface RollbackRequest {
  readonly environment: string;
  readonly sha: string | undefined;
  readonly database: "restore" | "keep" | undefined;
  readonly repos: readonly string[];
  readonly credentials: Credentials | undefined;
  readonly runId: string;
  /** Who asked, for the ledger: the GitHub actor and run URL. */
  readonly actor: string;
  readonly runUrl: string;
  /** berth.yml's environment URL, shown on the GitHub deployment. */
  readonly environmentUrl?: string | undefined;
}

export interface RollbackDeps {
  readonly server: Server;
  readonly reporter: Reporter;
  /** Optional: record the rollback as a GitHub deployment of the release it serves again. */
  readonly github?: GitHubDeployments | undefined;
  readonly now: () => number;
}

export interface RollbackReport {
  readonly sha: string;
  readonly rolledBackFrom: string;
  readonly result: string;
  readonly exitCode: number;
  readonly durationSeconds: number;
  readonly phases: Record<string, number>;
}

export function rollbackVerb(
  r: Pick<RollbackRequest, "environment" | "sha" | "database" | "actor" | "runUrl">,
): string[] {
  const verb = ["rollback", r.environment];
  if (r.sha) verb.push("--to", r.sha);
  if (r.database === "restore") verb.push("--restore-db");
  if (r.database === "keep") verb.push("--keep-db");
  if (r.actor) verb.push("--actor", r.actor);
  if (r.runUrl) verb.push("--run-url", r.runUrl);
  return verb;
}

export async function rollback(req: RollbackRequest, deps: RollbackDeps): Promise<RollbackReport> {
  const started = deps.now();
  const ssh = await deps.server.connect();
  let report: RollbackReport;
  try {
    let outcome: Awaited<ReturnType<typeof runVerb>>;
    try {
      if (req.credentials) await loginRegistry(ssh, deps.server, req.runId, req.repos, req.credentials);
      outcome = await runVerb(ssh, deps.server, req.runId, rollbackVerb(req), deps.reporter);
    } finally {
      if (req.credentials) await forgetRegistryLogin(ssh, deps.server, req.runId, deps.reporter);
    }
    const ledger = readLedgerEntry(outcome.result) ?? {};
    report = {
      sha: ledger.sha ?? "",
      rolledBackFrom: ledger.from || ledger.previousSha || "",
      result: ledger.result || (outcome.exitCode === 0 ? "rolled_back" : "unknown"),
      exitCode: outcome.exitCode,
      durationSeconds: Math.round((deps.now() - started) / 100) / 10,
      phases: outcome.phases,
    };
  } finally {
    ssh.close();
  }
  await recordDeployment(req, report, deps);
  return report;
}

/**
 * The GitHub deployment of a rollback: the release it put back (the target is chosen on
 * the server, so it is known only now), success when it serves, failure otherwise. Like
 * deploy's, it never decides the outcome.
 */
async function recordDeployment(req: RollbackRequest, r: RollbackReport, deps: RollbackDeps) {
  const github = deps.github;
  const sha = r.sha || req.sha;
  if (!github || !sha || !/^[0-9a-f]{40}$/.test(sha)) return;
  try {
    const from = r.rolledBackFrom ? ` from ${r.rolledBackFrom.slice(0, 12)}` : "";
    const id = await github.create(sha, req.environment, `berth rollback to ${sha.slice(0, 12)}${from}`);
    await github.status(id, r.exitCode === 0 ? "success" : "failure", {
      ...(req.environmentUrl ? { environmentUrl: req.environmentUrl } : {}),
      ...(req.runUrl ? { logUrl: req.runUrl } : {}),
      description: `berth rollback: ${r.result}`,
    });
  } catch (e) {
    deps.reporter.warning(
      `GitHub deployment: ${(e as Error).message} (continuing; the rollback does not depend on it)`,
    );
  }
}

/**
 * actions/rollback: connect → (log the server in, in case the target's images were
 * pruned) → run `berth rollback` detached and stream it → report. The target, its
 * digests and the database choice are resolved on the server from the ledger.
 */
import type { Credentials } from "../build/registry.js";
import type { Reporter, Server } from "./server-session.js";
import { loginRegistry, runVerb } from "./server-session.js";

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

export async function rollback(
  req: RollbackRequest,
  deps: { server: Server; reporter: Reporter; now: () => number },
): Promise<RollbackReport> {
  const started = deps.now();
  const ssh = await deps.server.connect();
  try {
    if (req.credentials) await loginRegistry(ssh, req.repos, req.credentials);
    const outcome = await runVerb(ssh, deps.server, req.runId, rollbackVerb(req), deps.reporter);
    const ledger = outcome.result ?? {};
    const str = (k: string) => (typeof ledger[k] === "string" ? (ledger[k] as string) : "");
    return {
      sha: str("sha"),
      rolledBackFrom: str("from") || str("previousSha"),
      result: str("result") || (outcome.exitCode === 0 ? "rolled_back" : "unknown"),
      exitCode: outcome.exitCode,
      durationSeconds: Math.round((deps.now() - started) / 100) / 10,
      phases: outcome.phases,
    };
  } finally {
    ssh.close();
  }
}

/**
 * Why a lab run failed, printed where the failure is: `expect(run).toExit(0)` on any
 * deploy, rollback, restore or sync — an action run (the environment comes from its
 * inputs) or a server verb / CLI run (`expect(r).toExit(3, "staging")`). When the exit code
 * is not the expected one, the message carries the environment's newest ledger line (kind,
 * result, phase), the tail of the newest detached run's server log, what the server holds
 * (current release, slot, maintenance flag, lock holder, the app's containers) and the tail
 * of the command's own output. A red CI run then says why without a re-run.
 *
 * Registered for the lab project by vitest.config.ts (setupFiles).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";

/** What a run looks like to the matcher: an ActionRun, or a spawned CLI/server verb. */
export interface RunLike {
  exitCode: number | null;
  stdout?: string;
  stderr?: string;
  /** Combined output, when the caller kept it that way. */
  out?: string;
  /** The environment the run acted on (runAction sets it from its `environment` input). */
  environment?: string;
  outputs?: Record<string, string>;
}

const LOG_LINES = 40;
const OUTPUT_LINES = 60;

function tail(text: string, n: number): string {
  const lines = text.replace(/\n$/, "").split("\n");
  return lines.slice(-n).join("\n");
}

function vpsRoot(): string | undefined {
  try {
    const repo = new URL("../..", import.meta.url).pathname;
    const env = JSON.parse(
      execFileSync("bash", [join(repo, "test/lab/lab.sh"), "env"], { encoding: "utf8" }),
    );
    return env.vps.root as string;
  } catch {
    return undefined;
  }
}

function readOr(path: string, fallback = "(none)"): string {
  try {
    return readFileSync(path, "utf8").trim() || "(empty)";
  } catch {
    return fallback;
  }
}

/** The newest detached run's directory under <env>/runs (by mtime). */
function newestRun(envDir: string): string | undefined {
  const runs = join(envDir, "runs");
  if (!existsSync(runs)) return undefined;
  const dirs = readdirSync(runs)
    .map((name) => join(runs, name))
    .filter((p) => existsSync(join(p, "log")))
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
  return dirs.at(-1);
}

/** The server side of an environment, as text for a failure message. */
export function serverReport(env: string): string {
  const root = vpsRoot();
  if (!root) return `(lab coordinates unavailable: no server report for ${env})`;
  const dir = join(root, env);
  const parts: string[] = [];
  const ledger = readOr(join(dir, "releases.log"), "");
  const last = ledger.split("\n").filter(Boolean).at(-1);
  if (last) {
    try {
      const line = JSON.parse(last) as Record<string, unknown>;
      parts.push(
        `ledger (${env}, newest line): kind=${line.kind} result=${line.result} phase=${line.phase} sha=${String(line.sha).slice(0, 12)}`,
        `  ${last}`,
      );
    } catch {
      parts.push(`ledger (${env}, newest line, not JSON): ${last}`);
    }
  } else {
    parts.push(`ledger (${env}): no line`);
  }
  parts.push(
    `current_release=${readOr(join(dir, "current_release"))} slot=${readOr(join(dir, "slot"))} maintenance flag=${existsSync(join(dir, "maintenance", "MAINTENANCE_ON")) ? "ON" : "off"}`,
  );
  const run = newestRun(dir);
  if (run) {
    parts.push(
      `server run ${run} (exit ${readOr(join(run, "exit"), "not written")}), last ${LOG_LINES} lines of its log:`,
      tail(readOr(join(run, "log"), ""), LOG_LINES),
    );
  }
  try {
    const ps = execFileSync(
      "docker",
      ["ps", "-a", "--format", "{{.Names}}\t{{.Status}}", "--filter", `name=-${env}`],
      { encoding: "utf8", timeout: 10_000 },
    ).trim();
    parts.push(`containers (*-${env}*):`, ps || "(none)");
  } catch (e) {
    parts.push(`containers: docker ps failed (${(e as Error).message.split("\n")[0]})`);
  }
  return parts.join("\n");
}

/** The failure message for a run that exited with the wrong code. */
export function failureReport(run: RunLike, expected: number, env?: string): string {
  const environment = env ?? run.environment;
  const output = run.out ?? `${run.stdout ?? ""}${run.stderr ? `\n--- stderr ---\n${run.stderr}` : ""}`;
  const lines = [`expected the run to exit ${expected}, it exited ${run.exitCode}`];
  if (run.outputs && Object.keys(run.outputs).length > 0) {
    const { result, sha, phases } = run.outputs;
    let ran = "";
    try {
      ran = Object.keys(JSON.parse(phases ?? "{}")).join(" → ");
    } catch {
      ran = String(phases);
    }
    lines.push(`action outputs: result=${result} sha=${sha} phases ${ran || "(none)"}`);
  }
  lines.push(environment ? serverReport(environment) : "(no environment named: no server report)");
  lines.push(`last ${OUTPUT_LINES} lines of the run's own output:`, tail(output, OUTPUT_LINES));
  return lines.join("\n");
}

expect.extend({
  toExit(received: RunLike, expected: number, env?: string) {
    const pass = received.exitCode === expected;
    return {
      pass,
      message: () =>
        pass ? `expected the run not to exit ${expected}` : failureReport(received, expected, env),
      actual: received.exitCode,
      expected,
    };
  },
});

interface OutcomeMatchers<R = unknown> {
  /** The run exited `code`; when not, the message says why (ledger, phase, server log tail). */
  toExit(code: number, environment?: string): R;
}

declare module "vitest" {
  // biome-ignore lint/suspicious/noExplicitAny: vitest's own declaration uses any here
  interface Assertion<T = any> extends OutcomeMatchers<T> {}
  interface AsymmetricMatchersContaining extends OutcomeMatchers {}
}

/**
 * The example app as e2e tests use it: a workspace copy, releases built and pushed by
 * actions/build-push, and actions/deploy and actions/rollback run as the runner runs them.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { type ActionRun, randomSha, repoRoot, runAction, sshInputs, tempDir } from "./lab.js";

export interface Release {
  readonly sha: string;
  /** build-push's `images` output. */
  readonly images: string;
}

export interface Example {
  readonly workspace: string;
  /** Build and push a release; knobs are the app's test build args (MAX_MIGRATION, FAIL_MIGRATION, NEVER_READY). */
  release(knobs?: Record<string, string>): Promise<Release>;
  deploy(env: string, r: Release, onStdout?: (chunk: string) => void): Promise<ActionRun>;
  /** Deploy with the berth.yml of another workspace (a copy with a changed setting). */
  deployFrom(
    workspace: string,
    env: string,
    r: Release,
    onStdout?: (chunk: string) => void,
  ): Promise<ActionRun>;
  rollback(env: string, inputs?: { sha?: string; database?: "restore" | "keep" }): Promise<ActionRun>;
  /** A copy of the workspace whose berth.yml has `from` replaced by `to` (for deployFrom). */
  variant(from: string, to: string): string;
}

export function example(): Example {
  const workspace = tempDir("berth-e2e-ws-");
  execFileSync("cp", ["-a", `${join(repoRoot, "examples/app")}/.`, workspace]);
  const dockerConfig = tempDir("berth-e2e-docker-");
  const runnerEnv = { GITHUB_WORKSPACE: workspace, GITHUB_ACTOR: "e2e-tester", GITHUB_RUN_ID: "4242" };
  const deployAction = (ws: string, env: string, r: Release, onStdout?: (chunk: string) => void) =>
    runAction(
      "deploy",
      { environment: env, sha: r.sha, images: r.images, ...sshInputs() },
      { ...runnerEnv, GITHUB_WORKSPACE: ws },
      onStdout ? { onStdout } : {},
    );
  return {
    workspace,
    async release(knobs = {}) {
      const sha = randomSha();
      const args = Object.entries({ GIT_SHA: sha, ...knobs }).map(([k, v]) => `${k}=${v}`);
      const run = await runAction(
        "build-push",
        { sha, "build-args": args.join("\n"), ...sshInputs() },
        { GITHUB_WORKSPACE: workspace, DOCKER_CONFIG: dockerConfig },
      );
      expect(run.stdout).not.toContain("::error::");
      return { sha, images: run.outputs.images ?? "" };
    },
    deploy(env, r, onStdout) {
      return deployAction(workspace, env, r, onStdout);
    },
    deployFrom(ws, env, r, onStdout) {
      return deployAction(ws, env, r, onStdout);
    },
    rollback(env, inputs = {}) {
      return runAction("rollback", { environment: env, ...inputs, ...sshInputs() }, runnerEnv);
    },
    variant(from, to) {
      const ws = tempDir("berth-e2e-variant-");
      execFileSync("cp", ["-a", `${workspace}/.`, ws]);
      const yml = readFileSync(join(ws, "berth.yml"), "utf8");
      expect(yml, `berth.yml holds ${from}`).toContain(from);
      writeFileSync(join(ws, "berth.yml"), yml.replace(from, to));
      return ws;
    },
  };
}

/** How many notes the app holds, asked through nginx. */
export async function noteCount(baseUrl: string): Promise<number> {
  return ((await (await fetch(`${baseUrl}/api/notes/count`)).json()) as { count: number }).count;
}

export async function addNote(baseUrl: string, text: string): Promise<void> {
  const res = await fetch(`${baseUrl}/api/notes`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text }),
  });
  expect(res.status).toBe(201);
}

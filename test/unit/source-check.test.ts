/** build-push builds exactly the commit it tags: a real git repository in a temp dir. */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { BuildPlan } from "../../src/build/plan.js";
import { checkSource, gitCli } from "../../src/build/source-check.js";

const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.email=t@example.org", "-c", "user.name=t", ...args], { cwd })
    .toString()
    .trim();

/** A repo with two commits (v1, v2) and the workspace at v2. */
function repo() {
  const root = mkdtempSync(join(tmpdir(), "berth-src-"));
  git(root, "init", "-q");
  mkdirSync(join(root, "app"));
  writeFileSync(join(root, "app", "Dockerfile"), "FROM scratch\n");
  writeFileSync(join(root, "app", "code.txt"), "v1\n");
  writeFileSync(join(root, "README"), "docs\n");
  git(root, "add", ".");
  git(root, "commit", "-q", "-m", "v1");
  const v1 = git(root, "rev-parse", "HEAD");
  writeFileSync(join(root, "app", "code.txt"), "v2\n");
  git(root, "commit", "-q", "-am", "v2");
  return { root, v1, v2: git(root, "rev-parse", "HEAD") };
}

const plan = (root: string, sha: string): BuildPlan => ({
  sha,
  services: [
    {
      service: "web",
      services: ["web"],
      repo: "r/web",
      context: join(root, "app"),
      dockerfile: join(root, "app", "Dockerfile"),
      args: {},
      target: undefined,
    },
  ],
  extraTags: [],
  labels: {},
});

describe("build-push builds exactly the commit it tags", () => {
  it("refuses to tag the workspace's v2 code with v1's SHA", async () => {
    const { root, v1, v2 } = repo();
    await expect(checkSource(plan(root, v1), root, gitCli)).rejects.toThrow(
      `input: sha: "${v1}" is not the commit checked out in ${root} (HEAD is ${v2})`,
    );
  });

  it("accepts HEAD with a clean context, whatever changes outside it", async () => {
    const { root, v2 } = repo();
    writeFileSync(join(root, "README"), "edited, not in any build context\n");
    expect(await checkSource(plan(root, v2), root, gitCli)).toBeUndefined();
  });

  it.each([
    ["a modified file", "code.txt"],
    ["an untracked file", "new.txt"],
  ])("refuses %s in the build context, naming it", async (_, file) => {
    const { root, v2 } = repo();
    writeFileSync(join(root, "app", file), "not committed\n");
    await expect(checkSource(plan(root, v2), root, gitCli)).rejects.toThrow(
      new RegExp(`has changes that would enter the build: .*app/${file.replace(".", "\\.")}`),
    );
  });

  it("warns, and builds, outside a git checkout (nothing can be proven)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-nogit-"));
    expect(await checkSource(plan(dir, "a".repeat(40)), dir, gitCli)).toMatch(/is not a git checkout/);
  });
});

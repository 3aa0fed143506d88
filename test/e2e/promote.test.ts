/**
 * Promotion on the lab: production gets exactly the digests staging ran, read from
 * staging's ledger over SSH — with no sha, staging's current release — and nothing is
 * deployed for a SHA whose latest staging deploy did not succeed. The promote workflow's
 * two-job path runs too: a dry run (in staging's job) resolves the release, and
 * production deploys those images without reading staging's ledger. (The short-SHA and
 * not-on-main refusals are the promote workflow's check step, run for real in
 * test/unit/workflows.test.ts.)
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { example, type Release } from "../helpers/example.js";
import { labEnv, ledger, resetEnvironment, runAction, served, sshInputs } from "../helpers/lab.js";

const lab = labEnv();
const app = example();
const promote = (sha: string) =>
  runAction(
    "deploy",
    { environment: "production", sha, "promote-from": "staging", ...sshInputs() },
    { GITHUB_WORKSPACE: app.workspace, GITHUB_ACTOR: "e2e-tester" },
  );
const productionLines = () => {
  try {
    return ledger("production");
  } catch {
    return [];
  }
};

describe("promote staging → production", () => {
  let good: Release;

  beforeAll(async () => {
    resetEnvironment("staging");
    resetEnvironment("production");
    good = await app.release();
    expect(await app.deploy("staging", good)).toExit(0);
  });

  it("deploys production with the very digests staging ran", async () => {
    const run = await promote(good.sha);
    expect(run.stdout).toContain("promoting the digests staging ran");
    expect(run).toExit(0);
    expect(await served(lab.nginx.production, "/version")).toBe(good.sha);
    const staged = ledger("staging").at(-1) as { images: Record<string, string> };
    const promoted = productionLines().at(-1) as { images: Record<string, string>; sha: string };
    expect(promoted.sha).toBe(good.sha);
    expect(promoted.images).toEqual(staged.images);
  });

  it("with no sha, promotes staging's current release, and the summary says which", async () => {
    resetEnvironment("production");
    const run = await runAction(
      "deploy",
      { environment: "production", "promote-from": "staging", ...sshInputs() },
      // GITHUB_SHA is the workflow's commit, not what staging runs: a promotion ignores it.
      { GITHUB_WORKSPACE: app.workspace, GITHUB_ACTOR: "e2e-tester", GITHUB_SHA: "f".repeat(40) },
    );
    expect(run.stdout).toContain(`no sha given: promoting staging's current release, ${good.sha}`);
    expect(run).toExit(0);
    expect(run.outputs.sha).toBe(good.sha);
    expect(run.summary).toContain(`SHA \`${good.sha}\` — staging's current release (no sha was given)`);
    expect(await served(lab.nginx.production, "/version")).toBe(good.sha);
  });

  it("a dry run resolves the release without touching production; production then deploys its images", async () => {
    resetEnvironment("production");
    const dry = await runAction(
      "deploy",
      { environment: "production", "promote-from": "staging", "dry-run": "true", ...sshInputs() },
      { GITHUB_WORKSPACE: app.workspace, GITHUB_ACTOR: "e2e-tester" },
    );
    expect(dry).toExit(0);
    expect(dry.outputs.sha).toBe(good.sha);
    expect(dry.outputs.url).toBe("http://127.0.0.1:28090");
    expect(dry.summary).toContain("dry run, nothing deployed");
    expect(productionLines(), "nothing deployed").toEqual([]);
    expect(existsSync(join(lab.vps.root, "production", "releases", good.sha)), "nothing uploaded").toBe(
      false,
    );

    const run = await runAction(
      "deploy",
      {
        environment: "production",
        sha: dry.outputs.sha ?? "",
        images: dry.outputs.images ?? "",
        "promote-from": "staging",
        ...sshInputs(),
      },
      { GITHUB_WORKSPACE: app.workspace, GITHUB_ACTOR: "e2e-tester" },
    );
    expect(run).toExit(0);
    expect(run.stdout).toContain(
      `promoting the digests staging ran for ${good.sha} (resolved from staging's ledger)`,
    );
    const staged = ledger("staging").at(-1) as { images: Record<string, string> };
    expect((productionLines().at(-1) as { images: Record<string, string> }).images).toEqual(staged.images);
    expect(await served(lab.nginx.production, "/version")).toBe(good.sha);
  });

  it.each([
    ["never deployed to staging", async () => (await app.release()).sha, "was never deployed to staging"],
    [
      "whose latest staging deploy failed",
      async () => {
        const bad = await app.release({ FAIL_MIGRATION: "1" });
        expect((await app.deploy("staging", bad)).exitCode).not.toBe(0);
        return bad.sha;
      },
      "the latest staging deploy of",
    ],
  ])("refuses a SHA %s, and deploys nothing", async (_, make, message) => {
    const sha = await make();
    const lines = productionLines().length;
    const run = await promote(sha);
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout).toContain(message);
    expect(productionLines()).toHaveLength(lines);
    expect(await served(lab.nginx.production, "/version")).toBe(good.sha);
    expect(existsSync(join(lab.vps.root, "production", "releases", sha)), "nothing uploaded").toBe(false);
  });
});

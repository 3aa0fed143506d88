/**
 * Promotion's runner side with fakes (docs/design.md §5, principle 4): which SHA and
 * which digests a promotion ships — the one asked for, or, with no sha, the source's
 * current release — and the dry run that resolves them in the source environment's own
 * job (each environment's key reaches only its server), handed to the target's job as
 * `images`. The lab runs the same paths against a real ledger (test/e2e/promote.test.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deploySummary } from "../../src/actions/deploy/summary.js";
import type { Registry } from "../../src/build/registry.js";
import { parseConfig, resolveEnvironment } from "../../src/config/load.js";
import { type DeployRequest, deploy } from "../../src/deploy/deploy.js";
import type { GitHubDeployments } from "../../src/deploy/github-deployment.js";
import type { Server } from "../../src/deploy/server-session.js";
import type { Reporter } from "../../src/reporter.js";
import type { Transport } from "../../src/transport/transport.js";
import { repoRoot, tempDir } from "../helpers/lab.js";

const config = parseConfig(readFileSync(new URL("../../examples/app/berth.yml", import.meta.url), "utf8"));
const staging = resolveEnvironment(config, "staging", "berth.yml");
const production = resolveEnvironment(config, "production", "berth.yml");
const A = "a".repeat(40);
const B = "b".repeat(40);
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const repos = {
  backend: config.services.backend?.image ?? "",
  frontend: config.services.frontend?.image ?? "",
};
const deployLine = (sha: string, result: string, d = "1") =>
  JSON.stringify({
    kind: "deploy",
    env: "staging",
    sha,
    result,
    time: "2026-11-22T10:00:00Z",
    images: {
      backend: `${repos.backend}:${sha}@${digest(d)}`,
      frontend: `${repos.frontend}:${sha}@${digest(d)}`,
    },
  });

/** Reads staging's ledger; counts connections. */
function sourceServing(ledger: string[]) {
  let connections = 0;
  const transport: Transport = {
    async exec() {
      return { exitCode: 0, stdout: `${ledger.join("\n")}\n`, stderr: "" };
    },
    close() {},
  };
  const server: Server = {
    root: staging.root,
    environment: "staging",
    connect: async () => {
      connections++;
      return transport;
    },
  };
  return { server, connections: () => connections };
}
const untouchable: Server = {
  root: production.root,
  environment: "production",
  connect: async () => {
    throw new Error("the target server must not be contacted");
  },
};
const registryWith = (digests: Record<string, string>): Registry => ({
  digestOf: async (repo, tag) => digests[`${repo}:${tag}`] ?? null,
});
const both = (sha: string, d = "1") => ({
  [`${repos.backend}:${sha}`]: digest(d),
  [`${repos.frontend}:${sha}`]: digest(d),
});
const lines: string[] = [];
const reporter: Reporter = {
  info: (m) => lines.push(m),
  warning: (m) => lines.push(`warning: ${m}`),
  startGroup: () => {},
  endGroup: () => {},
  remote: () => {},
  remoteEnd: () => {},
};
const request = (over: Partial<DeployRequest>): DeployRequest => ({
  config,
  configDir: "/nonexistent",
  env: production,
  sha: undefined,
  imagesJson: undefined,
  promoteFrom: staging,
  dryRun: true,
  credentials: undefined,
  run: { actor: "t", runUrl: "", runId: "r" },
  home: "/nonexistent",
  workDir: "/nonexistent",
  ...over,
});

describe("promotion, resolved from the source's ledger", () => {
  it("with no sha, ships the source's current release, says so, and touches nothing", async () => {
    lines.length = 0;
    const source = sourceServing([deployLine(A, "succeeded"), deployLine(B, "succeeded", "2")]);
    const r = await deploy(request({}), {
      registry: registryWith({ ...both(A), ...both(B, "2") }),
      server: untouchable,
      source: source.server,
      reporter,
      github: undefined,
      now: () => 0,
    });
    expect(r).toMatchObject({ sha: B, shaFrom: "source-current", promotedFrom: "staging", dryRun: true });
    expect(r.images.backend?.digest).toBe(digest("2"));
    expect(lines).toContain(`no sha given: promoting staging's current release, ${B}`);
    expect(source.connections()).toBe(1);
  });

  it("with no sha after a staging rollback, ships the release staging rolled back to", async () => {
    const source = sourceServing([
      deployLine(A, "succeeded"),
      deployLine(B, "succeeded", "2"),
      JSON.stringify({ kind: "rollback", env: "staging", sha: A, result: "rolled_back" }),
    ]);
    const r = await deploy(request({}), {
      registry: registryWith(both(A)),
      server: untouchable,
      source: source.server,
      reporter,
      github: undefined,
      now: () => 0,
    });
    expect(r.sha).toBe(A);
  });

  it.each([
    ["nothing ever served in staging", [deployLine(A, "failed")], undefined, "staging serves no release yet"],
    [
      "the SHA asked for is not staging's current release",
      [deployLine(A, "succeeded"), deployLine(B, "succeeded", "2")],
      A,
      `promote: ${A} is not what staging serves now (${B}`,
    ],
  ])("refuses when %s", async (_, ledger, sha, message) => {
    const source = sourceServing(ledger);
    await expect(
      deploy(request({ sha }), {
        registry: registryWith({ ...both(A), ...both(B, "2") }),
        server: untouchable,
        source: source.server,
        reporter,
        github: undefined,
        now: () => 0,
      }),
    ).rejects.toThrow(message);
  });

  it("refuses digests the registry no longer serves for that tag", async () => {
    const source = sourceServing([deployLine(A, "succeeded")]);
    await expect(
      deploy(request({}), {
        registry: registryWith(both(A, "9")),
        server: untouchable,
        source: source.server,
        reporter,
        github: undefined,
        now: () => 0,
      }),
    ).rejects.toThrow(`is ${digest("9")} in the registry, but staging ran ${digest("1")}`);
  });
});

describe("promotion with the images a dry run in the source's job resolved", () => {
  const images = (sha: string, d = "1") =>
    JSON.stringify({
      backend: { repo: repos.backend, tag: sha, digest: digest(d) },
      frontend: { repo: repos.frontend, tag: sha, digest: digest(d) },
    });

  it("does not read the source's ledger again, and checks the registry again", async () => {
    const source = sourceServing([]);
    const r = await deploy(request({ sha: A, imagesJson: images(A) }), {
      registry: registryWith(both(A)),
      server: untouchable,
      source: source.server,
      reporter,
      github: undefined,
      now: () => 0,
    });
    expect(r).toMatchObject({ sha: A, shaFrom: "input", promotedFrom: "staging" });
    expect(source.connections()).toBe(0);
    await expect(
      deploy(request({ sha: A, imagesJson: images(A) }), {
        registry: registryWith(both(A, "3")),
        server: untouchable,
        source: source.server,
        reporter,
        github: undefined,
        now: () => 0,
      }),
    ).rejects.toThrow("refusing to promote anything but what staging ran");
  });

  it("needs the SHA the images were resolved for", async () => {
    await expect(
      deploy(request({ imagesJson: images(A) }), {
        registry: registryWith(both(A)),
        server: untouchable,
        source: undefined,
        reporter,
        github: undefined,
        now: () => 0,
      }),
    ).rejects.toThrow("input: sha: is required with images");
  });

  it("refuses images of another SHA", async () => {
    await expect(
      deploy(request({ sha: A, imagesJson: images(B) }), {
        registry: registryWith(both(A)),
        server: untouchable,
        source: undefined,
        reporter,
        github: undefined,
        now: () => 0,
      }),
    ).rejects.toThrow("is not the SHA being deployed");
  });
});

describe("the step summary", () => {
  const report = {
    sha: B,
    shaFrom: "source-current" as const,
    promotedFrom: "staging",
    dryRun: false,
    previousSha: A,
    result: "succeeded",
    exitCode: 0,
    durationSeconds: 12.5,
    phases: { pull: 3 },
    images: {
      backend: {
        repo: repos.backend,
        tag: B,
        digest: digest("2"),
        ref: `${repos.backend}:${B}@${digest("2")}`,
      },
    },
    uploaded: [],
  };

  it("says which SHA was promoted and why", () => {
    const text = deploySummary("production", report);
    expect(text).toContain("### berth deploy to production: succeeded");
    expect(text).toContain(
      `SHA \`${B}\` — staging's current release (no sha was given), promoted with the digests staging ran (previous \`${A}\`), 12.5 s`,
    );
    expect(deploySummary("production", { ...report, shaFrom: "input" })).toContain(
      `SHA \`${B}\` — promoted with the digests staging ran (previous`,
    );
  });

  it("says which path ran: swap with no window, or maintenance and why", () => {
    const swap = deploySummary("production", {
      ...report,
      path: {
        mode: "swap",
        why: "",
        rehearsal: { result: "unchanged", why: "the migration changed nothing", seconds: 1.4 },
      },
    });
    expect(swap).toContain("Path: **swap** — the new release started beside the old one");
    expect(swap).toContain("Rehearsal: unchanged in 1.4 s (the migration changed nothing).");
    const window = deploySummary("production", {
      ...report,
      path: { mode: "maintenance", why: "the migration changes the database", rehearsal: null },
    });
    expect(window).toContain("Path: **maintenance** — a planned window: the migration changes the database.");
    expect(window).not.toContain("Rehearsal:");
    expect(deploySummary("production", report)).not.toContain("Path:");
  });

  it("marks a dry run, with only the images", () => {
    const text = deploySummary("production", { ...report, dryRun: true, result: "dry-run", previousSha: "" });
    expect(text).toContain("### berth deploy to production: dry run, nothing deployed");
    expect(text).not.toContain("| phase |");
    expect(text).not.toContain("uploaded files");
    expect(text).toContain(`| backend | \`${repos.backend}:${B}@${digest("2")}\` |`);
  });
});

describe("the GitHub deployment of a deploy that never reaches the server", () => {
  it("is marked error, not left in progress, and the deploy's own error stands", async () => {
    const calls: unknown[][] = [];
    const github: GitHubDeployments = {
      async create(...a) {
        calls.push(["create", ...a]);
        return 3;
      },
      async status(...a) {
        calls.push(["status", ...a]);
      },
    };
    const images = JSON.stringify({
      backend: { repo: repos.backend, tag: A, digest: digest("1") },
      frontend: { repo: repos.frontend, tag: A, digest: digest("1") },
    });
    const unreachable: Server = {
      ...untouchable,
      connect: async () => {
        throw new Error("cannot connect to deploy@127.0.0.1:9");
      },
    };
    await expect(
      deploy(
        request({
          sha: A,
          imagesJson: images,
          promoteFrom: undefined,
          dryRun: false,
          configDir: join(repoRoot, "examples", "app"),
          home: repoRoot,
          workDir: tempDir("berth-deploy-unit-"),
          run: { actor: "t", runUrl: "https://x/run/1", runId: "r" },
        }),
        {
          registry: registryWith({}),
          server: unreachable,
          source: undefined,
          reporter,
          github,
          now: () => 0,
        },
      ),
    ).rejects.toThrow("cannot connect");
    expect(calls).toEqual([
      ["create", A, "production", `berth deploy ${A.slice(0, 12)}`],
      ["status", 3, "in_progress", { logUrl: "https://x/run/1" }],
      [
        "status",
        3,
        "error",
        { logUrl: "https://x/run/1", description: "berth: cannot connect to deploy@127.0.0.1:9" },
      ],
    ]);
  });
});

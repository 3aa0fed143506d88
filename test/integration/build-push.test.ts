/**
 * actions/build-push, run as the runner runs it, against the lab's real registry and
 * dockerd, building the real example app.
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  dockerSpy,
  labEnv,
  randomSha,
  registryDigest,
  repoRoot,
  runAction,
  tempDir,
  visibleLog,
} from "../helpers/lab.js";

const lab = labEnv();
const services = ["backend", "frontend"];

/** A throwaway copy of examples/app as the runner's checkout (GITHUB_WORKSPACE). */
function workspace(): string {
  const dir = tempDir("berth-ws-");
  execFileSync("cp", ["-a", `${join(repoRoot, "examples/app")}/.`, dir]);
  return dir;
}

function buildPush(
  ws: string,
  sha: string,
  extra: Record<string, string> = {},
  env: Record<string, string> = {},
) {
  return runAction(
    "build-push",
    {
      config: "berth.yml",
      sha,
      "build-args": `GIT_SHA=${sha}`,
      "registry-username": lab.registry.username,
      "registry-password": lab.registry.password,
      ...extra,
    },
    { GITHUB_WORKSPACE: ws, DOCKER_CONFIG: tempDir("berth-dockercfg-"), ...env },
  );
}

interface Image {
  repo: string;
  tag: string;
  digest: string;
  ref: string;
  status: string;
}

describe("build-push against the lab registry", () => {
  const sha = randomSha();
  const ws = workspace();
  let first: Record<string, Image>;

  // Build-arg values are data: spaces, commas, quotes and shell syntax reach docker as one argv word.
  const canary = join(tempDir("berth-canary-"), "ran");
  const title = `Acme \`id\` & "Co", Ltd $(touch ${canary})`;
  const firstSpy = dockerSpy();

  beforeAll(async () => {
    const run = await buildPush(
      ws,
      sha,
      { "build-args": `GIT_SHA=${sha}\nAPP_TITLE=${title}\nFEATURES=a,b` },
      { PATH: `${firstSpy.pathDir}:${process.env.PATH}` },
    );
    expect(run.stderr + run.stdout).not.toContain("::error::");
    expect(run).toExit(0);
    first = JSON.parse(run.outputs.images ?? "{}");
    expect(run.summary).toContain("| backend |");
    expect(visibleLog(run.stdout)).not.toContain(lab.registry.password);
  });

  it("pushes every service tagged with the full SHA, and outputs the registry's own digest", async () => {
    expect(Object.keys(first).sort()).toEqual(services);
    for (const s of services) {
      const img = first[s] as Image;
      expect(img.status).toBe("built");
      expect(img.tag).toBe(sha);
      expect(img.repo).toBe(`${lab.registry.host}/berth-example/${s}`);
      expect(img.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(img.ref).toBe(`${img.repo}:${sha}@${img.digest}`);
      expect(await registryDigest(img.repo, sha)).toBe(img.digest);
    }
  });

  it("passes build-arg values with spaces, commas, quotes and shell syntax as single argv words", () => {
    const build = firstSpy.calls().find((argv) => argv[0] === "build" || argv[1] === "build") ?? [];
    expect(build).toContain(`APP_TITLE=${title}`);
    expect(build).toContain("FEATURES=a,b");
    expect(existsSync(canary)).toBe(false);
  });

  it("labels images with the OCI revision", () => {
    const labels = JSON.parse(
      execFileSync("docker", [
        "image",
        "inspect",
        "--format",
        "{{json .Config.Labels}}",
        `${first.backend?.repo}:${sha}`,
      ]).toString(),
    );
    expect(labels["org.opencontainers.image.revision"]).toBe(sha);
    expect(labels["org.opencontainers.image.created"]).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("reuses an existing SHA tag: no build, no push, same digest — even when the sources changed", async () => {
    appendFileSync(join(ws, "backend/server.js"), "\n// a change after the first build\n");
    const spy = dockerSpy();
    const run = await buildPush(ws, sha, {}, { PATH: `${spy.pathDir}:${process.env.PATH}` });
    expect(run).toExit(0);
    const again = JSON.parse(run.outputs.images ?? "{}") as Record<string, Image>;
    for (const s of services) {
      expect(again[s]?.status).toBe("reused");
      expect(again[s]?.digest).toBe(first[s]?.digest);
      expect(await registryDigest(first[s]?.repo as string, sha)).toBe(first[s]?.digest);
    }
    const verbs = spy.calls().map((argv) => argv[0]);
    expect(verbs).not.toContain("build");
    expect(verbs).not.toContain("push");
  });
});

describe("build-push refuses hostile inputs before any docker command", () => {
  const ws = workspace();
  const sha = randomSha();
  it.each<[string, Record<string, string>, string]>([
    ["short sha", { sha: "abc1234" }, "input: sha:"],
    ["sha with a newline", { sha: `${sha}\nrm -rf /` }, "input: sha:"],
    ["sha with command substitution", { sha: "$(touch /tmp/pwned)" }, "input: sha:"],
    ["service with ;", { services: "backend;id" }, "input: services.0:"],
    ["service with a space", { services: "back end" }, "input: services.0:"],
    [
      "unknown service",
      { services: "database" },
      'input: services: "database" is not a service in berth.yml',
    ],
    ["tag with $()", { "extra-tags": "$(id)" }, "input: extra-tags.0:"],
    ["tag with ..", { "extra-tags": "../../x" }, "input: extra-tags.0:"],
    ["build arg value with a tab", { "build-args": "A=a\tb" }, "input: build-args.A:"],
    ["build arg value with a bidi override", { "build-args": "A=a\u202eb" }, "input: build-args.A:"],
    ["build arg name with $", { "build-args": "$A=1" }, "input: build-args:"],
    ["config path traversal", { config: "../../../etc/passwd" }, "input: config:"],
    ["config absolute path", { config: "/etc/passwd" }, "input: config:"],
    [
      "username without password",
      { "registry-password": "" },
      "input: registry-username: registry-username and registry-password go together",
    ],
  ])("%s", async (_name, bad, expected) => {
    const spy = dockerSpy();
    const run = await buildPush(ws, sha, bad, { PATH: `${spy.pathDir}:${process.env.PATH}` });
    expect(run).toExit(1);
    expect(run.stdout).toContain(`::error::${expected}`);
    expect(spy.calls()).toEqual([]);
    expect(run.outputs.images).toBeUndefined();
  });
});

/**
 * Build once, tag by the full SHA, push, report digests — and never overwrite a SHA
 * tag: an existing <repo>:<sha> is reused as it is (docs/design.md §2, immutable releases).
 */
import { type ImageEntry, imageEntryOf } from "../release/images.js";
import { inGroup, type Reporter } from "../reporter.js";
import { check, type Docker } from "./docker.js";
import { type BuildPlan, buildArgv, type ServicePlan } from "./plan.js";
import { type Credentials, familiarRepo, loginServers, type Registry } from "./registry.js";

export interface ImageResult extends ImageEntry {
  readonly status: "built" | "reused";
}

export interface BuildDeps {
  readonly docker: Docker;
  readonly registry: Registry;
  readonly reporter: Reporter;
}

export async function login(
  docker: Docker,
  repos: readonly string[],
  credentials: Credentials,
): Promise<void> {
  for (const server of loginServers(repos)) {
    check(
      `registry login to ${server}`,
      await docker.run(["login", server, "--username", credentials.username, "--password-stdin"], {
        input: credentials.password,
      }),
    );
  }
}

async function detectBuildx(docker: Docker): Promise<boolean> {
  return (await docker.run(["buildx", "version"])).exitCode === 0;
}

export async function buildPush(plan: BuildPlan, deps: BuildDeps): Promise<Record<string, ImageResult>> {
  const { docker, reporter } = deps;
  const buildx = await detectBuildx(docker);
  reporter.info(`builder: ${buildx ? "docker buildx" : "classic docker build (buildx not installed)"}`);
  const results: Record<string, ImageResult> = {};
  for (const s of plan.services) {
    const image = await inGroup(reporter, `${s.services.join(", ")}: ${s.repo}:${plan.sha}`, () =>
      buildOne(plan, s, buildx, deps),
    );
    for (const service of s.services) results[service] = image;
  }
  return results;
}

async function buildOne(
  plan: BuildPlan,
  s: ServicePlan,
  buildx: boolean,
  deps: BuildDeps,
): Promise<ImageResult> {
  const { docker, registry, reporter } = deps;
  const shaRef = `${s.repo}:${plan.sha}`;
  const existing = await registry.digestOf(s.repo, plan.sha);
  if (existing) {
    reporter.info(
      `${shaRef} already exists as ${existing}: reusing it, not rebuilding (SHA tags are immutable)`,
    );
    await retag(plan, s, existing, docker, reporter);
    return result(s.repo, plan.sha, existing, "reused");
  }
  check(`docker build of ${s.service}`, await docker.run(buildArgv(plan, s, buildx), { stream: true }));
  // Another run may have pushed the same SHA while we built: look again right before
  // the push, and keep what is there rather than overwrite it.
  const raced = await registry.digestOf(s.repo, plan.sha);
  if (raced) {
    reporter.warning(
      `${shaRef} appeared in the registry during the build as ${raced}: keeping it, not pushing ours`,
    );
    await retag(plan, s, raced, docker, reporter);
    return result(s.repo, plan.sha, raced, "reused");
  }
  check(`docker push of ${shaRef}`, await docker.run(["push", shaRef], { stream: true }));
  const digest = await registry.digestOf(s.repo, plan.sha);
  if (!digest) throw new Error(`${shaRef} was pushed but the registry does not list it; check the registry`);
  const local = await docker.run(["image", "inspect", "--format", "{{json .RepoDigests}}", shaRef]);
  const repoDigests: string[] = local.exitCode === 0 ? (JSON.parse(local.stdout) as string[]) : [];
  const pushed = [`${s.repo}@${digest}`, `${familiarRepo(s.repo)}@${digest}`];
  if (!repoDigests.some((d) => pushed.includes(d))) {
    throw new Error(
      `${shaRef}: the registry reports ${digest}, which is not the image we pushed (${repoDigests.join(", ") || "none"}); another writer raced this push — re-run to reuse the registry's image`,
    );
  }
  for (const t of plan.extraTags) {
    check(`docker push of ${s.repo}:${t}`, await docker.run(["push", `${s.repo}:${t}`], { stream: true }));
  }
  reporter.info(`pushed ${shaRef}@${digest}`);
  return result(s.repo, plan.sha, digest, "built");
}

/** Point extra (mutable) tags at an existing image: pull it by digest, tag, push. */
async function retag(
  plan: BuildPlan,
  s: ServicePlan,
  digest: string,
  docker: Docker,
  reporter: Reporter,
): Promise<void> {
  if (plan.extraTags.length === 0) return;
  const byDigest = `${s.repo}@${digest}`;
  check(`docker pull of ${byDigest}`, await docker.run(["pull", byDigest]));
  for (const t of plan.extraTags) {
    check(`docker tag ${t}`, await docker.run(["tag", byDigest, `${s.repo}:${t}`]));
    check(`docker push of ${s.repo}:${t}`, await docker.run(["push", `${s.repo}:${t}`]));
    reporter.info(`tagged ${s.repo}:${t} → ${digest}`);
  }
}

function result(repo: string, sha: string, digest: string, status: ImageResult["status"]): ImageResult {
  return { ...imageEntryOf(repo, sha, digest), status };
}

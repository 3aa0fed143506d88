/**
 * actions/deploy, as the runbook reads: resolve the images → write the bundle →
 * connect → log the server in to the registry → upload → run `berth deploy`
 * detached and stream it → report. The phases themselves run on the server.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Credentials, Registry } from "../build/registry.js";
import { ConfigError } from "../config/errors.js";
import type { ResolvedEnvironment } from "../config/load.js";
import type { BerthYaml } from "../config/schema.js";
import { checkImages, type Images, parseImages } from "../release/images.js";
import { parseLedger, promotableImages } from "../release/ledger.js";
import { buildManifest, type RunInfo } from "../release/manifest.js";
import { readLedger } from "../remote/commands.js";
import { writeBundle } from "./bundle.js";
import { hostDatabasePaths } from "./database-paths.js";
import type { GitHubDeployments } from "./github-deployment.js";
import { loginRegistry, type Reporter, runVerb, type Server, uploadBundle } from "./server-session.js";

export interface DeployRequest {
  readonly config: BerthYaml;
  readonly configDir: string;
  readonly env: ResolvedEnvironment;
  readonly sha: string;
  readonly imagesJson: string | undefined;
  /** Promotion: the environment whose ledger supplies the digests (and must show success). */
  readonly promoteFrom: ResolvedEnvironment | undefined;
  readonly credentials: Credentials | undefined;
  readonly run: RunInfo;
  /** berth's own checkout (vps-scripts/, nginx/). */
  readonly home: string;
  /** A scratch directory on the runner. */
  readonly workDir: string;
}

export interface DeployDeps {
  readonly registry: Registry;
  readonly server: Server;
  /** The promotion source's server, when promoting. */
  readonly source: Server | undefined;
  readonly reporter: Reporter;
  readonly github: GitHubDeployments | undefined;
  readonly now: () => number;
}

export interface DeployReport {
  readonly sha: string;
  readonly previousSha: string;
  readonly result: string;
  readonly exitCode: number;
  readonly durationSeconds: number;
  readonly phases: Record<string, number>;
  readonly images: Images;
  readonly uploaded: readonly { path: string; sha256: string; bytes: number }[];
}

export async function deploy(req: DeployRequest, deps: DeployDeps): Promise<DeployReport> {
  const started = deps.now();
  const { reporter } = deps;

  const images = req.promoteFrom
    ? await promotedImages(req, req.promoteFrom, deps)
    : req.imagesJson
      ? parseImages(req.imagesJson, req.config, req.sha)
      : await lookUpImages(req, deps.registry);
  for (const [service, img] of Object.entries(images)) reporter.info(`${service}: ${img.ref}`);

  const composeText = readFileSync(join(req.configDir, req.config.compose.file), "utf8");
  const prefer = [...(req.config.migrate ? [req.config.migrate.service] : []), ...(req.config.writers ?? [])];
  const databases = hostDatabasePaths(req.env, composeText, composeName(req), prefer);
  for (const note of databases.notes) reporter.info(note);
  const manifest = buildManifest(
    req.config,
    { ...req.env, databasePaths: databases.paths },
    req.sha,
    images,
    composeName(req),
    req.run,
    composeText,
  );
  const bundle = writeBundle(
    join(req.workDir, "bundle"),
    manifest,
    join(req.configDir, req.config.compose.file),
    req.home,
  );

  const deploymentId = await bestEffort(reporter, "GitHub deployment", () =>
    deps.github?.create(req.sha, req.env.name, `berth deploy ${req.sha.slice(0, 12)}`),
  );
  await bestEffort(reporter, "GitHub deployment status", () =>
    deploymentId === undefined
      ? undefined
      : deps.github?.status(deploymentId, "in_progress", { logUrl: req.run.runUrl }),
  );

  const ssh = await deps.server.connect();
  try {
    if (req.credentials) {
      await loginRegistry(
        ssh,
        Object.values(images).map((i) => i.repo),
        req.credentials,
      );
    }
    await uploadBundle(ssh, deps.server, req.sha, req.run.runId, bundle);
    reporter.info(`uploaded ${bundle.files.length} files (listed with checksums in the step summary)`);
    const outcome = await runVerb(
      ssh,
      deps.server,
      req.run.runId,
      ["deploy", req.env.name, req.sha],
      reporter,
    );

    const ledger = outcome.result ?? {};
    const result =
      typeof ledger.result === "string" ? ledger.result : outcome.exitCode === 0 ? "succeeded" : "unknown";
    const report: DeployReport = {
      sha: req.sha,
      previousSha: typeof ledger.previousSha === "string" ? ledger.previousSha : "",
      result,
      exitCode: outcome.exitCode,
      durationSeconds: Math.round((deps.now() - started) / 100) / 10,
      phases: outcome.phases,
      images,
      uploaded: bundle.files,
    };
    await bestEffort(reporter, "GitHub deployment status", () =>
      deploymentId === undefined
        ? undefined
        : deps.github?.status(deploymentId, outcome.exitCode === 0 ? "success" : "failure", {
            ...(req.env.url ? { environmentUrl: req.env.url } : {}),
            logUrl: req.run.runUrl,
            description: `berth: ${result}`,
          }),
    );
    return report;
  } finally {
    ssh.close();
  }
}

function composeName(req: DeployRequest): string {
  return req.config.compose.file.split("/").pop() ?? "compose.yml";
}

/** Without build-push's output, deploy the digests the registry holds for <repo>:<sha>. */
async function lookUpImages(req: DeployRequest, registry: Registry): Promise<Images> {
  const images: Images = {};
  for (const [service, svc] of Object.entries(req.config.services)) {
    const digest = await registry.digestOf(svc.image, req.sha);
    if (!digest) {
      throw new ConfigError(
        `images: ${svc.image}:${req.sha} does not exist in the registry; run build-push for this SHA first (or pass its images output)`,
      );
    }
    images[service] = { repo: svc.image, tag: req.sha, digest, ref: `${svc.image}:${req.sha}@${digest}` };
  }
  return images;
}

/**
 * Promotion: read the source environment's ledger, take the digests of the latest
 * deploy of this SHA (which must have succeeded), and check the registry still holds
 * exactly those digests.
 */
async function promotedImages(
  req: DeployRequest,
  from: ResolvedEnvironment,
  deps: DeployDeps,
): Promise<Images> {
  if (!deps.source) throw new Error("promotion needs a connection to the source environment");
  const ssh = await deps.source.connect();
  let text: string;
  try {
    const r = await ssh.exec(readLedger(from.root, from.name));
    if (r.exitCode !== 0)
      throw new ConfigError(`promote: cannot read ${from.name}'s ledger on ${from.host}: ${r.stderr.trim()}`);
    text = r.stdout;
  } finally {
    ssh.close();
  }
  const images = checkImages(
    promotableImages(
      parseLedger(text, (m) => deps.reporter.warning(`${from.name}'s ${m}`)),
      req.sha,
      from.name,
    ),
    req.config,
    req.sha,
    `${from.name} ledger images`,
  );
  for (const [service, img] of Object.entries(images)) {
    const now = await deps.registry.digestOf(img.repo, req.sha);
    if (now !== img.digest) {
      throw new ConfigError(
        `promote: ${service} ${img.repo}:${req.sha} is ${now ?? "missing"} in the registry, but ${from.name} ran ${img.digest}; refusing to promote anything but what ${from.name} ran`,
      );
    }
  }
  deps.reporter.info(`promoting the digests ${from.name} ran for ${req.sha}`);
  return images;
}

/** GitHub bookkeeping must never decide a deploy's outcome. */
async function bestEffort<T>(reporter: Reporter, what: string, fn: () => Promise<T> | T | undefined) {
  try {
    return await fn();
  } catch (e) {
    reporter.warning(`${what}: ${(e as Error).message} (continuing; the deploy does not depend on it)`);
    return undefined;
  }
}

/**
 * actions/deploy, as the runbook reads: resolve the release (SHA and images) → write the
 * bundle → connect → upload (and install the scripts) → log the server in to the registry
 * for this run only → run `berth deploy` detached and stream it → forget the login →
 * report. The phases themselves run on the server. A dry run
 * stops after resolving: it reads at most the promotion source's ledger and the registry.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Credentials, Registry } from "../build/registry.js";
import { ConfigError } from "../config/errors.js";
import type { ResolvedEnvironment } from "../config/load.js";
import type { BerthYaml } from "../config/schema.js";
import { checkImages, type Images, imageEntryOf, parseImages } from "../release/images.js";
import { type LedgerEntry, parseLedger, promotableRelease, readLedgerEntry } from "../release/ledger.js";
import { buildManifest, type RunInfo, swapPlan } from "../release/manifest.js";
import { readLedger } from "../remote/commands.js";
import type { Reporter } from "../reporter.js";
import { writeBundle } from "./bundle.js";
import { serverDatabases } from "./database-paths.js";
import type { GitHubDeployments } from "./github-deployment.js";
import { forgetRegistryLogin, loginRegistry, runVerb, type Server, uploadBundle } from "./server-session.js";

export interface DeployRequest {
  readonly config: BerthYaml;
  readonly configDir: string;
  readonly env: ResolvedEnvironment;
  /** Undefined only when promoting: then the source environment's current release. */
  readonly sha: string | undefined;
  readonly imagesJson: string | undefined;
  /**
   * Promotion: the environment whose ledger supplies the SHA (when none is given) and the
   * digests (and must show success). With `imagesJson`, the digests a dry run in the
   * source environment's own job resolved: the ledger is not read again (each
   * environment's key reaches only its own server), the registry is checked again.
   */
  readonly promoteFrom: ResolvedEnvironment | undefined;
  /** Resolve and check the release, then stop: nothing is uploaded, the target is not contacted. */
  readonly dryRun: boolean;
  readonly credentials: Credentials | undefined;
  /** Install this bundle's server scripts even over newer ones (`berth install --allow-downgrade`). */
  readonly allowScriptsDowngrade?: boolean;
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
  /** How the SHA was chosen, for the summary: given, or the promotion source's current release. */
  readonly shaFrom: "input" | "source-current";
  readonly promotedFrom: string | undefined;
  readonly dryRun: boolean;
  readonly previousSha: string;
  readonly result: string;
  readonly exitCode: number;
  readonly durationSeconds: number;
  readonly phases: Record<string, number>;
  /** Which path the server took and why (the ledger's mode, pathWhy, rehearsal); absent when it did not say. */
  readonly path?: {
    readonly mode: string;
    readonly why: string;
    readonly rehearsal: {
      readonly result: string;
      readonly why: string;
      readonly seconds: number | null;
    } | null;
  };
  readonly images: Images;
  readonly uploaded: readonly { path: string; sha256: string; bytes: number }[];
}

export async function deploy(req: DeployRequest, deps: DeployDeps): Promise<DeployReport> {
  const started = deps.now();
  const { reporter } = deps;

  const release = await resolveRelease(req, deps);
  const { sha, images } = release;
  for (const [service, img] of Object.entries(images)) reporter.info(`${service}: ${img.ref}`);
  const common = {
    sha,
    shaFrom: release.shaFrom,
    promotedFrom: req.promoteFrom?.name,
    images,
  };
  if (req.dryRun) {
    reporter.info(`dry run: ${sha} would be deployed to ${req.env.name}; nothing was uploaded or changed`);
    return {
      ...common,
      dryRun: true,
      previousSha: "",
      result: "dry-run",
      exitCode: 0,
      durationSeconds: Math.round((deps.now() - started) / 100) / 10,
      phases: {},
      uploaded: [],
    };
  }

  const composeText = readFileSync(join(req.configDir, req.config.compose.file), "utf8");
  const prefer = [...(req.config.migrate ? [req.config.migrate.service] : []), ...(req.config.writers ?? [])];
  const databases = serverDatabases(req.env, composeText, composeName(req), prefer);
  for (const note of databases.notes) reporter.info(note);
  const manifest = {
    ...buildManifest(
      req.config,
      req.env,
      sha,
      images,
      composeName(req),
      req.run,
      composeText,
      databases.databases,
    ),
    imageBytes: await pullSizes(images, deps.registry, reporter),
  };
  const slotB = swapPlan(req.config, req.env.project, composeText);
  if (!slotB.plan.possible) reporter.info(`swap path not possible for this release: ${slotB.plan.why}`);
  const bundle = writeBundle(
    join(req.workDir, "bundle"),
    manifest,
    join(req.configDir, req.config.compose.file),
    req.home,
    slotB.text === undefined || slotB.plan.file === null ? {} : { [slotB.plan.file]: slotB.text },
  );

  const deploymentId = await bestEffort(reporter, "GitHub deployment", () =>
    deps.github?.create(sha, req.env.name, `berth deploy ${sha.slice(0, 12)}`),
  );
  await bestEffort(reporter, "GitHub deployment status", () =>
    deploymentId === undefined
      ? undefined
      : deps.github?.status(deploymentId, "in_progress", { logUrl: req.run.runUrl }),
  );

  try {
    return await run(req, deps, { common, sha, images, bundle, started, deploymentId });
  } catch (e) {
    // The run never reached the server's verdict (no connection, upload refused, …): the
    // GitHub deployment must not stay "in progress".
    await bestEffort(reporter, "GitHub deployment status", () =>
      deploymentId === undefined
        ? undefined
        : deps.github?.status(deploymentId, "error", {
            logUrl: req.run.runUrl,
            description: `berth: ${(e as Error).message}`,
          }),
    );
    throw e;
  }
}

/** Connect, log in, upload, run `berth deploy` and report (the GitHub deployment already exists). */
async function run(
  req: DeployRequest,
  deps: DeployDeps,
  r: {
    common: Pick<DeployReport, "sha" | "shaFrom" | "promotedFrom" | "images">;
    sha: string;
    images: Images;
    bundle: ReturnType<typeof writeBundle>;
    started: number;
    deploymentId: number | undefined;
  },
): Promise<DeployReport> {
  const { reporter } = deps;
  const { common, sha, images, bundle, started, deploymentId } = r;
  const ssh = await deps.server.connect();
  try {
    await uploadBundle(ssh, deps.server, sha, req.run.runId, bundle, {
      allowDowngrade: req.allowScriptsDowngrade === true,
    });
    reporter.info(`uploaded ${bundle.files.length} files (listed with checksums in the step summary)`);
    let outcome: Awaited<ReturnType<typeof runVerb>>;
    try {
      if (req.credentials) {
        const repos = Object.values(images).map((i) => i.repo);
        await loginRegistry(ssh, deps.server, req.run.runId, repos, req.credentials);
      }
      outcome = await runVerb(ssh, deps.server, req.run.runId, ["deploy", req.env.name, sha], reporter);
    } finally {
      if (req.credentials) await forgetRegistryLogin(ssh, deps.server, req.run.runId, reporter);
    }

    const ledger = readLedgerEntry(outcome.result) ?? {};
    const result = ledger.result ?? (outcome.exitCode === 0 ? "succeeded" : "unknown");
    const report: DeployReport = {
      ...common,
      dryRun: false,
      previousSha: ledger.previousSha ?? "",
      result,
      exitCode: outcome.exitCode,
      durationSeconds: Math.round((deps.now() - started) / 100) / 10,
      phases: outcome.phases,
      ...(ledger.mode === undefined ? {} : { path: ledgerPath(ledger.mode, ledger) }),
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

/**
 * Each image's compressed size, for the server's disk check (vps-scripts/lib/preflight.sh
 * preflight_disk). An image the registry does not size is left out, and said so: the
 * check then counts the rest.
 */
async function pullSizes(images: Images, registry: Registry, reporter: Reporter) {
  const sizes: Record<string, number> = {};
  if (!registry.pullBytes) return sizes;
  for (const [service, img] of Object.entries(images)) {
    try {
      sizes[service] = await registry.pullBytes(img.repo, img.digest);
    } catch (e) {
      reporter.warning(
        `${service}: could not read the size of ${img.repo}@${img.digest} in the registry (${(e as Error).message}); the server's disk check will not count it`,
      );
    }
  }
  return sizes;
}

function composeName(req: DeployRequest): string {
  return req.config.compose.file.split("/").pop() ?? "compose.yml";
}

interface Release {
  readonly sha: string;
  readonly shaFrom: DeployReport["shaFrom"];
  readonly images: Images;
}

/**
 * The SHA and the digests to deploy: build-push's `images`, else the registry's digests
 * for <repo>:<sha>; when promoting, what the source environment ran (§1, step 3).
 */
async function resolveRelease(req: DeployRequest, deps: DeployDeps): Promise<Release> {
  const from = req.promoteFrom;
  if (from && !req.imagesJson) return promotedRelease(req, from, deps);
  const sha = req.sha;
  if (sha === undefined) {
    throw new ConfigError(
      from
        ? "input: sha: is required with images (the SHA those images were resolved for)"
        : "input: sha: is required: the full 40-hex commit SHA to deploy",
    );
  }
  if (!req.imagesJson)
    return { sha, shaFrom: "input", images: await lookUpImages(req.config, sha, deps.registry) };
  const images = parseImages(req.imagesJson, req.config, sha);
  if (from) {
    await sameDigestsInRegistry(images, sha, from.name, deps.registry);
    deps.reporter.info(
      `promoting the digests ${from.name} ran for ${sha} (resolved from ${from.name}'s ledger)`,
    );
  }
  return { sha, shaFrom: "input", images };
}

/** Without build-push's output, deploy the digests the registry holds for <repo>:<sha>. */
async function lookUpImages(config: BerthYaml, sha: string, registry: Registry): Promise<Images> {
  const images: Images = {};
  for (const [service, svc] of Object.entries(config.services)) {
    const digest = await registry.digestOf(svc.image, sha);
    if (!digest) {
      throw new ConfigError(
        `images: ${svc.image}:${sha} does not exist in the registry; run build-push for this SHA first (or pass its images output)`,
      );
    }
    images[service] = imageEntryOf(svc.image, sha, digest);
  }
  return images;
}

/**
 * Promotion: read the source environment's ledger, take the SHA asked for (or, when
 * none is, the source's current release) and the digests of its latest deploy (which
 * must have succeeded and still serve there), and check the registry still holds
 * exactly those digests.
 */
async function promotedRelease(
  req: DeployRequest,
  from: ResolvedEnvironment,
  deps: DeployDeps,
): Promise<Release> {
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
  const release = promotableRelease(
    parseLedger(text, (m) => deps.reporter.warning(`${from.name}'s ${m}`)),
    req.sha,
    from.name,
  );
  const images = checkImages(release.images, req.config, release.sha, `${from.name} ledger images`);
  await sameDigestsInRegistry(images, release.sha, from.name, deps.registry);
  if (req.sha === undefined)
    deps.reporter.info(`no sha given: promoting ${from.name}'s current release, ${release.sha}`);
  deps.reporter.info(`promoting the digests ${from.name} ran for ${release.sha}`);
  return { sha: release.sha, shaFrom: req.sha === undefined ? "source-current" : "input", images };
}

/** The registry still serves exactly the digests the source ran: a re-pushed tag is refused. */
async function sameDigestsInRegistry(images: Images, sha: string, from: string, registry: Registry) {
  for (const [service, img] of Object.entries(images)) {
    const now = await registry.digestOf(img.repo, sha);
    if (now !== img.digest) {
      throw new ConfigError(
        `promote: ${service} ${img.repo}:${sha} is ${now ?? "missing"} in the registry, but ${from} ran ${img.digest}; refusing to promote anything but what ${from} ran`,
      );
    }
  }
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

/** The path a ledger line says the run took (mode, why not the swap, the rehearsal). */
function ledgerPath(mode: string, line: LedgerEntry): NonNullable<DeployReport["path"]> {
  const r = line.rehearsal;
  return {
    mode,
    why: line.pathWhy ?? "",
    rehearsal: r ? { result: r.result, why: r.why ?? "", seconds: r.seconds ?? null } : null,
  };
}

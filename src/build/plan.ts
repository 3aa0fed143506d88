/**
 * What build-push will do, computed purely from berth.yml and the inputs before
 * any command runs: every value in here has already been validated.
 */
import { resolve } from "node:path";
import { ConfigError } from "../config/errors.js";
import type { BerthYaml } from "../config/schema.js";

export interface PlanInputs {
  readonly sha: string;
  /** Services to build; empty means all of berth.yml's services. */
  readonly services: readonly string[];
  readonly extraTags: readonly string[];
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly source: string | undefined;
  readonly created: string;
}

/** One image to build, and the services that run it (several when they share it). */
export interface ServicePlan {
  /** The service whose build: block this is (names the build in the log). */
  readonly service: string;
  /** Every service that runs this image; each gets an entry in the images output. */
  readonly services: readonly string[];
  readonly repo: string;
  readonly context: string;
  readonly dockerfile: string;
  readonly args: Readonly<Record<string, string>>;
  readonly target: string | undefined;
}

export interface BuildPlan {
  readonly sha: string;
  readonly services: readonly ServicePlan[];
  readonly extraTags: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

export function planBuild(config: BerthYaml, configDir: string, inputs: PlanInputs): BuildPlan {
  const known = Object.keys(config.services);
  const chosen = inputs.services.length > 0 ? inputs.services : known;
  for (const s of chosen) {
    if (!known.includes(s)) {
      throw new ConfigError(
        `input: services: ${JSON.stringify(s)} is not a service in berth.yml; use some of: ${known.join(", ")}`,
      );
    }
  }
  // Services that share an image repository share its one build (schema: declared once).
  const builder = new Map<string, string>();
  for (const [name, svc] of Object.entries(config.services)) if (svc.build) builder.set(svc.image, name);
  const byImage = new Map<string, ServicePlan>();
  for (const service of chosen) {
    const image = config.services[service]?.image ?? "";
    const owner = builder.get(image);
    const svc = owner === undefined ? undefined : config.services[owner];
    if (owner === undefined || !svc?.build) {
      throw new ConfigError(
        `berth.yml: services.${service}.build: (missing) build-push needs a build section (context, dockerfile) for ${image}; add one to this service or to another service with the same image, or leave ${service} out of the services input`,
      );
    }
    if (byImage.has(image)) continue;
    const context = resolve(configDir, svc.build.context);
    byImage.set(image, {
      service: owner,
      services: known.filter((k) => config.services[k]?.image === image),
      repo: image,
      context,
      dockerfile: resolve(context, svc.build.dockerfile),
      args: { ...svc.build.args, ...inputs.buildArgs },
      target: svc.build.target,
    });
  }
  const labels: Record<string, string> = {
    "org.opencontainers.image.revision": inputs.sha,
    "org.opencontainers.image.created": inputs.created,
  };
  if (inputs.source) labels["org.opencontainers.image.source"] = inputs.source;
  return Object.freeze({
    sha: inputs.sha,
    services: [...byImage.values()],
    extraTags: inputs.extraTags,
    labels,
  });
}

/** The argv of the build, for buildx (`--load` into the local store) or the classic builder. */
export function buildArgv(plan: BuildPlan, s: ServicePlan, buildx: boolean): string[] {
  const argv = buildx ? ["buildx", "build", "--load"] : ["build"];
  argv.push("--file", s.dockerfile, "--tag", `${s.repo}:${plan.sha}`);
  for (const t of plan.extraTags) argv.push("--tag", `${s.repo}:${t}`);
  for (const [k, v] of Object.entries(plan.labels)) argv.push("--label", `${k}=${v}`);
  for (const [k, v] of Object.entries(s.args)) argv.push("--build-arg", `${k}=${v}`);
  if (s.target) argv.push("--target", s.target);
  argv.push(s.context);
  return argv;
}

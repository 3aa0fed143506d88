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

export interface ServicePlan {
  readonly service: string;
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
  const services = chosen.map((service): ServicePlan => {
    const svc = config.services[service];
    if (!svc?.build) {
      throw new ConfigError(
        `berth.yml: services.${service}.build: (missing) build-push needs a build section (context, dockerfile) for every service it builds; add one or leave the service out of the services input`,
      );
    }
    const context = resolve(configDir, svc.build.context);
    return {
      service,
      repo: svc.image,
      context,
      dockerfile: resolve(context, svc.build.dockerfile),
      args: { ...svc.build.args, ...inputs.buildArgs },
      target: svc.build.target,
    };
  });
  const labels: Record<string, string> = {
    "org.opencontainers.image.revision": inputs.sha,
    "org.opencontainers.image.created": inputs.created,
  };
  if (inputs.source) labels["org.opencontainers.image.source"] = inputs.source;
  return Object.freeze({ sha: inputs.sha, services, extraTags: inputs.extraTags, labels });
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

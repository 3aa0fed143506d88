/**
 * `berth init` on a compose file that builds nothing (it runs a published image, as
 * most apps' docs show): the Dockerfiles in the repository, and which service each
 * builds — a per-service folder's for that service, the shared one (root, docker/,
 * deploy/) for the service that looks most like the app. Only reads.
 */
import { existsSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import type { ComposeModel, ComposeService } from "../config/compose-model.js";
import { statefulServices } from "../config/stateful-services.js";

export interface ProposedBuild {
  readonly service: string;
  /** Absolute. */
  readonly context: string;
  readonly dockerfile: string;
}

const lastName = (image: string | undefined) =>
  (image ?? "").replace(/@.*$/, "").split("/").pop()?.replace(/:.*$/, "").toLowerCase() ?? "";

/** Services that may run the app's own image: no build, not a database, not only in a profile. */
function candidates(model: ComposeModel): ComposeService[] {
  const stateful = new Set(statefulServices(model).map((s) => s.service));
  return Object.values(model.services).filter(
    (s) => !s.build && !stateful.has(s.name) && s.profiles.length === 0 && s.image !== undefined,
  );
}

/** Best first: its image is named like the repository, then its service name, then it publishes a port. */
function rank(svc: ComposeService, repoName: string): number {
  const image = lastName(svc.image);
  if (image === repoName) return 0;
  if (svc.name === repoName) return 1;
  if (image !== "" && (repoName.includes(image) || image.includes(repoName))) return 2;
  if (svc.ports.length > 0) return 3;
  return 4;
}

export function proposeBuilds(model: ComposeModel, repoRoot: string, composeDir: string): ProposedBuild[] {
  if (Object.values(model.services).some((s) => s.build)) return [];
  const out: ProposedBuild[] = [];
  const services = candidates(model);
  for (const svc of services) {
    const own = [
      join(composeDir, svc.name, "Dockerfile"),
      join(repoRoot, svc.name, "Dockerfile"),
      join(repoRoot, "docker", svc.name, "Dockerfile"),
      join(repoRoot, "docker", `${svc.name}.Dockerfile`),
      join(repoRoot, "docker", `Dockerfile.${svc.name}`),
    ].find(existsSync);
    if (own !== undefined)
      out.push({ service: svc.name, context: contextOf(own, repoRoot), dockerfile: own });
  }
  const shared = [
    join(composeDir, "Dockerfile"),
    join(repoRoot, "Dockerfile"),
    join(repoRoot, "docker", "Dockerfile"),
    join(repoRoot, "deploy", "Dockerfile"),
  ].find(existsSync);
  const repoName = basename(repoRoot).toLowerCase();
  const app = services
    .filter((s) => !out.some((o) => o.service === s.name))
    .sort((a, b) => rank(a, repoName) - rank(b, repoName))[0];
  if (shared !== undefined && app !== undefined)
    out.push({ service: app.name, context: contextOf(shared, repoRoot), dockerfile: shared });
  return out;
}

/** A Dockerfile under docker/ or deploy/ builds from the repository root (it COPYs the app); others from their folder. */
function contextOf(dockerfile: string, repoRoot: string): string {
  const dir = dirname(dockerfile);
  const top = relative(repoRoot, dir).split("/")[0];
  return top === "docker" || top === "deploy" ? repoRoot : dir;
}

/** The model with each proposed build: set, as compose would read `build: {context, dockerfile}`. */
export function withBuilds(
  model: ComposeModel,
  builds: readonly ProposedBuild[],
  composeDir: string,
): ComposeModel {
  if (builds.length === 0) return model;
  const services = { ...model.services };
  for (const b of builds) {
    const svc = services[b.service];
    if (!svc) continue;
    services[b.service] = {
      ...svc,
      build: {
        context: relative(composeDir, b.context) || ".",
        dockerfile: relative(b.context, b.dockerfile),
        args: {},
        target: undefined,
      },
    };
  }
  return { ...model, services };
}

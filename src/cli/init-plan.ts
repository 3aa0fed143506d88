/**
 * `berth init`'s decisions from what it read: which services share an image, how each
 * image is built, which service and port answer readiness, where the SQLite files are
 * and who writes them. Pure.
 */
import { posix, relative, resolve } from "node:path";
import { type ComposeModel, type ComposeService, resolveDatabasePath } from "../config/compose-model.js";
import { isLoopback } from "../config/compose-ports.js";
import { interpolate } from "../config/compose-vars.js";
import { HEALTH_PATHS } from "./init-scan.js";

export interface ImageGroup {
  /** Compose services that run this image; the first declares the build. */
  readonly services: readonly string[];
  /** Relative to berth.yml's folder. */
  readonly context: string;
  /** Relative to the context. */
  readonly dockerfile: string;
  readonly dockerfilePath: string;
  readonly args: Readonly<Record<string, string>>;
  readonly target: string | undefined;
  /** The compose file's image for it, when it names a registry repository (has a "/"). */
  readonly repo: string | undefined;
}

/** A lowercase app name from a folder or compose project name, or undefined. */
export function appNameFrom(name: string): string | undefined {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .replace(/-+/g, "-")
    .slice(0, 40)
    .replace(/-+$/, "");
  return s === "" ? undefined : s;
}

/** The repository part of an image reference (no tag, no digest), if it is a literal. */
function imageRepo(image: string | undefined): string | undefined {
  if (image === undefined || image.includes("$")) return undefined;
  return image.replace(/@.*$/, "").replace(/:[^:/]+$/, "");
}

/**
 * Services grouped by the image they run: the same build (context, Dockerfile, target,
 * args) or, for a service without build:, the same image as a built one.
 */
export function imageGroups(model: ComposeModel, composeDir: string, configDir: string): ImageGroup[] {
  const groups: (ImageGroup & { key: string })[] = [];
  const services = Object.values(model.services);
  for (const svc of services) {
    if (!svc.build) continue;
    const context = resolve(composeDir, interpolate(svc.build.context).text);
    const dockerfilePath = resolve(context, svc.build.dockerfile ?? "Dockerfile");
    const args = Object.fromEntries(
      Object.entries(svc.build.args).flatMap(([k, v]) => {
        const i = interpolate(v);
        return i.unresolved.length === 0 ? [[k, i.text]] : [];
      }),
    );
    const key = JSON.stringify([context, dockerfilePath, svc.build.target, args]);
    const same = groups.find((g) => g.key === key);
    if (same) {
      (same.services as string[]).push(svc.name);
      continue;
    }
    const repo = imageRepo(svc.image);
    // Two builds never share a repository: a second one is named from the registry instead.
    const taken = groups.some((g) => g.repo === repo);
    groups.push({
      key,
      services: [svc.name],
      context: relative(configDir, context) || ".",
      dockerfile: relative(context, dockerfilePath),
      dockerfilePath,
      args,
      target: svc.build.target,
      repo: repo?.includes("/") && !taken ? repo : undefined,
    });
  }
  for (const svc of services) {
    // A service only in a profile never runs under berth (compose up starts no profile).
    if (svc.build || svc.profiles.length > 0) continue;
    const image = imageRepo(svc.image);
    const owner = groups.find((g) => g.services.some((s) => imageRepo(model.services[s]?.image) === image));
    if (image !== undefined && owner) (owner.services as string[]).push(svc.name);
  }
  return groups.map(({ key: _, ...g }) => g);
}

const HTTP_PORTS = [80, 3000, 4000, 5000, 8000, 8080, 8081, 8443, 8888, 9000, 443];

export interface ReadyGuess {
  readonly service: string;
  readonly port: number;
  readonly why: string;
}

/** The service and container port berth polls: a published HTTP port of a service berth builds. */
export function guessReady(
  model: ComposeModel,
  berthServices: readonly string[],
  expose: (service: string) => readonly number[],
): ReadyGuess | undefined {
  const candidates: (ReadyGuess & { score: number })[] = [];
  for (const name of berthServices) {
    const svc = model.services[name];
    if (!svc) continue;
    for (const p of svc.ports) {
      if (p.protocol !== "tcp" || !p.containerPort) continue;
      const port = p.containerPort.start;
      const score =
        (isLoopback(p.hostIp) ? 4 : 0) +
        (svc.healthcheck?.path ? 2 : 0) +
        (HTTP_PORTS.includes(port) ? 1 : 0);
      candidates.push({ service: name, port, why: `publishes ${p.raw}`, score });
    }
  }
  candidates.sort((a, b) => b.score - a.score);
  const best = candidates[0];
  if (best) return { service: best.service, port: best.port, why: best.why };
  for (const name of berthServices) {
    const port = expose(name)[0];
    if (port !== undefined)
      return { service: name, port, why: "its Dockerfile EXPOSEs it (not published yet)" };
  }
  return undefined;
}

const rank = (path: string) => HEALTH_PATHS.indexOf(`/${path.split("/").pop()}`);

/**
 * The readiness path: a /readyz route if the app has one, else the compose file's
 * healthcheck, else the Dockerfile's HEALTHCHECK, else the best health route found.
 */
export function guessReadyPath(
  svc: ComposeService | undefined,
  found: readonly { path: string; from: string }[],
  dockerfile?: { path: string | undefined; from: string },
): { path: string; from: string } | undefined {
  const readyz = found.find((f) => rank(f.path) === 0);
  if (readyz) return readyz;
  if (svc?.healthcheck?.path && svc.healthcheck.path !== "/") {
    return { path: svc.healthcheck.path, from: `the healthcheck of ${svc.name}` };
  }
  if (dockerfile?.path && dockerfile.path !== "/")
    return { path: dockerfile.path, from: `the HEALTHCHECK of ${dockerfile.from}` };
  return [...found].sort((a, b) => rank(a.path) - rank(b.path))[0];
}

/** Sentinel project directory: a host path under it is written relative to <root>/<env>/. */
const PROJECT = "/berth-project-dir";

export interface DatabaseGuess {
  /** As berth.yml will say it: relative to <root>/<env>/, or absolute (host or container path). */
  readonly path: string;
  /** "web:/rails/storage/production.sqlite3", "named volume storage", "not mounted". */
  readonly where: string;
  readonly mounted: boolean;
  readonly from: string;
}

/** Each candidate SQLite path, resolved through `service`'s working directory and the mounts. */
export function resolveSqlite(
  model: ComposeModel,
  candidates: readonly { path: string; from: string }[],
  service: string,
  workdir: string | undefined,
): DatabaseGuess[] {
  const out: DatabaseGuess[] = [];
  for (const c of candidates) {
    const containerPath = posix.resolve(workdir ?? "/", c.path);
    const loc = resolveDatabasePath(model, containerPath, PROJECT, [service]);
    let guess: DatabaseGuess;
    if (loc.kind === "bind") {
      const rel = posix.relative(PROJECT, loc.hostPath);
      const path = rel.startsWith("..") ? loc.hostPath : rel;
      guess = { path, where: `${loc.service}:${loc.containerPath}`, mounted: true, from: c.from };
    } else if (loc.kind === "volume") {
      guess = {
        path: loc.containerPath,
        where: `${loc.service}:${loc.containerPath} in named volume ${loc.volume}`,
        mounted: true,
        from: c.from,
      };
    } else guess = { path: containerPath, where: "not on a mounted directory", mounted: false, from: c.from };
    if (!out.some((o) => o.path === guess.path)) out.push(guess);
  }
  return out;
}

/** Directories the app's services mount that look like they hold data (storage, data, db). */
export function dataMounts(model: ComposeModel, services: readonly string[]): string[] {
  return services.flatMap((s) =>
    (model.services[s]?.volumes ?? [])
      .filter(
        (m) =>
          (m.type === "bind" || m.type === "volume") && /(?:storage|data|db|database|sqlite)/i.test(m.target),
      )
      .map((m) => `${s}:${m.target}`),
  );
}

/** Services that can write these database paths (they mount them read-write), in compose order. */
export function writersOf(
  model: ComposeModel,
  paths: readonly string[],
  berthServices: readonly string[],
): string[] {
  return berthServices.filter((name) =>
    paths.some((p) => {
      const loc = resolveDatabasePath(model, p, PROJECT, [name]);
      if (loc.kind !== "bind" && loc.kind !== "volume") return false;
      if (loc.service !== name) return false;
      const svc = model.services[name];
      const m = svc?.volumes
        .filter((v) => loc.containerPath.startsWith(`${posix.normalize(v.target)}/`))
        .sort((a, b) => b.target.length - a.target.length)[0];
      return m !== undefined && !m.readOnly;
    }),
  );
}

/** The registry namespace of a GitHub repository: ghcr.io/<owner>. */
export const ghcrFor = (slug: string) => `ghcr.io/${slug.split("/")[0]?.toLowerCase()}`;

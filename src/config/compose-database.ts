/**
 * Where a SQLite file named in berth.yml lives, through the compose file's mounts.
 * berth.yml may name it by its host path (absolute, or relative to the project
 * directory <root>/<env>) or by the path the app sees in its container. Pure.
 */
import { posix } from "node:path";
import type { Mount } from "./compose-mounts.js";
import type { ComposeModel, ComposeService } from "./compose-types.js";

export type DatabaseLocation =
  /** A host directory bind-mounted into `service`: berth reads `hostPath`, the app opens `containerPath`. */
  | {
      readonly kind: "bind";
      readonly given: "host" | "container";
      readonly hostPath: string;
      readonly service: string;
      readonly containerPath: string;
    }
  /**
   * Inside a named volume: Docker keeps it under /var/lib/docker/volumes/, out of the
   * deploy user's reach; berth reaches it through a helper container (docs/ops/where-is-my-database.md).
   */
  | {
      readonly kind: "volume";
      readonly given: "container";
      /** The compose file's key under volumes: (not yet the Docker name: see dockerVolumeName). */
      readonly volume: string;
      readonly service: string;
      readonly containerPath: string;
      /** The file's path inside the volume, relative (production.sqlite3, db/app.db); "" for the mount point itself. */
      readonly pathInVolume: string;
    }
  /** No service mounts a directory holding it: the app cannot see this file. */
  | { readonly kind: "unmounted"; readonly given: "host"; readonly hostPath: string }
  /** In a tmpfs or an anonymous volume: nothing berth could back up survives the container. */
  | {
      readonly kind: "ephemeral";
      readonly given: "container";
      readonly mount: "tmpfs" | "anonymous";
      readonly service: string;
      readonly containerPath: string;
    }
  /** Mounted from a host path that is a variable without default: only the server's env file says where. */
  | {
      readonly kind: "unresolved";
      readonly given: "host" | "container";
      readonly hostPath: string | undefined;
      readonly service: string;
      readonly containerPath: string | undefined;
      /** The mount as written, e.g. "${DATA_DIR}:/data". */
      readonly mount: string;
      readonly target: string;
      readonly variables: readonly string[];
    };

const inside = (path: string, dir: string) => path === dir || path.startsWith(dir === "/" ? "/" : `${dir}/`);
const below = (path: string, dir: string) => posix.relative(dir, path);

/** The mount that holds `containerPath` in `svc`: the deepest target (a nested mount hides its parent's files). */
export function mountAt(svc: ComposeService, containerPath: string): Mount | undefined {
  let best: Mount | undefined;
  for (const m of svc.volumes) {
    const t = posix.normalize(m.target);
    if (inside(containerPath, t) && (!best || t.length > posix.normalize(best.target).length)) best = m;
  }
  return best;
}

/** The host directory a mount shows, or undefined when it is not a resolved host directory. */
function hostDir(model: ComposeModel, m: Mount, projectDir: string): string | undefined {
  if (m.unresolved.length > 0 || m.source === undefined) return undefined;
  if (m.type === "bind") return m.source.startsWith("~") ? undefined : posix.resolve(projectDir, m.source);
  const device = m.type === "volume" ? model.volumes[m.source]?.bindDevice : undefined;
  return device === undefined ? undefined : posix.resolve(projectDir, device);
}

/**
 * Resolve `path` (from berth.yml) for one environment whose compose project directory
 * is `projectDir`. Services in `prefer` are tried first (e.g. the migrate service).
 */
export function resolveDatabasePath(
  model: ComposeModel,
  path: string,
  projectDir: string,
  prefer: readonly string[] = [],
): DatabaseLocation {
  const names = [...new Set([...prefer, ...Object.keys(model.services)])];
  const services = names.flatMap((n) => model.services[n] ?? []);
  const hostPath = posix.resolve(projectDir, path);

  // As a host path: a directory some service mounts (and no deeper mount hides).
  for (const svc of services) {
    for (const m of svc.volumes) {
      const dir = hostDir(model, m, projectDir);
      if (dir === undefined || !inside(hostPath, dir)) continue;
      const containerPath = posix.join(m.target, below(hostPath, dir));
      if (mountAt(svc, containerPath) === m) {
        return { kind: "bind", given: "host", hostPath, service: svc.name, containerPath };
      }
    }
  }

  // As the path the app sees: under a mount's target.
  if (path.startsWith("/")) {
    const containerPath = posix.normalize(path);
    for (const svc of services) {
      const m = mountAt(svc, containerPath);
      if (!m) continue;
      const rest = below(containerPath, posix.normalize(m.target));
      const dir = hostDir(model, m, projectDir);
      if (dir !== undefined) {
        const host = posix.join(dir, rest);
        return { kind: "bind", given: "container", hostPath: host, service: svc.name, containerPath };
      }
      if (m.unresolved.length > 0) {
        return unresolved("container", undefined, svc, m, containerPath);
      }
      if (m.type === "volume" && m.source !== undefined) {
        return {
          kind: "volume",
          given: "container",
          volume: m.source,
          service: svc.name,
          containerPath,
          pathInVolume: rest,
        };
      }
      if (m.type === "tmpfs" || m.type === "anonymous") {
        return { kind: "ephemeral", given: "container", mount: m.type, service: svc.name, containerPath };
      }
    }
  }

  // A host path that may sit under a mount whose source only the server knows.
  for (const svc of services) {
    const m = svc.volumes.find((v) => v.type === "bind" && v.unresolved.length > 0);
    if (m) return unresolved("host", hostPath, svc, m, undefined);
  }
  return { kind: "unmounted", given: "host", hostPath };
}

/**
 * The name Docker gives the compose file's volume `key` in project `project`: its
 * `name:` when set, the key itself for an external volume, else <project>_<key>
 * (https://github.com/compose-spec/compose-spec/blob/main/07-volumes.md#name; compose v1
 * and v2 both join with "_").
 */
export function dockerVolumeName(model: ComposeModel, key: string, project: string): string {
  const v = model.volumes[key];
  if (v?.name !== undefined) return v.name;
  if (v?.external) return key;
  return `${project}_${key}`;
}

function unresolved(
  given: "host" | "container",
  hostPath: string | undefined,
  svc: ComposeService,
  m: Mount,
  containerPath: string | undefined,
): DatabaseLocation {
  return {
    kind: "unresolved",
    given,
    hostPath,
    service: svc.name,
    containerPath,
    mount: m.raw,
    target: m.target,
    variables: m.unresolved,
  };
}

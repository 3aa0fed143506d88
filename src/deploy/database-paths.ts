/**
 * The SQLite files of one environment as host paths on the server. berth.yml may name
 * a file by the path the app sees in its container (/rails/storage/production.sqlite3):
 * the compose file's bind mounts translate it to the host path that berth backs up.
 * Pure: the caller reads the compose file.
 */

import { type ComposeModel, parseCompose, resolveDatabasePath } from "../config/compose-model.js";
import { ConfigError } from "../config/errors.js";
import type { ResolvedEnvironment } from "../config/load.js";

export interface HostDatabases {
  readonly paths: readonly string[];
  /** One line per translated path, for the log. */
  readonly notes: readonly string[];
}

export function hostDatabasePaths(
  env: ResolvedEnvironment,
  composeText: string,
  composeName: string,
  prefer: readonly string[],
): HostDatabases {
  if (env.databasePaths.length === 0) return { paths: [], notes: [] };
  let model: ComposeModel;
  try {
    model = parseCompose(composeText, composeName);
  } catch (e) {
    // docker compose is the judge of the file; without a model, paths stay as given.
    return {
      paths: env.databasePaths,
      notes: [`${composeName}: not read for database mounts (${(e as Error).message})`],
    };
  }
  const projectDir = `${env.root}/${env.name}`;
  const notes: string[] = [];
  const paths = env.databasePaths.map((p) => {
    const where = resolveDatabasePath(model, p, projectDir, prefer);
    if (where.kind === "bind" && where.given === "container") {
      notes.push(`database ${p} is the path ${where.service} sees; on the host it is ${where.hostPath}`);
      return where.hostPath;
    }
    if (where.kind === "volume") {
      throw new ConfigError(
        `berth.yml: database: ${JSON.stringify(p)} lives in the named volume "${where.volume}" of ${where.service}, which the deploy user cannot read; bind-mount a host directory there instead (e.g. ./storage:${where.containerPath.replace(/\/[^/]*$/, "")}) — docs/ops/adopting.md`,
      );
    }
    if (where.kind === "ephemeral") {
      throw new ConfigError(
        `berth.yml: database: ${JSON.stringify(p)} is in a ${where.mount} mount of ${where.service}: it would not survive the container; bind-mount a host directory there`,
      );
    }
    if (where.kind === "unresolved" && where.given === "container") {
      throw new ConfigError(
        `berth.yml: database: ${JSON.stringify(p)} is the path ${where.service} sees through "${where.mount}", whose host side only the server's env file knows (${where.variables.join(", ")}); give the host path in berth.yml`,
      );
    }
    return p;
  });
  return { paths, notes };
}

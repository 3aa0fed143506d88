/**
 * The SQLite files of one environment as the server reaches them. berth.yml may name
 * a file by the path the app sees in its container (/rails/storage/production.sqlite3):
 * the compose file's mounts say where it really is — a bind mount gives the host path
 * berth backs up; a named volume gives the Docker volume and the file's path inside it,
 * which the server reaches through a helper container (docs/ops/where-is-my-database.md).
 * Pure: the caller reads the compose file.
 */

import { dockerVolumeName } from "../config/compose-database.js";
import { type ComposeModel, parseCompose, resolveDatabasePath } from "../config/compose-model.js";
import { ConfigError } from "../config/errors.js";
import type { ResolvedEnvironment } from "../config/load.js";
import type { DatabaseRef } from "../release/manifest.js";

export interface ServerDatabases {
  /** Host paths (bind mounts, or as given) and named-volume files, in berth.yml's order. */
  readonly databases: readonly DatabaseRef[];
  /** One line per translated path, for the log. */
  readonly notes: readonly string[];
}

/** What Docker accepts as a volume name (daemon/names: [a-zA-Z0-9][a-zA-Z0-9_.-]+). */
const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;
/** What the server accepts as a path inside a volume (vps-scripts/lib/sqlite-helper.sh: valid_volume_path). */
const PATH_IN_VOLUME = /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/;

export function serverDatabases(
  env: ResolvedEnvironment,
  composeText: string,
  composeName: string,
  prefer: readonly string[],
): ServerDatabases {
  if (env.databasePaths.length === 0) return { databases: [], notes: [] };
  let model: ComposeModel;
  try {
    model = parseCompose(composeText, composeName);
  } catch (e) {
    // docker compose is the judge of the file; without a model, paths stay as given.
    return {
      databases: env.databasePaths,
      notes: [`${composeName}: not read for database mounts (${(e as Error).message})`],
    };
  }
  const projectDir = `${env.root}/${env.name}`;
  const notes: string[] = [];
  const databases = env.databasePaths.map((p): DatabaseRef => {
    const where = resolveDatabasePath(model, p, projectDir, prefer);
    if (where.kind === "bind" && where.given === "container") {
      notes.push(`database ${p} is the path ${where.service} sees; on the host it is ${where.hostPath}`);
      return where.hostPath;
    }
    if (where.kind === "volume") {
      const volume = dockerVolumeName(model, where.volume, env.project);
      if (!VOLUME_NAME.test(volume)) {
        throw new ConfigError(
          `${composeName}: volumes.${where.volume}.name: ${JSON.stringify(volume)} is not a Docker volume name berth can use for database ${JSON.stringify(p)} (letters, digits, _ . -; no variables); write the volume's real name`,
        );
      }
      if (where.pathInVolume === "") {
        throw new ConfigError(
          `berth.yml: database: ${JSON.stringify(p)} is where ${where.service} mounts the volume ${volume}, a directory; name the SQLite file in it (e.g. ${where.containerPath.replace(/\/$/, "")}/production.sqlite3)`,
        );
      }
      if (!PATH_IN_VOLUME.test(where.pathInVolume) || where.pathInVolume.split("/").includes("..")) {
        throw new ConfigError(
          `berth.yml: database: ${JSON.stringify(p)} is ${JSON.stringify(where.pathInVolume)} inside the volume ${volume}; berth accepts letters, digits and _ . - / there: rename the file`,
        );
      }
      notes.push(
        `database ${p} is the path ${where.service} sees; it lives in the named volume ${volume} (as ${where.pathInVolume}), which berth reaches through its SQLite helper container`,
      );
      return { volume, path: where.pathInVolume, service: where.service, containerPath: where.containerPath };
    }
    if (where.kind === "ephemeral") {
      throw new ConfigError(
        `berth.yml: database: ${JSON.stringify(p)} is in a ${where.mount} mount of ${where.service}: it would not survive the container; mount a named volume or a host directory there`,
      );
    }
    if (where.kind === "unresolved" && where.given === "container") {
      throw new ConfigError(
        `berth.yml: database: ${JSON.stringify(p)} is the path ${where.service} sees through "${where.mount}", whose host side only the server's env file knows (${where.variables.join(", ")}); give the host path in berth.yml`,
      );
    }
    return p;
  });
  return { databases, notes };
}

/**
 * `berth check` on berth.yml's databases: where each file really is for each
 * environment (through the compose file's mounts), and that every service that can
 * write one is stopped before the backup. Pure.
 */
import { posix } from "node:path";
import { dockerVolumeName, mountAt } from "../config/compose-database.js";
import { resolveDatabasePath } from "../config/compose-model.js";
import { resolveEnvironment } from "../config/load.js";
import type { BerthYaml } from "../config/schema.js";
import type { ComposeCheckInput, DatabaseReport } from "./check-input.js";
import { type Finding, finding } from "./findings.js";

/** The berth.yml field an environment's database entry i comes from. */
function dbField(config: BerthYaml, env: string, i: number): string {
  const e = config.environments[env];
  if (e?.database_paths) return `environments.${env}.database_paths[${i}]`;
  if (e?.database_path) return `environments.${env}.database_path`;
  return config.database?.paths ? `database.paths[${i}]` : "database.path";
}

function configured(config: BerthYaml, env: string): readonly string[] {
  const e = config.environments[env];
  return (
    e?.database_paths ??
    (e?.database_path !== undefined ? [e.database_path] : undefined) ??
    config.database?.paths ??
    (config.database?.path !== undefined ? [config.database.path] : [])
  );
}

export function checkDatabases(
  input: ComposeCheckInput,
  findings: Finding[],
  notes: string[],
): DatabaseReport[] {
  const { config, configFile, composeFile, model } = input;
  const prefer = [config.migrate?.service, ...(config.writers ?? []), config.ready.service].flatMap(
    (s) => s ?? [],
  );
  const out: DatabaseReport[] = [];
  for (const env of Object.keys(config.environments)) {
    const resolved = resolveEnvironment(config, env, configFile);
    const projectDir = `${resolved.root}/${env}`;
    const given = configured(config, env);
    resolved.databasePaths.forEach((path, i) => {
      const loc = resolveDatabasePath(model, path, projectDir, prefer);
      out.push(
        loc.kind === "volume"
          ? {
              environment: env,
              path,
              dockerVolume: dockerVolumeName(model, loc.volume, resolved.project),
              ...loc,
            }
          : { environment: env, path, ...loc },
      );
      const field = dbField(config, env, i);
      const value = given[i] ?? path;
      if (loc.kind === "unmounted") {
        const rel = posix.relative(projectDir, posix.dirname(loc.hostPath));
        const dir = rel.startsWith("..") ? posix.dirname(loc.hostPath) : `./${rel}`;
        findings.push(
          finding(
            configFile,
            field,
            value,
            `is ${loc.hostPath} on the ${env} server, but no service in ${composeFile} mounts a directory holding it: the app cannot see this file and berth would back up the wrong one. Mount its directory into the service that opens it (volumes: ["${dir}:<the directory the app opens it in>"]), or give the path the app opens in its container (e.g. /app/data/app.db) and berth resolves it through the mounts`,
          ),
        );
      } else if (loc.kind === "volume") {
        notes.push(
          `${env}: ${loc.containerPath} is ${loc.pathInVolume} in the named volume ${dockerVolumeName(model, loc.volume, resolved.project)}: berth backs it up, checks and restores it in its SQLite helper container, as the uid that owns the file (docs/ops/where-is-my-database.md)`,
        );
      } else if (loc.kind === "ephemeral") {
        findings.push(
          finding(
            configFile,
            field,
            value,
            `is in ${loc.service}'s ${loc.mount === "tmpfs" ? "tmpfs" : "anonymous volume"} at ${posix.dirname(loc.containerPath)}: it does not outlive the container and berth cannot back it up; mount a host directory there in ${composeFile} (e.g. volumes: ["./data:${posix.dirname(loc.containerPath)}"])`,
          ),
        );
      } else if (loc.kind === "unresolved" && loc.given === "container") {
        findings.push(
          finding(
            configFile,
            field,
            value,
            `is under ${loc.service}'s mount ${JSON.stringify(loc.mount)}, whose host directory is \${${loc.variables.join("}, ${")}} in the server's env file, so berth cannot tell where to back it up; give the host path instead (relative to <root>/${env}/, e.g. data/${posix.basename(loc.containerPath ?? "app.db")}) and set the variable to its directory`,
          ),
        );
      } else if (loc.kind === "unresolved" && loc.hostPath !== undefined) {
        notes.push(
          `${env}: ${loc.hostPath}: ${loc.service} mounts ${JSON.stringify(loc.mount)}; the app sees this file at ${posix.join(loc.target, posix.basename(loc.hostPath))} only if ${loc.variables.join(", ")}=${posix.dirname(loc.hostPath)} in the server's env file`,
        );
      }
    });
  }
  return out;
}

/** Services that can write the database: every berth service mounting it read-write must be stopped first. */
export function checkWriters(
  input: ComposeCheckInput,
  dbs: DatabaseReport[],
  findings: Finding[],
  notes: string[],
): void {
  const { config, configFile, composeFile, model } = input;
  const writers =
    config.writers ?? (config.migrate ? [config.migrate.service] : Object.keys(config.services));
  const missing = new Map<string, string>();
  for (const db of dbs) {
    for (const svc of Object.values(model.services)) {
      if (writers.includes(svc.name) || missing.has(svc.name)) continue;
      let sees = false;
      if (db.kind === "bind") {
        const projectDir = `${config.environments[db.environment]?.root}/${db.environment}`;
        const loc = resolveDatabasePath(model, db.hostPath, projectDir, [svc.name]);
        sees = loc.kind === "bind" && loc.service === svc.name && !mountAt(svc, loc.containerPath)?.readOnly;
      } else if (db.kind === "volume") {
        sees = svc.volumes.some((v) => v.type === "volume" && v.source === db.volume && !v.readOnly);
      }
      if (!sees) continue;
      const file = db.kind === "bind" ? db.hostPath : db.kind === "volume" ? db.containerPath : db.path;
      if (config.services[svc.name]) missing.set(svc.name, file);
      else
        notes.push(
          `${svc.name} (not in berth.yml) can write ${file}; berth does not stop it before the backup`,
        );
    }
  }
  if (missing.size === 0) return;
  const want = [...writers, ...missing.keys()];
  for (const [svc, file] of missing) {
    findings.push(
      finding(
        configFile,
        "writers",
        writers.join(", ") || "(none)",
        `leaves out ${svc}, which mounts ${file} read-write in ${composeFile}: it would keep writing during the backup and migration; write writers: [${want.join(", ")}]`,
      ),
    );
  }
}

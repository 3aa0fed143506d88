/**
 * `berth check` on SQLite files the repository names (Rails' database.yml, Django
 * settings, knexfile, Prisma, env examples, the compose file's environment) that sit
 * on a mounted directory but are not in berth.yml's database set: berth would not back
 * them up, check them or restore them with the others. A warning: such configs passed
 * check before (users upgrade), and only the server sees which files really exist
 * (issue 21 item 2). Pure.
 */
import { posix } from "node:path";
import { resolveDatabasePath } from "../config/compose-model.js";
import { resolveEnvironment } from "../config/load.js";
import type { ComposeCheckInput, DatabaseReport } from "./check-input.js";
import { type Finding, finding } from "./findings.js";

export function checkUnlisted(
  input: ComposeCheckInput,
  databases: readonly DatabaseReport[],
  warnings: Finding[],
): void {
  const { config, configFile, model } = input;
  const prefer = [config.migrate?.service, ...(config.writers ?? []), config.ready.service].flatMap(
    (s) => s ?? [],
  );
  const env = Object.keys(config.environments)[0];
  if (env === undefined) return;
  const resolved = resolveEnvironment(config, env, configFile);
  const projectDir = `${resolved.root}/${env}`;
  const listed = databases.filter((d) => d.environment === env);
  const missing: { path: string; where: string; from: string }[] = [];
  for (const named of input.named ?? []) {
    const loc = resolveDatabasePath(model, named.containerPath, projectDir, prefer);
    if (loc.kind === "bind") {
      if (listed.some((d) => d.kind === "bind" && d.hostPath === loc.hostPath)) continue;
      const rel = posix.relative(projectDir, loc.hostPath);
      const path = rel.startsWith("..") ? loc.hostPath : rel;
      missing.push({ path, where: `${loc.service}:${loc.containerPath}`, from: named.from });
    } else if (loc.kind === "volume") {
      const same = (d: DatabaseReport) =>
        d.kind === "volume" && d.volume === loc.volume && d.pathInVolume === loc.pathInVolume;
      if (listed.some(same)) continue;
      missing.push({
        path: loc.containerPath,
        where: `${loc.service}:${loc.containerPath} in the named volume ${loc.volume}`,
        from: named.from,
      });
    }
  }
  if (missing.length === 0) return;
  const given = [
    ...(config.database?.paths ?? (config.database?.path !== undefined ? [config.database.path] : [])),
  ];
  const all = [...given, ...missing.map((m) => m.path)];
  const field =
    config.database === undefined ? "database" : config.database.paths ? "database.paths" : "database.path";
  const what = missing.map((m) => `${m.path} (${m.where}, named in ${m.from})`).join(", ");
  warnings.push(
    finding(
      configFile,
      field,
      given.length === 0 ? undefined : given.join(", "),
      `leaves out ${what}: berth does not back ${missing.length === 1 ? "it" : "them"} up before a migration, check ${missing.length === 1 ? "it" : "them"} or restore ${missing.length === 1 ? "it" : "them"} on rollback; list every SQLite file the app keeps: database: { paths: [${all.join(", ")}] }`,
    ),
  );
}

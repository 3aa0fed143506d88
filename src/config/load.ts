import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { parseDocument } from "yaml";
import { ConfigError, formatIssues } from "./errors.js";
import { type BerthYaml, berthYamlSchema } from "./schema.js";
import { keysAt } from "./schema-keys.js";
import { yamlErrorText } from "./yaml-error.js";

export interface LoadedConfig {
  /** Absolute path of berth.yml. */
  readonly file: string;
  /** Directory holding berth.yml: build contexts and the compose file are relative to it. */
  readonly dir: string;
  /** The repository: no path berth.yml names may resolve outside it. */
  readonly repoRoot: string;
  readonly config: BerthYaml;
}

/** Parse berth.yml text. Pure: the caller reads the file. */
export function parseConfig(text: string, source = "berth.yml"): BerthYaml {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(`${source}: is not valid YAML ${yamlErrorText(doc.errors[0])}; fix the file there`);
  }
  const raw: unknown = doc.toJS();
  const parsed = berthYamlSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success)
    throw new ConfigError(
      formatIssues(source, parsed.error, raw, undefined, (path) => keysAt(berthYamlSchema, path)),
    );
  return deepFreeze(parsed.data);
}

export function loadConfig(path: string, cwd = process.cwd()): LoadedConfig {
  const file = resolve(cwd, path);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new ConfigError(
      `config: ${JSON.stringify(path)} cannot be read (${code}); add berth.yml to the repository or set the config input to its path`,
    );
  }
  const config = parseConfig(text, path);
  const dir = dirname(file);
  const repoRoot = findRepoRoot(dir, cwd);
  checkInsideRepo(config, dir, repoRoot, path);
  return Object.freeze({ file, dir, repoRoot, config });
}

/**
 * The repository holding berth.yml: the nearest directory up from it with a `.git`
 * (a checkout), else the directory the caller runs in (the runner's workspace).
 */
export function findRepoRoot(configDir: string, cwd: string): string {
  for (let d = configDir; ; d = dirname(d)) {
    if (existsSync(join(d, ".git"))) return d;
    if (dirname(d) === d) break;
  }
  const base = resolve(cwd);
  return isInside(configDir, base) ? base : configDir;
}

function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** Every repository path berth.yml names (compose file, build contexts, Dockerfiles) stays inside the repository. */
function checkInsideRepo(config: BerthYaml, dir: string, repoRoot: string, source: string): void {
  const paths: [string, string][] = [["compose.file", resolve(dir, config.compose.file)]];
  for (const [name, svc] of Object.entries(config.services)) {
    if (!svc.build) continue;
    const context = resolve(dir, svc.build.context);
    paths.push([`services.${name}.build.context`, context]);
    paths.push([`services.${name}.build.dockerfile`, resolve(context, svc.build.dockerfile)]);
  }
  const outside = paths.filter(([, p]) => !isInside(p, repoRoot));
  if (outside.length > 0) {
    throw new ConfigError(
      outside
        .map(
          ([field, p]) =>
            `${source}: ${field}: ${JSON.stringify(relative(dir, p))} resolves to ${p}, outside the repository (${repoRoot}); name a path inside it, relative to berth.yml`,
        )
        .join("\n"),
    );
  }
}

export interface ResolvedEnvironment {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly root: string;
  readonly url: string | undefined;
  readonly envFile: string;
  readonly project: string;
  /** The SQLite files berth backs up as one set, as absolute paths on the server (may be empty). */
  readonly databasePaths: readonly string[];
}

/** Fill an environment's defaults from the VPS layout of docs/design.md §4. */
export function resolveEnvironment(
  config: BerthYaml,
  name: string,
  source = "berth.yml",
): ResolvedEnvironment {
  const env = config.environments[name];
  if (!env) {
    const known = Object.keys(config.environments).join(", ");
    throw new ConfigError(
      `input: environment: ${JSON.stringify(name)} is not defined in ${source}; use one of: ${known}, or add it under environments:`,
    );
  }
  const configured =
    env.database_paths ??
    (env.database_path !== undefined ? [env.database_path] : undefined) ??
    config.database?.paths ??
    (config.database?.path !== undefined ? [config.database.path] : []);
  const databasePaths = configured.map((p) => (p.startsWith("/") ? p : `${env.root}/${name}/${p}`));
  const dup = databasePaths.find((p, i) => databasePaths.indexOf(p) !== i);
  if (dup !== undefined) {
    throw new ConfigError(
      `${source}: database: ${JSON.stringify(dup)} is listed twice for ${name}; list each SQLite file once`,
    );
  }
  return Object.freeze({
    name,
    host: env.host,
    port: env.port,
    user: env.user,
    root: env.root,
    url: env.url,
    envFile: env.env_file ?? `${env.root}/env/${name}.env`,
    project: env.project ?? `${config.app}-${name}`,
    databasePaths: Object.freeze(databasePaths),
  });
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object") {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

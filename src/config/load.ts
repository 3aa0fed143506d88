import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseDocument } from "yaml";
import { ConfigError, formatIssues } from "./errors.js";
import { type BerthYaml, berthYamlSchema } from "./schema.js";

export interface LoadedConfig {
  /** Absolute path of berth.yml. */
  readonly file: string;
  /** Directory holding berth.yml: build contexts and the compose file are relative to it. */
  readonly dir: string;
  readonly config: BerthYaml;
}

/** Parse berth.yml text. Pure: the caller reads the file. */
export function parseConfig(text: string, source = "berth.yml"): BerthYaml {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    throw new ConfigError(`${source}: is not valid YAML: ${first?.message ?? "parse error"}`);
  }
  const raw: unknown = doc.toJS();
  const parsed = berthYamlSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new ConfigError(formatIssues(source, parsed.error, raw));
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
  return Object.freeze({ file, dir: dirname(file), config: parseConfig(text, path) });
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
  readonly databasePath: string | undefined;
}

/** Fill an environment's defaults from the VPS layout of DESIGN §4. */
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
  const dbPath = env.database_path ?? config.database?.path;
  return Object.freeze({
    name,
    host: env.host,
    port: env.port,
    user: env.user,
    root: env.root,
    url: env.url,
    envFile: env.env_file ?? `${env.root}/env/${name}.env`,
    project: env.project ?? `${config.app}-${name}`,
    databasePath:
      dbPath === undefined ? undefined : dbPath.startsWith("/") ? dbPath : `${env.root}/${name}/${dbPath}`,
  });
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object") {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/**
 * What berth needs from a compose file: each service's image, build, published ports,
 * mounts, healthcheck, depends_on and user; the top-level volumes; and every `${VAR}`
 * it needs from the server's env file. Pure: the caller reads the file. Entries berth
 * cannot read are listed in `problems` (field, value, message) instead of throwing.
 */
import { parseDocument } from "yaml";
import { type Mount, parseMount } from "./compose-mounts.js";
import { type PortMapping, parsePort } from "./compose-ports.js";
import type {
  ComposeBuild,
  ComposeEnvFile,
  ComposeHealthcheck,
  ComposeModel,
  ComposeProblem,
  ComposeService,
  ComposeVariable,
  ComposeVolume,
} from "./compose-types.js";
import { interpolate, variablesIn } from "./compose-vars.js";
import { yamlErrorText } from "./yaml-error.js";

export { type DatabaseLocation, resolveDatabasePath } from "./compose-database.js";
export type { Mount } from "./compose-mounts.js";
export type { PortMapping } from "./compose-ports.js";
export type {
  ComposeBuild,
  ComposeEnvFile,
  ComposeHealthcheck,
  ComposeModel,
  ComposeProblem,
  ComposeService,
  ComposeVariable,
  ComposeVolume,
} from "./compose-types.js";

/** The file cannot be used at all (not YAML, not a mapping, no services). */
export class ComposeError extends Error {
  override name = "ComposeError";
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const str = (v: unknown): string | undefined =>
  typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;
const show = (v: unknown) => (typeof v === "string" ? v : (JSON.stringify(v) ?? String(v)));

export function parseCompose(text: string, source = "compose.yml"): ComposeModel {
  const doc = parseDocument(text, { merge: true, uniqueKeys: false });
  if (doc.errors.length > 0) {
    throw new ComposeError(
      `${source}: is not valid YAML ${yamlErrorText(doc.errors[0])}; fix the file there (docker compose config shows the same error)`,
    );
  }
  const raw: unknown = doc.toJS();
  if (!isObj(raw) || !isObj(raw.services) || Object.keys(raw.services).length === 0) {
    throw new ComposeError(
      `${source}: services: (missing) is not a compose file with services; berth deploys a compose file with a services: mapping`,
    );
  }
  const problems: ComposeProblem[] = [];
  const services: Record<string, ComposeService> = {};
  for (const [name, svc] of Object.entries(raw.services)) {
    services[name] = parseService(name, isObj(svc) ? svc : {}, problems);
  }
  const volumes: Record<string, ComposeVolume> = {};
  if (isObj(raw.volumes)) {
    for (const [name, v] of Object.entries(raw.volumes)) volumes[name] = parseVolume(isObj(v) ? v : {});
  }
  return {
    name: str(raw.name),
    services,
    volumes,
    variables: collectVariables(raw),
    problems,
    include: (Array.isArray(raw.include) ? raw.include : []).flatMap((e) =>
      isObj(e) ? [e.path].flat().flatMap((p) => str(p) ?? []) : (str(e) ?? []),
    ),
  };
}

function parseService(name: string, s: Obj, problems: ComposeProblem[]): ComposeService {
  const at = `services.${name}`;
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const ports: PortMapping[] = [];
  list(s.ports).forEach((p, i) => {
    const r = parsePort(p);
    if (typeof r === "string") problems.push({ field: `${at}.ports[${i}]`, value: show(p), message: r });
    else ports.push(r);
  });
  const volumes: Mount[] = [];
  list(s.volumes).forEach((v, i) => {
    const r = parseMount(v);
    if (typeof r === "string") problems.push({ field: `${at}.volumes[${i}]`, value: show(v), message: r });
    else volumes.push(r);
  });
  const command = Array.isArray(s.command) ? s.command.map(show) : str(s.command);
  const ext = isObj(s.extends) ? s.extends : { service: s.extends };
  return {
    name,
    containerName: str(s.container_name),
    envFiles: parseEnvFiles(s.env_file),
    profiles: list(s.profiles).flatMap((p) => str(p) ?? []),
    extends:
      str(ext.service) === undefined ? undefined : { service: str(ext.service) ?? "", file: str(ext.file) },
    image: str(s.image),
    build: parseBuild(s.build),
    ports,
    volumes,
    healthcheck: parseHealthcheck(s.healthcheck),
    dependsOn: Array.isArray(s.depends_on)
      ? s.depends_on.map(show)
      : isObj(s.depends_on)
        ? Object.keys(s.depends_on)
        : [],
    user: str(s.user),
    command,
    workingDir: str(s.working_dir),
    networkMode: str(s.network_mode),
    environment: keyValues(s.environment),
  };
}

/** `env_file:` as a string, a list of strings, or a list of `{path, required}`. */
function parseEnvFiles(v: unknown): ComposeEnvFile[] {
  return [v ?? []].flat().flatMap((e): ComposeEnvFile[] => {
    if (isObj(e)) {
      const path = str(e.path);
      return path === undefined ? [] : [{ path: interpolate(path).text, required: e.required !== false }];
    }
    const path = str(e);
    return path === undefined ? [] : [{ path: interpolate(path).text, required: true }];
  });
}

/** A map or a `KEY=value` list (compose accepts both for environment and args). */
function keyValues(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(v)) {
    for (const e of v) {
      const s = str(e);
      const eq = s?.indexOf("=") ?? -1;
      if (s !== undefined && eq > 0) out[s.slice(0, eq)] = s.slice(eq + 1);
    }
  } else if (isObj(v)) {
    for (const [k, val] of Object.entries(v)) {
      const s = str(val);
      if (s !== undefined) out[k] = s;
    }
  }
  return out;
}

function parseBuild(b: unknown): ComposeBuild | undefined {
  if (typeof b === "string") return { context: b, dockerfile: undefined, args: {}, target: undefined };
  if (!isObj(b)) return undefined;
  return {
    context: str(b.context) ?? ".",
    dockerfile: str(b.dockerfile),
    args: keyValues(b.args),
    target: str(b.target),
  };
}

function parseHealthcheck(h: unknown): ComposeHealthcheck | undefined {
  if (!isObj(h) || h.disable === true || h.test === undefined) return undefined;
  const words = Array.isArray(h.test) ? h.test.map(show) : [show(h.test)];
  if (words[0] === "NONE") return undefined;
  const test = words[0] === "CMD" || words[0] === "CMD-SHELL" ? words.slice(1) : words;
  const url = /https?:\/\/(?:\[[^\]]*\]|[^/\s'"]+)(\/[^\s'"|;&)]*)?/.exec(test.join(" "));
  return { test, path: url ? (url[1] ?? "/") : undefined };
}

function parseVolume(v: Obj): ComposeVolume {
  const opts = isObj(v.driver_opts) ? v.driver_opts : {};
  const o = str(opts.o) ?? "";
  const device = str(opts.device);
  return {
    name: str(v.name),
    external: v.external === true || isObj(v.external),
    bindDevice: device !== undefined && o.split(",").includes("bind") ? interpolate(device).text : undefined,
  };
}

/** Every variable in every string value (compose interpolates values, never keys). */
function collectVariables(raw: Obj): ComposeVariable[] {
  const found = new Map<string, ComposeVariable>();
  const visit = (v: unknown, field: string) => {
    if (typeof v === "string") {
      for (const use of variablesIn(v)) {
        const prev = found.get(use.name);
        if (!prev) found.set(use.name, { ...use, field });
        else if (use.required && !prev.required) found.set(use.name, { ...use, field });
      }
    } else if (Array.isArray(v)) {
      v.forEach((e, i) => {
        visit(e, `${field}[${i}]`);
      });
    } else if (isObj(v)) {
      for (const [k, e] of Object.entries(v)) {
        // x- extension fields are only templates: their uses are counted where merged.
        if (field === "" && k.startsWith("x-")) continue;
        visit(e, field === "" ? k : `${field}.${k}`);
      }
    }
  };
  visit(raw, "");
  return [...found.values()];
}

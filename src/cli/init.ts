/**
 * `berth init [--yes] [--force] [--dir D] [answers…]`: reads the repository (compose
 * file, Dockerfiles, shared images, published ports, SQLite files, health routes, a
 * migration command), asks only what it cannot find, and writes berth.yml (in D) and
 * the three caller workflows pinned to this berth's commit. Exit 0 written, 1 error or
 * bad usage, 2 refused with nothing written (a file exists, an answer is missing).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ComposeError } from "../config/compose-model.js";
import { ConfigError } from "../config/errors.js";
import * as f from "../config/fields.js";
import { findRepoRoot, parseConfig } from "../config/load.js";
import { berthRepository, cliBerthHome, originSlug } from "./home.js";
import { Asker, byField } from "./init-ask.js";
import { COMPOSE_NAMES, detect, findCompose, type RepoFacts } from "./init-detect.js";
import { appNameFrom, ghcrFor, imageGroups } from "./init-plan.js";
import { decide } from "./init-questions.js";
import {
  ENVIRONMENT_SECRETS,
  type InitPlan,
  PUSH_TOKEN_SECRET,
  renderBerthYml,
  renderCallers,
} from "./init-render.js";
import { askServer } from "./init-server.js";
import type { CliIo } from "./io.js";

const USAGE = `usage: berth init [--yes] [--force] [--dir <folder for berth.yml>] [--compose <file>]
  answers (asked when not found): --app --registry --host --root --ssh-port --ssh-user
  --build-arg NAME=VALUE --ready <service>:<port> --ready-path --migrate <command|none>
  --database <path|none> (repeatable) --berth-ref <sha>
`;

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  yes: { type: "boolean" },
  force: { type: "boolean" },
  dir: { type: "string" },
  compose: { type: "string" },
  app: { type: "string" },
  registry: { type: "string" },
  host: { type: "string" },
  root: { type: "string" },
  "ssh-port": { type: "string" },
  "ssh-user": { type: "string" },
  "build-arg": { type: "string", multiple: true },
  ready: { type: "string" },
  "ready-path": { type: "string" },
  migrate: { type: "string" },
  database: { type: "string", multiple: true },
  "berth-ref": { type: "string" },
} as const;

export async function runInit(args: string[], io: CliIo): Promise<number> {
  let values: ReturnType<typeof parse>;
  try {
    values = parse(args);
  } catch (e) {
    io.err(`berth init: ${(e as Error).message}\n${USAGE}`);
    return 1;
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const badArg = values["build-arg"]?.find((a) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(a));
  if (badArg !== undefined) {
    io.err(`berth init: --build-arg ${JSON.stringify(badArg)} is not NAME=VALUE\n${USAGE}`);
    return 1;
  }
  const repoRoot = findRepoRoot(resolve(io.cwd), io.cwd);
  const configDir = values.dir === undefined ? repoRoot : resolve(io.cwd, values.dir);
  const show = (p: string) => relative(io.cwd, p) || ".";
  if (relative(repoRoot, configDir).startsWith("..")) {
    io.err(`berth init: --dir ${values.dir} is outside the repository (${repoRoot}); nothing written\n`);
    return 2;
  }
  const configPath = join(configDir, "berth.yml");
  const workflowsDir = join(repoRoot, ".github", "workflows");
  const targets = [
    configPath,
    ...["staging", "promote", "rollback"].map((n) => join(workflowsDir, `berth-${n}.yml`)),
  ];
  const existing = targets.filter((t) => existsSync(t));
  if (existing.length > 0 && !values.force) {
    io.err(
      `berth init: ${existing.map(show).join(", ")} already exist${existing.length === 1 ? "s" : ""}; nothing written. Pass --force to replace ${existing.length === 1 ? "it" : "them"}, or run berth check on what is there\n`,
    );
    return 2;
  }

  const compose = values.compose
    ? { path: resolve(io.cwd, values.compose), others: [] }
    : findCompose(repoRoot, configDir);
  if (!compose || !existsSync(compose.path)) {
    io.err(
      `berth init: no compose file found (looked for ${COMPOSE_NAMES.join(", ")} in ${show(repoRoot)}, ${show(configDir)} and deploy/, docker/, infra/, ops/); berth deploys a Docker Compose app: add one, or pass --compose <file>; nothing written\n`,
    );
    return 2;
  }
  let facts: RepoFacts;
  try {
    facts = detect(repoRoot, compose.path, compose.others);
  } catch (e) {
    if (!(e instanceof ComposeError)) throw e;
    io.err(`berth init: ${e.message}; nothing written\n`);
    return 2;
  }
  const groups = imageGroups(facts.model, dirname(compose.path), configDir);
  if (groups.length === 0) {
    io.err(
      `berth init: ${show(compose.path)} builds no image (no service has build:) and no Dockerfile was found for its services (looked in the repository root, docker/, deploy/ and a folder per service); berth builds and ships the images that run your code: add build: (e.g. build: .) to those services, or pass --compose <file>, then run berth init again; nothing written\n`,
    );
    return 2;
  }

  const flags = flagAnswers(values);
  const interactive = !values.yes && io.isTTY;
  const asker = new Asker(io, flags, interactive);
  const say = (label: string, text: string) => io.out(`  ${label.padEnd(10)} ${text}\n`);
  io.out(`berth init: reading the repository at ${repoRoot}\n`);
  say("compose", `${show(compose.path)} (services: ${Object.keys(facts.model.services).join(", ")})`);
  for (const o of facts.composeOthers) say("", `${show(o)} is not used: berth deploys one compose file`);

  let home: string | undefined;
  try {
    home = cliBerthHome(io.env);
  } catch {
    home = undefined;
  }
  const app = await asker.ask({
    key: "app",
    usage: "--app shop",
    prompt: "App name (lowercase; names the compose projects and /opt/<app>)",
    detected: appNameFrom(facts.model.name ?? basename(repoRoot)),
    example: "shop",
    check: byField(f.appName),
  });
  const origin = originSlug(repoRoot);
  const registry = groups.every((g) => g.repo !== undefined)
    ? ""
    : await asker.ask({
        key: "registry",
        usage: "--registry ghcr.io/acme",
        prompt: "Registry and namespace for the images",
        detected: origin === undefined ? undefined : ghcrFor(origin),
        example: "ghcr.io/acme",
        check: byField(f.imageRepo),
      });
  const buildArgs = Object.fromEntries(
    Object.entries(flags).flatMap(([k, v]) =>
      k.startsWith("build-arg ") && v !== undefined ? [[k.slice(10), v]] : [],
    ),
  );
  const decided = await decide({ facts, groups, app, registry, asker, values, buildArgs, say });
  const { environments, berthRef } = await askServer(asker, app, home);

  const refusal = asker.refusal();
  if (refusal !== undefined) {
    const why = values.yes ? "--yes" : "not a terminal, so it cannot ask";
    io.err(`berth init: ${why}; these have no answer (nothing written):\n${indent(refusal)}\n`);
    return 2;
  }

  const berthRepo = (home && berthRepository(home)) ?? "berth-deploy/berth";
  const schemaFile = home === undefined ? undefined : join(home, "schema", "berth.schema.json");
  const plan: InitPlan = {
    schemaRef:
      schemaFile !== undefined && !relative(repoRoot, schemaFile).startsWith("..")
        ? relative(configDir, schemaFile)
        : `https://raw.githubusercontent.com/${berthRepo}/${berthRef}/schema/berth.schema.json`,
    app,
    ...decided.plan,
    composeFile: relative(configDir, compose.path),
    environments,
  };
  const berthYml = renderBerthYml(plan);
  try {
    parseConfig(berthYml, show(configPath));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    io.err(
      `berth init: the berth.yml it would write does not validate (nothing written):\n${indent(e.message)}\n`,
    );
    return 1;
  }
  const callers = renderCallers({
    berthRepository: berthRepo,
    berthRef,
    config: relative(repoRoot, configPath),
    environments: plan.environments.map((e) => e.name),
    registryPushToken: !decided.ghcr,
  });
  mkdirSync(configDir, { recursive: true });
  mkdirSync(workflowsDir, { recursive: true });
  writeFileSync(configPath, berthYml);
  for (const [name, text] of Object.entries(callers)) writeFileSync(join(workflowsDir, name), text);

  const configFlag = relative(io.cwd, configPath) === "berth.yml" ? "" : ` --config ${show(configPath)}`;
  const envNames = plan.environments.map((e) => e.name);
  io.out(
    [
      `wrote ${show(configPath)} (${berthYml.split("\n").length - 1} lines) and ${Object.keys(callers)
        .map((n) => show(join(workflowsDir, n)))
        .join(", ")}, pinned to berth ${berthRef.slice(0, 12)}`,
      ...decided.warnings.map((w) => `warning: ${w}`),
      `GitHub environments to create (Settings → Environments): ${envNames.join(", ")}; in each, the secrets ${ENVIRONMENT_SECRETS.slice(0, 2).join(", ")} (its own deploy key and host key: berth setup prints them)`,
      `  and ${ENVIRONMENT_SECRETS[2]} if the server should log in to the registry on each deploy (a read-only pull token; berth setup can store one on the server instead)`,
      ...(envNames.includes("production")
        ? ["  production: required reviewers, and deployment branches limited to main (docs/ops/security.md)"]
        : []),
      ...(decided.ghcr
        ? []
        : [
            `repository secret to create (Settings → Secrets and variables → Actions): ${PUSH_TOKEN_SECRET}, a token that can push to your registry`,
          ]),
      `next: berth check${configFlag}, then berth setup staging${configFlag}`,
      "",
    ].join("\n"),
  );
  return 0;
}

function parse(args: string[]) {
  return parseArgs({ args, options: OPTIONS, allowPositionals: false, strict: true }).values;
}

/** Flags by question key; --build-arg NAME=V becomes "build-arg NAME". */
function flagAnswers(v: ReturnType<typeof parse>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, val] of Object.entries(v)) if (typeof val === "string") out[k] = val;
  for (const a of v["build-arg"] ?? []) {
    const eq = a.indexOf("=");
    if (eq > 0) out[`build-arg ${a.slice(0, eq)}`] = a.slice(eq + 1);
  }
  return out;
}

const indent = (s: string) =>
  s
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");

/**
 * `berth check [--config F] [--json]`: offline, validates berth.yml and what it points
 * to — the compose file, its variables, where each database really is, the readiness
 * port, and the caller workflows' inputs. Exit 0 clean, 1 findings (or bad usage).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ComposeError, type ComposeModel, parseCompose } from "../config/compose-model.js";
import { ConfigError } from "../config/errors.js";
import { type LoadedConfig, loadConfig } from "../config/load.js";
import { checkCompose } from "./check-compose.js";
import type { BootFact, ComposeReport, DatabaseReport, EnvExample, NamedDatabase } from "./check-input.js";
import { type CallerReport, checkCallers } from "./check-workflows.js";
import { envNames, findEnvExample } from "./env-examples.js";
import { type Finding, finding, findingsFromConfigError, formatFinding, painter } from "./findings.js";
import { cliBerthHome, originSlug, reusableWorkflows } from "./home.js";
import { bootMigration } from "./init-boot.js";
import { findMigrate, findSqlite, scanSources } from "./init-detect.js";
import { parseDockerfile } from "./init-scan.js";
import type { CliIo } from "./io.js";

const USAGE = "usage: berth check [--config berth.yml] [--json]\n";

export interface CheckReport {
  readonly ok: boolean;
  readonly findings: Finding[];
  /** Costly or risky, but the deploy works: printed, exit 0. */
  readonly warnings: Finding[];
  readonly databases: DatabaseReport[];
  readonly variables: string[];
  readonly notes: string[];
  /** Lines saying what was checked, for the human output. */
  readonly checked: string[];
}

export async function runCheck(args: string[], io: CliIo): Promise<number> {
  let values: { config?: string | undefined; json?: boolean | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (e) {
    io.err(`berth check: ${(e as Error).message}\n${USAGE}`);
    return 1;
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const report = check(values.config ?? "berth.yml", values.config === undefined, io);
  if (values.json) {
    const { checked: _, ...json } = report;
    io.out(`${JSON.stringify(json, null, 2)}\n`);
  } else io.out(format(report, io));
  return report.ok ? 0 : 1;
}

function format(r: CheckReport, io: CliIo): string {
  const c = painter(io.isTTY, io.env);
  const lines = [
    ...r.checked,
    ...r.notes.map((n) => c.yellow(`note: ${n}`)),
    ...r.warnings.map((w) => c.yellow(`warning: ${formatFinding(w)}`)),
  ];
  if (r.ok) lines.push(c.green("ok: no findings"));
  else {
    lines.push(c.red(`${r.findings.length} finding${r.findings.length === 1 ? "" : "s"}:`));
    for (const f of r.findings) lines.push(`  ${formatFinding(f)}`);
  }
  return `${lines.join("\n")}\n`;
}

function check(configArg: string, isDefault: boolean, io: Pick<CliIo, "cwd" | "env">): CheckReport {
  const show = (p: string) => relative(io.cwd, p) || ".";
  const report = (findings: Finding[], rest: Partial<CheckReport> = {}): CheckReport => ({
    ok: findings.length === 0,
    findings,
    warnings: [],
    databases: [],
    variables: [],
    notes: [],
    checked: [],
    ...rest,
  });
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig(configArg, io.cwd);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    if (!existsSync(resolve(io.cwd, configArg))) {
      const hint = isDefault ? "; run berth init to write one, or pass --config <path>" : "";
      return report([finding(configArg, "", "", `cannot be read: there is no such file${hint}`)]);
    }
    return report(findingsFromConfigError(configArg, e.message));
  }
  const configFile = show(loaded.file);
  const composePath = resolve(loaded.dir, loaded.config.compose.file);
  const composeFile = show(composePath);
  let text: string;
  try {
    text = readFileSync(composePath, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    return report([
      finding(
        configFile,
        "compose.file",
        loaded.config.compose.file,
        `cannot be read (${code}, resolves to ${composePath}); name your compose file, relative to ${configFile}`,
      ),
    ]);
  }
  let compose: ComposeReport;
  try {
    const model = parseCompose(text, composeFile);
    const dirs = [...new Set([loaded.dir, dirname(composePath), loaded.repoRoot])];
    const envExamples: Record<string, EnvExample | undefined> = {};
    for (const env of Object.keys(loaded.config.environments)) {
      const found = findEnvExample(dirs, env);
      envExamples[env] = found && { file: show(found.path), names: envNames(found.text) };
    }
    const boot = findBoot(loaded, show);
    const named = namedDatabases(loaded, model, composePath, show);
    compose = checkCompose({
      config: loaded.config,
      configFile,
      composeFile,
      model,
      envExamples,
      boot,
      named,
    });
  } catch (e) {
    if (e instanceof ComposeError)
      return report([finding(composeFile, "", "", e.message.replace(/^[^:]*: /, ""))]);
    if (e instanceof ConfigError) return report(findingsFromConfigError(configFile, e.message));
    throw e;
  }
  const callers = checkWorkflows(loaded, io, show);
  const findings = [...compose.findings, ...callers.findings];
  const checked = [
    `config    ${configFile}`,
    `compose   ${composeFile}: ${Object.keys(loaded.config.services).join(", ")}`,
    ...(compose.variables.length > 0 ? [`env file  must set ${compose.variables.join(", ")}`] : []),
    ...compose.databases.map(databaseLine),
    ...(compose.ready ? [`ready     ${compose.ready}`] : []),
    ...callers.calls.map((c) => `workflow  ${c.file}: ${c.job} → berth ${c.workflow}`),
  ];
  const notes = [...compose.notes, ...callers.notes];
  return report(findings, {
    warnings: compose.warnings,
    databases: compose.databases,
    variables: compose.variables,
    notes,
    checked,
  });
}

/** A migration run at start: the built images' CMD/ENTRYPOINT, then start scripts and source in their contexts. */
function findBoot(loaded: LoadedConfig, show: (p: string) => string): BootFact | undefined {
  const dirs = buildDirs(loaded);
  const command = findMigrate(dirs, show)?.command;
  for (const svc of Object.values(loaded.config.services)) {
    if (!svc.build) continue;
    const file = resolve(loaded.dir, svc.build.context, svc.build.dockerfile);
    let text: string | undefined;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      text = undefined;
    }
    const what = text === undefined ? undefined : bootMigration(parseDockerfile(text).startLines.join("\n"));
    if (what) return { what, from: show(file), command };
  }
  const found = scanSources(buildDirs(loaded, false), show);
  const boot = found.bootScript ?? found.bootSource;
  return boot && { ...boot, command };
}

/** The build contexts and Dockerfile folders berth.yml names, most specific first, then the repository. */
function buildDirs(loaded: LoadedConfig, withRoot = true): string[] {
  const dirs = Object.values(loaded.config.services).flatMap((svc) => {
    if (!svc.build) return [];
    const context = resolve(loaded.dir, svc.build.context);
    return [dirname(resolve(context, svc.build.dockerfile)), context];
  });
  return [...new Set(withRoot || dirs.length === 0 ? [...dirs, loaded.repoRoot] : dirs)];
}

/** SQLite files the repository names, as the ready service opens them (its Dockerfile's WORKDIR for relative ones). */
function namedDatabases(
  loaded: LoadedConfig,
  model: ComposeModel,
  composePath: string,
  show: (p: string) => string,
): NamedDatabase[] {
  const { config } = loaded;
  const ready = config.ready.service;
  const image = config.services[ready]?.image;
  const builder = Object.values(config.services).find((s) => s.build && s.image === image)?.build;
  let workdir = model.services[ready]?.workingDir;
  if (workdir === undefined && builder) {
    try {
      const file = resolve(loaded.dir, builder.context, builder.dockerfile);
      workdir = parseDockerfile(readFileSync(file, "utf8")).workdir;
    } catch {
      workdir = undefined;
    }
  }
  return findSqlite(model, buildDirs(loaded), loaded.repoRoot, composePath, show).map((c) => ({
    containerPath: posix.resolve(workdir ?? "/", c.path),
    from: c.from,
  }));
}

function databaseLine(d: DatabaseReport): string {
  const given = d.given === "container" ? " (given as the container path)" : "";
  switch (d.kind) {
    case "bind":
      return `database  ${d.environment}: ${d.hostPath} → ${d.service}:${d.containerPath}${given}`;
    case "volume":
      return `database  ${d.environment}: ${d.service}:${d.containerPath} → named volume ${d.dockerVolume ?? d.volume}, file ${d.pathInVolume} (through berth's SQLite helper container)`;
    case "unmounted":
      return `database  ${d.environment}: ${d.hostPath} → not mounted by any service`;
    case "ephemeral":
      return `database  ${d.environment}: ${d.service}:${d.containerPath} → ${d.mount} (not kept)`;
    case "unresolved":
      return `database  ${d.environment}: ${d.hostPath ?? d.containerPath} → ${d.service} mounts ${d.mount}${given}`;
  }
}

function checkWorkflows(
  loaded: LoadedConfig,
  io: Pick<CliIo, "env">,
  show: (p: string) => string,
): CallerReport & { notes: string[] } {
  const dir = join(loaded.repoRoot, ".github", "workflows");
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => ({ file: show(join(dir, f)), text: readFileSync(join(dir, f), "utf8") }))
    : [];
  let home: string;
  try {
    home = cliBerthHome(io.env);
  } catch (e) {
    return { findings: [], calls: [], notes: [`caller workflows not checked: ${(e as Error).message}`] };
  }
  const report = checkCallers(files, {
    reusable: reusableWorkflows(home),
    environments: Object.keys(loaded.config.environments),
    exists: (p) => existsSync(resolve(loaded.repoRoot, p)),
    configPath: relative(loaded.repoRoot, loaded.file),
    repository: originSlug(loaded.repoRoot),
  });
  const notes =
    report.calls.length === 0
      ? [`no workflow in ${show(dir)} calls berth's reusable workflows yet (berth init writes them)`]
      : report.notes;
  return { ...report, notes };
}

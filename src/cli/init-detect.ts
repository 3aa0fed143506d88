/**
 * `berth init` reading a repository: the compose file, the Dockerfiles its builds
 * name, SQLite paths, health routes and a migration command. Only reads; what it
 * finds is turned into berth.yml by init-plan.ts.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { type ComposeModel, parseCompose } from "../config/compose-model.js";
import { envExampleNames } from "./env-examples.js";
import { bootMigration, START_SCRIPTS } from "./init-boot.js";
import { type ProposedBuild, proposeBuilds, withBuilds } from "./init-dockerfiles.js";
import {
  type DockerfileFacts,
  djangoDatabases,
  healthRoutes,
  type MigrateGuess,
  packageJsonMigrate,
  parseDockerfile,
  railsProductionDatabases,
  sqlitePaths,
} from "./init-scan.js";

/** In Docker's order of preference (docker compose picks the first that exists). */
export const COMPOSE_NAMES = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];
const COMPOSE_DIRS = [".", "deploy", "docker", "infra", "ops", ".docker"];

export interface RepoFacts {
  readonly composePath: string;
  /** Other compose files seen (berth uses one file; overrides are not merged). */
  readonly composeOthers: readonly string[];
  readonly model: ComposeModel;
  /** By absolute Dockerfile path; absent when the file does not exist. */
  readonly dockerfiles: ReadonlyMap<string, DockerfileFacts | undefined>;
  /** SQLite paths found, each with the file that names it; relative ones are relative to the app's working directory. */
  readonly sqlite: readonly { readonly path: string; readonly from: string }[];
  readonly health: readonly { readonly path: string; readonly from: string }[];
  readonly migrate: MigrateGuess | undefined;
  /** Builds init proposes because the compose file has none (its services run a published image). */
  readonly proposed: readonly ProposedBuild[];
  /** The app migrates its database when it starts: what does it, and where. */
  readonly boot: { readonly what: string; readonly from: string } | undefined;
}

const read = (p: string) => {
  try {
    return readFileSync(p, "utf8");
  } catch {
    return undefined;
  }
};

/** The compose file: --compose, else the first of COMPOSE_NAMES in the repository root, berth.yml's folder, then common folders. */
export function findCompose(
  repoRoot: string,
  configDir: string,
): { path: string; others: string[] } | undefined {
  const dirs = [...new Set([repoRoot, configDir, ...COMPOSE_DIRS.map((d) => join(repoRoot, d))])];
  const all = dirs.flatMap((d) => COMPOSE_NAMES.map((n) => join(d, n))).filter((p) => existsSync(p));
  const [path, ...others] = all;
  return path === undefined ? undefined : { path, others };
}

export function detect(repoRoot: string, composePath: string, others: readonly string[]): RepoFacts {
  const composeDir = dirname(composePath);
  const parsed = parseCompose(readFileSync(composePath, "utf8"), relative(repoRoot, composePath));
  const proposed = proposeBuilds(parsed, repoRoot, composeDir);
  const model = withBuilds(parsed, proposed, composeDir);
  const dockerfiles = new Map<string, DockerfileFacts | undefined>();
  const contexts: string[] = [];
  for (const svc of Object.values(model.services)) {
    if (!svc.build) continue;
    const context = resolve(composeDir, svc.build.context);
    const file = resolve(context, svc.build.dockerfile ?? "Dockerfile");
    const text = read(file);
    dockerfiles.set(file, text === undefined ? undefined : parseDockerfile(text));
    contexts.push(context, dirname(file));
  }
  if (contexts.length === 0 && existsSync(join(repoRoot, "Dockerfile"))) {
    const file = join(repoRoot, "Dockerfile");
    dockerfiles.set(file, parseDockerfile(readFileSync(file, "utf8")));
    contexts.push(repoRoot);
  }
  // Most specific first: the Dockerfile's folder (a monorepo's service), then contexts, then the root.
  const dirs = [...new Set([...contexts.reverse(), repoRoot])].filter((d) => inside(d, repoRoot));
  const show = (p: string) => relative(repoRoot, p);
  const sources = scanSources(dirs, show);
  // What the image runs at start (CMD/ENTRYPOINT) and the start scripts come before the source.
  const fromDockerfile = [...dockerfiles].flatMap(([file, f]) => {
    const what = f && bootMigration(f.startLines.join("\n"));
    return what ? [{ what, from: show(file) }] : [];
  });
  return {
    composePath,
    composeOthers: others,
    model,
    dockerfiles,
    sqlite: findSqlite(model, dirs, repoRoot, composePath, show),
    health: sources.health,
    migrate: findMigrate(dirs, show),
    proposed,
    boot: fromDockerfile[0] ?? sources.bootScript ?? sources.bootSource,
  };
}

function inside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return !rel.startsWith("..") && !rel.startsWith("/");
}

export function findSqlite(
  model: ComposeModel,
  dirs: readonly string[],
  repoRoot: string,
  composePath: string,
  show: (p: string) => string,
): { path: string; from: string }[] {
  const composeDir = dirname(composePath);
  const out: { path: string; from: string }[] = [];
  const add = (paths: string[], from: string) => {
    for (const path of paths) if (!out.some((o) => o.path === path)) out.push({ path, from });
  };
  for (const svc of Object.values(model.services)) {
    add(
      sqlitePaths(Object.values(svc.environment).join("\n")),
      `${show(composePath)} services.${svc.name}.environment`,
    );
  }
  for (const dir of [...new Set([composeDir, ...dirs, repoRoot])]) {
    for (const name of [...new Set(["staging", "production"].flatMap(envExampleNames))]) {
      const text = read(join(dir, name));
      if (text !== undefined) add(sqlitePaths(text), show(join(dir, name)));
    }
    for (const settings of djangoSettings(dir)) {
      const text = read(settings);
      if (text !== undefined) add(djangoDatabases(text), show(settings));
    }
    const railsDb = read(join(dir, "config", "database.yml"));
    if (railsDb !== undefined) add(railsProductionDatabases(railsDb), show(join(dir, "config/database.yml")));
    for (const f of ["alembic.ini", "prisma/schema.prisma", "knexfile.js", "knexfile.ts"]) {
      const text = read(join(dir, f));
      if (text !== undefined) add(sqlitePaths(text), show(join(dir, f)));
    }
    // Files already there (a checked-in or local database), in the usual folders.
    for (const sub of ["storage", "data", "db", "database"]) {
      const d = join(dir, sub);
      if (!isDir(d)) continue;
      const files = readdirSync(d).filter((f) => /\.(sqlite3|sqlite|db)$/.test(f));
      add(sqlitePaths(files.map((f) => `${sub}/${f}`).join("\n")), show(d));
    }
  }
  return out;
}

const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

const SOURCE = /\.(?:[cm]?[jt]sx?|py|rb|go|ex|exs|php|java|kt|rs|cs)$/;
const SKIP = new Set([
  "node_modules",
  ".git",
  "vendor",
  "dist",
  "build",
  "tmp",
  "log",
  "storage",
  "coverage",
  ".venv",
  "venv",
  "__pycache__",
  "test",
  "tests",
  "spec",
]);

export interface SourceFacts {
  health: { path: string; from: string }[];
  bootScript: { what: string; from: string } | undefined;
  bootSource: { what: string; from: string } | undefined;
}

/**
 * One walk of the source under `dirs` (bounded: 3000 files, 256 KiB each): health
 * routes, and a migration run at start by a start script or by the code itself.
 */
export function scanSources(dirs: readonly string[], show: (p: string) => string): SourceFacts {
  const out: SourceFacts = { health: [], bootScript: undefined, bootSource: undefined };
  let budget = 3000;
  const walk = (dir: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const e of entries) {
      if (budget <= 0) return;
      const p = join(dir, e);
      if (isDir(p)) {
        if (!SKIP.has(e) && !e.startsWith(".")) walk(p);
        continue;
      }
      const script = START_SCRIPTS.test(e);
      if (!SOURCE.test(e) && e !== "routes.rb" && !script) continue;
      budget--;
      const text = statSync(p).size <= 256 * 1024 ? read(p) : undefined;
      if (text === undefined) continue;
      for (const path of healthRoutes(text)) {
        if (!out.health.some((o) => o.path === path)) out.health.push({ path, from: show(p) });
      }
      const what = bootMigration(text);
      if (what && script) out.bootScript ??= { what, from: show(p) };
      else if (what) out.bootSource ??= { what, from: show(p) };
    }
  };
  for (const d of dirs) walk(d);
  return out;
}

/** Django settings modules: <pkg>/settings.py and <pkg>/settings/{production,prod,base}.py. */
function djangoSettings(dir: string): string[] {
  let subs: string[];
  try {
    subs = readdirSync(dir).filter((d) => !SKIP.has(d) && !d.startsWith(".") && isDir(join(dir, d)));
  } catch {
    return [];
  }
  return subs
    .sort()
    .flatMap((d) =>
      ["settings.py", "settings/production.py", "settings/prod.py", "settings/base.py"].map((f) =>
        join(dir, d, f),
      ),
    )
    .filter((f) => existsSync(f));
}

export function findMigrate(dirs: readonly string[], show: (p: string) => string): MigrateGuess | undefined {
  for (const dir of dirs) {
    const has = (f: string) => existsSync(join(dir, f));
    const from = (f: string) => show(join(dir, f));
    if (has("bin/rails")) return { command: ["bin/rails", "db:prepare"], from: from("bin/rails") };
    if (has("manage.py")) return { command: ["python", "manage.py", "migrate"], from: from("manage.py") };
    if (has("alembic.ini")) return { command: ["alembic", "upgrade", "head"], from: from("alembic.ini") };
    const pkg = read(join(dir, "package.json"));
    const guess = pkg === undefined ? undefined : packageJsonMigrate(pkg);
    if (guess)
      return { ...guess, from: `${from("package.json")} ${guess.from.replace(/^package\.json /, "")}` };
    if (has("prisma/schema.prisma")) {
      return { command: ["npx", "prisma", "migrate", "deploy"], from: from("prisma/schema.prisma") };
    }
    if (has("knexfile.js") || has("knexfile.ts"))
      return { command: ["npx", "knex", "migrate:latest"], from: from("knexfile") };
  }
  return undefined;
}

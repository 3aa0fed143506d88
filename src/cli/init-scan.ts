/**
 * What `berth init` reads out of a repository's text files: Dockerfile facts, SQLite
 * paths, health routes and migration commands. Pure: the caller reads the files.
 */

export interface DockerfileFacts {
  /** ARGs declared before the first FROM without a default and used in a FROM: the build needs them. */
  readonly requiredArgs: readonly string[];
  /** Every ARG it declares, in any stage. */
  readonly args: readonly string[];
  /** The final stage's working directory (where relative paths in the app resolve). */
  readonly workdir: string | undefined;
  /** The final stage's EXPOSEd TCP ports. */
  readonly expose: readonly number[];
  /** The final stage, what `docker build` builds: "FROM base" or "FROM node:20 AS runtime". */
  readonly finalStage: string | undefined;
  /** How many FROM lines (stages) it has. */
  readonly stages: number;
  /** The path of the first http(s) URL the final stage's HEALTHCHECK fetches. */
  readonly healthcheckPath: string | undefined;
  /** The final stage's CMD and ENTRYPOINT lines, as written (what runs at start). */
  readonly startLines: readonly string[];
}

export function parseDockerfile(text: string): DockerfileFacts {
  const lines = text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const globalArgs = new Map<string, boolean>();
  const allArgs = new Set<string>();
  const usedInFrom = new Set<string>();
  let seenFrom = false;
  let workdir: string | undefined;
  let expose: number[] = [];
  let finalStage: string | undefined;
  let healthcheckPath: string | undefined;
  let startLines: string[] = [];
  /** Each named stage's working directory and health check: a stage FROM another inherits them. */
  const stages = new Map<
    string,
    { workdir: string | undefined; health: string | undefined; start: string[] }
  >();
  let current: string | undefined;
  let stageCount = 0;
  for (const line of lines) {
    const [instr = "", ...rest] = line.split(/\s+/);
    const args = rest.join(" ");
    switch (instr.toUpperCase()) {
      case "ARG":
        for (const decl of rest) {
          const [name = "", ...value] = decl.split("=");
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue;
          allArgs.add(name);
          if (!seenFrom) globalArgs.set(name, value.length > 0);
        }
        break;
      case "FROM": {
        seenFrom = true;
        for (const m of args.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) if (m[1]) usedInFrom.add(m[1]);
        const words = rest.filter((w) => !w.startsWith("--"));
        const base = words[0] ?? "";
        const alias = words[1]?.toUpperCase() === "AS" ? words[2] : undefined;
        const parent = stages.get(base.toLowerCase());
        workdir = parent?.workdir;
        healthcheckPath = parent?.health;
        startLines = [...(parent?.start ?? [])];
        expose = [];
        finalStage = `FROM ${base}${alias === undefined ? "" : ` AS ${alias}`}`;
        stageCount++;
        current = alias?.toLowerCase();
        break;
      }
      case "HEALTHCHECK": {
        const url = /https?:\/\/(?:\[[^\]]*\]|[^/\s'"]+)(\/[^\s'"|;&)]*)?/.exec(args);
        healthcheckPath = /^NONE\b/i.test(args) ? undefined : url ? (url[1] ?? "/") : healthcheckPath;
        break;
      }
      case "CMD":
      case "ENTRYPOINT":
        startLines = [...startLines.filter((l) => !l.toUpperCase().startsWith(instr.toUpperCase())), line];
        break;
      case "WORKDIR": {
        const dir = args.replace(/^["']|["']$/g, "");
        workdir = dir.startsWith("/") || workdir === undefined ? dir : `${workdir.replace(/\/$/, "")}/${dir}`;
        break;
      }
      case "EXPOSE":
        for (const p of rest) {
          const m = /^(\d+)(?:\/tcp)?$/i.exec(p);
          if (m) expose.push(Number(m[1]));
        }
        break;
    }
    if (current !== undefined) stages.set(current, { workdir, health: healthcheckPath, start: startLines });
  }
  const requiredArgs = [...globalArgs]
    .filter(([n, hasDefault]) => !hasDefault && usedInFrom.has(n))
    .map(([n]) => n);
  return {
    requiredArgs,
    args: [...allArgs],
    workdir,
    expose,
    finalStage,
    stages: stageCount,
    healthcheckPath,
    startLines,
  };
}

const EXT = "(?:sqlite3|sqlite|db)";
const NOT_PROD = /(?:^|[/_.-])(?:test|tests|development|dev)(?:[/_.-]|$)/i;

/**
 * SQLite file paths mentioned in a text: SQLAlchemy URLs (`sqlite:////abs`, `sqlite:///rel`),
 * Prisma's `file:`, and bare paths ending in .sqlite3/.sqlite/.db. Test and development
 * databases are left out. Relative paths are returned as written (relative to the app's
 * working directory).
 */
export function sqlitePaths(text: string): string[] {
  const found: string[] = [];
  const add = (p: string | undefined) => {
    if (p === undefined || NOT_PROD.test(p)) return;
    const clean = p.replace(/^\.\//, "");
    if (!found.includes(clean)) found.push(clean);
  };
  for (const m of text.matchAll(/sqlite(?:\+\w+)?:\/\/\/([^\s"'?#]+)/g)) add(m[1]);
  for (const m of text.matchAll(new RegExp(`file:([^\\s"'?#]+\\.${EXT})(?![\\w.])`, "g"))) add(m[1]);
  const bare = new RegExp(
    `(?:^|[\\s=:"'\\[,(])((?:\\.{0,2}/)?[\\w.\\-/]*\\w\\.${EXT})(?=$|[\\s"',\\])])`,
    "gm",
  );
  const rest = text.replace(/sqlite(?:\+\w+)?:\/\/\/[^\s"'?#]+|file:[^\s"'?#]+/g, " ");
  for (const m of rest.matchAll(bare)) add(m[1]);
  return found;
}

/** The `database:` entries of a Rails config/database.yml's production: section. */
export function railsProductionDatabases(text: string): string[] {
  const block = /^production:[^\n]*\n((?:[ \t]+[^\n]*\n?|\s*\n)*)/m.exec(text)?.[1] ?? "";
  return [...block.matchAll(/^\s+database:\s*["']?([^"'\s#]+)["']?/gm)].flatMap((m) =>
    m[1] && new RegExp(`\\.${EXT}$`).test(m[1]) ? [m[1]] : [],
  );
}

/**
 * A Django settings file's SQLite database: `"NAME": <path>`, where the path is a
 * literal, `X / "db.sqlite3"` or `os.path.join(X, "db.sqlite3")` and X a variable the
 * file sets to a literal directory (its default when read from the environment) or
 * BASE_DIR (the project, i.e. the app's working directory). Relative paths are returned
 * relative to the working directory.
 */
export function djangoDatabases(text: string): string[] {
  if (!/django\.db\.backends\.sqlite3/.test(text)) return [];
  const name = /["']NAME["']\s*:\s*(.+?)[\s,}]*$/m.exec(text)?.[1]?.trim();
  if (name === undefined) return [];
  const lit = /^["']([^"']+)["']$/.exec(name)?.[1];
  if (lit !== undefined) return sqlitePaths(lit).length > 0 ? [lit.replace(/^\.\//, "")] : [];
  const joined =
    /^([A-Za-z_]\w*)\s*\/\s*["']([^"']+)["']$/.exec(name) ??
    /^os\.path\.join\(\s*([A-Za-z_]\w*)\s*,\s*["']([^"']+)["']\s*\)$/.exec(name);
  if (!joined?.[1] || !joined[2]) return [];
  const [, dirVar, file] = joined;
  if (dirVar === "BASE_DIR") return [file];
  const assigned = new RegExp(`^${dirVar}\\s*=\\s*(.*)$`, "m").exec(text)?.[1] ?? "";
  const dir = [...assigned.matchAll(/["'](\/[^"']*)["']/g)].pop()?.[1];
  return dir === undefined ? [] : [`${dir.replace(/\/$/, "")}/${file}`];
}

/** Readiness routes berth prefers, best first (/alive last: liveness more than readiness). */
export const HEALTH_PATHS = ["/readyz", "/up", "/healthz", "/health", "/ready", "/alive"];

const HEALTH_NAMES = HEALTH_PATHS.map((p) => p.slice(1)).join("|");
/** A quoted route ending in a health name, with any prefix: "/healthz", '/api/health', `/v1/ready`. */
const QUOTED = new RegExp(`["'\`](/(?:[\\w.-]+/)*(?:${HEALTH_NAMES}))/?["'\`]`, "g");
/** Django's path('up', …) / re_path(r'^health/?$', …): the route without its leading slash. */
const DJANGO = new RegExp(
  `\\b(?:re_)?path\\(\\s*r?["']\\^?((?:[\\w.-]+/)*(?:${HEALTH_NAMES}))/?\\??\\$?["']`,
  "g",
);

/** Health routes a source file defines, best first by their last segment. */
export function healthRoutes(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(QUOTED)) if (m[1]) found.add(m[1]);
  for (const m of text.matchAll(DJANGO)) if (m[1]) found.add(`/${m[1]}`);
  if (/\bget\s+["']up["']/.test(text)) found.add("/up");
  const rank = (p: string) => HEALTH_PATHS.indexOf(`/${p.split("/").pop()}`);
  return [...found].sort((a, b) => rank(a) - rank(b) || a.length - b.length);
}

export interface MigrateGuess {
  readonly command: readonly string[] | string;
  /** What it was guessed from, e.g. "bin/rails". */
  readonly from: string;
}

/** Local npm binaries: run through npx in the image. */
const NODE_BINS = [
  "knex",
  "prisma",
  "sequelize",
  "sequelize-cli",
  "typeorm",
  "drizzle-kit",
  "node-pg-migrate",
];
const MIGRATE_SCRIPTS = [
  "migrate:deploy",
  "db:migrate:deploy",
  "migrate",
  "db:migrate",
  "migrate:latest",
  "migrate:up",
];

/** A migration command from a package.json's scripts, or undefined. */
export function packageJsonMigrate(text: string): MigrateGuess | undefined {
  let scripts: Record<string, unknown> = {};
  try {
    scripts = (JSON.parse(text) as { scripts?: Record<string, unknown> }).scripts ?? {};
  } catch {
    return undefined;
  }
  for (const name of MIGRATE_SCRIPTS) {
    const body = scripts[name];
    if (typeof body !== "string" || body.trim() === "") continue;
    const from = `package.json scripts.${name}`;
    if (/\bprisma\s+migrate\b/.test(body)) return { command: ["npx", "prisma", "migrate", "deploy"], from };
    if (/[;&|<>$`'"()*?!\\]/.test(body)) return { command: body.trim(), from };
    const words = body.trim().split(/\s+/);
    return { command: NODE_BINS.includes(words[0] ?? "") ? ["npx", ...words] : words, from };
  }
  return undefined;
}

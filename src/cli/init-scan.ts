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
      case "FROM":
        seenFrom = true;
        for (const m of args.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) if (m[1]) usedInFrom.add(m[1]);
        workdir = undefined;
        expose = [];
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
  }
  const requiredArgs = [...globalArgs]
    .filter(([n, hasDefault]) => !hasDefault && usedInFrom.has(n))
    .map(([n]) => n);
  return { requiredArgs, args: [...allArgs], workdir, expose };
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

/** Readiness routes berth prefers, best first; /livez-style liveness routes are not readiness. */
export const HEALTH_PATHS = ["/readyz", "/up", "/healthz", "/health", "/ready"];

/** Health routes a source file defines (quoted route strings, Rails' `get "up"`). */
export function healthRoutes(text: string): string[] {
  const found = new Set<string>();
  for (const p of HEALTH_PATHS) {
    const name = p.slice(1);
    if (new RegExp(`["'\`]/${name}["'\`]`).test(text)) found.add(p);
  }
  if (/\bget\s+["']up["']/.test(text)) found.add("/up");
  return HEALTH_PATHS.filter((p) => found.has(p));
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

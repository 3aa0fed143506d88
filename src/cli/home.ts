/**
 * berth's own checkout (or package) as the CLI runs it: where its reusable workflows
 * and JSON Schema are, which commit it is, and which GitHub repository it came from.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { parse } from "yaml";

/**
 * BERTH_HOME, else the nearest directory up from the running script that holds
 * vps-scripts/bin/berth (like src/deploy/bundle.ts's berthHome, but the CLI may sit
 * at any depth: bin/, dist/cli/, node_modules/.bin/ through a symlink).
 */
export function cliBerthHome(env: NodeJS.ProcessEnv, script = process.argv[1] ?? "."): string {
  if (env.BERTH_HOME) return env.BERTH_HOME;
  let start = script;
  try {
    start = realpathSync(script);
  } catch {
    // not a file (e.g. "-e"): walk up from it as given
  }
  for (let d = dirname(start); ; d = dirname(d)) {
    if (existsSync(join(d, "vps-scripts", "bin", "berth"))) return d;
    if (dirname(d) === d) break;
  }
  throw new Error(
    `cannot find berth's files (vps-scripts/) above ${start}; set BERTH_HOME to the berth checkout`,
  );
}

/**
 * The commit berth runs from: its git checkout's HEAD, else (installed by npm or npx
 * from GitHub, which keeps no .git) the commit npm's lock file recorded; undefined
 * when neither says.
 */
export function berthCommit(home: string): string | undefined {
  // Only berth's own checkout: inside an app's node_modules, git would answer for the app.
  if (!existsSync(join(home, ".git"))) return npmGitSource(home)?.commit;
  try {
    const sha = execFileSync("git", ["-C", home, "rev-parse", "HEAD"], {
      stdio: ["ignore", "pipe", "ignore"],
    })
      .toString()
      .trim();
    if (/^[0-9a-f]{40}$/.test(sha)) return sha;
  } catch {
    // not a checkout
  }
  return npmGitSource(home)?.commit;
}

/** berth's GitHub owner/name: its checkout's origin, or where npm installed it from. */
export function berthRepository(home: string): string | undefined {
  return originSlug(home) ?? npmGitSource(home)?.repository;
}

/**
 * For a package npm installed from git (<prefix>/node_modules/<name>), the commit and
 * GitHub repository in <prefix>/package-lock.json's "resolved" (git+ssh://…#<sha>).
 */
function npmGitSource(home: string): { commit: string; repository: string | undefined } | undefined {
  const modules = dirname(home);
  if (basename(modules) !== "node_modules") return undefined;
  let resolved: unknown;
  try {
    const lock = JSON.parse(readFileSync(join(dirname(modules), "package-lock.json"), "utf8")) as {
      packages?: Record<string, { resolved?: unknown }>;
    };
    resolved = lock.packages?.[`node_modules/${basename(home)}`]?.resolved;
  } catch {
    return undefined;
  }
  const m = typeof resolved === "string" ? /^(.*)#([0-9a-f]{40})$/.exec(resolved) : null;
  if (!m?.[1] || !m[2]) return undefined;
  return { commit: m[2], repository: githubSlug(m[1]) };
}

/** owner/name of a GitHub remote URL (https, ssh or scp-like), lowercased for image names by the caller. */
export function githubSlug(url: string): string | undefined {
  const m = /github\.com[:/]+([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(url.trim());
  return m ? `${m[1]}/${m[2]}` : undefined;
}

/** The `origin` remote's GitHub owner/name from a repository's .git/config, if any. */
export function originSlug(repoRoot: string): string | undefined {
  const gitDir = join(repoRoot, ".git");
  let config: string;
  try {
    config = readFileSync(join(gitDir, "config"), "utf8");
  } catch {
    return undefined;
  }
  const section = /\[remote "origin"\]([^[]*)/.exec(config)?.[1] ?? "";
  const url = /^\s*url\s*=\s*(.+)$/m.exec(section)?.[1];
  return url === undefined ? undefined : githubSlug(url);
}

export interface ReusableWorkflow {
  /** File name, e.g. staging.yml. */
  readonly file: string;
  readonly inputs: Readonly<Record<string, { readonly required: boolean; readonly default?: string }>>;
  readonly secrets: Readonly<Record<string, { readonly required: boolean }>>;
  /**
   * The GITHUB_TOKEN permissions its jobs ask for, each scope at its highest level: a
   * caller must grant at least these ("permissions can only be maintained or reduced —
   * not elevated — throughout the chain", GitHub's Reuse workflows).
   */
  readonly permissions: Readonly<Record<string, "read" | "write">>;
}

/** The highest level each scope is given in any job of a workflow document. */
function jobPermissions(jobs: unknown): Record<string, "read" | "write"> {
  const out: Record<string, "read" | "write"> = {};
  if (jobs === null || typeof jobs !== "object") return out;
  for (const job of Object.values(jobs as Record<string, unknown>)) {
    const perms = (job as { permissions?: unknown } | null)?.permissions;
    if (perms === null || typeof perms !== "object") continue;
    for (const [scope, level] of Object.entries(perms as Record<string, unknown>)) {
      if (level === "write") out[scope] = "write";
      else if (level === "read" && out[scope] === undefined) out[scope] = "read";
    }
  }
  return out;
}

/** berth's reusable workflows: every .github/workflows file with an `on.workflow_call`. */
export function reusableWorkflows(home: string): ReusableWorkflow[] {
  const dir = join(home, ".github", "workflows");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .flatMap((file) => {
      const doc = parse(readFileSync(join(dir, file), "utf8")) as {
        on?: { workflow_call?: unknown };
        jobs?: unknown;
      } | null;
      const call = doc?.on?.workflow_call;
      if (call === null || typeof call !== "object") return [];
      const { inputs = {}, secrets = {} } = call as {
        inputs?: Record<string, { required?: boolean; default?: unknown } | null>;
        secrets?: Record<string, { required?: boolean } | null>;
      };
      return [
        {
          file,
          inputs: Object.fromEntries(
            Object.entries(inputs ?? {}).map(([k, v]) => [
              k,
              v?.default === undefined
                ? { required: v?.required === true }
                : { required: v?.required === true, default: String(v.default) },
            ]),
          ),
          secrets: Object.fromEntries(
            Object.entries(secrets ?? {}).map(([k, v]) => [k, { required: v?.required === true }]),
          ),
          permissions: jobPermissions(doc?.jobs),
        },
      ];
    });
}

/**
 * The env example files a repository keeps to document the server's env file
 * (env/staging.env.example, .env.example, …): which one documents an environment,
 * and the names it lists.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Per environment first, then the generic ones, as repositories commonly name them. */
export const envExampleNames = (env: string) => [
  `env/${env}.env.example`,
  `.env.${env}.example`,
  `${env}.env.example`,
  `.env.${env}.sample`,
  ".env.example",
  ".env.sample",
  "env.example",
  ".env.dist",
];

/** Variable names a dotenv-style file sets (`NAME=…` or `export NAME=…`; comments skipped). Pure. */
export function envNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split("\n")) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line);
    if (m?.[1]) names.add(m[1]);
  }
  return names;
}

/** The first env example for `env` in any of `dirs` (absolute), with its text. */
export function findEnvExample(
  dirs: readonly string[],
  env: string,
): { path: string; text: string } | undefined {
  for (const name of envExampleNames(env)) {
    for (const dir of dirs) {
      const path = join(dir, name);
      if (existsSync(path)) return { path, text: readFileSync(path, "utf8") };
    }
  }
  return undefined;
}

/** A CliIo for unit tests: records output, answers prompts from a list, runs in `cwd`. */
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CliIo } from "../../src/cli/io.js";
import { repoRoot, tempDir } from "./lab.js";

export interface FakeIo {
  readonly io: CliIo;
  readonly out: () => string;
  readonly err: () => string;
  /** The questions asked, in order. */
  readonly prompts: string[];
}

export function fakeIo(
  cwd: string,
  opts: { answers?: string[]; isTTY?: boolean; env?: NodeJS.ProcessEnv } = {},
): FakeIo {
  const out: string[] = [];
  const err: string[] = [];
  const prompts: string[] = [];
  const answers = [...(opts.answers ?? [])];
  return {
    io: {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      cwd,
      env: { BERTH_HOME: repoRoot, ...opts.env },
      isTTY: opts.isTTY ?? false,
      prompt: async (q) => {
        prompts.push(q);
        return answers.shift() ?? "";
      },
    },
    out: () => out.join(""),
    err: () => err.join(""),
    prompts,
  };
}

/**
 * A copy of test/fixtures/<name> as a fresh repository in a temp dir (its folder keeps
 * the fixture's name, which init reads as the app name), with a GitHub origin if given.
 */
export function fixtureRepo(name: string, origin?: string): string {
  const dir = join(tempDir("berth-cli-"), name);
  cpSync(join(repoRoot, "test", "fixtures", name), dir, { recursive: true });
  mkdirSync(join(dir, ".git"), { recursive: true });
  const remote = origin === undefined ? "" : `[remote "origin"]\n\turl = ${origin}\n`;
  writeFileSync(join(dir, ".git", "config"), `[core]\n\tbare = false\n${remote}`);
  return dir;
}

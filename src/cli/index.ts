/**
 * The `berth` CLI's entry point (bundled to cli/dist/index.js, started by cli/berth.js):
 * the real process as CliIo and CliDeps, then main(). Everything else is in main.ts.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline/promises";
import { connectSsh } from "../transport/ssh.js";
import { berthCommit, cliBerthHome } from "./home.js";
import type { CliIo } from "./io.js";
import { type CliDeps, main } from "./main.js";

const io: CliIo = {
  out: (text) => {
    if (text) process.stdout.write(text);
  },
  err: (text) => {
    if (text) process.stderr.write(text);
  },
  cwd: process.cwd(),
  env: process.env,
  isTTY: Boolean(process.stdin.isTTY && process.stdout.isTTY),
  async prompt(question) {
    // Asked on stderr, so stdout stays what the verb prints. End of input or Ctrl-C is "".
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    try {
      let answered = false;
      const none = new Promise<string>((resolve) => {
        const giveUp = () => {
          if (!answered) process.stderr.write("\n");
          answered = true;
          resolve("");
        };
        rl.once("close", giveUp);
        rl.once("SIGINT", giveUp);
      });
      const answer = rl.question(question).then(
        (a) => {
          answered = true;
          return a;
        },
        () => "",
      );
      return (await Promise.race([answer, none])).trim();
    } finally {
      rl.close();
    }
  },
};

function version(): string {
  try {
    const home = cliBerthHome(process.env);
    const pkg = JSON.parse(readFileSync(join(home, "package.json"), "utf8")) as { version?: string };
    const sha = berthCommit(home);
    return `berth ${pkg.version ?? "(unknown version)"}${sha ? ` (commit ${sha.slice(0, 12)})` : ""}`;
  } catch {
    return "berth (version unknown: berth's package.json was not found; set BERTH_HOME to the berth checkout)";
  }
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? "unknown";
  }
}

const deps: CliDeps = {
  version,
  server: {
    connect: (target, log) => connectSsh(target, { attempts: 3, log }),
    files: { readFile: (path) => readFileSync(path, "utf8"), homeDir: homedir() },
    localUser,
    newRunId: () =>
      `cli-${new Date()
        .toISOString()
        .replace(/[-:]|\.\d+/g, "")
        .slice(0, 15)}-${randomBytes(3).toString("hex")}`,
  },
};

// `berth releases staging | head`: the reader left. Stop quietly (a detached run goes on
// on the server regardless).
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    process.exit(typeof process.exitCode === "number" ? process.exitCode : 0);
  });
}

main(process.argv.slice(2), io, deps).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(
      `berth: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    process.exitCode = 1;
  },
);

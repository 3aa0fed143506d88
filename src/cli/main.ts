/**
 * The `berth` CLI's dispatcher: `berth <verb> [args…] [options]`. Options may come
 * before or after the verb (`berth --config c.yml status staging` and `berth status
 * staging --config c.yml` are the same); each verb validates its own. Returns the exit
 * code: 0 ok, 1 error or bad usage, 2 refused with nothing changed, else the server's.
 */
import { runCheck } from "./check.js";
import { painter } from "./findings.js";
import { runInit } from "./init.js";
import type { CliIo } from "./io.js";
import { isServerVerb, type ServerVerb } from "./server-args.js";
import { runServerVerb, type ServerDeps } from "./server-verbs.js";
import { runSetup } from "./setup.js";
import { USAGE } from "./usage.js";

export interface CliDeps {
  readonly server: ServerDeps;
  /** berth's version line, e.g. "berth 0.1.0 (commit 1a2b3c4)". */
  readonly version: () => string;
}

const LOCAL_VERBS: Record<string, (args: string[], io: CliIo) => Promise<number>> = {
  check: runCheck,
  init: runInit,
  setup: (args, io) => runSetup(args, io),
};

/** Options that take a value: the word after them is not the verb. */
const TAKES_VALUE = new Set(["--config", "--host", "--port", "--user", "--known-hosts", "--identity"]);

/** The verb is the first word that is neither an option nor an option's value. */
export function splitVerb(argv: readonly string[]): { verb: string | undefined; args: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--") return { verb: argv[i + 1], args: [...argv.slice(0, i), ...argv.slice(i + 2)] };
    if (!a.startsWith("-") || a === "-")
      return { verb: a, args: [...argv.slice(0, i), ...argv.slice(i + 1)] };
    if (TAKES_VALUE.has(a)) i++;
  }
  return { verb: undefined, args: [...argv] };
}

export async function main(argv: readonly string[], io: CliIo, deps: CliDeps): Promise<number> {
  const c = painter(io.isTTY, io.env);
  const usageError = (message: string) => {
    io.err(`${c.red("berth:")} ${message}\n\n${USAGE}`);
    return 1;
  };
  const { verb, args } = splitVerb(argv);

  if (verb === undefined || verb === "help") {
    if (verb === undefined && args.includes("--version")) {
      io.out(`${deps.version()}\n`);
      return 0;
    }
    if (verb === "help" || args.includes("--help") || args.includes("-h")) {
      io.out(USAGE);
      return 0;
    }
    return usageError(
      args.length === 0 ? "no verb given" : `${args[0]} is not an option here; give a verb first`,
    );
  }
  const local = LOCAL_VERBS[verb];
  if (local) return local(args, io);
  if (isServerVerb(verb)) return runServerVerb(verb as ServerVerb, args, io, deps.server);
  return usageError(`unknown verb ${JSON.stringify(verb)}`);
}

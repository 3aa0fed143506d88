/**
 * The server verbs' command line, read once into one validated request: which verb,
 * which environment, the argv `<root>/bin/berth` gets on the server, whether it changes
 * the server, and how to reach it. Pure: no file, no network.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { z } from "zod";
import * as f from "../config/fields.js";
import { SERVER_VERB_TABLE, type ServerFlag, type ServerVerbName } from "./server-verbs.generated.js";

/**
 * How the CLI gives each flag a server verb's `# Usage:` header names (the generated
 * SERVER_VERB_TABLE): `option` the user's own, same name; `json` the common --json;
 * `yes` the CLI's --yes or confirmation, passed on; `actor` the local user (the ledger
 * records who asked); `config` from berth.yml; `not offered` left to the server's
 * default (a laptop has no run URL). Typed so that a flag the header adds or drops fails
 * tsc; `verbTableProblems` says the same in words when the build runs.
 */
type FlagSource = "option" | "json" | "yes" | "actor" | "config" | "not offered";
type CliVerbFacts<V extends ServerVerbName> = {
  /** Changes the server (maintenance: on and off), so it asks, or needs --yes. */
  readonly confirms: boolean;
  readonly flags: { readonly [F in ServerFlag<V>]: FlagSource };
};
const CLI_VERBS = {
  status: { confirms: false, flags: { json: "json" } },
  releases: { confirms: false, flags: { json: "json" } },
  logs: {
    confirms: false,
    flags: { run: "option", app: "option", service: "option", tail: "option", json: "json" },
  },
  rollback: {
    confirms: true,
    flags: {
      to: "option",
      "restore-db": "option",
      "keep-db": "option",
      actor: "actor",
      "run-url": "not offered",
      json: "json",
    },
  },
  deploy: { confirms: true, flags: { actor: "actor", "run-url": "not offered", json: "json" } },
  maintenance: { confirms: true, flags: { json: "json" } },
  backup: { confirms: true, flags: { offsite: "option", json: "json" } },
  restore: { confirms: true, flags: { actor: "actor", "run-url": "not offered", json: "json" } },
  sync: {
    confirms: true,
    flags: {
      scrub: "option",
      "allow-production": "option",
      yes: "yes",
      actor: "actor",
      "run-url": "not offered",
      json: "json",
    },
  },
  drill: { confirms: false, flags: { json: "json" } },
  recover: {
    confirms: true,
    flags: {
      "from-offsite": "option",
      repository: "config",
      "offsite-env-file": "not offered",
      actor: "actor",
      "run-url": "not offered",
      json: "json",
    },
  },
} as const satisfies { readonly [V in ServerVerbName]?: CliVerbFacts<V> };

export type ServerVerb = keyof typeof CLI_VERBS;
/** The server verbs the CLI forwards, in `berth help`'s order. */
export const SERVER_VERBS = Object.keys(CLI_VERBS) as readonly ServerVerb[];

export const isServerVerb = (v: string): v is ServerVerb => Object.hasOwn(CLI_VERBS, v);

const sourcesOf = (verb: ServerVerb): Readonly<Record<string, FlagSource>> => CLI_VERBS[verb].flags;

/** How to reach the server and what to confirm with: every server verb takes these. */
const COMMON = {
  config: { type: "string" },
  json: { type: "boolean" },
  yes: { type: "boolean", short: "y" },
  help: { type: "boolean", short: "h" },
  host: { type: "string" },
  port: { type: "string" },
  user: { type: "string" },
  "known-hosts": { type: "string" },
  identity: { type: "string" },
} as const satisfies ParseArgsConfig["options"];

/** A verb's own options: the flags of its server usage the user gives (`option`). */
function verbOptions(verb: ServerVerb): NonNullable<ParseArgsConfig["options"]> {
  const kinds: Readonly<Record<string, "value" | "boolean">> = SERVER_VERB_TABLE[verb].flags;
  return Object.fromEntries(
    Object.entries(sourcesOf(verb))
      .filter(([, source]) => source === "option")
      .map(([flag]) => [flag, { type: kinds[flag] === "value" ? "string" : "boolean" }]),
  );
}

/**
 * The CLI's usage of a verb: the server's usage lines without the flags the CLI fills
 * or does not offer, and with `[--yes]` where it confirms.
 */
function cliUsage(verb: ServerVerb): string {
  const hidden = Object.entries(sourcesOf(verb))
    .filter(([, source]) => source === "actor" || source === "config" || source === "not offered")
    .map(([flag]) => flag);
  return SERVER_VERB_TABLE[verb].usage
    .map((line: string) => {
      let u = line;
      for (const flag of hidden) {
        const named = `--${flag}(?: <[^>]+>)?`;
        u = u.replace(new RegExp(` \\[${named}\\]`), "").replace(new RegExp(` ${named}(?= |$)`), "");
      }
      if (!CLI_VERBS[verb].confirms) return u;
      if (/ --yes( |$)/.test(u)) return u.replace(/ --yes( |$)/, " [--yes]$1");
      return / \[--json\]$/.test(u) ? u.replace(/ \[--json\]$/, " [--yes] [--json]") : `${u} [--yes]`;
    })
    .join(" — or: ");
}

export const VERB_USAGE: Readonly<Record<ServerVerb, string>> = Object.fromEntries(
  SERVER_VERBS.map((v) => [v, cliUsage(v)]),
) as Record<ServerVerb, string>;

/**
 * Where the CLI's verbs disagree with the server's headers (a table like the generated
 * SERVER_VERB_TABLE): a verb the server lacks, a flag the CLI gives that the server's
 * usage does not name, a flag the server takes that the CLI says nothing about. Each
 * message says what to change. `npm run build` fails on any.
 */
export function verbTableProblems(
  table: Readonly<Record<string, { readonly flags: Readonly<Record<string, string>> }>>,
): string[] {
  const problems: string[] = [];
  for (const verb of SERVER_VERBS) {
    const server = table[verb];
    if (server === undefined) {
      problems.push(
        `${verb}: the CLI forwards it, but vps-scripts/commands/${verb}.sh has no "# Usage: berth ${verb}" header; restore it, or drop ${verb} from CLI_VERBS (src/cli/server-args.ts)`,
      );
      continue;
    }
    const cli = sourcesOf(verb);
    for (const flag of Object.keys(cli))
      if (server.flags[flag] === undefined)
        problems.push(
          `${verb}: the CLI gives --${flag} (${cli[flag]}), which the usage header of vps-scripts/commands/${verb}.sh does not name; name it there, or drop it from CLI_VERBS.${verb}`,
        );
    for (const flag of Object.keys(server.flags))
      if (cli[flag] === undefined)
        problems.push(
          `${verb}: the server's usage names --${flag}, which CLI_VERBS.${verb} (src/cli/server-args.ts) does not say how the CLI gives (option, actor, config, not offered, …)`,
        );
  }
  return problems;
}

/** What a server verb does, as data for the runner (src/cli/server-verbs.ts). */
export interface ServerRequest {
  readonly verb: ServerVerb;
  /** The environment the verb runs in (sync: the target, whose lock, ledger and run it is). */
  readonly environment: string;
  /** sync only: the environment whose data is copied (it must live on the same server root). */
  readonly source?: string;
  /** Arguments after `<root>/bin/berth` on the server, --json and --actor not included. */
  readonly serverArgs: readonly string[];
  /** Changes the server: needs --yes or a confirmation. */
  readonly changes: boolean;
  /** Runs detached through `berth run` and is followed (survives a dropped connection). */
  readonly detached: boolean;
  /** The verb takes --actor (the ledger records who asked). */
  readonly takesActor: boolean;
  /** What the confirmation asks about, e.g. "roll back staging to its previous release". */
  readonly action: string;
  readonly config: string | undefined;
  readonly json: boolean;
  readonly yes: boolean;
  readonly help: boolean;
  readonly overrides: { readonly host?: string; readonly port?: number; readonly user?: string };
  readonly knownHostsFile: string | undefined;
  readonly identityFile: string | undefined;
}

/** A command line that cannot be run: the message names the argument and the fix. */
export class UsageError extends Error {
  override name = "UsageError";
}

const backupName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/, {
  error:
    "is not a backup file name (letters, digits, . _ -; no paths); `berth releases <env>` shows them in its BACKUP column",
});
/** sync's --scrub: one argv element for `sh -c` in a container on the server, never a host shell. */
const scrubCommand = z
  .string()
  .min(1, { error: "is empty; give the command that anonymises the copy, or leave --scrub out" })
  .max(4096, {
    error: "is longer than 4096 characters; put a longer scrub in a script the image ships and run that",
  })
  .refine((s) => !s.includes("\0"), { error: "contains a NUL byte" });
/** Targets sync refuses without --allow-production (the server refuses them too: commands/sync.sh). */
const PRODUCTION_NAMES = ["production", "prod"];
const runId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, { error: "is not a run id ([A-Za-z0-9._-], at most 64)" });
const tailLines = z.coerce
  .number({ error: "must be a number of lines, e.g. 200" })
  .int({ error: "must be a whole number of lines, e.g. 200" })
  .min(1, { error: "must be from 1 to 100000 lines" })
  .max(100_000, { error: "must be from 1 to 100000 lines" });

/** Validate one value with a field schema; the error quotes the argument and the value. */
function check<T>(schema: z.ZodType<T>, name: string, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new UsageError(`${name} ${JSON.stringify(value)} ${r.error.issues[0]?.message ?? "is not valid"}`);
}

export function parseServerArgs(verb: ServerVerb, args: readonly string[]): ServerRequest {
  const options: ParseArgsConfig["options"] = {
    ...COMMON,
    ...verbOptions(verb),
  };
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values: v, positionals: pos } = parsed;
  const str = (k: string) => (typeof v[k] === "string" ? (v[k] as string) : undefined);
  const bool = (k: string) => v[k] === true;
  const base = {
    verb,
    config: str("config"),
    json: bool("json"),
    yes: bool("yes"),
    help: bool("help"),
    overrides: {
      ...(str("host") === undefined ? {} : { host: check(f.host, "--host", str("host")) }),
      ...(str("port") === undefined ? {} : { port: check(f.port, "--port", str("port")) }),
      ...(str("user") === undefined ? {} : { user: check(f.user, "--user", str("user")) }),
    },
    knownHostsFile: str("known-hosts"),
    identityFile: str("identity"),
  };
  if (base.help) {
    return {
      ...base,
      environment: "",
      serverArgs: [],
      changes: false,
      detached: false,
      takesActor: false,
      action: "",
    };
  }

  if (verb === "sync") return parseSync(pos, v, base);

  // maintenance's first word is what to do; every other verb starts with the environment.
  const mode = verb === "maintenance" ? pos.shift() : undefined;
  if (verb === "maintenance" && mode !== "on" && mode !== "off" && mode !== "status") {
    throw new UsageError(
      mode === undefined ? "missing on, off or status" : `${JSON.stringify(mode)} is not on, off or status`,
    );
  }
  const envArg = pos.shift();
  if (envArg === undefined)
    throw new UsageError("missing <env>, the environment as named in berth.yml, e.g. staging");
  const environment = check(f.environmentName, "environment", envArg);
  const extra = (max: number) => {
    if (pos.length > max) throw new UsageError(`unexpected argument ${JSON.stringify(pos[max])}`);
  };
  const plan = (
    p: Omit<ServerRequest, keyof typeof base | "environment" | "detached" | "takesActor">,
  ): ServerRequest => ({
    ...base,
    environment,
    ...facts(verb),
    ...p,
  });

  switch (verb) {
    case "status":
    case "releases":
      extra(0);
      return plan({
        serverArgs: [verb, environment],
        changes: false,
        action: "",
      });
    case "logs": {
      extra(0);
      const run = str("run");
      const service = str("service");
      const tail = str("tail");
      if (run !== undefined && bool("app")) throw new UsageError("give --run or --app, not both");
      if ((service !== undefined || tail !== undefined) && !bool("app"))
        throw new UsageError("--service and --tail go with --app (the app's container logs)");
      const serverArgs = ["logs", environment];
      if (run !== undefined) serverArgs.push("--run", check(runId, "--run", run));
      if (bool("app")) serverArgs.push("--app");
      if (service !== undefined) serverArgs.push("--service", check(f.serviceName, "--service", service));
      if (tail !== undefined) serverArgs.push("--tail", String(check(tailLines, "--tail", tail)));
      return plan({ serverArgs, changes: false, action: "" });
    }
    case "maintenance":
      extra(0);
      return plan({
        serverArgs: ["maintenance", mode as string, environment],
        changes: mode !== "status",
        action: `turn the maintenance page ${mode} for ${environment}`,
      });
    case "rollback": {
      extra(0);
      const to = str("to");
      if (bool("restore-db") && bool("keep-db"))
        throw new UsageError("give only one of --restore-db and --keep-db");
      const serverArgs = ["rollback", environment];
      if (to !== undefined) serverArgs.push("--to", check(f.sha, "--to", to));
      if (bool("restore-db")) serverArgs.push("--restore-db");
      if (bool("keep-db")) serverArgs.push("--keep-db");
      const db = bool("restore-db")
        ? ", putting back the database it left (writes since then are lost; the current one is backed up first)"
        : bool("keep-db")
          ? ", keeping the current database"
          : "";
      return plan({
        serverArgs,
        changes: true,
        action: `roll ${environment} back to ${to ?? "its previous release"}${db}`,
      });
    }
    case "deploy": {
      const sha = pos.shift();
      if (sha === undefined)
        throw new UsageError("missing <sha>, the full commit SHA of a release already uploaded");
      extra(0);
      const checked = check(f.sha, "sha", sha);
      return plan({
        serverArgs: ["deploy", environment, checked],
        changes: true,
        action: `deploy ${checked} to ${environment} (all phases: backup, migrate, start, ready)`,
      });
    }
    case "backup":
      extra(0);
      return plan({
        serverArgs: ["backup", environment, ...(bool("offsite") ? ["--offsite"] : [])],
        changes: true,
        action: bool("offsite")
          ? `take a backup of ${environment}'s database now and send it offsite (berth.yml offsite.repository)`
          : `take a backup of ${environment}'s database now`,
      });
    case "drill":
      // Changes nothing that serves: restores aside, boots a throwaway container.
      extra(0);
      return plan({
        serverArgs: ["drill", environment],
        changes: false,
        action: "",
      });
    case "recover":
      extra(0);
      if (!bool("from-offsite"))
        throw new UsageError(
          "give --from-offsite: recover brings a lost environment back from its offsite snapshot",
        );
      // The repository is appended from berth.yml (offsite.repository) by the runner.
      return plan({
        serverArgs: ["recover", environment, "--from-offsite"],
        changes: true,
        action: `rebuild ${environment} from its latest offsite snapshot (database set, ledger, the release that was current)`,
      });
    case "restore": {
      const backup = pos.shift();
      if (backup === undefined)
        throw new UsageError("missing <backup>, a file name in <env>/backups/ (see `berth releases <env>`)");
      extra(0);
      const name = check(backupName, "backup", backup);
      return plan({
        serverArgs: ["restore", environment, name],
        changes: true,
        action: `restore ${environment}'s database from ${name} (the current one is backed up first; writes since that backup are lost)`,
      });
    }
  }
}

/** What the server's header says of a verb: detached (`berth run` may start it), and whether the CLI passes --actor. */
function facts(verb: ServerVerb): Pick<ServerRequest, "detached" | "takesActor"> {
  return {
    detached: SERVER_VERB_TABLE[verb].detached,
    takesActor: Object.values(sourcesOf(verb)).includes("actor"),
  };
}

/** `berth sync <from> <to>`: runs in <to> (its lock, ledger and detached run) and reads <from>. */
function parseSync(
  pos: string[],
  v: Record<string, unknown>,
  base: Omit<ServerRequest, "environment" | "serverArgs" | "changes" | "detached" | "takesActor" | "action">,
): ServerRequest {
  const [fromArg, toArg, ...rest] = pos;
  if (fromArg === undefined)
    throw new UsageError("missing <from-env>, the environment whose data is copied, e.g. production");
  if (toArg === undefined)
    throw new UsageError("missing <to-env>, the environment whose database is replaced, e.g. staging");
  if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  const from = check(f.environmentName, "<from-env>", fromArg);
  const to = check(f.environmentName, "<to-env>", toArg);
  if (from === to)
    throw new UsageError(
      `<from-env> and <to-env> are both ${JSON.stringify(to)}; sync copies one environment's data into another (berth restore puts a backup back)`,
    );
  const allowProduction = v["allow-production"] === true;
  if (PRODUCTION_NAMES.includes(to) && !allowProduction)
    throw new UsageError(
      `<to-env> ${JSON.stringify(to)} is production: sync would replace its database with ${from}'s; pass --allow-production if that is really meant`,
    );
  const scrubArg = typeof v.scrub === "string" ? v.scrub : undefined;
  const scrub = scrubArg === undefined ? undefined : check(scrubCommand, "--scrub", scrubArg);
  return {
    ...base,
    ...facts("sync"),
    environment: to,
    source: from,
    // The CLI confirmed (or was given --yes): the server verb asks for it too.
    serverArgs: [
      "sync",
      from,
      to,
      ...(scrub === undefined ? [] : ["--scrub", scrub]),
      ...(allowProduction ? ["--allow-production"] : []),
      "--yes",
    ],
    changes: true,
    action: `replace ${to}'s database with a snapshot of ${from}'s${scrub === undefined ? " (not scrubbed)" : ", scrubbed by --scrub"} (${to}'s own is backed up first)`,
  };
}

/**
 * `berth init`'s questions about the app itself — images, build args, readiness,
 * migration and databases — each answered by a flag, by what was detected, or by the
 * user, with a line saying what it found.
 */
import * as f from "../config/fields.js";
import { statefulServices, UNMANAGED_CONSEQUENCE } from "../config/stateful-services.js";
import { type Asker, byField } from "./init-ask.js";
import type { RepoFacts } from "./init-detect.js";
import {
  type DatabaseGuess,
  dataMounts,
  guessReady,
  guessReadyPath,
  type ImageGroup,
  resolveSqlite,
  writersOf,
} from "./init-plan.js";
import type { InitPlan } from "./init-render.js";

export interface DecideInput {
  readonly facts: RepoFacts;
  readonly groups: readonly ImageGroup[];
  readonly app: string;
  /** Registry namespace for images the compose file does not name ("" when none needs it). */
  readonly registry: string;
  readonly asker: Asker;
  readonly values: { readonly database?: readonly string[] | undefined };
  /** --build-arg NAME=VALUE flags: set on each image whose Dockerfile declares NAME (on all when none does). */
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly say: (label: string, text: string) => void;
}

export interface Decided {
  readonly plan: Pick<
    InitPlan,
    "services" | "databases" | "migrate" | "writers" | "ready" | "unmanaged" | "swapOff"
  >;
  /** Every image goes to ghcr.io: the workflow's GITHUB_TOKEN can push them. */
  readonly ghcr: boolean;
  readonly warnings: string[];
}

const SHELL = /[;&|<>$`'"()*?!\\]/;

export async function decide(input: DecideInput): Promise<Decided> {
  const { facts, groups, app, registry, asker, say } = input;
  const warnings: string[] = [];
  const model = facts.model;
  const services: InitPlan["services"][number][] = [];
  for (const g of groups) {
    const image =
      g.repo ?? (groups.length === 1 ? `${registry}/${app}` : `${registry}/${app}-${g.services[0]}`);
    const facts_ = facts.dockerfiles.get(g.dockerfilePath);
    if (facts_ === undefined)
      warnings.push(`${g.dockerfile} (the Dockerfile of ${g.services.join(", ")}) does not exist`);
    const args = { ...g.args };
    for (const [name, value] of Object.entries(input.buildArgs)) {
      const declared = (d: ImageGroup) => facts.dockerfiles.get(d.dockerfilePath)?.args.includes(name);
      if (declared(g) || !groups.some(declared)) args[name] = value;
    }
    for (const name of facts_?.requiredArgs ?? []) {
      if (name in args) continue;
      args[name] = await asker.ask({
        key: `build-arg ${name}`,
        usage: `--build-arg ${name}=<value>`,
        prompt: `Build arg ${name} (${g.dockerfile} uses it in FROM and gives no default)`,
        example: "value",
        check: byField(f.buildArgValue),
      });
    }
    const shared =
      g.services.length > 1 ? `${g.services.join(", ")} share one image` : `${g.services[0]}: one image`;
    const proposed = facts.proposed.some((p) => p.dockerfile === g.dockerfilePath);
    const stage =
      facts_?.finalStage === undefined || facts_.stages < 2
        ? ""
        : `, its final stage (${facts_.finalStage}${facts_.workdir === undefined ? "" : `, WORKDIR ${facts_.workdir}`})`;
    say(
      "image",
      `${shared}, ${image}, built from ${g.dockerfile}${stage} (context ${g.context})${proposed ? `: ${facts.composePath.split("/").pop()} builds nothing, so init proposes the Dockerfile it found` : ""}`,
    );
    g.services.forEach((name, i) => {
      services.push(
        i === 0
          ? { name, image, build: { context: g.context, dockerfile: g.dockerfile, args, target: g.target } }
          : { name, image },
      );
    });
  }
  const berthServices = services.map((s) => s.name);

  const guess = guessReady(model, berthServices, (s) => {
    const g = groups.find((x) => x.services.includes(s));
    return (g && facts.dockerfiles.get(g.dockerfilePath)?.expose) ?? [];
  });
  const readyAnswer = await asker.ask({
    key: "ready",
    usage: "--ready web:3000",
    prompt: `Service and container port that answers HTTP (service:port; one of ${berthServices.join(", ")})`,
    detected: guess && `${guess.service}:${guess.port}`,
    example: `${berthServices[0]}:3000`,
    check: (a) => {
      const [svc = "", port = ""] = a.split(":");
      if (!berthServices.includes(svc)) return `names no service berth deploys (${berthServices.join(", ")})`;
      return /^\d{1,5}$/.test(port) ? { value: a } : "needs a container port, e.g. web:3000";
    },
  });
  const [readyService = berthServices[0] ?? "", readyPortText = "3000"] = readyAnswer.split(":");
  const readyPort = Number(readyPortText);
  const readyDockerfile = groups.find((g) => g.services.includes(readyService));
  const found = guessReadyPath(
    model.services[readyService],
    facts.health,
    readyDockerfile && {
      path: facts.dockerfiles.get(readyDockerfile.dockerfilePath)?.healthcheckPath,
      from: readyDockerfile.dockerfile,
    },
  );
  const readyPath = await asker.ask({
    key: "ready-path",
    usage: "--ready-path /readyz",
    prompt: "Readiness path (2xx only when the release can serve)",
    detected: found?.path,
    default: "/readyz",
    example: "/readyz",
    check: byField(f.urlPath),
  });
  // Never a silent default: a path nobody found nor gave is said to be a guess, here and in berth.yml.
  const guessedPath =
    found === undefined && !asker.has("ready-path") && !asker.asks
      ? `path ${readyPath} is a guess (no health route, healthcheck or HEALTHCHECK found): make it answer 2xx when the app can serve, or change it`
      : undefined;
  say(
    "ready",
    `${readyService}:${readyPort}${guess?.service === readyService ? ` (${guess.why})` : ""}, path ${readyPath}${found?.path === readyPath ? ` (found in ${found.from})` : guessedPath ? ` (a guess: nothing found)` : ""}`,
  );
  if (guessedPath) warnings.push(`ready.${guessedPath}`);
  if (guess && !model.services[readyService]?.ports.length) {
    warnings.push(
      `${readyService} publishes no port: add ports: ["127.0.0.1:<host port>:${readyPort}"] to it in the compose file (berth check says so too)`,
    );
  }

  const migrateText = await asker.ask({
    key: "migrate",
    usage: '--migrate "bin/rails db:migrate" (or none)',
    prompt: `Migration command, run in ${readyService}'s new image before it starts (empty: none)`,
    detected: facts.migrate && words(facts.migrate.command),
    default: "",
    example: "none",
  });
  const migrate =
    migrateText === "" || migrateText === "none"
      ? undefined
      : {
          service: readyService,
          command: SHELL.test(migrateText) ? migrateText : migrateText.split(/\s+/),
        };
  say(
    "migrate",
    migrate ? `${words(migrate.command)}${facts.migrate ? ` (found ${facts.migrate.from})` : ""}` : "none",
  );
  // A release that migrates as it boots changes the live database on the swap path,
  // beside the old release, with no backup: without a migrate command to rehearse, only
  // the maintenance path (stop, backup, start, restore on failure) keeps it safe.
  let swapOff: string | undefined;
  if (facts.boot) {
    say("boot", `migrates the database at start, ${facts.boot.what} (found in ${facts.boot.from})`);
    if (!migrate) {
      swapOff = `${facts.boot.from} migrates at start (${facts.boot.what}): every deploy stops, backs up, then starts`;
      warnings.push(
        `${facts.boot.from} migrates the database when the app starts (${facts.boot.what}) and there is no migrate command to rehearse, so berth.yml turns the swap path off (swap: { enabled: false }): each deploy takes the maintenance path with its backup. Give migrate: a command that runs the migration and exits, then remove that line`,
      );
    }
  }

  const workdir =
    model.services[readyService]?.workingDir ??
    facts.dockerfiles.get(groups.find((g) => g.services.includes(readyService))?.dockerfilePath ?? "")
      ?.workdir;
  const databases = await askDatabases(input, readyService, workdir, berthServices, warnings);
  for (const d of databases) say("database", `${d.path} → ${d.where} (from ${d.from})`);
  for (const d of databases.filter((x) => !x.mounted)) {
    warnings.push(
      `${d.path}: no service mounts its directory, so it is lost with the container; berth check explains the fix`,
    );
  }

  const paths = databases.map((d) => d.path);
  const detectedWriters = writersOf(model, paths, berthServices);
  const defaultWriters = migrate ? [migrate.service] : berthServices;
  const writers = berthServices.filter(
    (s) => detectedWriters.includes(s) || (migrate && s === migrate.service),
  );
  const writeWriters = paths.length > 0 && writers.join() !== defaultWriters.join();
  if (paths.length > 0)
    say("writers", `${(writeWriters ? writers : defaultWriters).join(", ")} (stopped before the backup)`);

  const unmanaged = statefulServices(model).filter((s) => !berthServices.includes(s.service));
  for (const u of unmanaged) {
    say("unmanaged", `${u.service}: ${u.kind} (${u.image ?? u.mount?.raw}), listed under unmanaged:`);
    warnings.push(
      `${u.service} runs ${u.kind}: ${UNMANAGED_CONSEQUENCE}; back it up yourself (berth.yml lists it under unmanaged:, which acknowledges this)`,
    );
  }

  return {
    plan: {
      unmanaged: unmanaged.map((u) => ({ service: u.service, kind: u.kind })),
      services,
      databases: databases.map((d) => ({ path: d.path, comment: d.where })),
      migrate,
      writers: writeWriters ? writers : undefined,
      ready: { service: readyService, port: readyPort, path: readyPath, comment: guessedPath },
      swapOff,
    },
    ghcr: services.every((s) => s.image.startsWith("ghcr.io/")),
    warnings,
  };
}

const words = (c: readonly string[] | string) => (typeof c === "string" ? c : c.join(" "));

async function askDatabases(
  input: DecideInput,
  service: string,
  workdir: string | undefined,
  berthServices: readonly string[],
  warnings: string[],
): Promise<DatabaseGuess[]> {
  const { facts, asker, values } = input;
  const model = facts.model;
  // Paths the user gives are read like the ones found: as the app opens them.
  const resolveGiven = (paths: readonly string[], from: string) =>
    resolveSqlite(
      model,
      paths.map((path) => ({ path, from })),
      service,
      workdir,
    );
  const given = values.database ?? [];
  if (given.length > 0) return given.includes("none") ? [] : resolveGiven(given, "--database");
  const guesses = resolveSqlite(model, facts.sqlite, service, workdir);
  const mounted = guesses.filter((g) => g.mounted);
  if (guesses.length > 0 && mounted.length === guesses.length) return mounted;
  const mounts = dataMounts(model, berthServices);
  if (guesses.length === 0 && mounts.length === 0) return [];
  const seen =
    guesses.length > 0 ? ` (found: ${guesses.map((g) => `${g.path} in ${g.from}`).join(", ")})` : "";
  const where = mounts.length > 0 ? ` (mounted data: ${mounts.join(", ")})` : "";
  const answer = await asker.ask({
    key: "database",
    usage: "--database /rails/storage/production.sqlite3 (repeat it for each file; or --database none)",
    prompt: `SQLite files the app keeps${seen}${where}, as it opens them (comma-separated; none: none)`,
    default: mounted.length > 0 ? mounted.map((m) => m.path).join(", ") : undefined,
    example: "none",
  });
  if (answer === "" || answer === "none") return [];
  const picked = answer.split(/\s*,\s*/).filter((p) => p !== "");
  const out = picked.map((p) => guesses.find((g) => g.path === p) ?? resolveGiven([p], "your answer")[0]);
  for (const g of guesses) {
    if (!g.mounted && !out.includes(g))
      warnings.push(`left out ${g.path} (${g.from}): no service mounts its directory`);
  }
  return out.flatMap((d) => d ?? []);
}

/**
 * The server's facts written once (vps-scripts/), generated for the runner
 * (scripts/gen-server-facts.mjs): the committed modules match the headers and
 * exit-codes.sh; a changed header makes them stale and, where the CLI relies on it,
 * names the drift; the CLI's usage and exit-code meanings come from them.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  EXIT_CODES_FILE,
  readVerbs,
  serverFacts,
  staleFacts,
  VERBS_FILE,
  writeServerFacts,
} from "../../scripts/gen-server-facts.mjs";
import {
  isServerVerb,
  parseServerArgs,
  SERVER_VERBS,
  VERB_USAGE,
  verbTableProblems,
} from "../../src/cli/server-args.js";
import { SERVER_VERB_TABLE } from "../../src/cli/server-verbs.generated.js";
import { USAGE } from "../../src/cli/usage.js";
import { EXIT, EXIT_MEANING } from "../../src/remote/exit-codes.generated.js";
import { repoRoot, tempDir } from "../helpers/lab.js";

/** The sources and the generated files, in a scratch directory. */
function copy(): string {
  const dir = tempDir("berth-server-facts-");
  cpSync(join(repoRoot, "vps-scripts"), join(dir, "vps-scripts"), { recursive: true });
  for (const f of [VERBS_FILE, EXIT_CODES_FILE]) {
    mkdirSync(join(dir, f, ".."), { recursive: true });
    cpSync(join(repoRoot, f), join(dir, f));
  }
  return dir;
}

const edit = (dir: string, file: string, from: string, to: string) => {
  const path = join(dir, file);
  const text = readFileSync(path, "utf8");
  expect(text).toContain(from);
  writeFileSync(path, text.replace(from, to));
};

describe("server facts generated from vps-scripts/ (run `npm run build` when these fail)", () => {
  it("the committed modules match the headers and exit-codes.sh", () => {
    expect(staleFacts(repoRoot)).toEqual([]);
    expect(verbTableProblems(SERVER_VERB_TABLE)).toEqual([]);
  });

  it("a header changed in a copy: the generated module is stale, and the CLI's drift is named", () => {
    const dir = copy();
    edit(
      dir,
      "vps-scripts/commands/rollback.sh",
      "# Usage: berth rollback <env> [--to <sha>]",
      "# Usage: berth rollback <env> [--target <sha>]",
    );
    expect(staleFacts(dir)).toEqual([
      `${VERBS_FILE}: stale, the server's sources say otherwise (run npm run build and commit it)`,
    ]);
    expect(verbTableProblems(readVerbs(dir))).toEqual([
      "rollback: the CLI gives --to (option), which the usage header of vps-scripts/commands/rollback.sh does not name; name it there, or drop it from CLI_VERBS.rollback",
      "rollback: the server's usage names --target, which CLI_VERBS.rollback (src/cli/server-args.ts) does not say how the CLI gives (option, actor, config, not offered, …)",
    ]);
    writeServerFacts(dir);
    expect(staleFacts(dir)).toEqual([]);
  });

  it("a verb the CLI forwards that loses its header is named; a bad Detached: value fails the generator", () => {
    const dir = copy();
    edit(dir, "vps-scripts/commands/drill.sh", "# Usage: berth drill", "# Usage: berth dril");
    expect(verbTableProblems(readVerbs(dir))[0]).toMatch(
      /^drill: the CLI forwards it, but .*drill\.sh has no/,
    );
    edit(dir, "vps-scripts/commands/backup.sh", "# Detached: yes", "# Detached: sometimes");
    expect(() => serverFacts(dir)).toThrow(
      'vps-scripts/commands/backup.sh: "# Detached:" is "yes" or absent',
    );
  });

  it("an exit code changed or written without its meaning: stale, or the generator says how to write it", () => {
    const dir = copy();
    edit(
      dir,
      "vps-scripts/lib/exit-codes.sh",
      "# refused, nothing changed",
      "# refused; nothing was changed",
    );
    expect(staleFacts(dir)).toEqual([
      `${EXIT_CODES_FILE}: stale, the server's sources say otherwise (run npm run build and commit it)`,
    ]);
    edit(dir, "vps-scripts/lib/exit-codes.sh", "readonly EXIT_REFUSED=2 ", "readonly EXIT_REFUSED=2\n#");
    expect(() => serverFacts(dir)).toThrow(
      /exit-codes\.sh:\d+: write it as "readonly EXIT_<NAME>=<code> # <meaning>"/,
    );
  });

  it("the exit codes and meanings, as exit-codes.sh defines them", () => {
    expect(EXIT).toEqual({ OK: 0, ERROR: 1, REFUSED: 2, ROLLED_BACK: 3, UNRECOVERED: 4, OFFSITE_STALE: 6 });
    expect(EXIT_MEANING[2]).toBe("refused, nothing changed");
    expect(EXIT_MEANING[3]).toBe("failed; what was serving before is serving again");
  });

  it("the docs that list the exit codes quote exit-codes.sh's meanings word for word", () => {
    const flat = (p: string) => readFileSync(join(repoRoot, p), "utf8").replace(/\s+/g, " ");
    for (const doc of ["docs/design.md", "docs/ops/overview.md"])
      for (const [code, meaning] of Object.entries(EXIT_MEANING))
        expect(flat(doc), `${doc}: exit ${code}`).toContain(`\`${code}\` ${meaning}`);
  });

  it("the CLI's usage is the server's, without what the CLI fills in and with [--yes] where it asks", () => {
    expect(VERB_USAGE).toEqual({
      status: "berth status <env> [--json]",
      releases: "berth releases <env> [--json]",
      logs: "berth logs <env> [--run <run-id> | --app [--service <name>] [--tail <lines>]] [--json]",
      rollback: "berth rollback <env> [--to <sha>] [--restore-db|--keep-db] [--yes] [--json]",
      deploy: "berth deploy <env> <sha> [--yes] [--json]",
      maintenance: "berth maintenance on|off|status <env> [--yes] [--json]",
      backup: "berth backup <env> [--offsite] [--yes] [--json]",
      restore: "berth restore <env> <backup> [--yes] [--json]",
      sync: "berth sync <from-env> <to-env> [--scrub <command>] [--allow-production] [--yes] [--json]",
      drill: "berth drill <env> [--json]",
      recover: "berth recover <env> --from-offsite [--yes] [--json]",
    });
    expect(isServerVerb("run")).toBe(false);
    expect(isServerVerb("toString")).toBe(false);
  });

  it("detached and --actor follow the headers: deploy records the local user like rollback, restore and sync", () => {
    const sha = "a".repeat(40);
    const req = parseServerArgs("deploy", ["staging", sha, "--yes"]);
    expect(req).toMatchObject({ detached: true, takesActor: true, serverArgs: ["deploy", "staging", sha] });
    expect(parseServerArgs("status", ["staging"])).toMatchObject({ detached: false, takesActor: false });
    expect(parseServerArgs("backup", ["staging"])).toMatchObject({ detached: true, takesActor: false });
    for (const verb of ["rollback", "deploy", "restore", "sync", "recover", "backup", "drill"] as const)
      expect(SERVER_VERB_TABLE[verb].detached).toBe(true);
  });

  it("berth help (src/cli/usage.ts) names every server verb the CLI forwards and each option the user gives it", () => {
    for (const verb of SERVER_VERBS) {
      expect(USAGE, verb).toMatch(new RegExp(`\\n  ${verb} `));
      for (const flag of Object.keys(SERVER_VERB_TABLE[verb].flags))
        if (VERB_USAGE[verb].includes(`--${flag}`) && !["json", "yes"].includes(flag))
          expect(USAGE, `${verb} --${flag}`).toContain(`--${flag}`);
    }
    for (const [code, meaning] of Object.entries(EXIT_MEANING))
      expect(USAGE).toContain(`  ${code}  ${meaning}`);
  });
});

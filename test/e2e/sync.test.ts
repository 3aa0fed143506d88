/**
 * `berth sync <from> <to>` on the lab VPS (issue 15, docs/ops/sync.md): staging gets
 * production's rows, scrubbed by a command run in a one-off container of staging's own
 * release, while production serves and is only read; a sync into production without
 * --allow-production is refused with nothing changed; a scrub that fails puts staging's
 * own database back and serves it again.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { addNote, example, noteCount, type Release } from "../helpers/example.js";
import {
  dbChecksum,
  labEnv,
  labEnvironment,
  lastLedgerLine,
  ledger,
  repoRoot,
  resetEnvironment,
  served,
  tempDir,
} from "../helpers/lab.js";

const lab = labEnv();
const berthPath = join(lab.vps.root, "bin/berth");
const staging = labEnvironment("staging");
const production = labEnvironment("production");
const app = example();

/**
 * The scrub: the app's own runtime (its image has node and better-sqlite3, no sqlite3).
 * Quotes and `$` on purpose: it reaches the container as one argv element of `sh -c`,
 * so a host shell that pasted it would break it.
 */
const SCRUB = `node -e 'const D = require("better-sqlite3"); const db = new D(process.env.DATABASE_PATH); db.prepare("UPDATE notes SET text = ? || id").run("scrubbed-" + "$" + "-"); db.close()'`;

/** `<root>/bin/berth …` as the deploy user; never throws. */
function berth(...args: string[]) {
  const environment = args[0] === "sync" ? args[2] : args[1];
  const r = spawnSync("runuser", ["-u", "deploy", "--", berthPath, ...args], {
    encoding: "utf8",
    timeout: 300_000,
  });
  return { exitCode: r.status ?? -1, stdout: r.stdout, out: `${r.stdout}${r.stderr}`, environment };
}

/** The notes table, id and text, read in one snapshot. */
function notes(db: string): string[] {
  return spawnSync("sqlite3", ["-readonly", db, "SELECT id || '|' || text FROM notes ORDER BY id"], {
    encoding: "utf8",
  })
    .stdout.split("\n")
    .filter(Boolean);
}

/** `berth …` from a laptop (node cli/berth.js) over the lab's SSH, the host key pinned. */
function cli(
  args: string[],
): Promise<{ exitCode: number | null; stdout: string; stderr: string; environment?: string }> {
  const knownHosts = join(tempDir("berth-sync-cli-"), "known_hosts");
  writeFileSync(knownHosts, lab.ssh.knownHosts);
  const env = { ...process.env };
  delete env.SSH_AUTH_SOCK;
  delete env.BERTH_SSH_KEY;
  const connection = ["--identity", lab.ssh.privateKeyPath, "--known-hosts", knownHosts];
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [join(repoRoot, "cli", "berth.js"), ...args, ...connection, "--config", "examples/app/berth.yml"],
      { cwd: repoRoot, env },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (exitCode) =>
      resolve({ exitCode, stdout, stderr, environment: args[0] === "sync" ? args[2] : args[1] }),
    );
  });
}

const flag = (dir: string) => join(dir, "maintenance", "MAINTENANCE_ON");

describe("berth sync on the lab VPS", () => {
  let v1: Release;
  let v2: Release;

  beforeAll(async () => {
    resetEnvironment("staging");
    resetEnvironment("production");
    // Two builds of the same schema: staging must keep serving its own (v2).
    v1 = await app.release();
    v2 = await app.release();
    for (const [env, r] of [
      ["production", v1],
      ["staging", v2],
    ] as const) {
      const run = await app.deploy(env, r);
      expect(run).toExit(0);
    }
    for (const text of ["alice@example.com", "bob@example.com", "carol@example.com"]) {
      await addNote(production.url, text);
    }
    await addNote(staging.url, "staging's own test note");
  });

  it("refuses production as the target without --allow-production: nothing changes", async () => {
    const lines = ledger("production").length;
    const checksum = dbChecksum(production.db);
    const r = berth("sync", "staging", "production", "--yes");
    expect(r).toExit(2);
    expect(r.out).toContain("pass --allow-production if that is really meant");
    expect(ledger("production")).toHaveLength(lines);
    expect(dbChecksum(production.db)).toBe(checksum);
    expect(await served(production.url, "/version")).toBe(v1.sha);
    expect(existsSync(join(production.dir, "lock.holder"))).toBe(false);
    // Bad input is refused before the lock, the ledger or anything else.
    for (const [args, message] of [
      [["production", "staging"], "pass --yes to go ahead"],
      [["staging", "staging", "--yes"], "are both staging"],
      [["nowhere", "staging", "--yes"], "no environment nowhere under"],
      [["production", "staging", "--scrub", "", "--yes"], "--scrub is empty"],
    ] as const) {
      const s = ledger("staging").length;
      const refused = berth("sync", ...args);
      expect(refused).toExit(2);
      expect(refused.out).toContain(message);
      expect(ledger("staging")).toHaveLength(s);
    }
  });

  it("staging gets production's rows, scrubbed; production is only read; staging serves its own release", async () => {
    const productionChecksum = dbChecksum(production.db);
    const productionNotes = notes(production.db);
    expect(productionNotes).toHaveLength(3);
    const r = berth(
      "sync",
      "production",
      "staging",
      "--scrub",
      SCRUB,
      "--yes",
      "--actor",
      "ops-on-call",
      "--json",
    );
    expect(r).toExit(0);
    // --json: the ledger line alone on stdout, the log on stderr.
    const line = lastLedgerLine("staging");
    expect(JSON.parse(r.stdout)).toEqual(line);
    expect(line).toMatchObject({
      kind: "sync",
      sha: v2.sha,
      result: "synced",
      phase: "record",
      from: "production",
      fromSha: v1.sha,
      scrubbed: true,
      actor: "ops-on-call",
    });
    expect(Object.keys(line.durations)).toEqual([
      "preflight",
      "snapshot",
      "maintenance-on",
      "stop",
      "backup",
      "restore",
      "migrate",
      "scrub",
      "check",
      "start",
      "ready",
      "maintenance-off",
    ]);
    // production's ids, every text replaced by the scrub; staging's own note is gone.
    const expected = productionNotes.map((n) => `${n.split("|")[0]}|scrubbed-$-${n.split("|")[0]}`);
    expect(notes(staging.db)).toEqual(expected);
    expect(notes(staging.db).join("\n")).not.toContain("@example.com");
    expect(dbChecksum(production.db)).toBe(productionChecksum);
    // staging's own database is kept, with its own note.
    expect(line.backup).toMatch(/-before-sync\.db$/);
    expect(notes(line.backup ?? "")).toEqual([expect.stringMatching(/^\d+\|staging's own test note$/)]);
    // The unscrubbed snapshot does not outlive the run.
    expect(
      existsSync(join(staging.dir, "runs", (line as unknown as { runId: string }).runId, "snapshot")),
    ).toBe(false);
    expect(await served(staging.url, "/version")).toBe(v2.sha);
    expect(await noteCount(staging.url)).toBe(3);
    expect(await served(production.url, "/version")).toBe(v1.sha);
    for (const env of [staging, production]) {
      expect(existsSync(flag(env.dir)), `maintenance flag in ${env.dir}`).toBe(false);
      expect(existsSync(join(env.dir, "lock.holder")), `lock holder in ${env.dir}`).toBe(false);
    }
    console.log(
      `berth sync production → staging: ${line.totalSeconds} s on the server (${expected.length} rows, scrubbed); phases ${JSON.stringify(line.durations)}`,
    );
  });

  it("from the CLI, a scrub that fails: staging's own database is put back and served (exit 3), production untouched", async () => {
    await addNote(staging.url, "written after the sync");
    const stagingChecksum = dbChecksum(staging.db);
    const productionChecksum = dbChecksum(production.db);
    const r = await cli(["sync", "production", "staging", "--scrub", "echo scrubbing; exit 7", "--yes"]);
    expect(r).toExit(3);
    expect(r.stdout).toContain("phase scrub failed");
    expect(r.stderr).toContain(
      "berth: sync production staging ended with exit code 3 (failed; what was serving before is serving again)",
    );
    expect(lastLedgerLine("staging")).toMatchObject({
      kind: "sync",
      result: "failed",
      phase: "scrub",
      from: "production",
      scrubbed: true,
    });
    expect(dbChecksum(staging.db)).toBe(stagingChecksum);
    expect(dbChecksum(production.db)).toBe(productionChecksum);
    expect(await served(staging.url, "/version")).toBe(v2.sha);
    expect(await noteCount(staging.url)).toBe(4);
    expect(existsSync(flag(staging.dir))).toBe(false);
    expect(existsSync(join(staging.dir, "lock.holder"))).toBe(false);
  });
});

/**
 * `berth restore <env> <backup>` on the lab VPS, run as the deploy user: a backup put
 * back under the current release behind the maintenance page, the replaced database
 * kept, and a backup the release cannot run on refused by readiness and undone.
 */
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { addNote, noteCount as countNotes, example, type Release } from "../helpers/example.js";
import {
  asDeploy,
  dbChecksum,
  labEnv,
  labEnvironment,
  lastLedgerLine,
  ledger,
  resetEnvironment,
  served,
} from "../helpers/lab.js";

const lab = labEnv();
const ENV = "staging";
const { url, dir: envDir, db, read } = labEnvironment(ENV);
const app = example();
const berthPath = join(lab.vps.root, "bin/berth");
const flag = join(envDir, "maintenance", "MAINTENANCE_ON");
const noteCount = () => countNotes(url);
const last = () => lastLedgerLine(ENV);

/** `berth restore` as the deploy user; never throws. */
function restore(...args: string[]) {
  const r = spawnSync("runuser", ["-u", "deploy", "--", berthPath, "restore", ENV, ...args], {
    encoding: "utf8",
    timeout: 300_000,
  });
  return { exitCode: r.status ?? -1, stdout: r.stdout, out: `${r.stdout}${r.stderr}`, environment: ENV };
}

/** What nobody may notice after a refusal or an undone restore. */
async function unchanged(sha: string, checksum: string) {
  expect(await served(url, "/version")).toBe(sha);
  expect(dbChecksum(db)).toBe(checksum);
  expect(existsSync(flag), "maintenance flag").toBe(false);
  expect(existsSync(join(envDir, "lock.holder")), "lock holder").toBe(false);
}

describe("berth restore on the lab VPS", () => {
  let v1: Release;
  let v2: Release;
  let v1Backup = "";

  beforeAll(async () => {
    resetEnvironment(ENV);
    v1 = await app.release({ MAX_MIGRATION: "2" });
    v2 = await app.release();
  });

  it("puts a backup back under the current release and keeps the database it replaced", async () => {
    expect(await app.deploy(ENV, v1)).toExit(0);
    await addNote(url, "before the backup");
    const backup = JSON.parse(asDeploy([berthPath, "backup", ENV, "--json"])) as {
      path: string;
      bytes: number;
    };
    v1Backup = backup.path;
    expect(backup.bytes).toBeGreaterThan(0);
    const backupChecksum = dbChecksum(v1Backup);
    await addNote(url, "after the backup");
    expect(await noteCount()).toBe(2);

    const r = restore(basename(v1Backup), "--actor", "ops-on-call", "--json");
    expect(r).toExit(0);
    // --json: the ledger line alone on stdout, the log on stderr.
    expect(JSON.parse(r.stdout)).toEqual(last());
    expect(await noteCount()).toBe(1);
    await unchanged(v1.sha, backupChecksum);
    const line = last();
    expect(line).toMatchObject({
      kind: "restore",
      sha: v1.sha,
      result: "restored",
      restoredFrom: v1Backup,
      actor: "ops-on-call",
    });
    expect(Object.keys(line.durations)).toEqual([
      "preflight",
      "maintenance-on",
      "stop",
      "backup",
      "restore",
      "start",
      "ready",
      "maintenance-off",
    ]);
    // The replaced database, with the write made after the backup, is kept.
    expect(line.backup).toMatch(/-before-restore\.db$/);
    const kept = spawnSync("sqlite3", ["-readonly", line.backup ?? "", "SELECT count(*) FROM notes"], {
      encoding: "utf8",
    });
    expect(kept.stdout.trim()).toBe("2");
    expect(read("current_release")).toBe(v1.sha);
    console.log(`berth restore: ${line.totalSeconds} s on the server, maintenance window included`);
  });

  it.each([
    [
      "a path instead of a file name",
      "../data/app.db",
      /is not a file name in .*backups\/ \(no paths\); copy the file there first/,
    ],
    ["a shell metacharacter", "x.db;touch /tmp/pwned", /is not a file name in .*backups/],
    [
      "a file that is not there",
      "20990101T000000Z-missing.db",
      /no backup .*20990101T000000Z-missing\.db; 'ls .*backups' lists them/,
    ],
  ])("refuses %s and changes nothing", async (_, name, message) => {
    const lines = ledger(ENV).length;
    const checksum = dbChecksum(db);
    const r = restore(name);
    expect(r).toExit(2);
    expect(r.out).toMatch(message);
    expect(ledger(ENV)).toHaveLength(lines);
    await unchanged(v1.sha, checksum);
  });

  it("refuses a damaged backup in preflight, before maintenance", async () => {
    const damaged = join(envDir, "backups", "damaged.db");
    writeFileSync(damaged, "SQLite format 3\0 but not really a database".repeat(200));
    spawnSync("chown", ["deploy:deploy", damaged]);
    const checksum = dbChecksum(db);
    const r = restore("damaged.db");
    expect(r).toExit(2);
    expect(r.out).toMatch(/damaged\.db fails integrity_check|sqlite3 could not open it/);
    expect(last()).toMatchObject({ kind: "restore", result: "refused", phase: "preflight" });
    await unchanged(v1.sha, checksum);
  });

  it("a backup the current release cannot run on: readiness fails, the database as it was is put back", async () => {
    // v2 migrates to schema 3; v1's backup holds schema 2, so v2's /readyz stays 503 on it.
    // v2's readiness timeout is shortened: the wait for a 503 that never ends is all it would time.
    expect(await app.deployFrom(app.variant("timeout_seconds: 30", "timeout_seconds: 8"), ENV, v2)).toExit(0);
    await addNote(url, "under v2");
    const checksum = dbChecksum(db);
    const r = restore(basename(v1Backup));
    expect(r).toExit(3);
    expect(r.out).toContain("roll back to the release that took it instead");
    expect(r.out).toContain("not ready within 8s");
    await unchanged(v2.sha, checksum);
    expect(last()).toMatchObject({ kind: "restore", sha: v2.sha, result: "failed", phase: "ready" });
  });

  it("with no release deployed, refuses and says what to do instead", () => {
    resetEnvironment(ENV); // the scripts a deploy installed under <root>/bin stay
    const r = restore("anything.db");
    expect(r).toExit(2);
    expect(r.out).toContain(`${ENV} has no current release to restore under`);
    expect(existsSync(join(envDir, "releases.log"))).toBe(false);
  });
});

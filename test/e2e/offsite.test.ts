/**
 * Offsite backups, drills and disaster recovery on the lab VPS (docs/ops/offsite.md):
 * production is deployed once, then `berth backup production --offsite` sends it with
 * restic over sftp to the lab's second account (restic's own `check` passes), `berth
 * drill` restores the latest snapshot aside and boots the current release on it (the
 * row counts of the live database at backup time), and `berth recover --from-offsite`
 * brings production back after its containers and its whole directory are destroyed.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { addNote, example, noteCount, type Release } from "../helpers/example.js";
import { dbChecksum, labEnv, labEnvironment, resetEnvironment, served } from "../helpers/lab.js";

const lab = labEnv();
const ENV = "production";
const { url, dir: envDir, db } = labEnvironment(ENV);
const app = example();
const berthPath = join(lab.vps.root, "bin/berth");
const repository = `${lab.offsite.repositoryBase}/example`;

/** `<root>/bin/berth …` as the deploy user; never throws. */
function berth(...args: string[]) {
  const r = spawnSync("runuser", ["-u", "deploy", "--", berthPath, ...args], {
    encoding: "utf8",
    timeout: 300_000,
  });
  return { exitCode: r.status ?? -1, stdout: r.stdout, out: `${r.stdout}${r.stderr}` };
}

/** restic on the lab's offsite repository as the deploy user (its ssh config reaches the sftp account). */
function restic(...args: string[]) {
  const password = /^RESTIC_PASSWORD=(.*)$/m.exec(readFileSync(lab.offsite.envFile, "utf8"))?.[1] ?? "";
  const r = spawnSync("runuser", ["-u", "deploy", "--", "restic", "--repo", repository, ...args], {
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, RESTIC_PASSWORD: password, HOME: "/home/deploy" },
  });
  return { exitCode: r.status ?? -1, stdout: r.stdout, out: `${r.stdout}${r.stderr}`, password };
}

/** Rows per table of a live database, read in one snapshot (what the backup must hold). */
function rowCounts(path: string): Record<string, number> {
  const tables = spawnSync(
    "sqlite3",
    [
      "-readonly",
      path,
      "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    ],
    { encoding: "utf8" },
  )
    .stdout.split("\n")
    .filter(Boolean);
  const sql = tables.map((t) => `SELECT count(*) FROM "${t}";`).join("");
  const counts = spawnSync("sqlite3", ["-readonly", path, sql], { encoding: "utf8" }).stdout.split("\n");
  return Object.fromEntries(tables.map((t, i) => [t, Number(counts[i])]));
}

interface BackupResult {
  result: string;
  release: string;
  snapshot: string;
  bytes: number;
  added: number;
  seconds: number;
  databases: { path: string; rows: Record<string, number> }[];
}

describe("offsite backups, drills and recovery on the lab VPS", () => {
  let v1: Release;
  let rowsAtBackup: Record<string, number> = {};
  let backup: BackupResult;

  beforeAll(async () => {
    resetEnvironment(ENV);
    // A fresh repository: the first backup creates it (restic init).
    rmSync(join(lab.offsite.repositories, "example"), { recursive: true, force: true });
    v1 = await app.release();
    const run = await app.deploy(ENV, v1);
    expect(run.exitCode, run.stdout).toBe(0);
    for (const text of ["first", "second", "third"]) await addNote(url, text);
  });

  it("berth backup production --offsite --json: an online snapshot over sftp; restic check passes; no secret printed", async () => {
    rowsAtBackup = rowCounts(db);
    expect(rowsAtBackup.notes).toBe(3);
    const r = berth("backup", ENV, "--offsite", "--json");
    expect(r.exitCode, r.out).toBe(0);
    backup = JSON.parse(r.stdout) as BackupResult;
    expect(backup).toMatchObject({ result: "succeeded", release: v1.sha });
    expect(backup.databases).toEqual([{ path: db, bytes: expect.any(Number), rows: rowsAtBackup }]);
    // The app kept serving: the backup is online.
    expect(await served(url)).toBe(v1.sha);
    const check = restic("check");
    expect(check.exitCode, check.out).toBe(0);
    expect(check.out).toContain("no errors were found");
    expect(r.out).not.toContain(check.password);
    const snapshots = JSON.parse(restic("snapshots", "--json").stdout) as { id: string; tags: string[] }[];
    expect(snapshots.map((s) => s.id)).toEqual([backup.snapshot]);
    expect(snapshots[0]?.tags).toEqual(expect.arrayContaining(["app:example", "env:production"]));
    console.log(
      `offsite backup: ${backup.bytes} bytes in ${backup.seconds} s (${backup.added} bytes added to the repository)`,
    );
  });

  it("berth drill production --json: ok, with the live database's row counts at backup time; nothing live changes", async () => {
    await addNote(url, "after the backup");
    const checksum = dbChecksum(db);
    const r = berth("drill", ENV, "--json");
    expect(r.exitCode, r.out).toBe(0);
    const drill = JSON.parse(r.stdout) as {
      ok: boolean;
      seconds: number;
      snapshot: string;
      release: string;
      databases: {
        rows: Record<string, number>;
        sha256Match: boolean;
        integrity: string;
        rowsMatch: boolean;
      }[];
      ready: { url: string };
    };
    expect(drill).toMatchObject({ ok: true, snapshot: backup.snapshot, release: v1.sha });
    expect(drill.databases).toEqual([
      expect.objectContaining({ rows: rowsAtBackup, sha256Match: true, integrity: "ok", rowsMatch: true }),
    ]);
    expect(drill.ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/readyz$/);
    expect(drill.seconds).toBeGreaterThan(0);
    // The live site: same release, same data, no drill container left.
    expect(await served(url)).toBe(v1.sha);
    expect(dbChecksum(db)).toBe(checksum);
    expect(await noteCount(url)).toBe(4);
    const left = spawnSync("docker", ["ps", "-aq", "--filter", "name=berth-drill-"], { encoding: "utf8" });
    expect(left.stdout.trim()).toBe("");
    const log = readFileSync(join(envDir, "drills.log"), "utf8").trim().split("\n");
    expect(JSON.parse(log.at(-1) ?? "{}")).toEqual(drill);
    console.log(`drill: ok in ${drill.seconds} s`);
  });
});

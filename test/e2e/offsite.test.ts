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
import { dbChecksum, labEnv, labEnvironment, ledger, resetEnvironment, served } from "../helpers/lab.js";

const lab = labEnv();
const ENV = "production";
const { url, dir: envDir, db } = labEnvironment(ENV);
const app = example();
const berthPath = join(lab.vps.root, "bin/berth");
const repository = `${lab.offsite.repositoryBase}/example`;

/** `<root>/bin/berth …` as the deploy user; never throws. */
function berth(...args: string[]) {
  const environment = args[0] === "sync" ? args[2] : args[1];
  const r = spawnSync("runuser", ["-u", "deploy", "--", berthPath, ...args], {
    encoding: "utf8",
    timeout: 300_000,
  });
  return { exitCode: r.status ?? -1, stdout: r.stdout, out: `${r.stdout}${r.stderr}`, environment };
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
    expect(run).toExit(0);
    for (const text of ["first", "second", "third"]) await addNote(url, text);
  });

  it("berth backup production --offsite --json: an online snapshot over sftp; restic check passes; no secret printed", async () => {
    rowsAtBackup = rowCounts(db);
    expect(rowsAtBackup.notes).toBe(3);
    const r = berth("backup", ENV, "--offsite", "--json");
    expect(r).toExit(0);
    backup = JSON.parse(r.stdout) as BackupResult;
    expect(backup).toMatchObject({ result: "succeeded", release: v1.sha });
    expect(backup.databases).toEqual([{ path: db, bytes: expect.any(Number), rows: rowsAtBackup }]);
    // The app kept serving: the backup is online.
    expect(await served(url)).toBe(v1.sha);
    const check = restic("check");
    expect(check).toExit(0);
    expect(check.out).toContain("no errors were found");
    expect(r.out).not.toContain(check.password);
    const snapshots = JSON.parse(restic("snapshots", "--json").stdout) as { id: string; tags: string[] }[];
    expect(snapshots.map((s) => s.id)).toEqual([backup.snapshot]);
    expect(snapshots[0]?.tags).toEqual(expect.arrayContaining(["app:example", "env:production"]));
    // berth status shows it; a fresh copy is not stale (exit 0).
    const status = berth("status", ENV, "--json");
    expect(status).toExit(0);
    expect(JSON.parse(status.stdout).offsite).toMatchObject({
      stale: false,
      last: { snapshot: backup.snapshot, bytes: backup.bytes },
    });
    console.log(
      `offsite backup: ${backup.bytes} bytes in ${backup.seconds} s (${backup.added} bytes added to the repository)`,
    );
  });

  it("berth drill production --json: ok, with the live database's row counts at backup time; nothing live changes", async () => {
    await addNote(url, "after the backup");
    const checksum = dbChecksum(db);
    const r = berth("drill", ENV, "--json");
    expect(r).toExit(0);
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

  it("berth recover production --from-offsite: containers, directory and images destroyed; the same release serves every row acknowledged before the backup", async () => {
    // Refused while production still has a release: recover is for a lost environment.
    const early = berth("recover", ENV, "--from-offsite", "--repository", repository);
    expect(early).toExit(2);
    expect(early.out).toContain("still has a current release");

    // A second copy, incremental, holding the note written after the first one.
    const second = JSON.parse(berth("backup", ENV, "--offsite", "--json").stdout) as BackupResult;
    expect(second.result).toBe("succeeded");
    console.log(
      `offsite backup, incremental: ${second.bytes} bytes in ${second.seconds} s (${second.added} added)`,
    );
    const checksum = dbChecksum(db);
    const before = ledger(ENV);
    const deployed = before.filter((l) => l.kind === "deploy" && l.result === "succeeded").at(-1) as {
      images: Record<string, string>;
    };

    // The disaster: production's containers, its whole directory and its images are gone.
    const ids = spawnSync(
      "docker",
      ["ps", "-aq", "--filter", "label=com.docker.compose.project=example-production"],
      {
        encoding: "utf8",
      },
    )
      .stdout.split("\n")
      .filter(Boolean);
    expect(ids.length).toBeGreaterThan(0);
    spawnSync("docker", ["rm", "-f", ...ids]);
    rmSync(envDir, { recursive: true, force: true });
    for (const ref of Object.values(deployed.images)) {
      const byDigest = ref.replace(/:[0-9a-f]{40}@/, "@");
      spawnSync("docker", ["image", "rm", "-f", byDigest, ref.replace(/@sha256:.*$/, "")]);
    }
    expect(await served(url)).not.toBe(v1.sha);

    // The rebuilt server's standing pull credential, as `berth setup --registry-username`
    // stores it (deploys never leave one: the job's login lives only for its run).
    const dockerConfig = "/home/deploy/.docker/config.json";
    const login = spawnSync(
      "runuser",
      [
        "-u",
        "deploy",
        "--",
        "docker",
        "login",
        "-u",
        lab.registry.username,
        "--password-stdin",
        lab.registry.host,
      ],
      { input: lab.registry.password, encoding: "utf8" },
    );
    expect(login.status, login.stderr).toBe(0);
    const r = berth(
      "recover",
      ENV,
      "--from-offsite",
      "--repository",
      repository,
      "--actor",
      "dr-drill",
      "--json",
    );
    rmSync(dockerConfig, { force: true });
    expect(r).toExit(0);
    // Pulled again from the registry by digest (the images were removed with the rest).
    expect(r.out).toMatch(/pulling backend 127\.0\.0\.1:25000\/berth-example\/backend@sha256:[0-9a-f]{64}/);
    expect(await served(url)).toBe(v1.sha);
    expect(await noteCount(url)).toBe(4);
    expect(dbChecksum(db)).toBe(checksum);
    // The ledger as it was, plus the recovery, with the same digests.
    const after = ledger(ENV);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.at(-1)).toEqual(JSON.parse(r.stdout));
    expect(after.at(-1)).toMatchObject({
      kind: "recover",
      sha: v1.sha,
      result: "recovered",
      images: deployed.images,
      restoredFrom: `offsite:${second.snapshot}`,
      actor: "dr-drill",
    });
    expect(Object.keys((after.at(-1) as { durations: object }).durations)).toEqual([
      "preflight",
      "fetch",
      "verify",
      "place",
      "pull",
      "maintenance-on",
      "start",
      "ready",
      "switch",
      "maintenance-off",
    ]);
    // nginx routes to slot a, where the recovered release runs (the lost environment's
    // live file may have pointed it at slot b).
    expect(readFileSync(join(envDir, "slot"), "utf8").trim()).toBe(`a ${v1.sha} a`);
    console.log(
      `recover: ${(after.at(-1) as { totalSeconds: number }).totalSeconds} s from offsite to serving`,
    );
  });
});

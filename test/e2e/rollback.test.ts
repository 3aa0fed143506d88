/**
 * The rollback issue's must-shows on the lab: actions/rollback run as the runner runs
 * it (and `berth rollback` run on the VPS itself), real SSH, nginx, Docker and SQLite.
 * The example app's /readyz insists on its own schema version, so a rollback across a
 * migration only becomes ready with the database that release expects.
 */
import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
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
const noteCount = () => countNotes(url);
const last = () => lastLedgerLine(ENV);

describe("rollback on the lab VPS", () => {
  let v1: Release;
  let v2: Release;
  let v3: Release;
  let preDeployBackup = "";

  beforeAll(async () => {
    resetEnvironment(ENV);
    // v1 stops at migration 2; v2 and v3 carry migration 3.
    v1 = await app.release({ MAX_MIGRATION: "2" });
    v2 = await app.release();
    v3 = await app.release();
  });

  it("with only one release deployed, refuses and changes nothing", async () => {
    expect(await app.deploy(ENV, v1)).toExit(0);
    await addNote(url, "under v1");
    const lines = ledger(ENV).length;
    const run = await app.rollback(ENV);
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout).toContain("has no previous release to roll back to");
    expect(run.outputs.result).toBe("refused");
    expect(ledger(ENV)).toHaveLength(lines);
    expect(await served(url, "/version")).toBe(v1.sha);
  });

  it("refuses to guess about the database after a migrating deploy", async () => {
    const run = await app.deploy(ENV, v2);
    expect(run).toExit(0);
    preDeployBackup = last().backup ?? "";
    expect(preDeployBackup).not.toBe("");
    await addNote(url, "under v2");
    const before = dbChecksum(db);
    const refused = await app.rollback(ENV);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stdout).toMatch(/the database changed since .* choose --restore-db .* or --keep-db/);
    expect(await served(url, "/version")).toBe(v2.sha);
    expect(dbChecksum(db)).toBe(before);
    expect(last().sha).toBe(v2.sha);
  });

  it("--restore-db serves v1 on the pre-deploy backup's data", async () => {
    const t0 = Date.now();
    const run = await app.rollback(ENV, { database: "restore" });
    const seconds = (Date.now() - t0) / 1000;
    expect(run.stdout).not.toContain("::error::");
    expect(run).toExit(0);
    expect(run.outputs).toMatchObject({ sha: v1.sha, "rolled-back-from": v2.sha, result: "rolled_back" });
    expect(await served(url, "/version")).toBe(v1.sha);
    expect(dbChecksum(db)).toBe(dbChecksum(preDeployBackup));
    expect(await noteCount()).toBe(1); // the note written under v2 went with v2's database
    expect(read("current_release")).toBe(v1.sha);
    expect(read("previous_release")).toBe(v2.sha);
    const line = last();
    expect(line).toMatchObject({
      kind: "rollback",
      sha: v1.sha,
      from: v2.sha,
      result: "rolled_back",
      database: "restore",
      restoredFrom: preDeployBackup,
      actor: "e2e-tester",
    });
    expect(Object.keys(line.durations)).toEqual([
      "preflight",
      "pull",
      "maintenance-on",
      "stop",
      "backup",
      "restore",
      "start",
      "ready",
      "maintenance-off",
    ]);
    console.log(
      `rollback --restore-db: ${seconds.toFixed(1)} s by the action, ${line.totalSeconds} s on the server`,
    );
  });

  it("rolling back again returns to v2 with the database v2 left", async () => {
    const run = await app.rollback(ENV, { database: "restore" });
    expect(run).toExit(0);
    expect(await served(url, "/version")).toBe(v2.sha);
    expect(await noteCount()).toBe(2);
    expect(read("current_release")).toBe(v2.sha);
    expect(read("previous_release")).toBe(v1.sha);
  });

  it("without a database change in between: the swap path, no maintenance window", async () => {
    expect(await app.deploy(ENV, v3)).toExit(0);
    const before = dbChecksum(db);
    // From anywhere: `berth rollback` on the VPS itself, as the deploy user.
    const t0 = Date.now();
    const out = asDeploy([join(lab.vps.root, "bin/berth"), "rollback", ENV]);
    const seconds = (Date.now() - t0) / 1000;
    expect(out).toContain(`rolled back ${ENV} to ${v2.sha}`);
    expect(await served(url, "/version")).toBe(v2.sha);
    expect(dbChecksum(db)).toBe(before);
    const line = last();
    expect(line).toMatchObject({
      kind: "rollback",
      sha: v2.sha,
      from: v3.sha,
      database: "unchanged",
      mode: "swap",
    });
    expect(Object.keys(line.durations)).toEqual([
      "preflight",
      "pull",
      "start",
      "ready",
      "switch",
      "drain",
      "handover",
    ]);
    console.log(`plain rollback on the VPS: ${seconds.toFixed(1)} s from command to ready`);
  });

  it("--to an older release works after a v3", async () => {
    const run = await app.rollback(ENV, { sha: v1.sha, database: "restore" });
    expect(run).toExit(0);
    expect(run.outputs).toMatchObject({ sha: v1.sha, "rolled-back-from": v2.sha });
    expect(await served(url, "/version")).toBe(v1.sha);
    expect(await noteCount()).toBe(1);
  });

  describe("during a running deploy: refused with the lock holder named, nothing changes", () => {
    // Hold the environment's lock as a deploy does, and record its holder `recordAfterMs`
    // after the lock was taken (a real deploy writes it just after its flock succeeds).
    const holder = () => ({
      what: "deploy",
      release: v3.sha,
      actor: "someone-else",
      runId: "77-1",
      runUrl: "",
      pid: 1,
      started: "now",
    });
    const recordHolder = () =>
      execFileSync("runuser", [
        "-u",
        "deploy",
        "--",
        "bash",
        "-c",
        'printf "%s\\n" "$1" > "$2"',
        "_",
        JSON.stringify(holder()),
        join(envDir, "lock.holder"),
      ]);
    const holdLock = async (
      refusedRun: () => Promise<{ exitCode: number; stdout: string }>,
      recordAfterMs: number,
    ) => {
      // Its own process group: runuser, flock and the sleep holding the lock's fd all go at once.
      const locker = spawn("runuser", ["-u", "deploy", "--", "flock", join(envDir, ".lock"), "sleep", "60"], {
        stdio: "ignore",
        detached: true,
      });
      try {
        await new Promise((r) => setTimeout(r, 500));
        if (recordAfterMs === 0) recordHolder();
        const lines = ledger(ENV).length;
        const late = recordAfterMs > 0 ? setTimeout(recordHolder, recordAfterMs) : undefined;
        const run = await refusedRun();
        clearTimeout(late);
        expect(run.exitCode).not.toBe(0);
        expect(run.stdout).toContain(`${ENV} is locked by deploy of ${v3.sha} by someone-else (run 77-1`);
        expect(ledger(ENV)).toHaveLength(lines);
        expect(await served(url, "/version")).toBe(v1.sha);
        expect(read("current_release")).toBe(v1.sha);
      } finally {
        if (locker.pid) process.kill(-locker.pid, "SIGKILL");
        execFileSync("rm", ["-f", join(envDir, "lock.holder")]);
      }
    };

    it("by the action, the holder recorded", async () => {
      await holdLock(() => app.rollback(ENV, { database: "keep" }), 0);
    });

    it("on the VPS, the holder recording itself just after the refused run looked", async () => {
      const onVps = () =>
        new Promise<{ exitCode: number; stdout: string }>((resolve) => {
          const child = spawn("runuser", [
            "-u",
            "deploy",
            "--",
            join(lab.vps.root, "bin/berth"),
            "rollback",
            ENV,
            "--keep-db",
          ]);
          let stdout = "";
          child.stdout.on("data", (d) => {
            stdout += d;
          });
          child.stderr.on("data", (d) => {
            stdout += d;
          });
          child.on("close", (code) => resolve({ exitCode: code ?? -1, stdout }));
        });
      await holdLock(onVps, 800);
    });
  });
});

/**
 * The deploy issue's must-shows, end to end: actions/build-push and actions/deploy run
 * as the runner runs them, against the lab VPS over real SSH, real registry, real
 * nginx and a real SQLite database.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { example, addNote as postNote, type Release } from "../helpers/example.js";
import { dbChecksum, labEnvironment, ledger, resetEnvironment, served } from "../helpers/lab.js";

const ENV = "staging";
const { url, dir: envDir, db, read } = labEnvironment(ENV);
const app = example();
const release = app.release;
const deploy = (r: Release, onStdout?: (chunk: string) => void) => app.deploy(ENV, r, onStdout);
const addNote = (text: string) => postNote(url, text);

describe("deploy to the lab VPS", () => {
  let v1: Release;
  let v2: Release;

  beforeAll(async () => {
    resetEnvironment(ENV);
    v1 = await release({ MAX_MIGRATION: "2" });
    v2 = await release();
  });

  it("deploys v1 then v2: served version, ledger, current/previous, backup, flag", async () => {
    const first = await deploy(v1);
    expect(first.stdout).not.toContain("::error::");
    expect(first.exitCode).toBe(0);
    expect(first.outputs.result).toBe("succeeded");
    expect(await served(url)).toBe(v1.sha);
    expect(await served(url, "/version")).toBe(v1.sha);
    await addNote("written under v1");

    const second = await deploy(v2);
    expect(second.exitCode).toBe(0);
    expect(second.outputs).toMatchObject({ sha: v2.sha, "previous-sha": v1.sha, result: "succeeded" });
    const phases = JSON.parse(second.outputs.phases ?? "{}");
    for (const p of ["preflight", "pull", "maintenance-on", "stop", "backup", "migrate", "start", "ready"]) {
      expect(phases[p], p).toBeGreaterThanOrEqual(0);
    }
    expect(await served(url)).toBe(v2.sha);

    expect(read("current_release")).toBe(v2.sha);
    expect(read("previous_release")).toBe(v1.sha);
    const lines = ledger(ENV);
    expect(lines.map((l) => [l.sha, l.result])).toEqual([
      [v1.sha, "succeeded"],
      [v2.sha, "succeeded"],
    ]);
    const last = lines[1] as { images: Record<string, string>; actor: string; backup: string };
    expect(last.images.backend).toMatch(new RegExp(`:${v2.sha}@sha256:[0-9a-f]{64}$`));
    expect(last.actor).toBe("e2e-tester");
    expect(existsSync(last.backup)).toBe(true);
    expect(execFileSync("sqlite3", [last.backup, "PRAGMA integrity_check"]).toString().trim()).toBe("ok");
    expect(existsSync(join(envDir, "maintenance", "MAINTENANCE_ON"))).toBe(false);
    const notes = await (await fetch(`${url}/api/notes/count`)).json();
    expect(notes.count).toBeGreaterThanOrEqual(1);
    expect(second.summary).toContain("| backup |");
  });

  it("a failing migration leaves the DB as it was and v2 serving", async () => {
    const bad = await release({ FAIL_MIGRATION: "1" });
    const before = dbChecksum(db);
    const run = await deploy(bad);
    expect(run.exitCode).not.toBe(0);
    expect(run.outputs.result).toBe("failed");
    expect(await served(url)).toBe(v2.sha);
    expect(dbChecksum(db)).toBe(before);
    const last = ledger(ENV).at(-1) as Record<string, unknown>;
    expect(last).toMatchObject({ sha: bad.sha, result: "failed", phase: "migrate" });
    expect(read("current_release")).toBe(v2.sha);
    expect(existsSync(join(envDir, "maintenance", "MAINTENANCE_ON"))).toBe(false);
  });

  it("a release that never becomes ready is rolled back to v2 by itself", async () => {
    const bad = await release({ NEVER_READY: "1" });
    const run = await deploy(bad);
    expect(run.exitCode).not.toBe(0);
    expect(await served(url)).toBe(v2.sha);
    const last = ledger(ENV).at(-1) as Record<string, unknown>;
    expect(last).toMatchObject({ sha: bad.sha, result: "failed", phase: "ready", rolledBackTo: v2.sha });
    expect(read("current_release")).toBe(v2.sha);
  });
  // A dropped SSH connection mid-deploy: test/faults/deploy-faults.test.ts (group 1, four phases).
});

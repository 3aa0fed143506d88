/**
 * SQLite in a named volume, named in berth.yml by the path the app sees (issue 17): the
 * example app's compose file changed as many real ones are written — `appdata:/data`, a
 * volume Docker keeps under its own root, which the deploy user cannot read — and its
 * image running as a uid no account on the server has (4242, owner of /data in the
 * image, so of the new volume too). Everything berth does to the database goes through
 * its SQLite helper container; this drives it through the actions, under a writer
 * through nginx:
 *   v1 → v1b (no schema change: the swap path, both slots writing the same volume)
 *      → v2 (migration: the maintenance path, backup taken through the helper)
 *      → a failing migration (refused in its rehearsal, run on a snapshot taken through
 *        the helper: the database byte-identical)
 *      → rollback with the database restored (through the helper) to v1b's schema.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { example, type Release } from "../helpers/example.js";
import { dbChecksum, labEnvironment, lastLedgerLine, resetEnvironment, served } from "../helpers/lab.js";
import { startWriter, type WriterResult } from "../helpers/load.js";

const ENV = "staging";
const PROJECT = `example-${ENV}`;
const VOLUME = `${PROJECT}_appdata`;
const { url, dir: envDir, read } = labEnvironment(ENV);
const app = example();
const ws = app.workspace;
const deployUid = statSync(envDir).uid;
// The example's compose lines that become a named volume and a uid of the image's own.
// biome-ignore lint/suspicious/noTemplateCurlyInString: compose's ${VAR}, not a template
const BIND_MOUNT = '"${DATA_DIR}:/data"';
// biome-ignore lint/suspicious/noTemplateCurlyInString: compose's ${VAR}, not a template
const APP_USER = 'user: "${APP_UID}:${APP_GID}"';

/** The database file as Docker keeps it (root reads it; the deploy user cannot). */
function volumeDb(): string {
  const mountpoint = execFileSync("docker", ["volume", "inspect", "--format", "{{.Mountpoint}}", VOLUME], {
    encoding: "utf8",
  }).trim();
  return join(mountpoint, "app.db");
}
const ids = (db: string): Set<number> =>
  new Set(
    execFileSync("sqlite3", ["-readonly", db, "SELECT id FROM notes"], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map(Number),
  );
const sql = (db: string, q: string) =>
  execFileSync("sqlite3", ["-readonly", db, q], { encoding: "utf8" }).trim();
function removeVolume() {
  execFileSync("docker", ["volume", "rm", "-f", VOLUME], { stdio: "ignore" });
}
/** Statuses a writer saw, besides the 201s: only these are allowed. */
function otherStatuses(w: WriterResult, allowed: number[]): Record<string, number> {
  return Object.fromEntries(
    Object.entries(w.statuses).filter(([s]) => Number(s) !== 201 && !allowed.includes(Number(s))),
  );
}

describe("a database in a named volume, named by the app's path: deploy, swap, refuse, roll back", () => {
  let v1: Release;
  let v1b: Release;
  let v2: Release;
  let bad: Release;

  beforeAll(async () => {
    resetEnvironment(ENV);
    removeVolume();
    // The workspace's compose file and image, as a named-volume app writes them.
    const compose = join(ws, "compose.yml");
    writeFileSync(
      compose,
      `${readFileSync(compose, "utf8")
        .replace(BIND_MOUNT, '"appdata:/data"')
        .replace(APP_USER, 'user: "4242:4242"')}volumes:\n  appdata:\n`,
    );
    const dockerfile = join(ws, "backend", "Dockerfile");
    writeFileSync(
      dockerfile,
      readFileSync(dockerfile, "utf8").replace(
        "WORKDIR /app",
        "RUN mkdir -p /data && chown 4242:4242 /data\nWORKDIR /app",
      ),
    );
    const berthYml = join(ws, "berth.yml");
    writeFileSync(
      berthYml,
      readFileSync(berthYml, "utf8").replace("path: data/app.db", "path: /data/app.db"),
    );
    expect(readFileSync(compose, "utf8")).toContain('"appdata:/data"');
    expect(readFileSync(berthYml, "utf8")).toContain("path: /data/app.db");
    v1 = await app.release({ MAX_MIGRATION: "2" });
    v1b = await app.release({ MAX_MIGRATION: "2" });
    v2 = await app.release();
    bad = await app.release({ FAIL_MIGRATION: "1" });
  });

  afterAll(() => {
    resetEnvironment(ENV);
    removeVolume();
  });

  it("v1 is deployed into the volume; the release names the volume, not a host path", async () => {
    const run = await app.deploy(ENV, v1);
    expect(run.stdout).not.toContain("::error::");
    expect(run).toExit(0);
    expect(run.stdout).toContain(`it lives in the named volume ${VOLUME} (as app.db)`);
    expect(await served(url)).toBe(v1.sha);
    const release = JSON.parse(readFileSync(join(envDir, "releases", v1.sha, "release.json"), "utf8"));
    expect(release.databases).toEqual([expect.objectContaining({ volume: VOLUME, path: "app.db" })]);
    // The app's uid owns the file; the deploy user could not read it.
    expect(statSync(volumeDb()).uid).toBe(4242);
    expect(sql(volumeDb(), "SELECT max(version) FROM schema_migrations")).toBe("2");
  });

  it("v1b swaps in with no failed request; both slots wrote the one volume and nothing was lost", async () => {
    const writer = startWriter(url, "swap");
    await new Promise((r) => setTimeout(r, 500));
    const run = await app.deploy(ENV, v1b);
    const w = await writer.stop();
    expect(run).toExit(0);
    expect(lastLedgerLine(ENV)).toMatchObject({ sha: v1b.sha, mode: "swap", result: "succeeded" });
    expect(read("slot").split(" ").slice(0, 2)).toEqual(["b", v1b.sha]);
    expect(otherStatuses(w, [])).toEqual({});
    expect(w.ids.length).toBeGreaterThan(10);
    const present = ids(volumeDb());
    expect(w.ids.filter((id) => !present.has(id))).toEqual([]);
    expect(sql(volumeDb(), "PRAGMA integrity_check")).toBe("ok");
    expect(await served(url)).toBe(v1b.sha);
  });

  let preV2Backup = "";
  it("v2 migrates in the maintenance window: the backup comes out of the volume to the deploy user", async () => {
    const writer = startWriter(url, "migrate");
    await new Promise((r) => setTimeout(r, 500));
    const run = await app.deploy(ENV, v2);
    const w = await writer.stop();
    expect(run).toExit(0);
    const line = lastLedgerLine(ENV);
    expect(line).toMatchObject({ sha: v2.sha, mode: "maintenance", migrated: true, result: "succeeded" });
    preV2Backup = line.backup ?? "";
    expect(preV2Backup.startsWith(join(envDir, "backups"))).toBe(true);
    const st = statSync(preV2Backup);
    expect([st.uid, st.mode & 0o777]).toEqual([deployUid, 0o600]);
    expect(sql(preV2Backup, "SELECT max(version) FROM schema_migrations")).toBe("2");
    expect(sql(preV2Backup, "PRAGMA integrity_check")).toBe("ok");
    // Through the window: 201 or the maintenance page's 503, never a lost write.
    expect(otherStatuses(w, [503])).toEqual({});
    const present = ids(volumeDb());
    expect(w.ids.filter((id) => !present.has(id))).toEqual([]);
    // Every write acknowledged before the window is in the backup.
    const inBackup = ids(preV2Backup);
    const beforeWindow = w.ids.filter((id) => id <= Math.max(...inBackup));
    expect(beforeWindow.filter((id) => !inBackup.has(id))).toEqual([]);
    expect(sql(volumeDb(), "SELECT max(version) FROM schema_migrations")).toBe("3");
    expect(await served(url)).toBe(v2.sha);
  });

  it("a failing migration is refused in its rehearsal: the volume's database byte-identical, v2 serving", async () => {
    const before = dbChecksum(volumeDb());
    const run = await app.deploy(ENV, bad);
    expect(run.exitCode).not.toBe(0);
    expect(lastLedgerLine(ENV)).toMatchObject({ sha: bad.sha, result: "refused", phase: "rehearse" });
    expect(dbChecksum(volumeDb())).toBe(before);
    expect(await served(url)).toBe(v2.sha);
  });

  it("rollback with restore puts v1b's database back into the volume; writes before it are kept aside", async () => {
    const writer = startWriter(url, "rollback");
    await new Promise((r) => setTimeout(r, 500));
    const run = await app.rollback(ENV, { database: "restore" });
    const w = await writer.stop();
    expect(run.stdout).not.toContain("::error::");
    expect(run).toExit(0);
    const line = lastLedgerLine(ENV);
    expect(line).toMatchObject({
      kind: "rollback",
      sha: v1b.sha,
      database: "restore",
      restoredFrom: preV2Backup,
    });
    expect(await served(url)).toBe(v1b.sha);
    expect(sql(volumeDb(), "SELECT max(version) FROM schema_migrations")).toBe("2");
    expect(sql(volumeDb(), "PRAGMA integrity_check")).toBe("ok");
    expect(statSync(volumeDb()).uid).toBe(4242);
    expect(otherStatuses(w, [503])).toEqual({});
    // Each acknowledged write is in the live database (after the window) or in the copy
    // berth kept of v2's database before restoring (before the window).
    const keptAside = ids(line.backup ?? "");
    const live = ids(volumeDb());
    expect(w.ids.filter((id) => !live.has(id) && !keptAside.has(id))).toEqual([]);
    expect(w.ids.some((id) => keptAside.has(id))).toBe(true);
  });
});

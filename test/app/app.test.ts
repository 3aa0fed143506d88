/**
 * The example app's contract, with real SQLite and real processes on 127.0.0.1:
 * readiness follows the schema, migrate is all-or-nothing and idempotent, knobs work.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { repoRoot, tempDir } from "../helpers/lab.js";

const app = join(repoRoot, "examples/app");
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function migrate(env: Record<string, string>) {
  const r = spawnSync(process.execPath, [join(app, "backend/migrate.js")], {
    env: { PATH: process.env.PATH, ...env },
    encoding: "utf8",
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** sha256 of the DB file; every connection is closed, so the WAL is checkpointed away. */
const fileSum = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

async function startBackend(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(app, "backend/server.js")], {
    env: { PATH: process.env.PATH, PORT: String(port), ...env },
    stdio: "ignore",
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`${url}/livez`);
      return { url, child };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error("backend did not start");
}

const status = async (url: string) => (await fetch(url)).status;

describe("example app", () => {
  it("is not ready before migrate, ready after; migrate twice is a no-op", async () => {
    const db = join(tempDir(), "app.db");
    const { url } = await startBackend({ DATABASE_PATH: db, GIT_SHA: "v1sha" });
    expect(await status(`${url}/readyz`)).toBe(503);
    expect(await (await fetch(`${url}/readyz`)).text()).toContain(
      "schema at version 0, this build expects 3",
    );

    const first = migrate({ DATABASE_PATH: db });
    expect(first).toMatchObject({ status: 0 });
    expect(first.out).toContain("applied 003_index_notes_created.sql");
    expect(await status(`${url}/readyz`)).toBe(200);
    expect(await (await fetch(`${url}/version`)).json()).toEqual({ service: "backend", sha: "v1sha" });

    const res = await fetch(`${url}/api/notes`, { method: "POST", body: JSON.stringify({ text: "kept" }) });
    expect(res.status).toBe(201);
    expect(await (await fetch(`${url}/api/notes/count`)).json()).toEqual({ count: 1 });
  });

  it("migrate twice leaves the file byte-for-byte unchanged", () => {
    const db = join(tempDir(), "app.db");
    expect(migrate({ DATABASE_PATH: db }).status).toBe(0);
    const before = fileSum(db);
    const again = migrate({ DATABASE_PATH: db });
    expect(again).toEqual({ status: 0, out: "nothing to migrate\n" });
    expect(fileSum(db)).toBe(before);
  });

  it("FAIL_MIGRATION=1 exits non-zero and leaves the DB exactly as it was", () => {
    const db = join(tempDir(), "app.db");
    expect(migrate({ DATABASE_PATH: db, MAX_MIGRATION: "2" }).status).toBe(0);
    const before = fileSum(db);
    const failed = migrate({ DATABASE_PATH: db, FAIL_MIGRATION: "1" });
    expect(failed.status).toBe(1);
    expect(failed.out).toContain("migration failed, nothing applied");
    expect(fileSum(db)).toBe(before);
    // And the pending migration 3 really was not applied.
    const v = spawnSync("sqlite3", [db, "SELECT MAX(version) FROM schema_migrations"], { encoding: "utf8" });
    expect(v.stdout.trim()).toBe("2");
  });

  it("MAX_MIGRATION=2 makes a build that expects schema 2", async () => {
    const db = join(tempDir(), "app.db");
    expect(migrate({ DATABASE_PATH: db, MAX_MIGRATION: "2" }).status).toBe(0);
    const { url } = await startBackend({ DATABASE_PATH: db, MAX_MIGRATION: "2" });
    expect(await status(`${url}/readyz`)).toBe(200);
    const health = await (await fetch(`${url}/healthz`)).json();
    expect(health).toMatchObject({ schemaVersion: 2, expectedSchemaVersion: 2, db: "ok" });
  });

  it("NEVER_READY=1 stays 503 after migrate", async () => {
    const db = join(tempDir(), "app.db");
    expect(migrate({ DATABASE_PATH: db }).status).toBe(0);
    const { url } = await startBackend({ DATABASE_PATH: db, NEVER_READY: "1" });
    expect(await status(`${url}/readyz`)).toBe(503);
    expect(await status(`${url}/livez`)).toBe(200);
  });

  it("exits 0 on SIGTERM (docker stop), closing the DB", async () => {
    const db = join(tempDir(), "app.db");
    migrate({ DATABASE_PATH: db });
    const { child } = await startBackend({ DATABASE_PATH: db });
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});

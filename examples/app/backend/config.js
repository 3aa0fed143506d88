// Settings of the backend, from the environment. Build args are baked into the image
// as ENV (see backend/Dockerfile), so the same names work in and out of Docker.
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const migrationsDir = fileURLToPath(new URL("./migrations/", import.meta.url));

/** Numbered migrations shipped with this build: 001_x.sql → { version: 1, name, file }. */
export function migrations() {
  const all = readdirSync(migrationsDir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => ({ version: Number(file.slice(0, 3)), name: file.slice(4, -4), file }));
  // Test knob: MAX_MIGRATION=N makes a build that ships (and expects) migrations 1..N only.
  const max = process.env.MAX_MIGRATION ? Number(process.env.MAX_MIGRATION) : Number.POSITIVE_INFINITY;
  return all.filter((m) => m.version <= max);
}

export const settings = {
  databasePath: process.env.DATABASE_PATH || "/data/app.db",
  port: Number(process.env.PORT || 3000),
  sha: process.env.GIT_SHA || "unknown",
  failMigration: process.env.FAIL_MIGRATION === "1",
  neverReady: process.env.NEVER_READY === "1",
  crashOnStart: process.env.CRASH_ON_START === "1",
};

export const expectedSchemaVersion = () => migrations().reduce((v, m) => Math.max(v, m.version), 0);

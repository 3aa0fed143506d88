// The migrate command: `node backend/migrate.js`. Applies every pending migration of
// this build in ONE transaction — all or nothing — and records each in
// schema_migrations. Running it again is a no-op. Exit 0 on success, 1 on failure.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { migrations, migrationsDir, settings } from "./config.js";
import { open } from "./db.js";

const db = open(settings.databasePath);
const hasTable = db
  .prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_migrations'")
  .get();
const applied = new Set(hasTable ? db.prepare("SELECT version FROM schema_migrations").pluck().all() : []);
const pending = migrations().filter((m) => !applied.has(m.version));

if (pending.length === 0 && !settings.failMigration) {
  console.log("nothing to migrate");
  db.close();
  process.exit(0);
}

const run = db.transaction(() => {
  // Inside the transaction too: a failed first migration leaves no trace at all.
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const record = db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
  for (const m of pending) {
    db.exec(readFileSync(join(migrationsDir, m.file), "utf8"));
    record.run(m.version, m.name, new Date().toISOString());
    console.log(`applied ${m.file}`);
  }
  if (settings.failMigration) {
    // Test knob: a migration that writes, then fails; the transaction must undo it all.
    db.exec("CREATE TABLE berth_failing_migration (x INTEGER)");
    db.exec("INSERT INTO no_such_table VALUES (1)");
  }
});

try {
  run();
  db.close();
  console.log(`schema at version ${migrations().at(-1)?.version ?? 0}`);
} catch (e) {
  db.close();
  console.error(`migration failed, nothing applied: ${e.message}`);
  process.exit(1);
}

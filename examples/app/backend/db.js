// The SQLite connection: WAL mode, so readers never block the writer, and a busy
// timeout, so a brief lock (e.g. berth's backup read transaction) waits, not fails.
import Database from "better-sqlite3";

export function open(path, options = {}) {
  const db = new Database(path, options);
  if (!options.readonly) {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
  }
  db.pragma("busy_timeout = 5000");
  return db;
}

/** The schema version recorded by migrate, or 0 for a fresh database. */
export function schemaVersion(db) {
  const table = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_migrations'")
    .get();
  if (!table) return 0;
  return db.prepare("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations").get().v;
}

// The backend: notes over HTTP, plus the probes berth and people use.
//   /livez   process up        /readyz  DB reachable AND schema at this build's version
//   /healthz JSON summary      /version and /api/version  the build's git SHA
import { createServer } from "node:http";
import { expectedSchemaVersion, settings } from "./config.js";
import { open, schemaVersion } from "./db.js";

const started = Date.now();
if (settings.crashOnStart) {
  console.error("CRASH_ON_START=1 (test knob): exiting");
  process.exit(1);
}
const expected = expectedSchemaVersion();
let db;

function database() {
  db ??= open(settings.databasePath);
  return db;
}

/** Why the release cannot serve, or null when it can. */
function notReadyReason() {
  if (settings.neverReady) return "NEVER_READY=1 (test knob)";
  try {
    const v = schemaVersion(database());
    return v === expected ? null : `schema at version ${v}, this build expects ${expected}: run migrate`;
  } catch (e) {
    db = undefined;
    return `database unreachable: ${e.message}`;
  }
}

function send(res, status, body) {
  const json = typeof body !== "string";
  res.writeHead(status, {
    "content-type": json ? "application/json" : "text/plain; charset=utf-8",
    "cache-control": "no-store",
  });
  res.end(json ? JSON.stringify(body) : `${body}\n`);
}

async function readJson(req) {
  let data = "";
  for await (const chunk of req) {
    data += chunk;
    if (data.length > 64 * 1024) throw new Error("body too large");
  }
  return JSON.parse(data || "{}");
}

const routes = {
  "GET /livez": (_req, res) => send(res, 200, "ok"),
  "GET /readyz": (_req, res) => {
    const reason = notReadyReason();
    send(res, reason ? 503 : 200, reason ?? "ready");
  },
  "GET /healthz": (_req, res) => {
    let schema = null;
    let status = "ok";
    try {
      schema = schemaVersion(database());
    } catch (e) {
      status = `error: ${e.message}`;
    }
    send(res, 200, {
      service: "backend",
      sha: settings.sha,
      schemaVersion: schema,
      expectedSchemaVersion: expected,
      db: status,
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
    });
  },
  "GET /version": (_req, res) => send(res, 200, { service: "backend", sha: settings.sha }),
  "GET /api/version": (_req, res) => send(res, 200, { service: "backend", sha: settings.sha }),
  "GET /api/notes": (_req, res) =>
    send(
      res,
      200,
      database().prepare("SELECT id, text, created_at FROM notes ORDER BY id DESC LIMIT 100").all(),
    ),
  "GET /api/notes/count": (_req, res) =>
    send(res, 200, { count: database().prepare("SELECT COUNT(*) AS n FROM notes").get().n }),
  "POST /api/notes": async (req, res) => {
    const body = await readJson(req);
    if (typeof body.text !== "string" || body.text.length === 0 || body.text.length > 1000) {
      return send(res, 400, { error: "text: a string of 1 to 1000 characters" });
    }
    // One statement, one committed transaction: acknowledged means durable in the DB.
    const { lastInsertRowid } = database().prepare("INSERT INTO notes (text) VALUES (?)").run(body.text);
    send(res, 201, { id: Number(lastInsertRowid) });
  },
};

const server = createServer(async (req, res) => {
  const path = (req.url ?? "/").split("?")[0];
  const route = routes[`${req.method} ${path}`];
  if (!route) return send(res, 404, { error: "not found" });
  try {
    await route(req, res);
  } catch (e) {
    send(res, 500, { error: e.message });
  }
});

server.listen(settings.port, "0.0.0.0", () => {
  console.log(`backend ${settings.sha} listening on ${settings.port}, expecting schema ${expected}`);
});

// docker stop sends SIGTERM: stop accepting, finish in-flight requests, close the DB
// (which checkpoints the WAL), exit 0. Bounded, so a stuck client cannot hold us.
function shutdown(signal) {
  console.log(`${signal}: shutting down`);
  server.close(() => {
    db?.close();
    process.exit(0);
  });
  server.closeIdleConnections?.();
  setTimeout(() => {
    db?.close();
    process.exit(0);
  }, 5000).unref();
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));

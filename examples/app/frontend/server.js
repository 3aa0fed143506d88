// The frontend: a static page plus the same probes as the backend. The page talks to
// the backend through nginx (/api/…), so the two are deployed and served together.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";

const port = Number(process.env.PORT || 8080);
const sha = process.env.GIT_SHA || "unknown";
const page = readFileSync(new URL("./public/index.html", import.meta.url), "utf8").replaceAll("{{SHA}}", sha);

const server = createServer((req, res) => {
  const path = (req.url ?? "/").split("?")[0];
  const reply = (status, type, body) => {
    res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
    res.end(body);
  };
  if (req.method !== "GET" && req.method !== "HEAD") return reply(405, "text/plain", "method not allowed\n");
  if (path === "/livez" || path === "/readyz") return reply(200, "text/plain", "ok\n");
  if (path === "/version")
    return reply(200, "application/json", JSON.stringify({ service: "frontend", sha }));
  if (path === "/" || path === "/index.html") return reply(200, "text/html; charset=utf-8", page);
  reply(404, "text/plain", "not found\n");
});

server.listen(port, "0.0.0.0", () => console.log(`frontend ${sha} listening on ${port}`));
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

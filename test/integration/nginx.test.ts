/**
 * berth's nginx server blocks, rendered by nginx/render.sh and served by a real nginx
 * on loopback with a self-signed certificate in place of certbot's: HTTP→HTTPS, routes,
 * the /content-asset/ cache, and the maintenance flag (503 + Retry-After + page, the
 * admin-IP bypass, no reload needed).
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, tempDir } from "../helpers/lab.js";

const NAME = "shop.berth.test";
const HTTP = 28180;
const HTTPS = 28543;
const dir = tempDir("berth-nginx-");
const root = join(dir, "app");
const flag = join(root, "production", "maintenance", "MAINTENANCE_ON");
const backendHits: string[] = [];
let frontend: Server;
let backend: Server;

function listen(handler: Parameters<typeof createServer>[1]): Promise<Server> {
  const s = createServer(handler);
  return new Promise((r) => s.listen(0, "127.0.0.1", () => r(s)));
}
const port = (s: Server) => (s.address() as AddressInfo).port;

/** nginx/render.sh with `--name value` for each option. */
function render(options: Record<string, string>) {
  const args = Object.entries(options).flatMap(([name, value]) => [`--${name}`, value]);
  return spawnSync("bash", [join(repoRoot, "nginx/render.sh"), ...args], { encoding: "utf8" });
}

/**
 * curl, as a browser would reach the site: by name, pinned to 127.0.0.1, from `source`.
 * Asynchronous, so this process's upstream servers can answer meanwhile.
 */
async function curl(url: string, source = "127.0.0.1", extra: string[] = []) {
  const { stdout: out } = await promisify(execFile)(
    "curl",
    [
      "-sk",
      "--max-time",
      "10",
      "--interface",
      source,
      "--resolve",
      `${NAME}:${HTTP}:127.0.0.1`,
      "--resolve",
      `${NAME}:${HTTPS}:127.0.0.1`,
      "-D",
      "-",
      ...extra,
      url,
    ],
    { encoding: "utf8" },
  );
  const [head = "", ...body] = out.split("\r\n\r\n");
  const lines = head.split("\r\n");
  const status = Number(lines[0]?.split(" ")[1]);
  const headers = Object.fromEntries(
    lines.slice(1).map((l) => {
      const i = l.indexOf(":");
      return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()];
    }),
  );
  return { status, headers, body: body.join("\r\n\r\n") };
}

const site = `https://${NAME}:${HTTPS}`;

describe("nginx server blocks", () => {
  beforeAll(async () => {
    frontend = await listen((_req, res) => res.end("frontend page"));
    backend = await listen((req, res) => {
      backendHits.push(req.url ?? "");
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ backend: req.url, proto: req.headers["x-forwarded-proto"] }));
    });
    // The app root as berth lays it out on a VPS, with berth's nginx pieces installed by
    // `berth install` (world-readable for nginx's workers, whatever the checkout's modes).
    mkdirSync(join(root, "production", "maintenance"), { recursive: true });
    execFileSync("bash", [join(repoRoot, "vps-scripts/bin/berth"), "install"], {
      env: { ...process.env, BERTH_ROOT: root },
    });
    const certs = join(dir, "certs");
    mkdirSync(certs);
    execFileSync("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ed25519",
      "-nodes",
      "-days",
      "2",
      "-subj",
      `/CN=${NAME}`,
      "-keyout",
      join(certs, "privkey.pem"),
      "-out",
      join(certs, "fullchain.pem"),
    ]);
    const cache = join(dir, "cache");
    mkdirSync(cache);
    execFileSync("chown", ["www-data", cache]);
    for (const d of [dir, root, join(root, "production"), join(root, "production", "maintenance")])
      chmodSync(d, 0o755);

    const r = render({
      env: "production",
      "server-name": NAME,
      root,
      "frontend-port": String(port(frontend)),
      "backend-port": String(port(backend)),
      "cert-dir": certs,
      "cache-dir": cache,
      "http-listen": `127.0.0.1:${HTTP}`,
      "https-listen": `127.0.0.1:${HTTPS}`,
      "admin-ip": "127.0.0.2",
    });
    expect(r.stderr).toBe("");
    writeFileSync(join(dir, "site.conf"), r.stdout);
    mkdirSync(join(dir, "logs"));
    writeFileSync(
      join(dir, "nginx.conf"),
      `user www-data;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 64; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  client_body_temp_path ${dir}/tmp-body;
  proxy_temp_path ${dir}/tmp-proxy;
  fastcgi_temp_path ${dir}/tmp-fastcgi;
  uwsgi_temp_path ${dir}/tmp-uwsgi;
  scgi_temp_path ${dir}/tmp-scgi;
  include ${dir}/site.conf;
}
`,
    );
    const t = spawnSync("nginx", ["-t", "-p", dir, "-c", join(dir, "nginx.conf")], { encoding: "utf8" });
    expect(t.stderr).toContain("syntax is ok");
    expect(t.status).toBe(0);
    execFileSync("nginx", ["-p", dir, "-c", join(dir, "nginx.conf")]);
  });

  afterAll(() => {
    spawnSync("nginx", ["-p", dir, "-c", join(dir, "nginx.conf"), "-s", "stop"]);
    frontend?.close();
    backend?.close();
  });

  it("refuses bad values before printing anything", () => {
    const valid = {
      env: "prod",
      "server-name": NAME,
      root: "/opt/app",
      "frontend-port": "1",
      "backend-port": "2",
    };
    const bads: Record<string, string>[] = [
      { env: "prod;rm" },
      { "server-name": "a b" },
      { root: "/opt/../etc" },
      { "frontend-port": "1|x" },
      { "admin-ip": "1.2.3.4; allow all" },
    ];
    for (const bad of bads) {
      const r = render({ ...valid, ...bad });
      expect(r.status, JSON.stringify(bad)).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^nginx\/render\.sh: --[a-z-]+ .*: use /);
    }
  });

  it("redirects HTTP to HTTPS but serves certbot's challenge path", async () => {
    const r = await curl(`http://${NAME}:${HTTP}/some/page?x=1`);
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe(`https://${NAME}/some/page?x=1`);
    expect((await curl(`http://${NAME}:${HTTP}/.well-known/acme-challenge/nope`)).status).toBe(404);
  });

  it("routes / to the frontend and /api/, /auth/ to the backend", async () => {
    expect((await curl(`${site}/`)).body).toBe("frontend page");
    expect(JSON.parse((await curl(`${site}/api/notes`)).body)).toEqual({
      backend: "/api/notes",
      proto: "https",
    });
    expect(JSON.parse((await curl(`${site}/auth/login`)).body).backend).toBe("/auth/login");
    expect((await curl(`${site}/`)).headers["strict-transport-security"]).toContain("max-age=");
  });

  it("caches /content-asset/", async () => {
    const first = await curl(`${site}/content-asset/logo.png`);
    const second = await curl(`${site}/content-asset/logo.png`);
    expect(first.headers["x-cache-status"]).toBe("MISS");
    expect(second.headers["x-cache-status"]).toBe("HIT");
    expect(backendHits.filter((u) => u === "/content-asset/logo.png")).toHaveLength(1);
  });

  it("maintenance: flag on → 503 + Retry-After + page for everyone but admin IPs; off → 200, no reload", async () => {
    writeFileSync(flag, "{}\n");
    try {
      for (const path of ["/", "/api/notes"]) {
        const r = await curl(`${site}${path}`);
        expect(r.status).toBe(503);
        expect(r.headers["retry-after"]).toBe("30");
        expect(r.headers["cache-control"]).toBe("no-store");
        expect(r.body).toContain("<h1>We'll be right back</h1>");
      }
      const post = await curl(`${site}/api/notes`, "127.0.0.1", ["-X", "POST", "--data", "{}"]);
      expect(post.status).toBe(503);
      expect(post.headers["retry-after"]).toBe("30");
      expect(post.body).toContain("down for maintenance");
      const admin = await curl(`${site}/api/notes`, "127.0.0.2");
      expect(admin.status).toBe(200);
    } finally {
      rmSync(flag);
    }
    expect((await curl(`${site}/`)).status).toBe(200);
  });
});

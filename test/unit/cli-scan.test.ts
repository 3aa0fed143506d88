/**
 * The pure readers behind `berth init` and `berth check`: Dockerfiles, SQLite paths,
 * health routes, migration commands, YAML scalars, loader errors as findings, and
 * caller workflows checked against berth's reusable ones.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile and workflow expressions are data here
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { checkCallers } from "../../src/cli/check-workflows.js";
import { findingsFromConfigError, formatFinding } from "../../src/cli/findings.js";
import { berthCommit, berthRepository, githubSlug, reusableWorkflows } from "../../src/cli/home.js";
import { bootMigration } from "../../src/cli/init-boot.js";
import { appNameFrom } from "../../src/cli/init-plan.js";
import { scalar } from "../../src/cli/init-render.js";
import {
  djangoDatabases,
  healthRoutes,
  packageJsonMigrate,
  parseDockerfile,
  railsProductionDatabases,
  sqlitePaths,
} from "../../src/cli/init-scan.js";
import { repoRoot, tempDir } from "../helpers/lab.js";

describe("parseDockerfile", () => {
  it.each<[string, object]>([
    ["ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n", { requiredArgs: ["BASE_IMAGE"], args: ["BASE_IMAGE"] }],
    ["ARG BASE=node:20\nFROM $BASE\n", { requiredArgs: [], args: ["BASE"] }],
    ["ARG UNUSED\nFROM node:20\nARG LATER\n", { requiredArgs: [], args: ["UNUSED", "LATER"] }],
    [
      "FROM node:20 AS build\nWORKDIR /src\nEXPOSE 9999\nFROM node:20-slim\nWORKDIR /app\nWORKDIR sub\nEXPOSE 3000/tcp 53/udp\n",
      { workdir: "/app/sub", expose: [3000] },
    ],
    ["from node:20\nworkdir \\\n  /rails\n", { workdir: "/rails", expose: [] }],
    // Rails 8's layout: the final stage is FROM base, and keeps base's WORKDIR.
    [
      'ARG RUBY_VERSION=3.3\nFROM ruby:$RUBY_VERSION-slim AS base\nWORKDIR /rails\nFROM base AS build\nWORKDIR /tmp/x\nFROM base\nENTRYPOINT ["/rails/bin/docker-entrypoint"]\nCMD ["./bin/rails", "server"]\n',
      {
        workdir: "/rails",
        finalStage: "FROM base",
        stages: 3,
        startLines: ['ENTRYPOINT ["/rails/bin/docker-entrypoint"]', 'CMD ["./bin/rails", "server"]'],
      },
    ],
    [
      "FROM alpine AS base\nHEALTHCHECK --interval=5s CMD wget -qO- http://127.0.0.1:8080/alive || exit 1\nFROM base AS runtime\n",
      { finalStage: "FROM base AS runtime", healthcheckPath: "/alive" },
    ],
    ["FROM alpine\nHEALTHCHECK NONE\n", { healthcheckPath: undefined }],
  ])("%j", (text, expected) => {
    expect(parseDockerfile(text)).toMatchObject(expected);
  });
});

describe("djangoDatabases", () => {
  const settings = (name: string, extra = "") =>
    `${extra}DATABASES = {\n    "default": {\n        "ENGINE": "django.db.backends.sqlite3",\n        "NAME": ${name},\n    }\n}\n`;
  it.each<[string, string[]]>([
    [settings('"/var/opt/app/db.sqlite3"'), ["/var/opt/app/db.sqlite3"]],
    [
      settings('BASE_DIR / "db.sqlite3"', "BASE_DIR = Path(__file__).resolve().parent.parent\n"),
      ["db.sqlite3"],
    ],
    [
      settings(
        'DATA_DIR / "db.sqlite3"',
        'DATA_DIR = Path(os.environ.get("LEDGER_DATA_DIR", "/var/opt/ledger"))\n',
      ),
      ["/var/opt/ledger/db.sqlite3"],
    ],
    [settings('os.path.join(DATA, "app.db")', "DATA = '/srv/data/'\n"), ["/srv/data/app.db"]],
    [settings("env('DB_PATH')"), []],
    [
      'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "/data/x.sqlite3"}}',
      ["/data/x.sqlite3"],
    ],
    ['DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "shop"}}', []],
  ])("%#", (text, expected) => {
    expect(djangoDatabases(text)).toEqual(expected);
  });
});

describe("sqlitePaths", () => {
  it.each<[string, string[]]>([
    ["DATABASE_URL=sqlite:////data/api.db", ["/data/api.db"]],
    ["DATABASE_URL=sqlite+aiosqlite:///./data/app.db", ["data/app.db"]],
    ['url = "file:./prod.db"', ["prod.db"]],
    ["DATABASE_PATH=/data/app.db", ["/data/app.db"]],
    ["  - storage/production.sqlite3", ["storage/production.sqlite3"]],
    ["storage/test.sqlite3 storage/development.sqlite3 dev.db tests/x.db", []],
    ["app.dbx notes.db.bak", []],
    ["a.db a.db ./a.db", ["a.db"]],
  ])("%j → %j", (text, expected) => {
    expect(sqlitePaths(text)).toEqual(expected);
  });

  it("reads a Rails database.yml's production entries only", () => {
    const yml = `default: &default
  adapter: sqlite3
development:
  database: storage/development.sqlite3
production:
  primary:
    <<: *default
    database: storage/production.sqlite3
  cache:
    database: "storage/production_cache.sqlite3"
  other:
    database: <%= ENV["X"] %>
test:
  database: storage/test.sqlite3
`;
    expect(railsProductionDatabases(yml)).toEqual([
      "storage/production.sqlite3",
      "storage/production_cache.sqlite3",
    ]);
  });
});

describe("healthRoutes and migrate commands", () => {
  it.each<[string, string[]]>([
    ['if (url === "/readyz") …; app.get("/up")', ["/readyz", "/up"]],
    ['  get "up" => "rails/health#show"', ["/up"]],
    ["@app.get('/healthz')", ["/healthz"]],
    ['router.get("/livez") /upload "/users"', []],
    // Django's path() takes the route without its leading slash; path('update') is not /up.
    ["    path('update', views.update_balances),\n    path('up', up),", ["/up"]],
    ['re_path(r"^healthz/?$", views.health)', ["/healthz"]],
    ['path("health/", views.health)', ["/health"]],
    ['.route("/api/health", get(health)).route("/api/items", …)', ["/api/health"]],
    ['mux.HandleFunc("/alive", h); mux.HandleFunc("/healthz", h)', ["/healthz", "/alive"]],
    ['"/api/v1/status" "/uploads/up-to-date"', []],
  ])("%j → %j", (text, expected) => {
    expect(healthRoutes(text)).toEqual(expected);
  });

  it.each<[string, string | undefined]>([
    ['if [ "$1" == "./bin/rails" ]; then\n  ./bin/rails db:prepare\nfi', "rails db:prepare/db:migrate"],
    ['python manage.py migrate --noinput\nexec "$@"', "manage.py migrate"],
    ['CMD ["sh", "-c", "npx prisma migrate deploy && node src/server.js"]', "prisma migrate deploy"],
    ["knex.migrate\n  .latest()\n  .then(() => app.listen(3000))", "knex migrate.latest()"],
    ["return db, db.AutoMigrate(&Link{})", "gorm AutoMigrate"],
    ['conn.run_pending_migrations(MIGRATIONS).expect("migrations");', "diesel run_pending_migrations"],
    ['exports.up = (knex) => knex.schema.createTable("notes", …)', undefined],
    ["RUN ./bin/rails assets:precompile", undefined],
  ])("migrates at start: %j → %j", (text, expected) => {
    expect(bootMigration(text)).toEqual(expected);
  });

  it.each<[object, unknown]>([
    [{ scripts: { migrate: "knex migrate:latest" } }, ["npx", "knex", "migrate:latest"]],
    [{ scripts: { "db:migrate": "prisma migrate dev" } }, ["npx", "prisma", "migrate", "deploy"]],
    [{ scripts: { migrate: "node migrate.js" } }, ["node", "migrate.js"]],
    [{ scripts: { migrate: "node a.js && node b.js" } }, "node a.js && node b.js"],
    [{ scripts: { start: "node server.js" } }, undefined],
  ])("package.json %j → %j", (pkg, command) => {
    expect(packageJsonMigrate(JSON.stringify(pkg))?.command).toEqual(command);
  });
});

describe("names and scalars", () => {
  it.each<[string, string | undefined]>([
    ["rails-style", "rails-style"],
    ["My_App", "my-app"],
    ["2048-game", "game"],
    ["___", undefined],
  ])("appNameFrom(%j) = %j", (name, app) => {
    expect(appNameFrom(name)).toBe(app);
  });

  it.each<[string, string | undefined]>([
    ["git@github.com:Acme/shop.git", "Acme/shop"],
    ["https://github.com/acme/shop", "acme/shop"],
    ["ssh://git@github.com/acme/shop.git/", "acme/shop"],
    ["https://gitlab.com/acme/shop.git", undefined],
  ])("githubSlug(%j) = %j", (url, slug) => {
    expect(githubSlug(url)).toBe(slug);
  });

  it.each<[string | number, string]>([
    ["bin/rails", "bin/rails"],
    ["db:prepare", "db:prepare"],
    ["../..", "../.."],
    ["Acme API", '"Acme API"'],
    ["true", '"true"'],
    ["3000", '"3000"'],
    ["a: b", '"a: b"'],
    ["x,y", '"x,y"'],
    ["#x", '"#x"'],
    ["", '""'],
    [22, "22"],
  ])("scalar(%j) = %s, and reads back the same", (v, text) => {
    expect(scalar(v)).toBe(text);
    expect(parse(`[${text}]`)).toEqual([v]);
  });
});

describe("berth's own commit and repository", () => {
  it("come from npm's lock file when npx installed berth from GitHub (no .git)", () => {
    const prefix = tempDir("berth-npx-");
    const home = join(prefix, "node_modules", "berth");
    mkdirSync(home, { recursive: true });
    const sha = "d".repeat(40);
    const lock = {
      packages: { "node_modules/berth": { resolved: `git+ssh://git@github.com/acme/berth.git#${sha}` } },
    };
    writeFileSync(join(prefix, "package-lock.json"), JSON.stringify(lock));
    expect(berthCommit(home)).toBe(sha);
    expect(berthRepository(home)).toBe("acme/berth");
    expect(berthCommit(prefix)).toBeUndefined();
  });
});

describe("findings", () => {
  it("turns the loader's error lines into findings", () => {
    const text = [
      "c/berth.yml: ready.port: 70000 must be a TCP port from 1 to 65535, e.g. 22",
      'c/berth.yml: services.web.image: "Bad Image" is not an image repository',
      "c/berth.yml: environments: (missing) needs at least one environment",
      "c/berth.yml: is not valid YAML: bad indentation",
    ].join("\n");
    expect(findingsFromConfigError("c/berth.yml", text)).toEqual([
      {
        file: "c/berth.yml",
        field: "ready.port",
        value: "70000",
        message: "must be a TCP port from 1 to 65535, e.g. 22",
      },
      {
        file: "c/berth.yml",
        field: "services.web.image",
        value: "Bad Image",
        message: "is not an image repository",
      },
      {
        file: "c/berth.yml",
        field: "environments",
        value: "(missing)",
        message: "needs at least one environment",
      },
      { file: "c/berth.yml", field: "", value: "", message: "is not valid YAML: bad indentation" },
    ]);
    expect(formatFinding({ file: "f", field: "a.b", value: "x y", message: "m" })).toBe('f: a.b: "x y" m');
    expect(formatFinding({ file: "f", field: "", value: "", message: "m" })).toBe("f: m");
  });
});

describe("checkCallers", () => {
  const ctx = {
    reusable: reusableWorkflows(repoRoot),
    environments: ["staging", "production"],
    exists: (p: string) => p === "berth.yml",
    configPath: "berth.yml",
  };
  const sha = "c".repeat(40);
  const caller = (job: string) => ({ file: "w.yml", text: `on: push\njobs:\n  j:\n${job}` });

  it("reads berth's reusable workflows' inputs and secrets", () => {
    const staging = ctx.reusable.find((r) => r.file === "staging.yml");
    expect(Object.keys(staging?.inputs ?? {})).toEqual([
      "berth-ref",
      "berth-repository",
      "config",
      "environment",
      "registry-username",
      "runs-on",
      "build-args",
      "services",
      "attest-provenance",
    ]);
    // Every secret optional: each environment's own under BERTH_* names, the old ones still accepted.
    expect(staging?.secrets).toEqual({
      BERTH_SSH_PRIVATE_KEY: { required: false },
      BERTH_SSH_KNOWN_HOSTS: { required: false },
      BERTH_REGISTRY_TOKEN: { required: false },
      BERTH_REGISTRY_PUSH_TOKEN: { required: false },
      "ssh-private-key": { required: false },
      "ssh-known-hosts": { required: false },
      "registry-password": { required: false },
    });
    // id-token and attestations: the optional provenance job, checked by GitHub even when off.
    expect(staging?.permissions).toEqual({
      contents: "read",
      packages: "write",
      deployments: "write",
      "id-token": "write",
      attestations: "write",
    });
    expect(ctx.reusable.find((r) => r.file === "rollback.yml")?.permissions).toEqual({
      contents: "read",
      deployments: "write",
    });
    expect(ctx.reusable.map((r) => r.file)).not.toContain("ci.yml");
  });

  it.each<[string, string[]]>([
    [`    uses: acme/infra/.github/workflows/staging.yml@v1\n    with: { x: 1 }\n`, []],
    [`    uses: ./.github/workflows/staging.yml\n`, []],
    [
      `    uses: me/berth/.github/workflows/promote.yml@main\n    with: { berth-ref: "${sha}", to: prod }\n    secrets: inherit\n`,
      ["jobs.j.uses", "jobs.j.with.berth-ref", "jobs.j.with.to"],
    ],
    [
      `    uses: me/berth/.github/workflows/promote.yml@${sha}\n    secrets: { BERTH_SSH_KNOWN_HOSTS: x, ssh-private-key: y, colour: z }\n`,
      ["jobs.j.secrets.colour"],
    ],
    [
      `    uses: me/infra/.github/workflows/rollback.yml@${sha}\n    with: { environment: staging }\n    secrets: { BERTH_SSH_PRIVATE_KEY: x }\n`,
      ["jobs.j.secrets.BERTH_SSH_KNOWN_HOSTS"],
    ],
  ])("%s → %j", (job, fields) => {
    expect(checkCallers([caller(job)], ctx).findings.map((f) => f.field)).toEqual(fields);
  });

  it("passes the example app's callers, with no note", () => {
    const dir = join(repoRoot, "examples/app/.github/workflows");
    const files = ["staging.yml", "promote.yml", "rollback.yml"].map((f) => ({
      file: f,
      text: readFileSync(join(dir, f), "utf8"),
    }));
    const report = checkCallers(files, { ...ctx, repository: "acme/example" });
    expect(report.calls.map((c) => c.workflow)).toEqual(["staging.yml", "promote.yml", "rollback.yml"]);
    expect(report.findings).toEqual([]);
    expect(report.notes).toEqual([]);
  });

  it("finds a caller granting less than berth's jobs ask for (GitHub would not start the run)", () => {
    const job = (permissions: string) =>
      `${permissions}    uses: me/berth/.github/workflows/rollback.yml@${sha}\n    with: { environment: staging }\n    secrets: inherit\n`;
    // The old rollback caller: contents only. The job's permissions, else the workflow's.
    const old = checkCallers([caller(job("    permissions: { contents: read }\n"))], ctx).findings;
    expect(old.map((f) => [f.field, f.value])).toEqual([["jobs.j.permissions.deployments", "(missing)"]]);
    expect(old[0]?.message).toMatch(/must be write: berth's rollback\.yml asks for deployments: write/);
    const top = { file: "w.yml", text: `on: push\npermissions: { contents: read }\njobs:\n  j:\n${job("")}` };
    expect(checkCallers([top], ctx).findings.map((f) => f.field)).toEqual(["permissions.deployments"]);
    expect(
      checkCallers([caller(job("    permissions: { contents: read, deployments: write }\n"))], ctx).findings,
    ).toEqual([]);
    expect(checkCallers([caller(job("    permissions: write-all\n"))], ctx).findings).toEqual([]);
    expect(checkCallers([caller(job(""))], ctx).findings).toEqual([]);
  });

  it("refuses secrets: inherit across owners only when it knows this repository's", () => {
    const job = `    uses: me/berth/.github/workflows/rollback.yml@${sha}\n    with: { environment: staging }\n    secrets: inherit\n`;
    expect(checkCallers([caller(job)], ctx).findings).toEqual([]);
    expect(checkCallers([caller(job)], { ...ctx, repository: "ME/app" }).findings).toEqual([]);
    expect(
      checkCallers([caller(job)], { ...ctx, repository: "you/app" }).findings.map((f) => f.field),
    ).toEqual(["jobs.j.secrets"]);
  });
});

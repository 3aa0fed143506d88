/**
 * berth.yml fits repositories that are not the example: berth.yml in a subfolder, a
 * monorepo build context at the repository root, one image for web + worker, several
 * SQLite files, build args and migrate commands that are plain data, Docker Hub names.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { schema as buildPushSchema, specs as buildPushSpecs } from "../../src/actions/build-push/inputs.js";
import { readInputs } from "../../src/actions/common/inputs.js";
import { buildArgv, planBuild } from "../../src/build/plan.js";
import { familiarRepo, loginServers, splitRepo } from "../../src/build/registry.js";
import { loadConfig, parseConfig, resolveEnvironment } from "../../src/config/load.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";

const railsStyle = `
app: shop
services:
  web:
    image: ghcr.io/acme/shop
    build:
      context: ../..
      args:
        APP_TITLE: Acme Shop & Co
        FEATURES: a,b
  worker:
    image: ghcr.io/acme/shop
compose:
  file: ../../compose.yml
database:
  paths: [storage/production.sqlite3, storage/production_queue.sqlite3]
migrate:
  service: web
  command: bin/rails db:prepare && bin/rails runner 'Seed.run'
ready: { service: web, port: 3000, path: /up }
environments:
  staging: { host: vps.example.com, root: /opt/shop }
  production: { host: vps.example.com, root: /opt/shop, database_paths: [/data/shop/primary.sqlite3] }
`;

/** A repository on disk: .git at the top, berth.yml under config/deploy/. */
function repo(berthYml: string): string {
  const root = mkdtempSync(join(tmpdir(), "berth-repo-"));
  mkdirSync(join(root, ".git"));
  mkdirSync(join(root, "config", "deploy"), { recursive: true });
  writeFileSync(join(root, "config", "deploy", "berth.yml"), berthYml);
  writeFileSync(join(root, "compose.yml"), "services: {}\n");
  writeFileSync(join(root, "Dockerfile"), "FROM scratch\n");
  return root;
}

describe("a berth.yml that fits a real repository", () => {
  it("lives in a subfolder and names the compose file and build context at the repository root", () => {
    const root = repo(railsStyle);
    const loaded = loadConfig("config/deploy/berth.yml", root);
    expect(loaded.repoRoot).toBe(root);
    const plan = planBuild(loaded.config, loaded.dir, {
      sha: SHA,
      services: [],
      extraTags: [],
      buildArgs: {},
      source: undefined,
      created: "2026-01-01T00:00:00Z",
    });
    expect(plan.services.map((s) => [s.service, s.services, s.context, s.dockerfile])).toEqual([
      ["web", ["web", "worker"], root, join(root, "Dockerfile")],
    ]);
  });

  it("refuses a path that resolves outside the repository, naming the field", () => {
    const root = repo(railsStyle.replace("context: ../..", "context: ../../.."));
    expect(() => loadConfig("config/deploy/berth.yml", root)).toThrow(
      `config/deploy/berth.yml: services.web.build.context: "../../.." resolves to ${join(root, "..")}, outside the repository (${root}); name a path inside it, relative to berth.yml`,
    );
    const root2 = repo(railsStyle.replace("file: ../../compose.yml", "file: ../../../../etc/passwd"));
    expect(() => loadConfig("config/deploy/berth.yml", root2)).toThrow(
      /compose\.file: .* outside the repository/,
    );
  });

  it("builds one image once for two services, and hands both the same digest's ref", () => {
    const config = parseConfig(railsStyle);
    const plan = planBuild(config, "/repo/config/deploy", {
      sha: SHA,
      services: ["worker"],
      extraTags: [],
      buildArgs: {},
      source: undefined,
      created: "2026-01-01T00:00:00Z",
    });
    expect(plan.services).toHaveLength(1);
    expect(plan.services[0]?.services).toEqual(["web", "worker"]);
  });

  it("passes build-arg values with spaces, commas and & to docker as single argv words", () => {
    const config = parseConfig(railsStyle);
    const plan = planBuild(config, "/repo/config/deploy", {
      sha: SHA,
      services: [],
      extraTags: [],
      buildArgs: { GREETING: 'it\'s "fine" $HOME' },
      source: undefined,
      created: "2026-01-01T00:00:00Z",
    });
    const s = plan.services[0];
    if (!s) throw new Error("no plan");
    const argv = buildArgv(plan, s, false);
    expect(argv).toContain("APP_TITLE=Acme Shop & Co");
    expect(argv).toContain("FEATURES=a,b");
    expect(argv).toContain('GREETING=it\'s "fine" $HOME');
  });

  it("reads the build-args input one KEY=VALUE per line: commas and spaces stay in the value", () => {
    const value = readInputs(buildPushSpecs, buildPushSchema, {
      getInput: (n) => ({ sha: SHA, "build-args": "FEATURES=a,b\nAPP_TITLE=Acme API\n" })[n] ?? "",
      setSecret: () => {},
    });
    expect(value["build-args"]).toEqual({ FEATURES: "a,b", APP_TITLE: "Acme API" });
  });

  it("runs a migrate command given as one string with sh -c, and a list as argv", () => {
    expect(parseConfig(railsStyle).migrate?.command).toEqual([
      "sh",
      "-c",
      "bin/rails db:prepare && bin/rails runner 'Seed.run'",
    ]);
    const listed = parseConfig(
      railsStyle.replace(/command: .*/, 'command: [sh, -c, "alembic upgrade head && python -m app.seed"]'),
    );
    expect(listed.migrate?.command).toEqual(["sh", "-c", "alembic upgrade head && python -m app.seed"]);
  });

  it("backs up several SQLite files as one set, per environment", () => {
    const config = parseConfig(railsStyle);
    expect(resolveEnvironment(config, "staging").databasePaths).toEqual([
      "/opt/shop/staging/storage/production.sqlite3",
      "/opt/shop/staging/storage/production_queue.sqlite3",
    ]);
    expect(resolveEnvironment(config, "production").databasePaths).toEqual(["/data/shop/primary.sqlite3"]);
  });

  it.each([
    ["docker.io/acme/api", "registry-1.docker.io", "acme/api", "acme/api", "docker.io"],
    ["docker.io/nginx", "registry-1.docker.io", "library/nginx", "nginx", "docker.io"],
    ["index.docker.io/acme/api", "registry-1.docker.io", "acme/api", "acme/api", "docker.io"],
    ["registry-1.docker.io/acme/api", "registry-1.docker.io", "acme/api", "acme/api", "docker.io"],
    ["acme/api", "registry-1.docker.io", "acme/api", "acme/api", "docker.io"],
    ["nginx", "registry-1.docker.io", "library/nginx", "nginx", "docker.io"],
    ["ghcr.io/acme/shop", "ghcr.io", "acme/shop", "ghcr.io/acme/shop", "ghcr.io"],
    ["127.0.0.1:25000/x/y", "127.0.0.1:25000", "x/y", "127.0.0.1:25000/x/y", "127.0.0.1:25000"],
  ])(
    "%s is queried at %s as %s, listed by docker as %s, logged in to as %s",
    (repo, host, name, familiar, login) => {
      expect(splitRepo(repo)).toEqual({ host, name });
      expect(familiarRepo(repo)).toBe(familiar);
      expect(loginServers([repo])).toEqual([login]);
    },
  );

  it("logs in to each registry once, Docker Hub however it is spelled", () => {
    expect(
      loginServers(["acme/api", "docker.io/acme/web", "index.docker.io/nginx", "ghcr.io/a/b", "ghcr.io/a/c"]),
    ).toEqual(["docker.io", "ghcr.io"]);
  });
});

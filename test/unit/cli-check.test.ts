/**
 * `berth check`: a clean project, then one broken thing at a time → the exact finding
 * (file, field, value) and a message that says the fix; --json, exit codes, NO_COLOR,
 * and the example app.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose variables and workflow expressions are data here
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCheck } from "../../src/cli/check.js";
import { fakeIo } from "../helpers/fake-io.js";
import { repoRoot, tempDir } from "../helpers/lab.js";

const SHA = "a".repeat(40);
const BASE: Record<string, string> = {
  "berth.yml": `app: shop
services:
  web: { image: ghcr.io/acme/shop, build: { context: . } }
database: { path: data/app.db }
ready: { service: web, port: 3000 }
environments:
  staging: { host: vps.example.com, root: /opt/shop }
`,
  "compose.yml": `services:
  web:
    build: .
    image: shop
    ports: ["127.0.0.1:\${WEB_PORT:-3100}:3000"]
    volumes: ["./data:/app/data"]
    environment:
      SECRET: \${SECRET}
`,
  ".env.example": "SECRET=\nWEB_PORT=3100\n",
  ".github/workflows/staging.yml": `name: staging
on: { push: { branches: [main] } }
jobs:
  staging:
    uses: berth-deploy/berth/.github/workflows/staging.yml@${SHA}
    with:
      environment: staging
    secrets:
      BERTH_SSH_PRIVATE_KEY: \${{ secrets.BERTH_SSH_PRIVATE_KEY }}
      BERTH_SSH_KNOWN_HOSTS: \${{ secrets.BERTH_SSH_KNOWN_HOSTS }}
      BERTH_REGISTRY_TOKEN: \${{ secrets.BERTH_REGISTRY_TOKEN }}
`,
};

function project(edit: (files: Record<string, string>) => void = () => {}): string {
  const dir = tempDir("berth-check-");
  mkdirSync(join(dir, ".git"));
  const files = { ...BASE };
  edit(files);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

async function check(dir: string, args: string[] = []) {
  const io = fakeIo(dir);
  const code = await runCheck(["--json", ...args], io.io);
  return { code, report: JSON.parse(io.out()) };
}

const sub = (file: string, from: string, to: string) => (f: Record<string, string>) => {
  f[file] = (f[file] ?? "").replace(from, to);
};

/** Production on the same server as staging: one Docker engine, one set of host ports. */
const withProduction = sub(
  "berth.yml",
  "  staging: { host: vps.example.com, root: /opt/shop }\n",
  "  staging: { host: vps.example.com, root: /opt/shop }\n  production: { host: vps.example.com, root: /opt/shop }\n",
);
const both =
  (...edits: ((f: Record<string, string>) => void)[]) =>
  (f: Record<string, string>) => {
    for (const e of edits) e(f);
  };
/** A line added to the web service of BASE's compose file. */
const webLine = (line: string) => sub("compose.yml", "    image: shop\n", `    image: shop\n    ${line}\n`);
const POSTGRES = "  db:\n    image: postgres:16\n    volumes: [pgdata:/var/lib/postgresql/data]\n";

describe("berth check", () => {
  it("is clean on a consistent project (exit 0), showing where the database is", async () => {
    const { code, report } = await check(project());
    expect(report.findings).toEqual([]);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.variables).toEqual(["SECRET"]);
    expect(report.databases).toEqual([
      {
        environment: "staging",
        path: "/opt/shop/staging/data/app.db",
        kind: "bind",
        given: "host",
        hostPath: "/opt/shop/staging/data/app.db",
        service: "web",
        containerPath: "/app/data/app.db",
      },
    ]);
  });

  it("resolves a database given as the container path", async () => {
    const { code, report } = await check(
      project(sub("berth.yml", "path: data/app.db", "path: /app/data/app.db")),
    );
    expect(code).toBe(0);
    expect(report.databases[0]).toMatchObject({
      kind: "bind",
      given: "container",
      hostPath: "/opt/shop/staging/data/app.db",
      containerPath: "/app/data/app.db",
    });
  });

  it("resolves a database in a named volume to the project's volume, through the helper container", async () => {
    const dir = project((f) => {
      sub("compose.yml", '    volumes: ["./data:/app/data"]', "    volumes: [appdata:/app/data]")(f);
      f["compose.yml"] += "volumes:\n  appdata:\n";
      sub("berth.yml", "path: data/app.db", "path: /app/data/app.db")(f);
    });
    const { code, report } = await check(dir);
    expect(report.findings).toEqual([]);
    expect(code).toBe(0);
    expect(report.databases[0]).toMatchObject({
      kind: "volume",
      volume: "appdata",
      dockerVolume: "shop-staging_appdata",
      pathInVolume: "app.db",
      containerPath: "/app/data/app.db",
    });
    const human = fakeIo(dir);
    expect(await runCheck([], human.io)).toBe(0);
    expect(human.out()).toContain(
      "database  staging: web:/app/data/app.db → named volume shop-staging_appdata, file app.db (through berth's SQLite helper container)",
    );
  });

  it.each<[string, (f: Record<string, string>) => void, object, RegExp]>([
    [
      "the readiness port is not published",
      sub("compose.yml", '    ports: ["127.0.0.1:${WEB_PORT:-3100}:3000"]\n', ""),
      { file: "berth.yml", field: "ready.port", value: "3000" },
      /is not published by web in compose.yml.*add ports: \["127.0\.0\.1:<host port>:3000"\]/,
    ],
    [
      "the readiness port is published on 0.0.0.0",
      sub("compose.yml", "127.0.0.1:${WEB_PORT:-3100}:3000", "3100:3000"),
      { file: "compose.yml", field: "services.web.ports[0]", value: "3100:3000" },
      /every interface \(0\.0\.0\.0\): Docker's own iptables rules .* past ufw.*"127\.0\.0\.1:3100:3000"/,
    ],
    [
      "a database path no service mounts",
      sub("berth.yml", "path: data/app.db", "path: db/app.db"),
      { file: "berth.yml", field: "database.path", value: "db/app.db" },
      /is \/opt\/shop\/staging\/db\/app\.db on the staging server, but no service in compose.yml mounts a directory holding it.*volumes: \["\.\/db:/,
    ],
    [
      "a ${SECRET} the env example does not list",
      sub(".env.example", "SECRET=\n", ""),
      { file: ".env.example", field: "SECRET", value: "(missing)" },
      /is used by compose.yml \(services\.web\.environment\.SECRET\) without a default.*add SECRET= to \.env\.example/,
    ],
    [
      "a caller passing an input berth's workflow does not declare",
      sub(".github/workflows/staging.yml", "    with:\n", "    with:\n      colour: red\n"),
      { file: ".github/workflows/staging.yml", field: "jobs.staging.with.colour", value: "red" },
      /is not an input of berth's staging\.yml \(it takes: berth-ref, berth-repository, config, environment, registry-username, runs-on, build-args, services, attest-provenance\)/,
    ],
    [
      "a caller whose config input names no file",
      sub(".github/workflows/staging.yml", "    with:\n", "    with:\n      config: deploy/berth.yml\n"),
      { file: ".github/workflows/staging.yml", field: "jobs.staging.with.config", value: "deploy/berth.yml" },
      /names no file in the repository; pass config: berth\.yml/,
    ],
    [
      "a caller pinning two different commits",
      sub(
        ".github/workflows/staging.yml",
        "    with:\n",
        `    with:\n      berth-ref: "${"b".repeat(40)}"\n`,
      ),
      { file: ".github/workflows/staging.yml", field: "jobs.staging.with.berth-ref" },
      /differs from the commit in uses:/,
    ],
    [
      "a caller naming another berth repository than its uses: line",
      sub(".github/workflows/staging.yml", "    with:\n", "    with:\n      berth-repository: evil/berth\n"),
      {
        file: ".github/workflows/staging.yml",
        field: "jobs.staging.with.berth-repository",
        value: "evil/berth",
      },
      /is not the repository in uses: \(berth-deploy\/berth\)/,
    ],
    [
      "a caller not passing the deploy key",
      sub(
        ".github/workflows/staging.yml",
        "      BERTH_SSH_PRIVATE_KEY: ${{ secrets.BERTH_SSH_PRIVATE_KEY }}\n",
        "",
      ),
      {
        file: ".github/workflows/staging.yml",
        field: "jobs.staging.secrets.BERTH_SSH_PRIVATE_KEY",
        value: "(missing)",
      },
      /is not passed, so berth's jobs cannot reach the server; add BERTH_SSH_PRIVATE_KEY: \$\{\{ secrets\.BERTH_SSH_PRIVATE_KEY \}\} \(a secret of each GitHub environment/,
    ],
    [
      "a caller passing no secrets (a called workflow gets none, even from its environment)",
      (f) => {
        f[".github/workflows/staging.yml"] = (f[".github/workflows/staging.yml"] ?? "").replace(
          / {4}secrets:\n(.*\n)*/,
          "",
        );
      },
      { file: ".github/workflows/staging.yml", field: "jobs.staging.secrets", value: "(missing)" },
      /passes no secrets, so berth's jobs get none.*add secrets: BERTH_SSH_PRIVATE_KEY: \$\{\{ secrets\.BERTH_SSH_PRIVATE_KEY \}\}, BERTH_SSH_KNOWN_HOSTS/,
    ],
    [
      "secrets: inherit from another organization than berth's",
      (f) => {
        f[".github/workflows/staging.yml"] = (f[".github/workflows/staging.yml"] ?? "").replace(
          / {4}secrets:\n(.*\n)*/,
          "    secrets: inherit\n",
        );
        f[".git/config"] = '[remote "origin"]\n\turl = git@github.com:acme/shop.git\n';
      },
      { file: ".github/workflows/staging.yml", field: "jobs.staging.secrets", value: "inherit" },
      /passes nothing to berth-deploy\/berth: GitHub's secrets: inherit works only within one organization or enterprise, and this repository is acme\/shop; pass the secrets by name/,
    ],
    [
      "a berth.yml service the compose file does not have",
      sub("compose.yml", "  web:\n    build: .\n", "  app:\n"),
      { file: "berth.yml", field: "services.web", value: "web" },
      /is not a service in compose\.yml \(it has: app\)/,
    ],
    [
      "a compose service built on the server",
      sub("compose.yml", "services:\n", "services:\n  admin:\n    build: ./admin\n"),
      { file: "compose.yml", field: "services.admin.build", value: "./admin" },
      /is built on the server, which berth never does.*add admin to berth\.yml services:/,
    ],
    [
      "a service that can write the database but is not stopped",
      (f) => {
        sub(
          "compose.yml",
          "services:\n",
          "services:\n  worker:\n    image: shop\n    volumes: [./data:/app/data]\n",
        )(f);
        sub("berth.yml", "services:\n", "services:\n  worker: { image: ghcr.io/acme/shop }\n")(f);
        f["berth.yml"] += "migrate: { service: web, command: [migrate] }\n";
      },
      { file: "berth.yml", field: "writers", value: "web" },
      /leaves out worker, which mounts \/opt\/shop\/staging\/data\/app\.db read-write.*writers: \[web, worker\]/,
    ],
    [
      "a database in a tmpfs",
      (f) => {
        sub(
          "compose.yml",
          '    volumes: ["./data:/app/data"]',
          "    volumes: [{ type: tmpfs, target: /app/data }]",
        )(f);
        sub("berth.yml", "path: data/app.db", "path: /app/data/app.db")(f);
      },
      { file: "berth.yml", field: "database.path", value: "/app/data/app.db" },
      /is in web's tmpfs at \/app\/data: it does not outlive the container/,
    ],
    [
      "a berth.yml the loader refuses",
      sub("berth.yml", "port: 3000", "port: 70000"),
      { file: "berth.yml", field: "ready.port", value: "70000" },
      /must be a TCP port from 1 to 65535/,
    ],
    [
      "a compose file that is not YAML",
      (f) => {
        f["compose.yml"] = "services: [\n";
      },
      { file: "compose.yml", field: "", value: "" },
      /^is not valid YAML at line 2, column 1: .*; fix the file there/,
    ],
    [
      "a berth.yml that is not YAML: one finding, with its line and column",
      (f) => {
        f["berth.yml"] = "app: shop\nservices:\n  web: {image: a\nready: [\n";
      },
      { file: "berth.yml", field: "", value: "" },
      /^is not valid YAML at line 4, column 1: Flow map in block collection must be sufficiently indented and end with a \}; fix the file there$/,
    ],
    [
      "an unknown berth.yml key, with the key it probably means",
      sub("berth.yml", "database: {", "databse: {"),
      { file: "berth.yml", field: "databse", value: "" },
      /^is not a known key; did you mean database\? the keys allowed at the top level are: app, services, compose, database, migrate, unmanaged, writers, ready/,
    ],
    [
      "an empty port (shown as empty, never null)",
      sub("berth.yml", "port: 3000", "port: "),
      { file: "berth.yml", field: "ready.port", value: "(empty)" },
      /must be a TCP port/,
    ],
    [
      "an empty host (shown as empty, never null)",
      sub("berth.yml", "host: vps.example.com", "host: "),
      { file: "berth.yml", field: "environments.staging.host", value: "(empty)" },
      /^must be a hostname or IP address \(a string\), e\.g\. vps\.example\.com$/,
    ],
    [
      "an env_file no one creates or ships",
      webLine("env_file: .env"),
      { file: "compose.yml", field: "services.web.env_file", value: ".env" },
      /^is read from \/opt\/shop\/staging\/\.env on the staging server when the containers are created, a file berth setup does not create and no deploy uploads .*the first deploy fails \("env file \/opt\/shop\/staging\/\.env not found"\); read the environment's own env file instead, env_file: \.\.\/env\/\$\{BERTH_ENV\}\.env \(berth sets BERTH_ENV; that is \/opt\/shop\/env\/staging\.env, which berth setup creates\)/,
    ],
    [
      "a publish of 443, which nginx owns",
      sub("compose.yml", ':3000"]', ':3000", "443:443"]'),
      { file: "compose.yml", field: "services.web.ports[1]", value: "443:443" },
      /^publishes host port 443, which nginx owns on the server .*"address already in use"\); remove this entry: nginx terminates TLS and proxies to web:3000 \(127\.0\.0\.1:\$\{WEB_PORT:-3100\}:3000\); or publish it on loopback only: "127\.0\.0\.1:8443:443"$/,
    ],
    [
      "a container_name when two environments share one Docker engine",
      both(withProduction, webLine("container_name: shop")),
      { file: "compose.yml", field: "services.web.container_name", value: "shop" },
      /^names the container "shop" in every environment, and staging and production run on one Docker engine \(vps\.example\.com\): the second environment's deploy fails .*; remove container_name: \(compose then names it shop-staging-web-1/,
    ],
    [
      "a fixed host port two environments on one host both publish (the fix: a port variable per environment)",
      both(withProduction, sub("compose.yml", "${WEB_PORT:-3100}", "3100")),
      { file: "compose.yml", field: "services.web.ports[0]", value: "127.0.0.1:3100:3000" },
      /^publishes host port 3100 in every environment, and staging and production run on one host \(vps\.example\.com\): the second to start fails \("port is already allocated"\); give each environment its own host port: "127\.0\.0\.1:\$\{WEB_PORT\}:3000", with WEB_PORT=3100 in staging's env file \(\/opt\/shop\/env\/staging\.env\) and WEB_PORT=3101 in production's env file \(\/opt\/shop\/env\/production\.env\)$/,
    ],
    [
      "a service on the host's network when two environments share the host",
      both(
        withProduction,
        sub(
          "compose.yml",
          "services:\n",
          "services:\n  mailer:\n    image: mailer\n    network_mode: host\n",
        ),
      ),
      { file: "compose.yml", field: "services.mailer.network_mode", value: "host" },
      /^puts mailer on the host's network in every environment, .*the second fails to bind; remove network_mode: host/,
    ],
    [
      "an include: (its files are not uploaded)",
      (f) => {
        f["compose.yml"] = `include: [./ops/metrics.yml]\n${f["compose.yml"]}`;
      },
      { file: "compose.yml", field: "include", value: "./ops/metrics.yml" },
      /^merges other compose files, and the deploy uploads compose\.yml alone, never the files it names: the first deploy fails to find \.\/ops\/metrics\.yml; copy the services you deploy into compose\.yml and drop include:$/,
    ],
    [
      "an extends: from another file",
      webLine("extends: { file: base.yml, service: app }"),
      { file: "compose.yml", field: "services.web.extends.file", value: "base.yml" },
      /^is read on the server, and the deploy uploads compose\.yml alone.*copy the fields web takes from app into web and drop extends:$/,
    ],
    [
      "a service berth deploys only in a profile",
      webLine("profiles: [web]"),
      { file: "compose.yml", field: "services.web.profiles", value: "web" },
      /^puts web, which berth deploys, in a profile: berth runs compose without --profile, so web never starts .*; remove profiles: from web$/,
    ],
    [
      "a PostgreSQL server berth.yml does not acknowledge",
      (f) => {
        sub("compose.yml", "services:\n", `services:\n${POSTGRES}`)(f);
        f["compose.yml"] += "volumes:\n  pgdata:\n";
      },
      { file: "compose.yml", field: "services.db.image", value: "postgres:16" },
      /^runs PostgreSQL, with its data in the named volume pgdata \(\/var\/lib\/postgresql\/data\): berth backs up SQLite files only: no backup before a deploy, no restore on rollback, and migrations run against it without a safety copy\. Back it up yourself .*then acknowledge it in berth\.yml: unmanaged: \[db\]$/,
    ],
    [
      "an unmanaged: entry naming no service",
      (f) => {
        f["berth.yml"] += "unmanaged: [pg]\n";
      },
      { file: "berth.yml", field: "unmanaged[0]", value: "pg" },
      /^is not a service in compose\.yml \(it has: web\); name the compose service that runs the database$/,
    ],
  ])("finds %s (exit 1)", async (_, edit, expected, message) => {
    const { code, report } = await check(project(edit));
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject(expected);
    expect(report.findings[0].message).toMatch(message);
  });

  it.each<[string, (f: Record<string, string>) => void, object, RegExp]>([
    [
      "a container_name (one environment on the host: the swap path is lost)",
      webLine("container_name: shop"),
      { file: "compose.yml", field: "services.web.container_name", value: "shop" },
      /^forces the maintenance path .* two containers cannot share one name; remove container_name:/,
    ],
    [
      "a mount of ~/…",
      sub("compose.yml", '"./data:/app/data"', '"./data:/app/data", "~/uploads:/app/uploads"'),
      { file: "compose.yml", field: "services.web.volumes[1]", value: "~/uploads:/app/uploads" },
      /^mounts ~\/uploads, in the home of the user compose runs as on the server \(deploy\): .*; mount a directory of the environment instead: "\.\/uploads:\/app\/uploads"/,
    ],
    [
      "an absolute mount outside the environment's directory",
      sub("compose.yml", '"./data:/app/data"', '"./data:/app/data", "/srv/uploads:/app/uploads"'),
      { file: "compose.yml", field: "services.web.volumes[1]", value: "/srv/uploads:/app/uploads" },
      /^mounts \/srv\/uploads read-write, outside the staging environment's directory \(\/opt\/shop\/staging\)/,
    ],
    [
      "a port other than the readiness port on 0.0.0.0",
      sub("compose.yml", ':3000"]', ':3000", "9229:9229"]'),
      { file: "compose.yml", field: "services.web.ports[1]", value: "9229:9229" },
      /^publishes port 9229 on every interface \(0\.0\.0\.0\): .*; publish it on loopback only: "127\.0\.0\.1:9229:9229"/,
    ],
    [
      "a service only in a profile that berth does not deploy",
      sub("compose.yml", "services:\n", "services:\n  shell:\n    image: shop\n    profiles: [tools]\n"),
      { file: "compose.yml", field: "services.shell.profiles", value: "tools" },
      /^starts shell only with --profile tools: berth runs compose without profiles/,
    ],
    [
      "an app that migrates as it starts, with no migrate: (the swap path would migrate the live database)",
      (f) => {
        f["entrypoint.sh"] = '#!/bin/sh\npython manage.py migrate --noinput\nexec "$@"\n';
        f["manage.py"] = "#!/usr/bin/env python\n";
      },
      { file: "berth.yml", field: "migrate", value: "(missing)" },
      /^is not set, but entrypoint\.sh migrates the database when the app starts \(manage\.py migrate\): the rehearsal sees no change, the deploy takes the swap path, and the new release migrates the live database beside the old one with no backup .*; add migrate: \{ service: web, command: \[python, manage\.py, migrate\] \}, or, if there is none, swap: \{ enabled: false \} so every deploy stops, backs up and restores on failure$/,
    ],
    [
      "a SQLite file the repository names but berth.yml leaves out",
      (f) => {
        f["config/database.yml"] =
          "production:\n  primary:\n    database: /app/data/app.db\n  queue:\n    database: /app/data/queue.db\n";
      },
      { file: "berth.yml", field: "database.path", value: "data/app.db" },
      /^leaves out data\/queue\.db \(web:\/app\/data\/queue\.db, named in config\/database\.yml\): berth does not back it up before a migration, check it or restore it on rollback; list every SQLite file the app keeps: database: \{ paths: \[data\/app\.db, data\/queue\.db\] \}$/,
    ],
  ])("warns about %s (exit 0)", async (_, edit, expected, message) => {
    const { code, report } = await check(project(edit));
    expect(report.findings).toEqual([]);
    expect(code).toBe(0);
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toMatchObject(expected);
    expect(report.warnings[0].message).toMatch(message);
  });

  it("notes an acknowledged unmanaged database with its consequence (exit 0)", async () => {
    const dir = project((f) => {
      sub("compose.yml", "services:\n", `services:\n${POSTGRES}`)(f);
      f["compose.yml"] += "volumes:\n  pgdata:\n";
      f["berth.yml"] += "unmanaged: [db]\n";
    });
    const io = fakeIo(dir);
    expect(await runCheck([], io.io)).toBe(0);
    expect(io.out()).toContain(
      "note: db (PostgreSQL) is unmanaged (berth.yml unmanaged:): berth backs up SQLite files only: no backup before a deploy, no restore on rollback, and migrations run against it without a safety copy",
    );
  });

  it.each([
    ["a migrate: command", "migrate: { service: web, command: [python, manage.py, migrate] }\n"],
    ["the swap path off", "swap: { enabled: false }\n"],
  ])("does not warn about a migration at start with %s", async (_, line) => {
    const { code, report } = await check(
      project((f) => {
        f["entrypoint.sh"] = "#!/bin/sh\npython manage.py migrate --noinput\n";
        f["berth.yml"] += line;
      }),
    );
    expect(report.warnings).toEqual([]);
    expect(code).toBe(0);
  });

  it("finds a database behind a mount written with trailing slashes", async () => {
    const { code, report } = await check(
      project(sub("compose.yml", '"./data:/app/data"', '"./data/:/app/data/"')),
    );
    expect(report.findings).toEqual([]);
    expect(code).toBe(0);
    expect(report.databases[0]).toMatchObject({ kind: "bind", containerPath: "/app/data/app.db" });
  });

  it("prints one line per finding (file: field: value message), without color under NO_COLOR", async () => {
    const dir = project(sub("compose.yml", "127.0.0.1:${WEB_PORT:-3100}:3000", "3100:3000"));
    const io = fakeIo(dir, { isTTY: true, env: { NO_COLOR: "1" } });
    expect(await runCheck([], io.io)).toBe(1);
    expect(io.out()).toContain(
      '1 finding:\n  compose.yml: services.web.ports[0]: "3100:3000" publishes port 3000',
    );
    expect(io.out()).not.toContain("\u001b[");
    const colored = fakeIo(dir, { isTTY: true });
    await runCheck([], colored.io);
    expect(colored.out()).toContain("\u001b[31m1 finding:");
  });

  it("reports a missing berth.yml with the fix, and a bad option as a usage error", async () => {
    const dir = tempDir();
    const missing = await check(dir);
    expect(missing.code).toBe(1);
    expect(missing.report.findings[0]).toMatchObject({ file: "berth.yml" });
    expect(missing.report.findings[0].message).toMatch(/run berth init to write one, or pass --config/);
    const io = fakeIo(dir);
    expect(await runCheck(["--colour"], io.io)).toBe(1);
    expect(io.err()).toContain("usage: berth check");
  });

  it.each<[string, (f: Record<string, string>) => void, RegExp]>([
    [
      "the deprecated one-key secret names",
      (f) => {
        f[".github/workflows/staging.yml"] = (f[".github/workflows/staging.yml"] ?? "").replace(
          / {4}secrets:\n(.*\n)*/,
          "    secrets:\n      ssh-private-key: ${{ secrets.KEY }}\n      ssh-known-hosts: ${{ secrets.HOSTS }}\n      registry-password: ${{ secrets.GITHUB_TOKEN }}\n",
        );
      },
      /note: .*staging\.yml: jobs\.staging\.secrets: ssh-private-key, ssh-known-hosts, registry-password still work, but are one key for every environment; pass BERTH_SSH_PRIVATE_KEY: \$\{\{ secrets\.BERTH_SSH_PRIVATE_KEY \}\}/,
    ],
    [
      "a berth-ref equal to the uses: commit",
      sub(".github/workflows/staging.yml", "    with:\n", `    with:\n      berth-ref: "${SHA}"\n`),
      /note: .*jobs\.staging\.with\.berth-ref: not needed \(berth's jobs read their own commit from job\.workflow_sha\)/,
    ],
    [
      "secrets: inherit when the origin is not known",
      (f) => {
        f[".github/workflows/staging.yml"] = (f[".github/workflows/staging.yml"] ?? "").replace(
          / {4}secrets:\n(.*\n)*/,
          "    secrets: inherit\n",
        );
      },
      /ok: no findings/,
    ],
    [
      "secrets: inherit within berth's own organization",
      (f) => {
        f[".github/workflows/staging.yml"] = (f[".github/workflows/staging.yml"] ?? "").replace(
          / {4}secrets:\n(.*\n)*/,
          "    secrets: inherit\n",
        );
        f[".git/config"] = '[remote "origin"]\n\turl = https://github.com/Berth-Deploy/shop\n';
      },
      /ok: no findings/,
    ],
  ])("accepts %s, with a note (exit 0)", async (_, edit, note) => {
    const dir = project(edit);
    const io = fakeIo(dir);
    expect(await runCheck([], io.io)).toBe(0);
    expect(io.out()).toContain("ok: no findings");
    expect(io.out()).toMatch(note);
  });

  it("passes the example app (a database mounted from ${DATA_DIR} is a note, not a finding)", async () => {
    const io = fakeIo(repoRoot);
    const code = await runCheck(["--config", "examples/app/berth.yml"], io.io);
    expect(io.out()).toContain("ok: no findings");
    expect(io.out()).toMatch(
      /note: staging: \/srv\/berth-lab\/app\/staging\/data\/app\.db: backend mounts "\$\{DATA_DIR\}:\/data"; the app sees this file at \/data\/app\.db only if DATA_DIR=\/srv\/berth-lab\/app\/staging\/data/,
    );
    expect(code).toBe(0);
  });
});

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { ConfigError } from "../../src/config/errors.js";
import { RESERVED_ENVIRONMENT_NAMES } from "../../src/config/fields.js";
import { parseConfig, resolveEnvironment } from "../../src/config/load.js";

const exampleText = readFileSync(new URL("../../examples/app/berth.yml", import.meta.url), "utf8");

// biome-ignore lint/suspicious/noExplicitAny: tests edit arbitrary YAML shapes, including wrong ones
type Cfg = any;

/** Apply `edit` to the example config and return the error parseConfig throws. */
function errorFor(edit: (c: Cfg) => void): string {
  const c = parse(exampleText);
  edit(c);
  try {
    parseConfig(stringify(c));
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("berth.yml", () => {
  it("parses the example app's config with defaults filled in", () => {
    const c = parseConfig(exampleText);
    expect(c.app).toBe("example");
    expect(Object.keys(c.services)).toEqual(["backend", "frontend"]);
    expect(c.services.backend?.build?.dockerfile).toBe("backend/Dockerfile");
    expect(c.ready).toMatchObject({ service: "backend", port: 3000, path: "/readyz", successes: 3 });
    expect(Object.isFrozen(c.services)).toBe(true);
  });

  it("resolves an environment with the docs/design.md §4 layout", () => {
    const env = resolveEnvironment(parseConfig(exampleText), "staging");
    expect(env).toEqual({
      name: "staging",
      host: "127.0.0.1",
      port: 2222,
      user: "deploy",
      root: "/srv/berth-lab/app",
      url: "http://127.0.0.1:28080",
      envFile: "/srv/berth-lab/app/env/staging.env",
      project: "example-staging",
      databasePaths: ["/srv/berth-lab/app/staging/data/app.db"],
    });
  });

  it("names the environments it knows when asked for another", () => {
    expect(() => resolveEnvironment(parseConfig(exampleText), "prod")).toThrow(
      'input: environment: "prod" is not defined in berth.yml; use one of: staging, production, or add it under environments:',
    );
  });

  // Each row: what a user got wrong → the exact line berth prints (file: path: value fix).
  it.each<[string, (c: Cfg) => void, string]>([
    [
      "uppercase repo",
      (c) => {
        c.services.backend.image = "Acme/Backend";
      },
      'berth.yml: services.backend.image: "Acme/Backend" is not an image repository without tag (lowercase path, optional registry host:port); use e.g. ghcr.io/acme/backend',
    ],
    [
      "repo with a tag",
      (c) => {
        c.services.backend.image = "ghcr.io/acme/backend:latest";
      },
      'berth.yml: services.backend.image: "ghcr.io/acme/backend:latest" is not an image repository without tag (lowercase path, optional registry host:port); use e.g. ghcr.io/acme/backend',
    ],
    [
      "an absolute build context",
      (c) => {
        c.services.backend.build.context = "/etc";
      },
      'berth.yml: services.backend.build.context: "/etc" is not a relative path inside the repository (no leading /); use e.g. backend/Dockerfile',
    ],
    [
      "a newline in a build arg",
      (c) => {
        c.services.backend.build.args.X = "a\ntouch /tmp/p";
      },
      'berth.yml: services.backend.build.args.X: "a\\ntouch /tmp/p" is not a build-arg value of printable characters: it holds a control or format character (newline, tab, NUL, bidi override…); use e.g. "Acme API"',
    ],
    [
      "one image with two build blocks",
      (c) => {
        c.services.frontend.image = c.services.backend.image;
      },
      "berth.yml: services.frontend.build: repeats the build of 127.0.0.1:25000/berth-example/backend, which services.backend.build already declares; one image is built once: remove this build: block (the service shares backend's image)",
    ],
    [
      "both database path and paths",
      (c) => {
        c.database.paths = ["data/b.db"];
      },
      "berth.yml: database: give exactly one of path: (one file) or paths: (a list)",
    ],
    [
      "a migrate command word with a newline",
      (c) => {
        c.migrate.command = ["node", "x\ny"];
      },
      'berth.yml: migrate.command.1: "x\\ny" is not a command word of printable characters: it holds a control or format character (newline, tab, NUL, bidi override…); use e.g. db:migrate',
    ],
    [
      "an offsite repository with a shell metacharacter",
      (c) => {
        c.offsite.repository = "sftp:host:/x;touch /tmp/p";
      },
      'berth.yml: offsite.repository: "sftp:host:/x;touch /tmp/p" is not a restic repository (sftp:, s3:, b2:, rest:, azure:, gs:, swift: or an absolute path); use e.g. sftp:backup@backup.example.com:/srv/restic/shop',
    ],
    [
      "an offsite repository with its password in the URL",
      (c) => {
        c.offsite.repository = "rest:https://user:hunter2@backup.example.com/shop";
      },
      'berth.yml: offsite.repository: "rest:https://user:hunter2@backup.example.com/shop" holds a password in its URL; put it in the server\'s offsite env file instead (RESTIC_REST_PASSWORD for rest:, AWS_SECRET_ACCESS_KEY for s3:)',
    ],
    [
      "no daily offsite snapshot kept",
      (c) => {
        c.offsite.keep.daily = 0;
      },
      "berth.yml: offsite.keep.daily: 0 must keep at least 1 daily snapshot (the newest one), e.g. 7",
    ],
    [
      "a space in a host",
      (c) => {
        c.environments.staging.host = "vps .example.com";
      },
      'berth.yml: environments.staging.host: "vps .example.com" is not a hostname or IP address; use e.g. vps.example.com',
    ],
    [
      "relative server root",
      (c) => {
        c.environments.staging.root = "opt/app";
      },
      'berth.yml: environments.staging.root: "opt/app" is not an absolute path on the server (letters, digits, _ . - /; no ..); use e.g. /opt/shop',
    ],
    [
      "port out of range",
      (c) => {
        c.environments.staging.port = 70000;
      },
      "berth.yml: environments.staging.port: 70000 must be a TCP port from 1 to 65535, e.g. 22",
    ],
    [
      "migrate names an unknown service",
      (c) => {
        c.migrate.service = "api";
      },
      'berth.yml: migrate.service: "api" names no service in services: (have backend, frontend)',
    ],
    [
      "unknown key",
      (c) => {
        c.environments.staging.hots = "x";
      },
      "berth.yml: environments.staging.hots: is not a known key; did you mean host? the keys allowed under environments.staging are: host, port, user, root, url, env_file, project, database_path, database_paths",
    ],
    [
      "missing app",
      (c) => {
        delete c.app;
      },
      "berth.yml: app: (missing) must be a lowercase name (a-z, 0-9, -; starts with a letter) (a string), e.g. shop",
    ],
  ])("%s", (_name, edit, expected) => {
    expect(errorFor(edit)).toBe(expected);
  });

  it("reports YAML syntax errors as such", () => {
    expect(() => parseConfig("app: [unclosed")).toThrow(/^berth\.yml: is not valid YAML/);
  });
});

describe("environment names", () => {
  it.each(["bin", "commands", "env", "helper", "lib", "nginx"])(
    "refuses %s: a directory of the server root, whose next install would replace the environment's ledger and backups",
    (name) => {
      expect(
        errorFor((c) => {
          c.environments[name] = c.environments.staging;
        }),
      ).toMatch(
        new RegExp(
          `environments\\.${name}.*is a directory of the server root .*name the environment otherwise`,
        ),
      );
    },
  );

  it("keeps the runner's reserved names and the server's equal", () => {
    const common = readFileSync(new URL("../../vps-scripts/lib/common.sh", import.meta.url), "utf8");
    const server = /^RESERVED_ENVS=" (.*) "$/m.exec(common)?.[1]?.split(" ");
    expect(server).toEqual([...RESERVED_ENVIRONMENT_NAMES]);
  });
});

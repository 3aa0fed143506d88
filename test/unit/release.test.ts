import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.js";
import { parseConfig, resolveEnvironment } from "../../src/config/load.js";
import { assertUploadable } from "../../src/deploy/bundle.js";
import { rollbackVerb } from "../../src/deploy/rollback.js";
import { parseImages } from "../../src/release/images.js";
import { buildManifest } from "../../src/release/manifest.js";
import { durationSeconds, stopGraceSeconds } from "../../src/release/stop-grace.js";

const config = parseConfig(readFileSync(new URL("../../examples/app/berth.yml", import.meta.url), "utf8"));
const sha = "0123456789abcdef0123456789abcdef01234567";
const digest = `sha256:${"ab".repeat(32)}`;
const images = {
  backend: { repo: "127.0.0.1:25000/berth-example/backend", tag: sha, digest, status: "built" },
  frontend: { repo: "127.0.0.1:25000/berth-example/frontend", tag: sha, digest, status: "reused" },
};

describe("images input", () => {
  it("pins every service as repo:sha@digest", () => {
    expect(parseImages(JSON.stringify(images), config, sha).backend).toEqual({
      repo: "127.0.0.1:25000/berth-example/backend",
      tag: sha,
      digest,
      ref: `127.0.0.1:25000/berth-example/backend:${sha}@${digest}`,
    });
  });

  it.each<[string, unknown, string]>([
    ["not JSON", "{", "input: images: is not JSON"],
    ["a missing service", { backend: images.backend }, 'input: images: has no entry for service "frontend"'],
    [
      "another SHA",
      { ...images, backend: { ...images.backend, tag: "f".repeat(40) } },
      "is not the SHA being deployed",
    ],
    [
      "another repo",
      { ...images, backend: { ...images.backend, repo: "ghcr.io/x/y" } },
      "is not berth.yml's services.backend.image",
    ],
    [
      "a bad digest",
      { ...images, backend: { ...images.backend, digest: "sha256:xyz" } },
      "is not an image digest",
    ],
    ["an extra service", { ...images, db: images.backend }, 'names service "db", which is not in berth.yml'],
  ])("rejects %s", (_n, value, expected) => {
    const json = typeof value === "string" ? value : JSON.stringify(value);
    expect(() => parseImages(json, config, sha)).toThrow(ConfigError);
    expect(() => parseImages(json, config, sha)).toThrow(expected);
  });
});

describe("release manifest", () => {
  it("carries what the server needs, and no secrets", () => {
    const m = buildManifest(
      config,
      resolveEnvironment(config, "staging"),
      sha,
      parseImages(JSON.stringify(images), config, sha),
      "compose.yml",
      {
        actor: "octocat",
        runUrl: "https://github.com/acme/shop/actions/runs/1",
        runId: "1-1-abc",
      },
    );
    expect(m).toMatchObject({
      schema: 1,
      app: "example",
      environment: "staging",
      compose: { file: "compose.yml", project: "example-staging" },
      envFile: "/srv/berth-lab/app/env/staging.env",
      databases: ["/srv/berth-lab/app/staging/data/app.db"],
      migrate: { service: "backend", command: ["node", "backend/migrate.js"] },
      writers: ["backend"],
      ready: {
        service: "backend",
        port: 3000,
        path: "/readyz",
        intervalSeconds: 0.5,
        successes: 3,
        timeoutSeconds: 30,
      },
    });
  });
});

describe("upload guard", () => {
  it.each([
    ".env",
    "env/production.env",
    "certs/tls.key",
    "site.pem",
    "data/app.db",
    "data/app.db-wal",
    "id_ed25519",
  ])("refuses %s", (path) => {
    expect(() => assertUploadable(path)).toThrow(/never leave the runner/);
  });
  it.each([
    "compose.yml",
    "release.json",
    "vps-scripts/bin/berth",
    "nginx/maintenance.html",
    "staging.env.example",
  ])("allows %s", (path) => {
    expect(() => assertUploadable(path)).not.toThrow();
  });
});

describe("rollback verb", () => {
  it.each([
    [
      { environment: "production", sha: undefined, database: undefined, actor: "", runUrl: "" },
      ["rollback", "production"],
    ],
    [
      { environment: "production", sha, database: "restore" as const, actor: "octocat", runUrl: "" },
      ["rollback", "production", "--to", sha, "--restore-db", "--actor", "octocat"],
    ],
    [
      {
        environment: "staging",
        sha: undefined,
        database: "keep" as const,
        actor: "a",
        runUrl: "https://github.com/o/r/actions/runs/1",
      },
      [
        "rollback",
        "staging",
        "--keep-db",
        "--actor",
        "a",
        "--run-url",
        "https://github.com/o/r/actions/runs/1",
      ],
    ],
  ])("%j", (req, argv) => {
    expect(rollbackVerb(req)).toEqual(argv);
  });
});

describe("stop grace periods for the writers", () => {
  it.each([
    ["10s", 10],
    ["1m30s", 90],
    ["500ms", 1],
    ["1h", 3600],
    [15, 15],
    ["2.5s", 3],
  ])("%j → %i s", (value, seconds) => {
    expect(durationSeconds(value)).toBe(seconds);
  });

  it("reads each writer's stop_grace_period, compose's 10 s default otherwise", () => {
    const compose = "services:\n  backend:\n    stop_grace_period: 30s\n  worker: {}\n  web:\n    image: x\n";
    expect(stopGraceSeconds(compose, ["backend", "worker"])).toEqual({ backend: 30, worker: 10 });
  });

  it("leaves the stop to compose when a period cannot be read (a variable, a typo)", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a compose variable
    expect(stopGraceSeconds("services:\n  backend:\n    stop_grace_period: ${GRACE}\n", ["backend"])).toEqual(
      {},
    );
    expect(stopGraceSeconds("services: [", ["backend"])).toEqual({});
  });
});

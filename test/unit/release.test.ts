import { readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { parseDocument } from "yaml";
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
  // Secret values where the runner has them: the compose file's inline environment and
  // the action's inputs (process.env). None may reach release.json, which is uploaded.
  const SECRETS = {
    composeEnvironment: "sk_live_compose_4f9a1c2e7b",
    registryPassword: "ghp_registry_8d3e6f0a1b",
    sshKey: "b3BlbnNzaC1rZXktdjEAAAAAdGVzdA",
  };
  const composeDoc = parseDocument(
    readFileSync(new URL("../../examples/app/compose.yml", import.meta.url), "utf8"),
  );
  composeDoc.setIn(["services", "backend", "environment", "SECRET_KEY_BASE"], SECRETS.composeEnvironment);
  const compose = composeDoc.toString();
  expect(compose).toContain(SECRETS.composeEnvironment);

  const manifest = () => {
    vi.stubEnv("INPUT_REGISTRY-PASSWORD", SECRETS.registryPassword);
    vi.stubEnv("INPUT_SSH-PRIVATE-KEY", `-----BEGIN OPENSSH PRIVATE KEY-----\n${SECRETS.sshKey}\n`);
    try {
      return buildManifest(
        config,
        resolveEnvironment(config, "staging"),
        sha,
        parseImages(JSON.stringify(images), config, sha),
        "compose.yml",
        { actor: "octocat", runUrl: "https://github.com/acme/shop/actions/runs/1", runId: "1-1-abc" },
        compose,
      );
    } finally {
      vi.unstubAllEnvs();
    }
  };

  it("carries exactly what the server needs: every field, and no other", () => {
    const ref = (service: string) => `127.0.0.1:25000/berth-example/${service}:${sha}@${digest}`;
    const image = (service: string) => ({
      repo: `127.0.0.1:25000/berth-example/${service}`,
      tag: sha,
      digest,
      ref: ref(service),
    });
    expect(manifest()).toStrictEqual({
      schema: 1,
      app: "example",
      environment: "staging",
      sha,
      images: { backend: image("backend"), frontend: image("frontend") },
      compose: { file: "compose.yml", project: "example-staging" },
      envFile: "/srv/berth-lab/app/env/staging.env",
      databases: ["/srv/berth-lab/app/staging/data/app.db"],
      migrate: { service: "backend", command: ["node", "backend/migrate.js"] },
      writers: ["backend"],
      stopGraceSeconds: { backend: 10 },
      ready: {
        service: "backend",
        port: 3000,
        path: "/readyz",
        intervalSeconds: 0.25,
        successes: 3,
        timeoutSeconds: 30,
      },
      swap: {
        possible: true,
        why: "",
        file: "compose.slot-b.yml",
        ports: {},
        variables: [
          // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own variable syntax
          { name: "BERTH_SLOT_B_PORT_1", from: "${BACKEND_PORT}" },
          // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own variable syntax
          { name: "BERTH_SLOT_B_PORT_2", from: "${FRONTEND_PORT}" },
        ],
        singletons: [],
        drainSeconds: 30,
        portOffset: 10000,
      },
      keep: { releases: 5, backups: 10 },
      minFreeMB: 100,
      offsite: {
        repository: "sftp:berth-offsite:/repos/example",
        envFile: "/srv/berth-lab/app/env/offsite.env",
        keep: { daily: 7, weekly: 4, monthly: 6 },
        maxAgeHours: 26,
        schedule: "*-*-* 03:15:00",
      },
      actor: "octocat",
      runUrl: "https://github.com/acme/shop/actions/runs/1",
      runId: "1-1-abc",
    });
  });

  it.each(Object.entries(SECRETS))(
    "holds no secret: the %s value appears nowhere in release.json",
    (_, secret) => {
      expect(`${JSON.stringify(manifest(), null, 2)}\n`).not.toContain(secret);
    },
  );
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
  ])("%j → berth %j", (req, argv) => {
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

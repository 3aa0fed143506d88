// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose variables are data here, not templates
import { describe, expect, it } from "vitest";
import {
  ComposeError,
  type DatabaseLocation,
  parseCompose,
  resolveDatabasePath,
} from "../../src/config/compose-model.js";
import { parseMount } from "../../src/config/compose-mounts.js";
import { isLoopback, parsePort } from "../../src/config/compose-ports.js";
import { interpolate, variablesIn } from "../../src/config/compose-vars.js";

describe("compose interpolation", () => {
  it.each<[string, [string, boolean][]]>([
    ["${A}", [["A", true]]],
    ["$A/x", [["A", true]]],
    ["${A:-x}", [["A", false]]],
    ["${A-x}", [["A", false]]],
    ["${A:?set A}", [["A", true]]],
    ["${A?set A}", [["A", true]]],
    ["${A:+on}", [["A", false]]],
    ["$$A and $${B}", []],
    [
      "${A:-${B}}",
      [
        ["A", false],
        ["B", false],
      ],
    ],
    ["${A:-x} then ${A}", [["A", true]]],
    ["price: 5$", []],
    ["${not closed", []],
    ["127.0.0.1:${PORT:-3100}:3000", [["PORT", false]]],
  ])("%s uses %j", (text, expected) => {
    expect(variablesIn(text).map((v) => [v.name, v.required])).toEqual(expected);
  });

  it.each<[string, string, string[]]>([
    ["${A:-./data}:/data", "./data:/data", []],
    ["${A}:/data", "${A}:/data", ["A"]],
    ["$A:/data", "${A}:/data", ["A"]],
    ["${A:+x}y", "y", []],
    ["$${A}", "${A}", []],
    ["${A:-${B:-deep}}", "deep", []],
  ])("interpolates %s", (text, out, unresolved) => {
    expect(interpolate(text)).toEqual({ text: out, unresolved });
  });
});

describe("compose ports", () => {
  const r = (start: number, end = start) => ({ start, end });
  it.each<[unknown, string | undefined, string | undefined, ReturnType<typeof r> | undefined, string]>([
    ["127.0.0.1:3100:3000", "127.0.0.1", "3100", r(3000), "tcp"],
    ["3000", undefined, undefined, r(3000), "tcp"],
    [3000, undefined, undefined, r(3000), "tcp"],
    ["8080:80/tcp", undefined, "8080", r(80), "tcp"],
    ["53:53/udp", undefined, "53", r(53), "udp"],
    ["127.0.0.1::3000", "127.0.0.1", undefined, r(3000), "tcp"],
    ["[::1]:3100:3000", "::1", "3100", r(3000), "tcp"],
    ["9090-9091:8080-8081", undefined, "9090-9091", r(8080, 8081), "tcp"],
    ["127.0.0.1:${WEB_PORT}:3000", "127.0.0.1", "${WEB_PORT}", r(3000), "tcp"],
    ["127.0.0.1:${WEB_PORT:-3100}:3000", "127.0.0.1", "3100", r(3000), "tcp"],
    ["0.0.0.0:80:8080", "0.0.0.0", "80", r(8080), "tcp"],
    [{ target: 3000, published: "3100", host_ip: "127.0.0.1" }, "127.0.0.1", "3100", r(3000), "tcp"],
    [{ target: 53, published: 53, protocol: "udp" }, undefined, "53", r(53), "udp"],
    [{ target: 3000 }, undefined, undefined, r(3000), "tcp"],
  ])("%j", (entry, hostIp, hostPort, containerPort, protocol) => {
    expect(parsePort(entry)).toMatchObject({ hostIp, hostPort, containerPort, protocol });
  });

  it.each<[unknown, RegExp]>([
    ["abc", /no valid container port/],
    ["1:2:3:x", /no valid container port/],
    [{ published: 80 }, /no valid target/],
    [["3000"], /not a port mapping/],
  ])("refuses %j: %s", (entry, message) => {
    expect(parsePort(entry)).toMatch(message);
  });

  it.each<[string | undefined, boolean]>([
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["::1", true],
    ["[::1]", true],
    ["localhost", true],
    ["0.0.0.0", false],
    ["::", false],
    ["10.0.0.5", false],
    [undefined, false],
    ["${BIND}", false],
  ])("isLoopback(%s) = %s", (ip, loop) => {
    expect(isLoopback(ip)).toBe(loop);
  });
});

describe("compose mounts", () => {
  it.each<[unknown, object]>([
    ["./data:/app/data:rw", { type: "bind", source: "./data", target: "/app/data", readOnly: false }],
    ["./data:/app/data:ro", { type: "bind", source: "./data", target: "/app/data", readOnly: true }],
    ["/srv/x:/x", { type: "bind", source: "/srv/x", target: "/x" }],
    ["~/x:/x", { type: "bind", source: "~/x", target: "/x" }],
    // Trailing slashes (a popular README's ./vw-data/:/data/) name the same directories.
    ["./vw-data/:/data/", { type: "bind", source: "./vw-data", target: "/data" }],
    ["./:/srv/", { type: "bind", source: ".", target: "/srv" }],
    ["/:/host:ro", { type: "bind", source: "/", target: "/host" }],
    [
      { type: "bind", source: "./s/", target: "/s/" },
      { type: "bind", source: "./s", target: "/s" },
    ],
    ["storage:/rails/storage", { type: "volume", source: "storage", target: "/rails/storage" }],
    ["/app/cache", { type: "anonymous", source: undefined, target: "/app/cache" }],
    ["${DATA_DIR}:/data", { type: "bind", source: "${DATA_DIR}", target: "/data", unresolved: ["DATA_DIR"] }],
    ["${DATA_DIR:-./data}:/data", { type: "bind", source: "./data", target: "/data", unresolved: [] }],
    [
      { type: "bind", source: "./s", target: "/s" },
      { type: "bind", source: "./s", target: "/s" },
    ],
    [
      { type: "volume", source: "db", target: "/db", read_only: true },
      { type: "volume", readOnly: true },
    ],
    [
      { type: "volume", target: "/anon" },
      { type: "anonymous", target: "/anon" },
    ],
    [
      { type: "tmpfs", target: "/tmp" },
      { type: "tmpfs", target: "/tmp" },
    ],
  ])("%j", (entry, expected) => {
    expect(parseMount(entry)).toMatchObject(expected);
  });

  it.each<[unknown, RegExp]>([
    ["data", /no absolute container path/],
    ["./data:data", /not an absolute container path/],
    ["a:/b:ro:x", /too many/],
    [{ type: "bind", target: "/x" }, /without source/],
    [{ type: "npipe", source: "x", target: "/x" }, /type npipe/],
    [{ source: "x" }, /no absolute target/],
  ])("refuses %j: %s", (entry, message) => {
    expect(parseMount(entry)).toMatch(message);
  });
});

const RAILS = `
name: shop
x-app: &app
  image: ghcr.io/acme/shop
  environment:
    SECRET_KEY_BASE: \${SECRET_KEY_BASE}
    RAILS_ENV: \${RAILS_ENV:-production}
  volumes:
    - ./storage:/rails/storage
services:
  web:
    <<: *app
    build:
      context: .
      dockerfile: Dockerfile
      args: [RUBY_VERSION=3.3]
    user: "1000:1000"
    ports: ["127.0.0.1:\${WEB_PORT:-3100}:3000"]
    healthcheck:
      test: ["CMD", "curl", "-fsS", "http://localhost:3000/up"]
    depends_on:
      redis: { condition: service_healthy }
  worker:
    <<: *app
    command: bin/jobs
    depends_on: [web]
  redis:
    image: redis:7
    volumes: [cache:/data, "/tmp/scratch"]
    healthcheck:
      test: redis-cli ping
volumes:
  cache:
  files:
    driver_opts: { type: none, o: bind, device: /srv/files }
`;

describe("parseCompose", () => {
  const m = parseCompose(RAILS);

  it("reads services through merge keys", () => {
    expect(Object.keys(m.services)).toEqual(["web", "worker", "redis"]);
    expect(m.name).toBe("shop");
    expect(m.services.web).toMatchObject({
      image: "ghcr.io/acme/shop",
      build: { context: ".", dockerfile: "Dockerfile", args: { RUBY_VERSION: "3.3" } },
      user: "1000:1000",
      dependsOn: ["redis"],
      healthcheck: { path: "/up" },
      environment: { RAILS_ENV: "${RAILS_ENV:-production}" },
    });
    expect(m.services.web?.ports[0]).toMatchObject({ hostIp: "127.0.0.1", hostPort: "3100" });
    expect(m.services.worker).toMatchObject({
      image: "ghcr.io/acme/shop",
      build: undefined,
      command: "bin/jobs",
    });
    expect(m.services.worker?.volumes[0]).toMatchObject({ type: "bind", source: "./storage" });
    expect(m.services.redis?.healthcheck).toEqual({ test: ["redis-cli ping"], path: undefined });
    expect(m.volumes).toEqual({
      cache: { name: undefined, external: false, bindDevice: undefined },
      files: { name: undefined, external: false, bindDevice: "/srv/files" },
    });
    expect(m.problems).toEqual([]);
  });

  it("lists variables once, required when any use has no default, with the field using it", () => {
    expect(m.variables).toEqual([
      { name: "SECRET_KEY_BASE", required: true, field: "services.web.environment.SECRET_KEY_BASE" },
      { name: "RAILS_ENV", required: false, field: "services.web.environment.RAILS_ENV" },
      { name: "WEB_PORT", required: false, field: "services.web.ports[0]" },
    ]);
  });

  it.each<[string, string]>([
    ["build: .\n", "services: (missing)"],
    ['"]', "is not valid YAML"],
    ["services: {}\n", "services: (missing)"],
    ["- a\n", "services: (missing)"],
  ])("refuses %j: %s", (text, message) => {
    expect(() => parseCompose(text, "c.yml")).toThrow(ComposeError);
    expect(() => parseCompose(text, "c.yml")).toThrow(`c.yml: ${message}`);
  });

  it("lists entries it cannot read as problems with field and value", () => {
    const p = parseCompose("services:\n  a:\n    ports: [abc]\n    volumes: [data]\n");
    expect(p.problems).toEqual([
      { field: "services.a.ports[0]", value: "abc", message: expect.stringMatching(/container port/) },
      { field: "services.a.volumes[0]", value: "data", message: expect.stringMatching(/container path/) },
    ]);
  });

  it("reads a healthcheck path from CMD-SHELL and wget forms", () => {
    const p = parseCompose(`
services:
  a: { healthcheck: { test: ["CMD-SHELL", "curl -f http://127.0.0.1:8000/healthz || exit 1"] } }
  b: { healthcheck: { test: "wget -qO- http://localhost:3000/ >/dev/null" } }
  c: { healthcheck: { test: ["NONE"] } }
  d: { healthcheck: { test: "curl http://localhost", disable: true } }
`);
    expect(p.services.a?.healthcheck?.path).toBe("/healthz");
    expect(p.services.b?.healthcheck?.path).toBe("/");
    expect(p.services.c?.healthcheck).toBeUndefined();
    expect(p.services.d?.healthcheck).toBeUndefined();
  });
});

describe("resolveDatabasePath", () => {
  const model = parseCompose(`
services:
  web:
    volumes:
      - ./storage:/rails/storage
      - cache:/rails/storage/cache
      - /srv/shared:/shared:ro
      - files:/files
      - /rails/tmp
    tmpfs: /run
  worker:
    volumes: ["./storage:/rails/storage", { type: tmpfs, target: /scratch }]
  api:
    volumes: ["\${DATA_DIR}:/data"]
volumes:
  cache: {}
  files: { driver_opts: { type: none, o: bind, device: /srv/files } }
`);
  const dir = "/opt/shop/staging";
  const bind = (
    given: "host" | "container",
    hostPath: string,
    service: string,
    containerPath: string,
  ): DatabaseLocation => ({
    kind: "bind",
    given,
    hostPath,
    service,
    containerPath,
  });

  it.each<[string, string[], DatabaseLocation]>([
    [
      "storage/production.sqlite3",
      [],
      bind("host", `${dir}/storage/production.sqlite3`, "web", "/rails/storage/production.sqlite3"),
    ],
    [
      `${dir}/storage/queue.sqlite3`,
      ["worker"],
      bind("host", `${dir}/storage/queue.sqlite3`, "worker", "/rails/storage/queue.sqlite3"),
    ],
    [
      "/rails/storage/production.sqlite3",
      [],
      bind("container", `${dir}/storage/production.sqlite3`, "web", "/rails/storage/production.sqlite3"),
    ],
    ["/shared/app.db", [], bind("container", "/srv/shared/app.db", "web", "/shared/app.db")],
    ["/srv/shared/x/app.db", [], bind("host", "/srv/shared/x/app.db", "web", "/shared/x/app.db")],
    ["/files/app.db", [], bind("container", "/srv/files/app.db", "web", "/files/app.db")],
    [
      "/rails/storage/cache/cache.sqlite3",
      [],
      {
        kind: "volume",
        given: "container",
        volume: "cache",
        service: "web",
        containerPath: "/rails/storage/cache/cache.sqlite3",
        pathInVolume: "cache.sqlite3",
      },
    ],
    [
      "/rails/tmp/x.db",
      [],
      {
        kind: "ephemeral",
        given: "container",
        mount: "anonymous",
        service: "web",
        containerPath: "/rails/tmp/x.db",
      },
    ],
    [
      "/scratch/x.db",
      [],
      {
        kind: "ephemeral",
        given: "container",
        mount: "tmpfs",
        service: "worker",
        containerPath: "/scratch/x.db",
      },
    ],
    [
      "/data/api.db",
      [],
      {
        kind: "unresolved",
        given: "container",
        hostPath: undefined,
        service: "api",
        containerPath: "/data/api.db",
        mount: "${DATA_DIR}:/data",
        target: "/data",
        variables: ["DATA_DIR"],
      },
    ],
    [
      "data/api.db",
      [],
      {
        kind: "unresolved",
        given: "host",
        hostPath: `${dir}/data/api.db`,
        service: "api",
        containerPath: undefined,
        mount: "${DATA_DIR}:/data",
        target: "/data",
        variables: ["DATA_DIR"],
      },
    ],
  ])("%s (prefer %j)", (path, prefer, expected) => {
    expect(resolveDatabasePath(model, path, dir, prefer)).toEqual(expected);
  });

  it("a host file under a directory that a deeper mount hides is not seen there", () => {
    // storage/cache on the host is hidden in the container by the cache volume; the
    // worker mounts storage without that volume, so the worker is who sees it.
    expect(resolveDatabasePath(model, "storage/cache/c.db", dir)).toEqual(
      bind("host", `${dir}/storage/cache/c.db`, "worker", "/rails/storage/cache/c.db"),
    );
  });

  it.each<[string, string]>([
    ["data/app.db", `${dir}/data/app.db`],
    ["/var/lib/app/app.db", "/var/lib/app/app.db"],
  ])("%s is unmounted when nothing mounts its directory", (path, hostPath) => {
    const m = parseCompose("services:\n  web:\n    volumes: [./storage:/rails/storage]\n");
    expect(resolveDatabasePath(m, path, dir)).toEqual({ kind: "unmounted", given: "host", hostPath });
  });
});

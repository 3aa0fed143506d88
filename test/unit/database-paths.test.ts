import { describe, expect, it } from "vitest";
import type { ResolvedEnvironment } from "../../src/config/load.js";
import { hostDatabasePaths } from "../../src/deploy/database-paths.js";

const env = (databasePaths: string[]): ResolvedEnvironment => ({
  name: "staging",
  host: "vps",
  port: 22,
  user: "deploy",
  root: "/opt/shop",
  url: undefined,
  envFile: "/opt/shop/env/staging.env",
  project: "shop-staging",
  databasePaths,
});

const rails = `
services:
  web:
    image: shop
    volumes: ["./storage:/rails/storage"]
  worker:
    image: shop
    volumes: ["./storage:/rails/storage"]
  cache:
    image: shop
    volumes: ["cache_data:/var/cache"]
volumes:
  cache_data: {}
`;

describe("database paths as the app sees them become host paths", () => {
  it("translates a container path through the bind mount; a host path stays", () => {
    const r = hostDatabasePaths(
      env(["/rails/storage/production.sqlite3", "/opt/shop/staging/storage/production_queue.sqlite3"]),
      rails,
      "compose.yml",
      ["web"],
    );
    expect(r.paths).toEqual([
      "/opt/shop/staging/storage/production.sqlite3",
      "/opt/shop/staging/storage/production_queue.sqlite3",
    ]);
    expect(r.notes).toEqual([
      "database /rails/storage/production.sqlite3 is the path web sees; on the host it is /opt/shop/staging/storage/production.sqlite3",
    ]);
  });

  it("refuses a database in a named volume, saying what to mount instead", () => {
    expect(() => hostDatabasePaths(env(["/var/cache/c.sqlite3"]), rails, "compose.yml", [])).toThrow(
      'berth.yml: database: "/var/cache/c.sqlite3" lives in the named volume "cache_data" of cache, which the deploy user cannot read; bind-mount a host directory there instead (e.g. ./storage:/var/cache)',
    );
  });

  it("keeps host paths under a mount only the server's env file resolves (the example app)", () => {
    const example = `services:\n  backend:\n    image: x\n    volumes: ["\${DATA_DIR}:/data"]\n`;
    expect(
      hostDatabasePaths(env(["/opt/shop/staging/data/app.db"]), example, "compose.yml", []).paths,
    ).toEqual(["/opt/shop/staging/data/app.db"]);
  });
});

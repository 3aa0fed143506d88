import { describe, expect, it } from "vitest";
import type { ResolvedEnvironment } from "../../src/config/load.js";
import { serverDatabases } from "../../src/deploy/database-paths.js";

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
    const r = serverDatabases(
      env(["/rails/storage/production.sqlite3", "/opt/shop/staging/storage/production_queue.sqlite3"]),
      rails,
      "compose.yml",
      ["web"],
    );
    expect(r.databases).toEqual([
      "/opt/shop/staging/storage/production.sqlite3",
      "/opt/shop/staging/storage/production_queue.sqlite3",
    ]);
    expect(r.notes).toEqual([
      "database /rails/storage/production.sqlite3 is the path web sees; on the host it is /opt/shop/staging/storage/production.sqlite3",
    ]);
  });

  it("resolves a database in a named volume to the project's volume and the path inside it", () => {
    const r = serverDatabases(env(["/var/cache/sub/c.sqlite3"]), rails, "compose.yml", []);
    expect(r.databases).toEqual([
      {
        volume: "shop-staging_cache_data",
        path: "sub/c.sqlite3",
        service: "cache",
        containerPath: "/var/cache/sub/c.sqlite3",
      },
    ]);
    expect(r.notes).toEqual([
      "database /var/cache/sub/c.sqlite3 is the path cache sees; it lives in the named volume shop-staging_cache_data (as sub/c.sqlite3), which berth reaches through its SQLite helper container",
    ]);
  });

  it.each<[string, string, string]>([
    ["a volume with name:", "volumes:\n  data: { name: shop_data }\n", "shop_data"],
    ["an external volume", "volumes:\n  data: { external: true }\n", "data"],
    ["an external volume with name:", "volumes:\n  data: { external: true, name: legacy }\n", "legacy"],
    ["a volume the file does not declare", "", "shop-staging_data"],
  ])("names %s as Docker does", (_, volumes, name) => {
    const compose = `services:\n  web:\n    image: x\n    volumes: ["data:/rails/storage"]\n${volumes}`;
    const r = serverDatabases(env(["/rails/storage/production.sqlite3"]), compose, "compose.yml", ["web"]);
    expect(r.databases).toEqual([
      {
        volume: name,
        path: "production.sqlite3",
        service: "web",
        containerPath: "/rails/storage/production.sqlite3",
      },
    ]);
  });

  it("keeps the set's order, bind and volume mixed", () => {
    const compose = `services:\n  web:\n    image: x\n    volumes: ["data:/rails/storage", "./db:/rails/db"]\n`;
    const r = serverDatabases(
      env(["/rails/storage/production.sqlite3", "/rails/db/queue.sqlite3"]),
      compose,
      "compose.yml",
      [],
    );
    expect(r.databases).toEqual([
      {
        volume: "shop-staging_data",
        path: "production.sqlite3",
        service: "web",
        containerPath: "/rails/storage/production.sqlite3",
      },
      "/opt/shop/staging/db/queue.sqlite3",
    ]);
  });

  it.each<[string, string, string, RegExp]>([
    [
      "a volume name with a variable",
      'volumes:\n  data: { name: "${VOL}" }\n',
      "/rails/storage/production.sqlite3",
      /compose\.yml: volumes\.data\.name: "\$\{VOL\}" is not a Docker volume name berth can use for database "\/rails\/storage\/production\.sqlite3".*write the volume's real name/,
    ],
    [
      "a file name the server would refuse",
      "",
      "/rails/storage/my db.sqlite3",
      /database: "\/rails\/storage\/my db\.sqlite3" is "my db\.sqlite3" inside the volume shop-staging_data; berth accepts letters, digits and _ \. - \/ there: rename the file/,
    ],
    [
      "the volume's own mount point",
      "",
      "/rails/storage",
      /database: "\/rails\/storage" is where web mounts the volume shop-staging_data, a directory; name the SQLite file in it \(e\.g\. \/rails\/storage\/production\.sqlite3\)/,
    ],
  ])("refuses %s, naming the field and the fix", (_, volumes, path, message) => {
    const compose = `services:\n  web:\n    image: x\n    volumes: ["data:/rails/storage"]\n${volumes}`;
    expect(() => serverDatabases(env([path]), compose, "compose.yml", [])).toThrow(message);
  });

  it("keeps host paths under a mount only the server's env file resolves (the example app)", () => {
    const example = `services:\n  backend:\n    image: x\n    volumes: ["\${DATA_DIR}:/data"]\n`;
    expect(
      serverDatabases(env(["/opt/shop/staging/data/app.db"]), example, "compose.yml", []).databases,
    ).toEqual(["/opt/shop/staging/data/app.db"]);
  });
});

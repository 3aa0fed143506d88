// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose variables are data here
/**
 * Which compose services keep data berth does not back up (issue 21 item 3): by the
 * image's name, or by the directory the image keeps its data in; a cache without a
 * volume and the app's own image are not.
 */
import { describe, expect, it } from "vitest";
import { parseCompose } from "../../src/config/compose-model.js";
import { statefulServices } from "../../src/config/stateful-services.js";

const found = (service: string) =>
  statefulServices(parseCompose(`services:\n  s:\n${service}`)).map((s) => [s.kind, s.mount?.target]);

describe("statefulServices", () => {
  it.each<[string, string, (string | undefined)[][]]>([
    [
      "postgres with a volume",
      "    image: postgres:16\n    volumes: [pg:/var/lib/postgresql/data]\n",
      [["PostgreSQL", "/var/lib/postgresql/data"]],
    ],
    [
      "postgres without one (its data dies with the container)",
      "    image: docker.io/library/postgres:16-alpine\n",
      [["PostgreSQL", undefined]],
    ],
    [
      "bitnami's postgresql",
      "    image: bitnami/postgresql:16\n    volumes: [./pg:/bitnami/postgresql]\n",
      [["PostgreSQL", "/bitnami/postgresql"]],
    ],
    ["mysql by digest", "    image: mysql@sha256:abc\n", [["MySQL", undefined]]],
    ["mariadb", "    image: mariadb:11\n    volumes: [db:/var/lib/mysql]\n", [["MariaDB", "/var/lib/mysql"]]],
    ["mongo", "    image: mongo:7\n    volumes: [./mongo:/data/db]\n", [["MongoDB", "/data/db"]]],
    ["redis with a volume", "    image: redis:7-alpine\n    volumes: [r:/data]\n", [["Redis", "/data"]]],
    ["redis without one (a cache)", "    image: redis:7-alpine\n", []],
    [
      "an unknown image on a postgres data directory",
      "    image: acme/pg-fork:2\n    volumes: [pg:/var/lib/postgresql/data]\n",
      [["PostgreSQL", "/var/lib/postgresql/data"]],
    ],
    ["the app on /data", "    image: acme/app\n    volumes: [./data:/data]\n", []],
    ["the app's own build", "    build: .\n    volumes: [pg:/var/lib/postgresql/data]\n", []],
    ["an image named by a variable", "    image: ${DB_IMAGE}\n", []],
  ])("%s", (_, service, expected) => {
    expect(found(service)).toEqual(expected);
  });
});

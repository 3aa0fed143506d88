import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { slotB } from "../../src/release/slot-b.js";

const compose = `version: "3.8"
services:
  web:
    image: app/web
    ports:
      - "127.0.0.1:\${WEB_PORT}:3000"
      - "127.0.0.1:\${ADMIN_PORT:-3200}:3001"
      - "127.0.0.1:3100-3101:4000-4001"
      - target: 5000
        published: 3300
        host_ip: 127.0.0.1
      - "9000"
    volumes:
      - uploads:/app/uploads
      - ./data:/data
  worker:
    image: app/web
  other:
    image: x
    ports: ["[::1]:3400:80/udp"]
volumes:
  uploads: {}
  cache:
    name: shared-cache
  ext:
    external: true
`;

describe("slot b's compose file", () => {
  it("moves every published host port by the offset; variables become berth's own", () => {
    const b = slotB(compose, "shop-staging", 10000);
    if (!b.possible) throw new Error(b.why);
    const doc = parse(b.text) as {
      version: string;
      services: Record<string, { ports?: unknown[]; volumes?: string[] }>;
      volumes: Record<string, unknown>;
    };
    expect(doc.version).toBe("3.8");
    expect(doc.services.web?.ports).toEqual([
      "127.0.0.1:${BERTH_SLOT_B_PORT_1}:3000",
      "127.0.0.1:${BERTH_SLOT_B_PORT_2}:3001",
      "127.0.0.1:13100-13101:4000-4001",
      { target: 5000, published: "13300", host_ip: "127.0.0.1" },
      "9000",
    ]);
    expect(doc.services.other?.ports).toEqual(["[::1]:13400:80/udp"]);
    expect(b.variables).toEqual([
      { name: "BERTH_SLOT_B_PORT_1", from: "${WEB_PORT}" },
      { name: "BERTH_SLOT_B_PORT_2", from: "${ADMIN_PORT:-3200}" },
    ]);
    // nginx proxies TCP only: the UDP port is moved but not mapped.
    expect(b.ports).toEqual({ "3100": "13100", "3101": "13101", "3300": "13300" });
    // Bind mounts as written; named volumes pinned to slot a's (compose would prefix _b).
    expect(doc.services.web?.volumes).toEqual(["uploads:/app/uploads", "./data:/data"]);
    expect(doc.volumes).toEqual({
      uploads: { external: { name: "shop-staging_uploads" } },
      cache: { external: { name: "shared-cache" } },
      ext: { external: true },
    });
  });

  it("says why a release cannot run twice side by side", () => {
    const named = compose.replace(
      "  worker:\n    image: app/web",
      "  worker:\n    image: app/web\n    container_name: w",
    );
    expect(slotB(named, "p", 10000)).toEqual({
      possible: false,
      why: "services.worker sets container_name:, so two of it cannot run at once; remove it",
    });
    const host = "services:\n  web:\n    network_mode: host\n";
    expect(slotB(host, "p", 10000)).toMatchObject({
      possible: false,
      why: expect.stringContaining("network_mode: host"),
    });
    const high = "services:\n  web:\n    ports: ['127.0.0.1:60000:80']\n";
    expect(slotB(high, "p", 10000)).toMatchObject({
      possible: false,
      why: expect.stringContaining("passes 65535: lower swap.port_offset"),
    });
    const mixed = "services:\n  web:\n    ports: ['127.0.0.1:${A}${B}:80']\n";
    expect(slotB(mixed, "p", 10000)).toMatchObject({
      possible: false,
      why: expect.stringContaining("services.web.ports[0]"),
    });
  });
});

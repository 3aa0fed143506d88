import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { configurationMarkdown, jsonSchema } from "../../src/config/reference.js";

const committed = (p: string) => readFileSync(new URL(`../../${p}`, import.meta.url), "utf8");

describe("generated berth.yml artefacts (run `npm run build` when these fail)", () => {
  it("schema/berth.schema.json is fresh", () => {
    expect(committed("schema/berth.schema.json")).toBe(`${JSON.stringify(jsonSchema(), null, 2)}\n`);
  });
  it("docs/ops/configuration.md is fresh", () => {
    expect(committed("docs/ops/configuration.md")).toBe(configurationMarkdown());
  });
  it("documents every key with its default", () => {
    const md = configurationMarkdown();
    expect(md).toContain("| `environments.<name>.port` | integer |  | `22` | SSH port |");
    expect(md).toContain('| `ready.path` | string |  | `"/readyz"` |');
  });
});

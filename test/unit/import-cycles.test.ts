/**
 * src/ has no import circle, type-only imports and re-exports included (issue 23): a
 * module that needs another's types while that one needs it back shares them through
 * a small file of their own (check-input.ts, compose-types.ts).
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/lab.js";

const src = join(repoRoot, "src");
const files = readdirSync(src, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith(".ts"))
  .map((f) => join(src, f));
const imports = new Map(
  files.map((f) => [
    f,
    [...readFileSync(f, "utf8").matchAll(/(?:^|\n)(?:import|export)\s[^;]*?from "(\.[^"]+)\.js"/g)].map((m) =>
      join(dirname(f), `${m[1]}.ts`),
    ),
  ]),
);

/** Every circle, as the chain of files (relative to src/) that closes it. */
function circles(): string[] {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const found: string[] = [];
  const visit = (f: string) => {
    state.set(f, "open");
    stack.push(f);
    for (const g of imports.get(f) ?? []) {
      if (state.get(g) === "open")
        found.push([...stack.slice(stack.indexOf(g)), g].map((p) => relative(src, p)).join(" → "));
      else if (!state.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return found;
}

describe("src/ imports", () => {
  it("reads the imports (a sanity check of the scan)", () => {
    expect(imports.get(join(src, "cli/check-databases.ts"))).toContain(join(src, "cli/check-input.ts"));
  });
  it("form no circle", () => {
    expect(circles()).toEqual([]);
  });
});

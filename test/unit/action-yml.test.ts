import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { specs as buildPushSpecs } from "../../src/actions/build-push/inputs.js";
import type { InputSpec } from "../../src/actions/common/inputs.js";
import { specs as deploySpecs } from "../../src/actions/deploy/inputs.js";
import { specs as rollbackSpecs } from "../../src/actions/rollback/inputs.js";

// Every name is defined once (docs/design.md §5 principle 2): action.yml must list exactly the
// inputs the code reads, with the same defaults, and run on node24.
const actions: Record<string, Record<string, InputSpec>> = {
  "build-push": buildPushSpecs,
  deploy: deploySpecs,
  rollback: rollbackSpecs,
};

describe.each(Object.entries(actions))("actions/%s/action.yml", (name, specs) => {
  const yml = parse(readFileSync(new URL(`../../actions/${name}/action.yml`, import.meta.url), "utf8"));

  it("declares exactly the inputs the code reads", () => {
    expect(Object.keys(yml.inputs).sort()).toEqual(Object.keys(specs).sort());
  });

  it("has the code's defaults", () => {
    for (const [input, spec] of Object.entries(specs)) {
      expect({ input, default: yml.inputs[input].default }).toEqual({ input, default: spec.default });
    }
  });

  it("runs the committed bundle on node24", () => {
    expect(yml.runs).toEqual({ using: "node24", main: "dist/index.js" });
  });
});

// Writes the generated berth.yml artefacts from the compiled schema (run by build.mjs).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { jsonSchema, configurationMarkdown } = await import(join(root, "build/tsc/config/reference.js"));
mkdirSync(join(root, "schema"), { recursive: true });
writeFileSync(join(root, "schema/berth.schema.json"), `${JSON.stringify(jsonSchema(), null, 2)}\n`);
mkdirSync(join(root, "docs/ops"), { recursive: true });
writeFileSync(join(root, "docs/ops/configuration.md"), configurationMarkdown());
console.log("wrote schema/berth.schema.json and docs/ops/configuration.md");

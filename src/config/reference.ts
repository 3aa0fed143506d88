/**
 * Generated artefacts of the berth.yml schema: the JSON Schema for editors and the
 * configuration reference table in docs/ops. Pure; the build writes them and a unit
 * test fails when the committed copies are stale.
 */
import { z } from "zod";
import { berthYamlSchema } from "./schema.js";

type Json = Record<string, unknown>;

export function jsonSchema(): Json {
  const s = z.toJSONSchema(berthYamlSchema, { io: "input", unrepresentable: "any" }) as Json;
  return { ...s, $id: "https://berth.invalid/schema/berth.schema.json", title: "berth.yml" };
}

function typeOf(node: Json): string {
  if (Array.isArray(node.anyOf)) return [...new Set((node.anyOf as Json[]).map(typeOf))].join(" or ");
  if (node.type === "array") return `list of ${typeOf((node.items as Json) ?? {})}`;
  if (node.type === "object" && node.additionalProperties) return "map";
  return String(node.type ?? "any");
}

export function configurationMarkdown(): string {
  const rows: string[] = [];
  const walk = (node: Json, path: string, required: boolean) => {
    const props = node.properties as Record<string, Json> | undefined;
    const addl = node.additionalProperties as Json | undefined;
    if (path) {
      const def = node.default === undefined ? "" : `\`${JSON.stringify(node.default)}\``;
      const desc = String(node.description ?? "").replaceAll("|", "\\|");
      rows.push(
        `| \`${path}\` | ${typeOf(node)} | ${required && def === "" ? "yes" : ""} | ${def} | ${desc} |`,
      );
    }
    if (props) {
      const req = new Set((node.required as string[] | undefined) ?? []);
      for (const [k, v] of Object.entries(props)) walk(v, path ? `${path}.${k}` : k, req.has(k));
    } else if (addl && typeof addl === "object" && addl.type === "object") {
      walk(addl, `${path}.<name>`, false);
    }
  };
  walk(jsonSchema(), "", true);
  return [
    "# berth.yml reference",
    "",
    "<!-- generated from src/config/schema.ts by `npm run build`; do not edit -->",
    "",
    "Non-secret settings only: secrets come from action inputs and the server's env file.",
    "Editors can validate berth.yml with [`schema/berth.schema.json`](../../schema/berth.schema.json)",
    "(e.g. `# yaml-language-server: $schema=…` at the top of the file).",
    "",
    "| key | type | required | default | meaning |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
}

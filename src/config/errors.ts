import type { z } from "zod";
import { closest } from "./schema-keys.js";

/** A configuration or input error: already formatted for the user, nothing has run. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const k of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function show(v: unknown): string {
  if (v === undefined) return "(missing)";
  // `port:` with nothing after it is YAML null: say so rather than print null.
  if (v === null) return "(empty)";
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * One line per problem: `<source>: <path>: <value> <what is wrong and the fix>`.
 * `source` is the file name or "input", so the user knows where to look.
 */
export function formatIssues(
  source: string,
  error: z.ZodError,
  input: unknown,
  hide: (path: readonly PropertyKey[]) => boolean = () => false,
  keys: (path: readonly PropertyKey[]) => readonly string[] = () => [],
): string {
  const lines = error.issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys")
      return unknownKeys(source, issue.path, issue.keys, keys(issue.path));
    const path = issue.path.map(String).join(".") || "(top level)";
    // Parse with { reportInput: true } so list items split out of one string still show.
    // An empty value (YAML null) is shown as such, not as what z.coerce made of it (0).
    const given = valueAt(input, issue.path);
    const v = given !== null && "input" in issue && issue.input !== undefined ? issue.input : given;
    // Only a field's own value is quoted: an object (a cross-field rule's input) may
    // hold secrets and is never printed.
    const value = v !== null && typeof v === "object" ? "" : ` ${hide(issue.path) ? '"***"' : show(v)}`;
    return [`${source}: ${path}:${value} ${explain(issue, keys(issue.path))}`];
  });
  return lines.join("\n");
}

/** One line per unknown key, with the closest allowed key and the list of them. */
function unknownKeys(
  source: string,
  parent: readonly PropertyKey[],
  unknown: readonly string[],
  allowed: readonly string[],
): string[] {
  const where = parent.length === 0 ? "at the top level" : `under ${parent.map(String).join(".")}`;
  return unknown.map((key) => {
    const path = [...parent, key].map(String).join(".");
    const near = closest(key, allowed);
    const hint = near === undefined ? "" : `did you mean ${near}? `;
    const list = allowed.length === 0 ? "remove it" : `the keys allowed ${where} are: ${allowed.join(", ")}`;
    return `${source}: ${path}: is not a known key; ${hint}${list}`;
  });
}

/** zod's generic messages ("Invalid input: expected record, received array") in the user's words. */
function explain(issue: z.core.$ZodIssue, allowed: readonly string[]): string {
  if (issue.code === "invalid_type" && /^Invalid input/.test(issue.message)) {
    const what: Record<string, string> = {
      object: `a mapping${allowed.length > 0 ? ` (keys: ${allowed.join(", ")})` : ""}`,
      record: "a mapping of names to settings (name: { … })",
      array: "a list ([a, b] or - lines)",
      string: "a string",
      number: "a number",
      boolean: "true or false",
    };
    return `must be ${what[issue.expected] ?? issue.expected}; fix the value here`;
  }
  if (issue.code === "invalid_union") {
    const first = issue.errors.flat()[0]?.message;
    if (first !== undefined && !/^Invalid input/.test(first)) return first;
  }
  // A record's key (an environment's name) that its key schema refused: say why, not
  // zod's "Invalid key in record".
  if (issue.code === "invalid_key") {
    const first = issue.issues[0]?.message;
    if (first !== undefined) return `(the name) ${first}`;
  }
  return issue.message;
}

import type { z } from "zod";

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
): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.map(String).join(".") || "(top level)";
    // Parse with { reportInput: true } so list items split out of one string still show.
    const v = "input" in issue && issue.input !== undefined ? issue.input : valueAt(input, issue.path);
    // Only a field's own value is quoted: an object (a cross-field rule's input) may
    // hold secrets and is never printed.
    const value =
      issue.code === "unrecognized_keys" || (v !== null && typeof v === "object")
        ? ""
        : ` ${hide(issue.path) ? '"***"' : show(v)}`;
    return `${source}: ${path}:${value} ${issue.message}`;
  });
  return lines.join("\n");
}

/**
 * The keys a zod object schema allows at a path, and the closest one to a misspelt
 * key: what "unknown key" errors print instead of zod's bare "Unrecognized key".
 * Pure.
 */
import type { z } from "zod";

interface Def {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly options?: readonly z.ZodType[];
}

const def = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The object schemas `schema` may be once wrappers (optional, default, pipe, union) are removed. */
function objects(schema: z.ZodType | undefined): Def[] {
  if (schema === undefined) return [];
  const d = def(schema);
  if (d.type === "object") return [d];
  if (d.type === "union") return (d.options ?? []).flatMap(objects);
  return objects(d.innerType ?? d.in);
}

/** The schema of the value at `path` (object keys, record values, array items). */
function at(schema: z.ZodType | undefined, path: readonly PropertyKey[]): z.ZodType | undefined {
  let s = schema;
  for (const k of path) {
    if (s === undefined) return undefined;
    let d = def(s);
    while (d.innerType ?? d.in) {
      s = d.innerType ?? d.in;
      d = def(s as z.ZodType);
    }
    if (d.type === "object") s = d.shape?.[String(k)];
    else if (d.type === "record") s = d.valueType;
    else if (d.type === "array") s = d.element;
    else return undefined;
  }
  return s;
}

/** The keys the object at `path` allows, in the schema's order ([] when it is no object). */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  return [...new Set(objects(at(schema, path)).flatMap((d) => Object.keys(d.shape ?? {})))];
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] ?? 0;
      row[j] = Math.min(cur + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] ?? 0;
}

/** The allowed key closest to `key` (a typo, a case or `-`/`_` slip), if one is close enough. */
export function closest(key: string, allowed: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replaceAll("-", "_");
  let best: { key: string; d: number } | undefined;
  for (const a of allowed) {
    const d = distance(norm(key), norm(a));
    if (d <= Math.max(a.length <= 3 ? 1 : 2, Math.floor(a.length / 3)) && (!best || d < best.d))
      best = { key: a, d };
  }
  return best?.key;
}

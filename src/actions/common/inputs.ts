/**
 * Read an action's inputs ONCE, at the edge, into one frozen, validated object
 * (docs/design.md §5, principle 1). Secret inputs are masked before anything else happens.
 */
import type { z } from "zod";
import { ConfigError, formatIssues } from "../../config/errors.js";

export interface InputSpec {
  readonly description: string;
  /** The default written in action.yml (checked by test/unit/action-yml.test.ts). */
  readonly default?: string;
  readonly secret?: boolean;
}

export interface Runner {
  getInput(name: string): string;
  setSecret(value: string): void;
}

/**
 * Raw values: empty strings become undefined so zod defaults apply, exactly as an
 * unset input behaves on the runner.
 */
export function readInputs<S extends z.ZodType>(
  specs: Record<string, InputSpec>,
  schema: S,
  runner: Runner,
): Readonly<z.infer<S>> {
  const raw: Record<string, string | undefined> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const value = runner.getInput(name);
    if (spec.secret && value) {
      runner.setSecret(value);
      // Multi-line secrets (private keys) are masked line by line too: the runner
      // masks whole values only when they appear in one piece.
      for (const line of value.split(/\r?\n/)) if (line.trim().length > 3) runner.setSecret(line.trim());
    }
    raw[name] = value === "" ? undefined : value;
  }
  const parsed = schema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const secret = (path: readonly PropertyKey[]) => specs[String(path[0])]?.secret === true;
    throw new ConfigError(formatIssues("input", parsed.error, raw, secret));
  }
  return Object.freeze(parsed.data);
}

/** "a, b\nc" → ["a","b","c"]: list inputs accept commas or newlines. */
export function splitList(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Compose interpolation, as the compose spec defines it
 * (https://github.com/compose-spec/compose-spec/blob/main/12-interpolation.md):
 * `$VAR`, `${VAR}`, `${VAR:?err}` and `${VAR?err}` need VAR; `${VAR:-x}`, `${VAR-x}`,
 * `${VAR:+x}` and `${VAR+x}` do not; `$$` is a literal `$`. Pure.
 */

/** Set by berth itself when it runs compose (vps-scripts/lib/compose.sh): never in the env file. */
export const BERTH_VARIABLES: readonly string[] = ["BERTH_SHA", "BERTH_ENV"];

export interface VariableUse {
  readonly name: string;
  /** True when the file has no default for it: the server's env file must set it. */
  readonly required: boolean;
}

export interface Interpolated {
  /** The text with defaults applied and each unset required variable left as `${NAME}`. */
  readonly text: string;
  /** Required variables it uses (no default): their value is only known on the server. */
  readonly unresolved: readonly string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

interface Braced {
  readonly name: string;
  readonly op: string;
  readonly arg: string;
  readonly end: number;
}

/** Parse `${…}` starting at `start` (the `$`); undefined when it is not a valid expression. */
function braced(s: string, start: number): Braced | undefined {
  const name = NAME.exec(s.slice(start + 2))?.[0];
  if (name === undefined) return undefined;
  let i = start + 2 + name.length;
  const op = /^(:-|:\?|:\+|-|\?|\+)?/.exec(s.slice(i))?.[0] ?? "";
  i += op.length;
  let depth = 1;
  const argStart = i;
  for (; i < s.length; i++) {
    if (s[i] === "$" && s[i + 1] === "$") i++;
    else if (s[i] === "$" && s[i + 1] === "{") {
      depth++;
      i++;
    } else if (s[i] === "}" && --depth === 0) break;
  }
  if (depth !== 0) return undefined;
  if (op === "" && i !== argStart) return undefined;
  return { name, op, arg: s.slice(argStart, i), end: i + 1 };
}

/**
 * Walk `s`, calling `use` for each variable, and rebuild it with defaults applied
 * (every variable is taken as unset: offline, berth cannot know the server's values).
 */
function walk(s: string, use: (name: string, required: boolean) => void, optional: boolean): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== "$") {
      out += c;
      continue;
    }
    if (s[i + 1] === "$") {
      out += "$";
      i++;
      continue;
    }
    if (s[i + 1] === "{") {
      const b = braced(s, i);
      if (b === undefined) {
        out += c;
        continue;
      }
      i = b.end - 1;
      if (b.op === "" || b.op.endsWith("?")) {
        use(b.name, !optional);
        out += `\${${b.name}}`;
      } else {
        use(b.name, false);
        // Unset: `-` forms give the (interpolated) default, `+` forms give "".
        const inner = walk(b.arg, use, true);
        out += b.op.endsWith("-") ? inner : "";
      }
      continue;
    }
    const name = NAME.exec(s.slice(i + 1))?.[0];
    if (name === undefined) {
      out += c;
      continue;
    }
    use(name, !optional);
    out += `\${${name}}`;
    i += name.length;
  }
  return out;
}

/** The variables a string uses, in order of first use. */
export function variablesIn(s: string): VariableUse[] {
  const seen = new Map<string, boolean>();
  walk(
    s,
    (name, required) => {
      seen.set(name, (seen.get(name) ?? false) || required);
    },
    false,
  );
  return [...seen].map(([name, required]) => ({ name, required }));
}

/** Apply defaults; required variables stay as `${NAME}` and are listed. */
export function interpolate(s: string): Interpolated {
  const unresolved: string[] = [];
  const text = walk(
    s,
    (name, required) => {
      if (required && !unresolved.includes(name)) unresolved.push(name);
    },
    false,
  );
  return { text, unresolved };
}

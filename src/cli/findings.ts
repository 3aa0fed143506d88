/**
 * A finding of `berth check`: the file, the field in it, the value found there and a
 * message that says what is wrong and how to fix it. Pure.
 */

export interface Finding {
  /** Path of the file, relative to where berth runs. */
  readonly file: string;
  /** Dotted path inside the file (services.web.ports[0]); "" for the file itself. */
  readonly field: string;
  /** The value found there, as text; "(missing)" when there is none. */
  readonly value: string;
  /** What is wrong, then the fix. */
  readonly message: string;
}

export const finding = (file: string, field: string, value: unknown, message: string): Finding => ({
  file,
  field,
  value:
    value === undefined
      ? "(missing)"
      : value === null
        ? "(empty)"
        : typeof value === "string"
          ? value
          : JSON.stringify(value),
  message,
});

/** One line, like the loader's errors: `file: field: "value" message`. */
export function formatFinding(f: Finding): string {
  const field = f.field === "" ? "" : ` ${f.field}:`;
  const bare = f.value === "(missing)" || f.value === "(empty)";
  const value = f.value === "" ? "" : ` ${bare ? f.value : JSON.stringify(f.value)}`;
  return `${f.file}:${field}${value} ${f.message}`;
}

/**
 * The loader's ConfigError text (`source: path: value message`, one per line) as
 * findings. A line that does not have that shape is kept whole as the message.
 */
export function findingsFromConfigError(file: string, text: string): Finding[] {
  return text.split("\n").map((line) => {
    const m =
      /^[^:]+: ([^\s:]+):(?: ("(?:[^"\\]|\\.)*"|-?\d[\d.]*|true|false|null|\(missing\)|\(empty\)))? (.*)$/.exec(
        line,
      );
    if (!m) return finding(file, "", "", line.replace(/^[^:]+: /, ""));
    const raw = m[2];
    let value: unknown = raw === "null" ? "(empty)" : (raw ?? "");
    if (raw?.startsWith('"')) value = JSON.parse(raw) as string;
    return finding(file, m[1] ?? "", value, m[3] ?? "");
  });
}

/** Color only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function painter(isTTY: boolean, env: NodeJS.ProcessEnv) {
  const on = isTTY && !env.NO_COLOR;
  const wrap = (code: number) => (s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { red: wrap(31), green: wrap(32), yellow: wrap(33), dim: wrap(2) };
}

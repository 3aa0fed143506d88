/**
 * A YAML syntax error as one line with its position: the parser's first error is the
 * one to fix (the others it reports often follow from it), and its code frame would
 * split into several findings. Pure.
 */
import type { YAMLError } from "yaml";

/** "at line 4, column 1: Flow map … must end with a }" (no code frame, no newline). */
export function yamlErrorText(e: YAMLError | undefined): string {
  if (e === undefined) return "parse error";
  const first = (e.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "").trim();
  const pos = e.linePos?.[0];
  return pos ? `at line ${pos.line}, column ${pos.col}: ${first}` : first;
}

/**
 * The ONE place where argv data becomes a shell string (docs/design.md §5, principle 3).
 * Every argument is single-quoted, so the remote shell sees each one as a literal
 * word: no expansion, no globbing, no word splitting, no command substitution.
 */

/** A command as data: what to run, never a pre-built string. */
export interface Command {
  readonly argv: readonly string[];
}

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one argument for a POSIX shell. Refuses NUL, which no shell word can hold. */
export function quote(arg: string): string {
  if (arg.includes("\0")) {
    throw new Error(`cannot pass an argument containing a NUL byte to a shell: ${JSON.stringify(arg)}`);
  }
  if (arg !== "" && SAFE.test(arg)) return arg;
  // POSIX single quotes take everything literally; a ' is closed, escaped, reopened.
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** Render argv to the string an SSH exec channel hands to the remote login shell. */
export function render(command: Command | readonly string[]): string {
  const argv = "argv" in command ? command.argv : command;
  if (argv.length === 0) throw new Error("cannot render an empty command");
  return argv.map(quote).join(" ");
}

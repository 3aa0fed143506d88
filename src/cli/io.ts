/**
 * The side effects every `berth` verb gets handed in: where output goes, where it runs,
 * its environment, whether a person is at a terminal, and how to ask them a question.
 * The real one is built in src/cli/index.ts from the process; tests pass their own.
 */

export interface CliIo {
  /** Writes text to standard output as given (add the newline yourself). */
  readonly out: (text: string) => void;
  /** Writes text to standard error as given (add the newline yourself). */
  readonly err: (text: string) => void;
  /** The directory berth was run from: relative paths (--config, --identity…) resolve here. */
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /**
   * True when stdin and stdout are both a terminal: only then may a verb prompt, and
   * only then is output colored (never with NO_COLOR set).
   */
  readonly isTTY: boolean;
  /**
   * Asks a question on the terminal and resolves with the answer (trimmed), or with ""
   * when there is none (end of input). Only call it when isTTY is true.
   */
  readonly prompt: (question: string) => Promise<string>;
}

/** Asks a yes/no question; only "y" or "yes" (any case) is a yes. */
export async function confirm(io: CliIo, question: string): Promise<boolean> {
  const answer = await io.prompt(`${question} [y/N] `);
  return /^(y|yes)$/i.test(answer.trim());
}

/**
 * The one interface berth's core prints through: build-push, deploy, rollback and the
 * laptop CLI's server verbs. The GitHub runner's (src/actions/common/runner-log.ts) keeps
 * the server's output from acting as workflow commands; the CLI's prints to the terminal;
 * tests hand in a recording one.
 */
export interface Reporter {
  info(message: string): void;
  warning(message: string): void;
  startGroup(name: string): void;
  endGroup(): void;
  /**
   * One line of the server's output, or of text made from it, printed as it came: on
   * the GitHub runner nothing in it may act as a workflow command (runnerReporter).
   */
  remote(line: string): void;
  /** The server's output is over for now: what follows is berth's own. */
  remoteEnd(): void;
}

/** Run `fn` inside a log group, which is closed whatever `fn` does. */
export async function inGroup<T>(reporter: Reporter, name: string, fn: () => Promise<T>): Promise<T> {
  reporter.startGroup(name);
  try {
    return await fn();
  } finally {
    reporter.endGroup();
  }
}

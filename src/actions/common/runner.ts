/**
 * The GitHub runner, seen through @actions/core: inputs, masking, the log and the
 * step's failure. Entry points use this; core logic gets interfaces.
 */
import * as core from "@actions/core";
import type { Reporter } from "../../reporter.js";
import type { Runner } from "./inputs.js";
import { runnerReporter } from "./runner-log.js";

export const runner: Runner = {
  getInput: (name) => core.getInput(name),
  setSecret: (value) => core.setSecret(value),
};

/**
 * The runner's inputs with `sha` defaulting to the commit the workflow runs for
 * (GITHUB_SHA) — unless the input named `unlessSet` is given: a promotion's empty sha
 * means the source environment's current release.
 */
export function shaDefaulted(r: Runner, unlessSet?: string): Runner {
  return {
    ...r,
    getInput: (name) =>
      r.getInput(name) ||
      (name === "sha" && !(unlessSet && r.getInput(unlessSet)) ? (process.env.GITHUB_SHA ?? "") : ""),
  };
}

/** The runner log; the server's output in it can never act as a workflow command. */
export const reporter: Reporter = runnerReporter();

/** Run an action's main, turning any error into a failed step with its message. */
export function runAction(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    core.setFailed(e instanceof Error ? e.message : String(e));
  });
}

/**
 * The GitHub runner, seen through @actions/core: inputs, masking, outputs, log
 * groups and the step summary. Entry points use this; core logic gets interfaces.
 */
import * as core from "@actions/core";
import type { Log } from "../../build/build-push.js";
import type { Runner } from "./inputs.js";

export const runner: Runner = {
  getInput: (name) => core.getInput(name),
  setSecret: (value) => core.setSecret(value),
};

export const log: Log = {
  info: (m) => core.info(m),
  warning: (m) => core.warning(m),
  group: (name, fn) => core.group(name, fn),
};

/** Run an action's main, turning any error into a failed step with its message. */
export function runAction(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    core.setFailed(e instanceof Error ? e.message : String(e));
  });
}

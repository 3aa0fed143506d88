/**
 * The reporter berth prints through on the GitHub runner. The server's
 * output — berth's log and everything an app or a migration printed into it — goes out
 * between `::stop-commands::<token>` and `::<token>::`, with a fresh random token the
 * server never sees, so none of its lines acts as a workflow command (`::add-mask::`,
 * `::error::`, `::group::`…). berth's own messages, groups and warnings resume command
 * processing first. @actions/core has no helper for this: the two commands are written
 * to stdout as core itself writes them.
 */
import { randomBytes } from "node:crypto";
import { EOL } from "node:os";
import * as core from "@actions/core";
import type { Reporter } from "../../reporter.js";

export function runnerReporter(): Reporter {
  let token: string | undefined;
  const write = (line: string) => process.stdout.write(`${line}${EOL}`);
  const resume = () => {
    if (token === undefined) return;
    write(`::${token}::`);
    token = undefined;
  };
  return {
    info: (m) => {
      resume();
      core.info(m);
    },
    warning: (m) => {
      resume();
      core.warning(m);
    },
    startGroup: (n) => {
      resume();
      core.startGroup(n);
    },
    endGroup: () => {
      resume();
      core.endGroup();
    },
    remote: (line) => {
      if (token === undefined) {
        token = randomBytes(16).toString("hex");
        write(`::stop-commands::${token}`);
      }
      write(line);
    },
    remoteEnd: resume,
  };
}

/**
 * The runner log (src/actions/common/runner-log.ts through phaseReporter): server
 * output an app controls can never act as a workflow command, while berth's own groups
 * and warnings still do. The runner's command parsing is modelled by `runnerView`.
 */
import { EOL } from "node:os";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runnerReporter } from "../../src/actions/common/runner-log.js";
import { phaseReporter } from "../../src/deploy/server-session.js";
import { parseLine } from "../../src/release/log-events.js";

/** What the runner does with stdout: commands it acts on, and the text it shows. */
function runnerView(out: string) {
  let stopped: string | undefined;
  const commands: string[] = [];
  const text: string[] = [];
  for (const line of out.split(EOL).slice(0, -1)) {
    if (stopped !== undefined) {
      if (line === `::${stopped}::`) stopped = undefined;
      else text.push(line);
      continue;
    }
    const m = /^::([A-Za-z-]+)(?: [^:]*)?::(.*)$/.exec(line);
    if (m?.[1] === "stop-commands") stopped = m[2];
    else if (m) commands.push(line);
    else text.push(line);
  }
  return { commands, text, stopped };
}

function capture() {
  let out = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  return () => out;
}

afterEach(() => {
  vi.restoreAllMocks();
});

const HOSTILE = [
  "::add-mask::hunter2",
  "::error file=app.js,line=1::pwned",
  "::set-env name=NODE_OPTIONS::--require /tmp/x.js",
  "::stop-commands::x",
  "::x::",
  "::endgroup::",
  "::group::fake",
];

describe("runner log", () => {
  it("prints every server line as it came, none of them acted on; berth's groups and warnings still are", () => {
    const output = capture();
    const reporter = runnerReporter();
    const phases = phaseReporter(reporter);
    const lines = [
      "2026-11-22T10:00:00.000Z [preflight] bundle verified",
      '@@berth {"event":"phase-start","phase":"migrate"}',
      ...HOSTILE,
      // A forged marker from an app: its phase name is server text too.
      '@@berth {"event":"phase-end","phase":"::warning::forged","status":"ok","seconds":1}',
      "after the phase",
    ];
    for (const line of lines) phases.onEvent(parseLine(line));
    reporter.warning("berth's own warning");
    phases.onEvent(parseLine("one more line"));
    phases.close();

    const view = runnerView(output());
    expect(view.commands).toEqual(["::group::migrate", "::endgroup::", "::warning::berth's own warning"]);
    expect(view.text).toEqual([
      "2026-11-22T10:00:00.000Z [preflight] bundle verified",
      ...HOSTILE,
      "::warning::forged: ok in 1s",
      "after the phase",
      "one more line",
    ]);
    // Commands are processed again once the server's output is over.
    expect(view.stopped).toBeUndefined();
  });

  it("stops commands with a fresh random token each time", () => {
    const output = capture();
    const reporter = runnerReporter();
    reporter.remote("a");
    reporter.remoteEnd();
    reporter.remote("b");
    reporter.remoteEnd();
    reporter.remoteEnd();
    const tokens = [...output().matchAll(/^::stop-commands::(.*)$/gm)].map((m) => m[1]);
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(tokens[0]).not.toBe(tokens[1]);
    expect(output().match(/^::[0-9a-f]{32}::$/gm)).toHaveLength(2);
  });

  it("resumes commands when the stream breaks off", () => {
    const output = capture();
    const reporter = runnerReporter();
    const phases = phaseReporter(reporter);
    try {
      phases.onEvent(parseLine("::add-mask::x"));
      throw new Error("connection lost");
    } catch {
      // runVerb closes in a finally
    } finally {
      phases.close();
    }
    expect(runnerView(output()).stopped).toBeUndefined();
  });
});

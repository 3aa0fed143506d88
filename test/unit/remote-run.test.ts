/**
 * follow(): the reattach contract, with a scripted transport. The real SSH path is
 * covered end to end (test/e2e/deploy.test.ts kills sshd mid-deploy); this pins the
 * byte offset sent on reattach and that every connection follow() opened is closed.
 */
import { describe, expect, it } from "vitest";
import { follow } from "../../src/deploy/remote-run.js";
import type { LogEvent } from "../../src/release/log-events.js";
import type { Command } from "../../src/remote/render.js";
import {
  ConnectionLost,
  type ExecOptions,
  type ExecResult,
  type Transport,
} from "../../src/transport/transport.js";

const LOG =
  'one\n@@berth {"event":"phase-start","phase":"backup"}\ntwo\n@@berth {"event":"result","result":"succeeded"}\n';

/** Serves LOG from the requested --offset; the first connection drops after `cut` bytes. */
class ScriptedTransport implements Transport {
  closed = false;
  readonly commands: string[][] = [];
  constructor(private readonly cut: number | undefined) {}
  async exec(command: Command, options: ExecOptions = {}): Promise<ExecResult> {
    this.commands.push([...command.argv]);
    const offset = Number(command.argv[command.argv.indexOf("--offset") + 1]);
    const end = this.cut ?? LOG.length;
    options.onStdout?.(Buffer.from(LOG.slice(offset, end)));
    if (this.cut !== undefined) throw new ConnectionLost("dropped");
    return { exitCode: 0, stdout: "", stderr: "" };
  }
  close(): void {
    this.closed = true;
  }
}

const run = { berth: "/opt/app/bin/berth", environment: "staging", runId: "r1", verb: ["deploy"] };

describe("follow", () => {
  it("reattaches at the byte it reached, sees every line once, and closes what it opened", async () => {
    const first = new ScriptedTransport(6);
    const opened: ScriptedTransport[] = [];
    const events: LogEvent[] = [];
    const outcome = await follow(first, run, {
      connect: async () => {
        const t = new ScriptedTransport(undefined);
        opened.push(t);
        return t;
      },
      onEvent: (e) => events.push(e),
      log: () => {},
      reconnectDelayMs: 1,
    });
    expect(outcome).toMatchObject({ exitCode: 0, reconnects: 1 });
    expect(opened).toHaveLength(1);
    expect(opened[0]?.commands[0]).toEqual([
      "/opt/app/bin/berth",
      "follow",
      "staging",
      "r1",
      "--offset",
      "6",
    ]);
    expect(events.filter((e) => e.kind === "line").map((e) => (e as { text: string }).text)).toEqual([
      "one",
      "two",
    ]);
    expect(events.some((e) => e.kind === "phase-start")).toBe(true);
    expect(first.closed).toBe(true);
    expect(opened[0]?.closed).toBe(true);
  });

  it("passes on what follow says on stderr, with the run's exit code", async () => {
    const t: Transport = {
      exec: async () => ({
        exitCode: 4,
        stdout: "",
        stderr: "berth: run r1 ended without an exit code (killed?)\n",
      }),
      close: () => {},
    };
    const said: string[] = [];
    const outcome = await follow(t, run, {
      connect: async () => t,
      onEvent: () => {},
      log: (m) => said.push(m),
    });
    expect(outcome.exitCode).toBe(4);
    expect(said).toEqual(["berth: run r1 ended without an exit code (killed?)"]);
  });

  it("gives up after the bounded number of reattach attempts, saying the deploy goes on", async () => {
    const first = new ScriptedTransport(0);
    await expect(
      follow(first, run, {
        connect: async () => {
          throw new Error("connection refused");
        },
        onEvent: () => {},
        log: () => {},
        maxReconnects: 3,
        reconnectDelayMs: 1,
      }),
    ).rejects.toThrow(/could not reattach after 3 attempts; the deploy keeps running on the server/);
  });
});

/**
 * Run a `berth` verb on the server detached from the SSH session, and stream its log
 * back. The remote process keeps going if the connection drops or the runner dies
 * (docs/design.md §2); we reconnect and resume at the byte we had reached.
 */
import { LineSplitter, type LogEvent, parseLine } from "../release/log-events.js";
import { ConnectionLost, type Transport } from "../transport/transport.js";

export interface RemoteRun {
  /** `berth` on the server: <root>/bin/berth. */
  readonly berth: string;
  readonly environment: string;
  readonly runId: string;
  /** e.g. ["deploy", "staging", "<sha>"] */
  readonly verb: readonly string[];
}

export interface FollowOptions {
  readonly connect: () => Promise<Transport>;
  readonly onEvent: (event: LogEvent) => void;
  readonly log: (message: string) => void;
  /** Reattach attempts after a lost connection, in a row (default 30). */
  readonly maxReconnects?: number;
  readonly reconnectDelayMs?: number;
}

export interface RunOutcome {
  readonly exitCode: number;
  readonly result: Record<string, unknown> | undefined;
  readonly reconnects: number;
}

/** `berth run` refused or failed to start the verb; exitCode is its exit code (2: refused). */
export class RunNotStarted extends Error {
  override name = "RunNotStarted";
  constructor(
    message: string,
    readonly exitCode: number | null,
  ) {
    super(message);
  }
}

export async function startDetached(transport: Transport, run: RemoteRun): Promise<void> {
  const r = await transport.exec({ argv: [run.berth, "run", run.environment, run.runId, ...run.verb] });
  if (r.exitCode !== 0) {
    throw new RunNotStarted(
      `could not start \`berth ${run.verb.join(" ")}\` on the server (exit ${r.exitCode}): ${r.stderr.trim() || r.stdout.trim()}`,
      r.exitCode,
    );
  }
}

/**
 * Stream the run's log until it ends. `transport` is the live connection; on loss we
 * call `connect` again (bounded) and resume with `--offset <bytes so far>`.
 */
export async function follow(first: Transport, run: RemoteRun, options: FollowOptions): Promise<RunOutcome> {
  let transport = first;
  let result: Record<string, unknown> | undefined;
  let reconnects = 0;
  let failuresInARow = 0;
  const maxReconnects = options.maxReconnects ?? 30;
  const splitter = new LineSplitter((line) => {
    const event = parseLine(line);
    if (event.kind === "result") result = event.result;
    options.onEvent(event);
  });

  for (;;) {
    try {
      const r = await transport.exec(
        { argv: [run.berth, "follow", run.environment, run.runId, "--offset", String(splitter.bytes)] },
        { onStdout: (chunk) => splitter.push(chunk) },
      );
      if (r.exitCode === null) throw new ConnectionLost("the follow command ended without an exit status");
      splitter.flush();
      // follow's own word on the run (e.g. it was killed without an exit code).
      if (r.stderr.trim()) options.log(r.stderr.trim());
      // A connection we opened to reattach is ours to close; the caller closes `first`.
      if (transport !== first) transport.close();
      return { exitCode: r.exitCode, result, reconnects };
    } catch (e) {
      if (!(e instanceof ConnectionLost)) {
        if (transport !== first) transport.close();
        throw e;
      }
      transport.close();
      for (;;) {
        failuresInARow++;
        if (failuresInARow > maxReconnects) {
          throw new Error(
            `lost the SSH connection and could not reattach after ${maxReconnects} attempts; the deploy keeps running on the server: check \`berth status ${run.environment}\` there (run id ${run.runId})`,
          );
        }
        options.log(`connection lost at byte ${splitter.bytes}; reattaching (attempt ${failuresInARow})`);
        await new Promise((r) => setTimeout(r, options.reconnectDelayMs ?? 2000));
        try {
          transport = await options.connect();
          reconnects++;
          failuresInARow = 0;
          break;
        } catch (err) {
          options.log(`reattach failed: ${(err as Error).message}`);
        }
      }
    }
  }
}

/**
 * The remote log protocol: human lines, plus marker lines
 * `@@berth {"event":"phase-start"|"phase-end"|"result", …}` that the action turns
 * into log groups, per-phase timings and the final result. Pure.
 */

export type LogEvent =
  | { readonly kind: "line"; readonly text: string }
  | { readonly kind: "phase-start"; readonly phase: string }
  | {
      readonly kind: "phase-end";
      readonly phase: string;
      readonly status: string;
      readonly seconds: number;
      readonly exitCode: number | undefined;
    }
  | { readonly kind: "result"; readonly result: Record<string, unknown> };

const MARKER = "@@berth ";

export function parseLine(text: string): LogEvent {
  if (!text.startsWith(MARKER)) return { kind: "line", text };
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(text.slice(MARKER.length)) as Record<string, unknown>;
  } catch {
    return { kind: "line", text };
  }
  const phase = typeof data.phase === "string" ? data.phase : "";
  switch (data.event) {
    case "phase-start":
      return { kind: "phase-start", phase };
    case "phase-end":
      return {
        kind: "phase-end",
        phase,
        status: typeof data.status === "string" ? data.status : "unknown",
        seconds: typeof data.seconds === "number" ? data.seconds : Number(data.seconds ?? 0),
        exitCode: typeof data.exitCode === "number" ? data.exitCode : undefined,
      };
    case "result": {
      const { event: _event, ...result } = data;
      return { kind: "result", result };
    }
    default:
      return { kind: "line", text };
  }
}

/**
 * Splits a byte stream into lines across chunk (and reconnect) boundaries, and counts
 * the bytes consumed so a reattach can resume at exactly the next byte.
 */
export class LineSplitter {
  private pending = Buffer.alloc(0);
  bytes = 0;

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    let buf = Buffer.concat([this.pending, chunk]);
    for (let nl = buf.indexOf(0x0a); nl !== -1; nl = buf.indexOf(0x0a)) {
      this.onLine(buf.subarray(0, nl).toString("utf8"));
      buf = buf.subarray(nl + 1);
    }
    this.pending = buf;
  }

  /** Emit a last line that had no newline. */
  flush(): void {
    if (this.pending.length > 0) this.onLine(this.pending.toString("utf8"));
    this.pending = Buffer.alloc(0);
  }
}

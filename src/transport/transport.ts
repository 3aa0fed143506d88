/**
 * How berth reaches the server: a connection that runs one argv command at a time
 * (src/transport/ssh.ts: the actions and the laptop CLI both use SSH).
 */
import type { Command } from "../remote/render.js";

export interface ExecOptions {
  /** Bytes written to the command's stdin, then closed (secrets go here, never in argv). */
  readonly stdin?: string | Buffer;
  readonly onStdout?: (chunk: Buffer) => void;
  readonly onStderr?: (chunk: Buffer) => void;
}

export interface ExecResult {
  /** null when the command did not report an exit status (the connection was lost). */
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Transport {
  exec(command: Command, options?: ExecOptions): Promise<ExecResult>;
  close(): void;
}

/** A lost connection, as opposed to a command that ran and failed. Callers may reconnect. */
export class ConnectionLost extends Error {
  override name = "ConnectionLost";
}

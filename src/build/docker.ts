/**
 * The local docker CLI, behind an interface so the orchestrator can be driven by
 * tests with a recording fake and by the action with the real binary. Commands are
 * argv arrays executed without a shell: there is nothing to quote locally.
 */
import { execa } from "execa";

export interface RunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Written to the command's stdin (e.g. a password for --password-stdin). */
  readonly input?: string;
  /** Also show the output live in the runner log (build and push progress). */
  readonly stream?: boolean;
}

export interface Docker {
  run(args: readonly string[], options?: RunOptions): Promise<RunResult>;
}

export class DockerCli implements Docker {
  async run(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const r = await execa("docker", [...args], {
      reject: false,
      input: options.input,
      stdin: options.input === undefined ? "ignore" : "pipe",
      // Streamed output goes to the runner log live (build progress); it is still captured.
      stdout: options.stream ? ["pipe", "inherit"] : "pipe",
      stderr: options.stream ? ["pipe", "inherit"] : "pipe",
    });
    return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? "") };
  }
}

/** Throw a readable error when a docker step failed, naming the step and its exit code. */
export function check(step: string, r: RunResult): RunResult {
  if (r.exitCode !== 0) {
    const tail = r.stderr.trim().split("\n").slice(-5).join("\n");
    throw new Error(`${step} failed (docker exit code ${r.exitCode})${tail ? `:\n${tail}` : ""}`);
  }
  return r;
}

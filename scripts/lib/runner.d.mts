// Types for the parts of runner.mjs that the TypeScript tests call.
export declare const root: string;
export declare function resetEnvironment(lab: { vps: { root: string } }, env: string, project?: string): void;

export interface ActionRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  seconds: number;
  /** The `environment` input, when the action took one. */
  environment?: string;
}
export declare function runAction(
  name: string,
  inputs: Record<string, string>,
  env?: Record<string, string>,
  options?: { echo?: boolean; onStdout?: (chunk: string) => void; timeoutMs?: number },
): Promise<ActionRun>;

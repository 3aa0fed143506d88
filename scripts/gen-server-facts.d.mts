export const VERBS_FILE: string;
export const EXIT_CODES_FILE: string;
export interface VerbFacts {
  readonly usage: readonly string[];
  readonly summary: string;
  readonly detached: boolean;
  readonly positionals: readonly string[];
  readonly flags: Readonly<Record<string, "value" | "boolean">>;
}
export function readVerbs(root: string): Record<string, VerbFacts>;
export function readExitCodes(root: string): { name: string; code: number; meaning: string }[];
export function serverFacts(root: string): Record<string, string>;
export function staleFacts(root: string): string[];
export function writeServerFacts(root: string): string[];

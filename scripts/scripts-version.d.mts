export interface ScriptsVersion {
  readonly serial: number;
  readonly package: string | undefined;
  readonly tree: string | undefined;
}
export const VERSION_FILE: string;
export function treeDigest(root: string): string;
export function readVersion(root: string): ScriptsVersion;
export function renderVersion(v: ScriptsVersion): string;
export function wantedVersion(root: string): ScriptsVersion;
export function updateVersion(root: string): ScriptsVersion;

// Types for the parts of runner.mjs that the TypeScript tests call.
export declare const root: string;
export declare function resetEnvironment(lab: { vps: { root: string } }, env: string, project?: string): void;

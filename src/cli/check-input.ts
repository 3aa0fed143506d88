/**
 * What `berth check` reads and reports about berth.yml against its compose file: the
 * types the checks (check-*.ts) share, in a file of their own so that no check imports
 * check-compose.ts, which imports them all.
 */
import type { DatabaseLocation } from "../config/compose-database.js";
import type { ComposeModel } from "../config/compose-model.js";
import type { BerthYaml } from "../config/schema.js";
import type { Finding } from "./findings.js";

export interface BootFact {
  readonly what: string;
  /** The file, relative to where berth runs. */
  readonly from: string;
  /** A command that runs the migration and exits, when the repository shows one (bin/rails, manage.py, knexfile…). */
  readonly command?: readonly string[] | string | undefined;
}

export interface NamedDatabase {
  /** As the app opens it in its container (absolute). */
  readonly containerPath: string;
  /** The file that names it, relative to where berth runs. */
  readonly from: string;
}

export interface EnvExample {
  readonly file: string;
  readonly names: ReadonlySet<string>;
}

export interface ComposeCheckInput {
  readonly config: BerthYaml;
  /** Display paths of berth.yml and the compose file. */
  readonly configFile: string;
  readonly composeFile: string;
  readonly model: ComposeModel;
  /** The env example that documents each environment's env file, if the repository has one. */
  readonly envExamples: Readonly<Record<string, EnvExample | undefined>>;
  /** A migration the release runs as it starts, if the repository shows one. */
  readonly boot?: BootFact | undefined;
  /** SQLite files the repository's own config names. */
  readonly named?: readonly NamedDatabase[] | undefined;
}

export type DatabaseReport = {
  readonly environment: string;
  readonly path: string;
  /** A named volume's Docker name in this environment's compose project. */
  readonly dockerVolume?: string;
} & DatabaseLocation;

export interface ComposeReport {
  readonly findings: Finding[];
  /** Wrong or costly, but the deploy works: check still exits 0. */
  readonly warnings: Finding[];
  /** Worth knowing, not wrong. */
  readonly notes: string[];
  readonly databases: DatabaseReport[];
  /** Variables the server's env file must set (no default in the compose file). */
  readonly variables: string[];
  /** "web:3000 on 127.0.0.1:3100" when the readiness port is published on loopback. */
  readonly ready: string | undefined;
}

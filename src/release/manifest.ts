/**
 * release.json: the contract between the action and `berth` on the server. Pure:
 * built from validated config + images; vps-scripts read it with jq.
 */
import type { ResolvedEnvironment } from "../config/load.js";
import type { BerthYaml } from "../config/schema.js";
import type { Images } from "./images.js";
import { stopGraceSeconds } from "./stop-grace.js";

export interface Manifest {
  readonly schema: 1;
  readonly app: string;
  readonly environment: string;
  readonly sha: string;
  readonly images: Images;
  readonly compose: { readonly file: string; readonly project: string };
  readonly envFile: string;
  /** The SQLite files backed up, checked and restored together (absolute server paths). */
  readonly databases: readonly string[];
  readonly migrate: { readonly service: string; readonly command: readonly string[] } | null;
  readonly writers: readonly string[];
  /** Seconds each writer may take to stop (compose's stop_grace_period); empty: use compose stop. */
  readonly stopGraceSeconds: Readonly<Record<string, number>>;
  readonly ready: {
    readonly service: string;
    readonly port: number;
    readonly path: string;
    readonly intervalSeconds: number;
    readonly successes: number;
    readonly timeoutSeconds: number;
  };
  readonly keep: { readonly releases: number; readonly backups: number };
  readonly minFreeMB: number;
  /** Offsite backups (berth.yml offsite:), or null. The password never travels: it is read on the server. */
  readonly offsite: {
    readonly repository: string;
    readonly envFile: string;
    readonly keep: { readonly daily: number; readonly weekly: number; readonly monthly: number };
    readonly maxAgeHours: number;
    readonly schedule: string;
  } | null;
  readonly actor: string;
  readonly runUrl: string;
  readonly runId: string;
}

export interface RunInfo {
  readonly actor: string;
  readonly runUrl: string;
  readonly runId: string;
}

export function buildManifest(
  config: BerthYaml,
  env: ResolvedEnvironment,
  sha: string,
  images: Images,
  composeFile: string,
  run: RunInfo,
  composeText = "",
): Manifest {
  // Without an explicit list, the services that touch the DB are the migrate service's.
  const writers =
    config.writers ?? (config.migrate ? [config.migrate.service] : Object.keys(config.services));
  return {
    schema: 1,
    app: config.app,
    environment: env.name,
    sha,
    images,
    compose: { file: composeFile, project: env.project },
    envFile: env.envFile,
    databases: env.databasePaths,
    migrate: config.migrate ? { service: config.migrate.service, command: config.migrate.command } : null,
    writers,
    stopGraceSeconds: stopGraceSeconds(composeText, writers),
    ready: {
      service: config.ready.service,
      port: config.ready.port,
      path: config.ready.path,
      intervalSeconds: config.ready.interval_seconds,
      successes: config.ready.successes,
      timeoutSeconds: config.ready.timeout_seconds,
    },
    keep: { releases: config.keep.releases, backups: config.keep.backups },
    minFreeMB: config.min_free_mb,
    offsite: config.offsite
      ? {
          repository: config.offsite.repository,
          envFile: config.offsite.env_file ?? `${env.root}/env/offsite.env`,
          keep: { ...config.offsite.keep },
          maxAgeHours: config.offsite.max_age_hours,
          schedule: config.offsite.schedule,
        }
      : null,
    actor: run.actor,
    runUrl: run.runUrl,
    runId: run.runId,
  };
}

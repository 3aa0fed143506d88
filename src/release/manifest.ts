/**
 * release.json: the contract between the action and `berth` on the server. Pure:
 * built from validated config + images; vps-scripts read it with jq.
 */
import { parse } from "yaml";
import type { ResolvedEnvironment } from "../config/load.js";
import type { BerthYaml } from "../config/schema.js";
import type { Images } from "./images.js";
import { SLOT_B_FILE, slotB } from "./slot-b.js";
import { stopGraceSeconds } from "./stop-grace.js";

/**
 * A SQLite file in a named volume: the server reaches it only through its helper
 * container (vps-scripts/lib/sqlite-helper.sh), mounting `volume` and opening `path`
 * inside it. `service` and `containerPath` say where the app sees it.
 */
export interface VolumeDatabase {
  readonly volume: string;
  readonly path: string;
  readonly service: string;
  readonly containerPath: string;
}

/** An absolute host path, or a file in a named volume. */
export type DatabaseRef = string | VolumeDatabase;

export interface Manifest {
  readonly schema: 1;
  readonly app: string;
  readonly environment: string;
  readonly sha: string;
  readonly images: Images;
  readonly compose: { readonly file: string; readonly project: string };
  readonly envFile: string;
  /**
   * The SQLite files backed up, checked and restored together: absolute host paths, or
   * files in named volumes. (Bundles from before sets have .database.path instead.)
   */
  readonly databases: readonly DatabaseRef[];
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
  /** The swap path (docs/design.md §3): possible, or why not; slot b's file and ports. */
  readonly swap: SwapPlan;
  readonly keep: { readonly releases: number; readonly backups: number };
  readonly minFreeMB: number;
  /**
   * Compressed bytes each service's image downloads (registry manifests), for the disk
   * check's count of images not on the server yet; absent when the registry was not asked.
   */
  readonly imageBytes?: Readonly<Record<string, number>>;
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

export interface SwapPlan {
  readonly possible: boolean;
  readonly why: string;
  /** Slot b's compose file in the bundle (null when the swap is not possible). */
  readonly file: string | null;
  /** Slot a's literal host TCP port → slot b's. */
  readonly ports: Readonly<Record<string, string>>;
  /** Host ports set by a variable: slot b's file reads `${name}` = the value of `from` + portOffset. */
  readonly variables: readonly { readonly name: string; readonly from: string }[];
  readonly portOffset: number;
  readonly singletons: readonly string[];
  readonly drainSeconds: number;
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
  databases: readonly DatabaseRef[] = env.databasePaths,
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
    databases,
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
    swap: swapPlan(config, env.project, composeText).plan,
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

/** The swap plan, and slot b's compose text for the bundle when it is possible. */
export function swapPlan(
  config: BerthYaml,
  project: string,
  composeText: string,
): { plan: SwapPlan; text: string | undefined } {
  const singletons = config.swap.singletons ?? servicesWithoutPorts(config, composeText);
  const base = { singletons, drainSeconds: config.swap.drain_seconds, portOffset: config.swap.port_offset };
  if (!config.swap.enabled) {
    return {
      plan: {
        possible: false,
        why: "swap.enabled is false in berth.yml",
        file: null,
        ports: {},
        variables: [],
        ...base,
      },
      text: undefined,
    };
  }
  const b = slotB(composeText, project, config.swap.port_offset);
  if (!b.possible)
    return {
      plan: { possible: false, why: b.why, file: null, ports: {}, variables: [], ...base },
      text: undefined,
    };
  return {
    plan: { possible: true, why: "", file: SLOT_B_FILE, ports: b.ports, variables: b.variables, ...base },
    text: b.text,
  };
}

/** berth.yml's services whose compose service publishes no port: they serve no request. */
function servicesWithoutPorts(config: BerthYaml, composeText: string): string[] {
  let services: Record<string, { ports?: unknown } | null> = {};
  try {
    services = (parse(composeText) as { services?: typeof services } | null)?.services ?? {};
  } catch {
    return Object.keys(config.services);
  }
  return Object.keys(config.services).filter((s) => {
    const ports = services[s]?.ports;
    return !Array.isArray(ports) || ports.length === 0;
  });
}

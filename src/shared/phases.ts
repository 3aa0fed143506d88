/**
 * Phase names (docs/design.md §3). The same strings appear in logs, the ledger, the VPS
 * scripts and the docs; change them here and in vps-scripts together.
 */
export const DEPLOY_PHASES = [
  "preflight",
  "pull",
  "maintenance-on",
  "stop",
  "backup",
  "migrate",
  "start",
  "ready",
  "maintenance-off",
  "record",
  "prune",
] as const;

export const RECOVERY_PHASES = ["restore", "start", "ready", "maintenance-off", "record"] as const;

export type DeployPhase = (typeof DEPLOY_PHASES)[number];
export type Phase = DeployPhase | (typeof RECOVERY_PHASES)[number];

/** Exit codes of `berth` on the VPS (vps-scripts/lib/exit-codes.sh holds the same table). */
export const EXIT = {
  ok: 0,
  error: 1,
  refused: 2,
  rolledBack: 3,
  unrecovered: 4,
} as const;

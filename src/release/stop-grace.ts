/**
 * How long each writer may take to stop, from the compose file's `stop_grace_period`
 * (compose's default: 10 s). The server stops writers with `docker stop -t` and these
 * numbers instead of a compose invocation, which would cost the maintenance window
 * about half a second. Pure: the caller reads the file.
 */
import { parse } from "yaml";

const UNIT_SECONDS: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 0.000001 };

/** A compose duration ("10s", "1m30s", "500ms", or a number of seconds) in whole seconds, rounded up. */
export function durationSeconds(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value) && value >= 0) return Math.ceil(value);
  if (typeof value !== "string" || !/^([0-9]+(\.[0-9]+)?(h|ms|us|m|s))+$/.test(value)) return undefined;
  let total = 0;
  for (const m of value.matchAll(/([0-9]+(?:\.[0-9]+)?)(h|ms|us|m|s)/g)) {
    total += Number(m[1]) * (UNIT_SECONDS[m[2] ?? "s"] ?? 1);
  }
  return Math.ceil(total);
}

export function stopGraceSeconds(composeText: string, writers: readonly string[]): Record<string, number> {
  let services: Record<string, { stop_grace_period?: unknown } | null> = {};
  try {
    const doc = parse(composeText) as { services?: typeof services } | null;
    services = doc?.services ?? {};
  } catch {
    return {};
  }
  const out: Record<string, number> = {};
  for (const w of writers) {
    const grace = durationSeconds(services[w]?.stop_grace_period);
    // An unreadable value (e.g. a ${VAR}) leaves the writer to `compose stop` on the server.
    if (services[w]?.stop_grace_period !== undefined && grace === undefined) return {};
    out[w] = Math.min(grace ?? 10, 3600);
  }
  return out;
}

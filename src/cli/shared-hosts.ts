/**
 * Environments that run on one server (the same SSH host): one Docker engine, one set
 * of host ports, one nginx. What can run twice side by side on one host (the swap's
 * slots) cannot always run once per environment there. Pure.
 */
import { type ResolvedEnvironment, resolveEnvironment } from "../config/load.js";
import type { BerthYaml } from "../config/schema.js";

export interface SharedHost {
  readonly host: string;
  /** Two or more, in berth.yml's order. */
  readonly environments: readonly ResolvedEnvironment[];
}

export function sharedHosts(config: BerthYaml, source: string): SharedHost[] {
  const byHost = new Map<string, ResolvedEnvironment[]>();
  for (const name of Object.keys(config.environments)) {
    const env = resolveEnvironment(config, name, source);
    const key = env.host.toLowerCase();
    byHost.set(key, [...(byHost.get(key) ?? []), env]);
  }
  return [...byHost]
    .filter(([, envs]) => envs.length > 1)
    .map(([host, environments]) => ({ host, environments }));
}

/** "staging and production", "a, b and c". */
export function names(envs: readonly { readonly name: string }[]): string {
  const n = envs.map((e) => e.name);
  return n.length <= 1 ? (n[0] ?? "") : `${n.slice(0, -1).join(", ")} and ${n[n.length - 1]}`;
}

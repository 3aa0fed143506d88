/**
 * `berth check` on a release that migrates its database as it starts (found by
 * init-boot.ts in the image's CMD/ENTRYPOINT, a start script or the source) while
 * berth.yml gives no migrate command and leaves the swap path on: the rehearsal then
 * sees no change, the deploy takes the swap path, and the new release migrates the
 * live database beside the old one with no backup (issue 21, measured in the lab). A
 * warning, not an error: such configs passed check before (users upgrade). Pure.
 */
import type { ComposeCheckInput } from "./check-input.js";
import { type Finding, finding } from "./findings.js";

export function checkBoot(input: ComposeCheckInput, warnings: Finding[]): void {
  const { config, configFile, boot } = input;
  if (boot === undefined || config.migrate !== undefined || !config.swap.enabled) return;
  const service = config.ready.service;
  const c = boot.command;
  const command = c === undefined ? "[...]" : typeof c === "string" ? JSON.stringify(c) : `[${c.join(", ")}]`;
  const with_ = c === undefined ? " with the command that migrates and exits" : "";
  warnings.push(
    finding(
      configFile,
      "migrate",
      undefined,
      `is not set, but ${boot.from} migrates the database when the app starts (${boot.what}): the rehearsal sees no change, the deploy takes the swap path, and the new release migrates the live database beside the old one with no backup (a failing migration leaves it half-migrated); add migrate: { service: ${service}, command: ${command} }${with_}, or, if there is none, swap: { enabled: false } so every deploy stops, backs up and restores on failure`,
    ),
  );
}

/**
 * `berth check` on compose features that reach past the one file berth uploads or the
 * services it starts: `include:` and `extends: {file:}` (files the bundle does not
 * hold), `extends:` within the file (fields berth does not read) and `profiles:`
 * (services `compose up` does not start). Pure.
 */
import type { ComposeCheckInput } from "./check-input.js";
import { type Finding, finding } from "./findings.js";

export function checkComposeFeatures(
  input: ComposeCheckInput,
  findings: Finding[],
  warnings: Finding[],
): void {
  const { config, composeFile, model } = input;
  const shipped = `the deploy uploads ${composeFile} alone, never the files it names`;
  if (model.include.length > 0)
    findings.push(
      finding(
        composeFile,
        "include",
        model.include.join(", "),
        `merges other compose files, and ${shipped}: the first deploy fails to find ${model.include[0]}; copy the services you deploy into ${composeFile} and drop include:`,
      ),
    );
  for (const svc of Object.values(model.services)) {
    const ext = svc.extends;
    if (ext?.file !== undefined)
      findings.push(
        finding(
          composeFile,
          `services.${svc.name}.extends.file`,
          ext.file,
          `is read on the server, and ${shipped}: the first deploy fails to find it; copy the fields ${svc.name} takes from ${ext.service} into ${svc.name} and drop extends:`,
        ),
      );
    else if (ext !== undefined)
      warnings.push(
        finding(
          composeFile,
          `services.${svc.name}.extends.service`,
          ext.service,
          `gives ${svc.name} fields berth does not read (ports, volumes, env_file of ${ext.service}): check and the database resolution see ${svc.name} without them; write those fields in ${svc.name} itself`,
        ),
      );
    if (svc.profiles.length === 0) continue;
    const field = `services.${svc.name}.profiles`;
    const value = svc.profiles.join(", ");
    if (config.services[svc.name])
      findings.push(
        finding(
          composeFile,
          field,
          value,
          `puts ${svc.name}, which berth deploys, in a profile: berth runs compose without --profile, so ${svc.name} never starts on the maintenance path; remove profiles: from ${svc.name}`,
        ),
      );
    else
      warnings.push(
        finding(
          composeFile,
          field,
          value,
          `starts ${svc.name} only with --profile ${svc.profiles[0]}: berth runs compose without profiles, so it never starts, stops or updates ${svc.name}, and does not stop it before a backup; run it yourself (docker compose --profile ${svc.profiles[0]} run ${svc.name}) or remove profiles: and add it to berth.yml services:`,
        ),
      );
  }
}

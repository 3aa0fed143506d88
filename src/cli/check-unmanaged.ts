/**
 * `berth check` on databases berth does not manage: each stateful server in the
 * compose file (src/config/stateful-services.ts) is refused until berth.yml lists it
 * under `unmanaged:`, which acknowledges that berth does not back it up; then a note
 * repeats the consequence. Pure.
 */
import { statefulServices, UNMANAGED_CONSEQUENCE } from "../config/stateful-services.js";
import type { ComposeCheckInput } from "./check-input.js";
import { type Finding, finding } from "./findings.js";

export function checkUnmanaged(input: ComposeCheckInput, findings: Finding[], notes: string[]): void {
  const { config, configFile, composeFile, model } = input;
  const acknowledged = config.unmanaged ?? [];
  const found = statefulServices(model);
  const want = [...new Set([...acknowledged, ...found.map((s) => s.service)])].filter(
    (s) => model.services[s],
  );
  for (const s of found) {
    const where = s.mount
      ? `with its data in ${s.mount.type === "volume" ? `the named volume ${s.mount.source}` : s.mount.source} (${s.mount.target})`
      : "with its data inside the container (lost when it is recreated)";
    if (acknowledged.includes(s.service)) {
      notes.push(`${s.service} (${s.kind}) is unmanaged (berth.yml unmanaged:): ${UNMANAGED_CONSEQUENCE}`);
      continue;
    }
    const field = s.image === undefined ? `services.${s.service}.volumes` : `services.${s.service}.image`;
    findings.push(
      finding(
        composeFile,
        field,
        s.image ?? s.mount?.raw ?? s.service,
        `runs ${s.kind}, ${where}: ${UNMANAGED_CONSEQUENCE}. Back it up yourself (e.g. a dump on a timer, before each deploy), then acknowledge it in ${configFile}: unmanaged: [${want.join(", ")}]`,
      ),
    );
  }
  acknowledged.forEach((name, i) => {
    if (!model.services[name])
      findings.push(
        finding(
          configFile,
          `unmanaged[${i}]`,
          name,
          `is not a service in ${composeFile} (it has: ${Object.keys(model.services).join(", ")}); name the compose service that runs the database`,
        ),
      );
  });
}

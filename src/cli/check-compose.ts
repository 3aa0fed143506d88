/**
 * `berth check` on berth.yml against its compose file: the services exist, the
 * variables the server's env file must set, where each database really is, that the
 * writers are stopped, and that the readiness port is published on loopback only.
 * Pure: the caller reads the files.
 */
import { isLoopback } from "../config/compose-ports.js";
import { BERTH_VARIABLES } from "../config/compose-vars.js";
import { checkBoot } from "./check-boot.js";
import { checkComposeFeatures } from "./check-compose-features.js";
import { checkContainers } from "./check-containers.js";
import { checkDatabases, checkWriters } from "./check-databases.js";
import { checkEnvFiles } from "./check-env-files.js";
import type { ComposeCheckInput, ComposeReport } from "./check-input.js";
import { checkMounts } from "./check-mounts.js";
import { checkPorts } from "./check-ports.js";
import { checkUnlisted } from "./check-unlisted.js";
import { checkUnmanaged } from "./check-unmanaged.js";
import { type Finding, finding } from "./findings.js";

export function checkCompose(input: ComposeCheckInput): ComposeReport {
  const { config, configFile, composeFile, model } = input;
  const findings: Finding[] = [];
  const notes: string[] = [];
  const composeNames = Object.keys(model.services);
  for (const name of Object.keys(config.services)) {
    if (!model.services[name]) {
      findings.push(
        finding(
          configFile,
          `services.${name}`,
          name,
          `is not a service in ${composeFile} (it has: ${composeNames.join(", ")}); use the compose service name`,
        ),
      );
    }
  }
  for (const svc of Object.values(model.services)) {
    if (svc.build && !config.services[svc.name]) {
      findings.push(
        finding(
          composeFile,
          `services.${svc.name}.build`,
          svc.build.context,
          `is built on the server, which berth never does (it uploads only the compose file); add ${svc.name} to berth.yml services: (a service sharing another's image repeats its image: without build:), or drop build: and give an image:`,
        ),
      );
    }
  }
  for (const p of model.problems) findings.push(finding(composeFile, p.field, p.value, p.message));

  const variables = model.variables
    .filter((v) => v.required && !BERTH_VARIABLES.includes(v.name))
    .map((v) => v.name);
  for (const [env, example] of Object.entries(input.envExamples)) {
    if (!example) continue;
    for (const v of model.variables) {
      if (!variables.includes(v.name) || example.names.has(v.name)) continue;
      findings.push(
        finding(
          example.file,
          v.name,
          undefined,
          `is used by ${composeFile} (${v.field}) without a default, so the ${env} server's env file must set it; add ${v.name}= to ${example.file}`,
        ),
      );
    }
  }
  // One example often documents every environment: report each missing name once.
  const unique = dedupe(findings);

  const warnings: Finding[] = [];
  checkComposeFeatures(input, unique, warnings);
  checkContainers(input, unique, warnings);
  checkPorts(input, unique, warnings);
  checkEnvFiles(input, unique, notes);
  checkMounts(input, warnings);
  checkUnmanaged(input, unique, notes);
  checkBoot(input, warnings);
  const databases = checkDatabases(input, unique, notes);
  checkWriters(input, databases, unique, notes);
  checkUnlisted(input, databases, warnings);
  const ready = checkReady(input, unique, notes);
  return { findings: dedupe(unique), warnings: dedupe(warnings), notes, databases, variables, ready };
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = JSON.stringify([f.file, f.field, f.value]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function checkReady(input: ComposeCheckInput, findings: Finding[], notes: string[]): string | undefined {
  const { config, configFile, composeFile, model } = input;
  const { service, port } = config.ready;
  const svc = model.services[service];
  if (!svc) return undefined;
  const idx = svc.ports.map((p, i) => [p, i] as const);
  const matching = idx.filter(
    ([p]) =>
      p.protocol === "tcp" && p.containerPort && port >= p.containerPort.start && port <= p.containerPort.end,
  );
  if (matching.length === 0) {
    const unknown = svc.ports.filter((p) => !p.containerPort);
    if (unknown.length > 0) {
      notes.push(
        `${service}: cannot tell whether ${unknown.map((p) => p.raw).join(", ")} publishes port ${port} (a variable)`,
      );
      return undefined;
    }
    findings.push(
      finding(
        configFile,
        "ready.port",
        port,
        `is not published by ${service} in ${composeFile}: berth polls it on the server's loopback and nginx proxies to it; add ports: ["127.0.0.1:<host port>:${port}"] to ${service} (a different host port per environment, e.g. "127.0.0.1:\${WEB_PORT}:${port}")`,
      ),
    );
    return undefined;
  }
  // A ready port published elsewhere than loopback is reported by check-ports.ts.
  const loop = matching.find(([p]) => isLoopback(p.hostIp))?.[0];
  return loop && `${service}:${port} on ${loop.hostIp}:${loop.hostPort ?? "(any port)"}`;
}

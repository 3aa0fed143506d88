/**
 * `berth check` on what pins a service to one container per host: `container_name:`
 * (one name per Docker engine) and `network_mode: host` (the host's own ports). Both
 * stop the swap path from running the new release beside the old one (slot b,
 * src/release/slot-b.ts), and both fail when two environments share the host. Pure.
 */
import { resolveEnvironment } from "../config/load.js";
import type { ComposeCheckInput } from "./check-input.js";
import { type Finding, finding } from "./findings.js";
import { names, sharedHosts } from "./shared-hosts.js";

export function checkContainers(input: ComposeCheckInput, findings: Finding[], warnings: Finding[]): void {
  const { config, configFile, composeFile, model } = input;
  const shared = sharedHosts(config, configFile)[0];
  const first = Object.keys(config.environments)[0] ?? "production";
  const project = resolveEnvironment(config, first, configFile).project;
  for (const svc of Object.values(model.services)) {
    const name = svc.containerName;
    if (name !== undefined) {
      const field = `services.${svc.name}.container_name`;
      const dropIt = `remove container_name: (compose then names it ${project}-${svc.name}-1, one name per environment's project)`;
      if (shared)
        findings.push(
          finding(
            composeFile,
            field,
            name,
            `names the container ${JSON.stringify(name)} in every environment, and ${names(shared.environments)} run on one Docker engine (${shared.host}): the second environment's deploy fails ("the container name is already in use"); ${dropIt}`,
          ),
        );
      else
        warnings.push(
          finding(
            composeFile,
            field,
            name,
            `forces the maintenance path (a short window with the maintenance page) on every deploy: the swap path starts the new release beside the old one, and two containers cannot share one name; ${dropIt}`,
          ),
        );
    }
    if (svc.networkMode === "host") {
      const field = `services.${svc.name}.network_mode`;
      const dropIt = `remove network_mode: host (services reach each other by their compose service name; publish what nginx needs on 127.0.0.1)`;
      if (svc.name === config.ready.service)
        findings.push(
          finding(
            composeFile,
            field,
            "host",
            `puts ${svc.name} on the host's network, where its ports: are ignored: berth cannot find the readiness port ${config.ready.port} on loopback and the deploy never becomes ready; ${dropIt}, e.g. ports: ["127.0.0.1:<host port>:${config.ready.port}"]`,
          ),
        );
      else if (shared)
        findings.push(
          finding(
            composeFile,
            field,
            "host",
            `puts ${svc.name} on the host's network in every environment, and ${names(shared.environments)} run on one host (${shared.host}): both listen on the host's own ports and the second fails to bind; ${dropIt}`,
          ),
        );
      else
        warnings.push(
          finding(
            composeFile,
            field,
            "host",
            `forces the maintenance path on every deploy: a second ${svc.name} on the host's network would bind the same ports, so the swap path cannot start it beside the old one; ${dropIt}`,
          ),
        );
    }
  }
}

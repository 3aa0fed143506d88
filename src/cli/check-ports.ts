/**
 * `berth check` on every published port: nginx owns 80 and 443 on the server; a port
 * on 0.0.0.0 is reachable from the internet past ufw/firewalld (Docker's own iptables
 * rules) and bypasses nginx; a fixed host port cannot serve two environments on one
 * host. The fix for the last uses a per-environment variable, which the env file sets
 * and the swap's slot b moves (src/release/slot-b.ts). Pure.
 */
import { isLoopback, type PortMapping } from "../config/compose-ports.js";
import type { ComposeCheckInput } from "./check-input.js";
import { type Finding, finding } from "./findings.js";
import { names, type SharedHost, sharedHosts } from "./shared-hosts.js";

const LITERAL = /^(\d{1,5})(?:-(\d{1,5}))?$/;
/** nginx listens on these for every site on the server (berth setup's server block). */
const NGINX_PORTS = [80, 443];

function literalPorts(p: PortMapping): number[] {
  const m = p.raw.includes("$") ? null : LITERAL.exec(p.hostPort ?? "");
  if (!m) return [];
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  return Array.from({ length: Math.max(0, end - start + 1) }, (_, i) => start + i);
}

/** The env variable that gives this entry a host port per environment: WEB_PORT, or WEB_PORT_9090 beside others. */
function portVariable(service: string, p: PortMapping, literalEntries: number): string {
  const base = `${service.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_PORT`;
  return literalEntries > 1 && p.containerPort ? `${base}_${p.containerPort.start}` : base;
}

export function checkPorts(input: ComposeCheckInput, findings: Finding[], warnings: Finding[]): void {
  const { config, configFile, composeFile, model } = input;
  const shared: SharedHost | undefined = sharedHosts(config, configFile)[0];
  const ready = config.ready;
  for (const svc of Object.values(model.services)) {
    if (svc.networkMode === "host") continue; // ports: are ignored there (check-containers.ts)
    const literalEntries = svc.ports.filter((p) => literalPorts(p).length > 0).length;
    svc.ports.forEach((p, i) => {
      const field = `services.${svc.name}.ports[${i}]`;
      const host = literalPorts(p);
      const container = p.containerPort
        ? `${p.containerPort.start}${p.containerPort.end === p.containerPort.start ? "" : `-${p.containerPort.end}`}`
        : "<container port>";
      const proto = p.protocol === "tcp" ? "" : `/${p.protocol}`;
      const loop = isLoopback(p.hostIp);
      const isReady =
        svc.name === ready.service &&
        p.protocol === "tcp" &&
        p.containerPort !== undefined &&
        ready.port >= p.containerPort.start &&
        ready.port <= p.containerPort.end;
      const nginx = host.filter((n) => NGINX_PORTS.includes(n));
      const everywhere = p.hostIp ?? "every interface (0.0.0.0)";
      const reasons: string[] = [];
      if (nginx.length > 0)
        reasons.push(
          `publishes host port ${nginx.join(" and ")}, which nginx owns on the server (it terminates TLS and serves the maintenance page for every environment): the container cannot start ("address already in use")`,
        );
      if (isReady && !loop)
        reasons.push(
          `publishes port ${ready.port} on ${everywhere}: Docker's own iptables rules let the internet reach it past ufw/firewalld, bypassing nginx (TLS, the maintenance page)`,
        );
      const clash = shared !== undefined && host.length > 0;
      if (clash)
        reasons.push(
          `publishes host port ${p.hostPort} in every environment, and ${names(shared.environments)} run on one host (${shared.host}): the second to start fails ("port is already allocated")`,
        );
      if (reasons.length === 0) {
        if (!loop)
          warnings.push(
            finding(
              composeFile,
              field,
              p.raw,
              `publishes port ${container} on ${everywhere}: Docker's own iptables rules let the internet reach it past ufw/firewalld, bypassing nginx; publish it on loopback only: "127.0.0.1:${p.hostPort ?? "<host port>"}:${container}${proto}" (or remove it if nothing outside the server needs it)`,
            ),
          );
        return;
      }
      if (!isReady && !loop && nginx.length === 0 && clash)
        reasons.push(`it is also open on ${everywhere}, past ufw/firewalld`);
      const variable = portVariable(svc.name, p, literalEntries);
      const hostPart = clash
        ? `\${${variable}}`
        : nginx.length > 0
          ? String(8000 + (nginx[0] === 443 ? 443 : 80))
          : (p.hostPort ?? "<host port>");
      const entry = `"127.0.0.1:${hostPart}:${container}${proto}"`;
      let fix = `publish it on loopback only: ${entry}`;
      if (clash) {
        const first = host[0] ?? 0;
        const values = shared.environments.map(
          (e, k) => `${variable}=${first + k} in ${e.name}'s env file (${e.envFile})`,
        );
        fix = `give each environment its own host port: ${entry}, with ${values.join(" and ")}`;
      }
      const readyEntry = svc.ports.find((q, k) => k !== i && isLoopback(q.hostIp) && covers(q, ready.port));
      if (nginx.length > 0 && !isReady && svc.name === ready.service && readyEntry)
        fix = `remove this entry: nginx terminates TLS and proxies to ${svc.name}:${ready.port} (${readyEntry.raw}); or ${fix}`;
      findings.push(finding(composeFile, field, p.raw, `${reasons.join("; ")}; ${fix}`));
    });
  }
}

function covers(p: PortMapping, port: number): boolean {
  return (
    p.protocol === "tcp" &&
    p.containerPort !== undefined &&
    port >= p.containerPort.start &&
    port <= p.containerPort.end
  );
}

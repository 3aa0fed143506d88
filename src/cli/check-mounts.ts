/**
 * `berth check` on bind mounts from outside the environment's directory <root>/<env>:
 * `~/…` (the home of the user compose runs as) and absolute host paths. Every
 * environment on the host shares them, berth setup does not create them (Docker then
 * creates a missing one owned by root), and they are not where berth's docs and
 * backups look. Read-only mounts of host files (the Docker socket, the time zone) are
 * left alone. Pure.
 */
import { posix } from "node:path";
import { resolveEnvironment } from "../config/load.js";
import type { ComposeCheckInput } from "./check-input.js";
import { type Finding, finding } from "./findings.js";

/** Host paths services mount on purpose, shared by design. */
const SYSTEM = /^\/(?:var\/run|run|dev|sys|proc|etc\/localtime|etc\/timezone)(?:\/|$)/;

export function checkMounts(input: ComposeCheckInput, warnings: Finding[]): void {
  const { config, configFile, composeFile, model } = input;
  const envs = Object.keys(config.environments).map((n) => resolveEnvironment(config, n, configFile));
  for (const svc of Object.values(model.services)) {
    svc.volumes.forEach((m, i) => {
      if (m.type !== "bind" || m.source === undefined || m.unresolved.length > 0 || m.readOnly) return;
      const field = `services.${svc.name}.volumes[${i}]`;
      const local = `"./${posix.basename(m.source) || "data"}:${m.target}"`;
      if (m.source.startsWith("~")) {
        const user = envs[0]?.user ?? "deploy";
        warnings.push(
          finding(
            composeFile,
            field,
            m.raw,
            `mounts ${m.source}, in the home of the user compose runs as on the server (${user}): outside the environment's directory, shared by every environment on that host, not created by berth setup; mount a directory of the environment instead: ${local} (under <root>/<env>/)`,
          ),
        );
        return;
      }
      if (SYSTEM.test(m.source)) return;
      const outside = envs.flatMap((e) => {
        const dir = `${e.root}/${e.name}`;
        const path = posix.resolve(dir, m.source ?? "");
        return path === dir || path.startsWith(`${dir}/`) ? [] : [{ env: e, dir, path }];
      });
      const o = outside[0];
      if (o === undefined) return;
      warnings.push(
        finding(
          composeFile,
          field,
          m.raw,
          `mounts ${o.path} read-write, outside the ${o.env.name} environment's directory (${o.dir}): every environment on that host shares it and berth setup does not create it (Docker creates a missing one, owned by root); mount a directory of the environment instead: ${local}`,
        ),
      );
    });
  }
}

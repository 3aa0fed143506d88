/**
 * `berth check` on `env_file:` entries: compose reads them on the server, relative to
 * the project directory <root>/<env>, when it creates the containers. berth setup
 * creates one env file per environment (<root>/env/<env>.env unless berth.yml names
 * another) and a deploy uploads no env file (docs/design.md §2, secrets stay put), so
 * any other file is missing on the first deploy. Pure.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${BERTH_ENV} is compose interpolation, written as text
import { posix } from "node:path";
import { resolveEnvironment } from "../config/load.js";
import type { ComposeCheckInput } from "./check-input.js";
import { type Finding, finding } from "./findings.js";

export function checkEnvFiles(input: ComposeCheckInput, findings: Finding[], notes: string[]): void {
  const { config, configFile, composeFile, model } = input;
  const envs = Object.keys(config.environments).map((n) => resolveEnvironment(config, n, configFile));
  const standard = envs.every((e) => e.envFile === `${e.root}/env/${e.name}.env`);
  const fix = standard
    ? `env_file: ../env/\${BERTH_ENV}.env (berth sets BERTH_ENV; that is ${envs.map((e) => e.envFile).join(", ")}, which berth setup creates)`
    : `env_file: naming the environment's own env file (${envs.map((e) => `${e.name}: ${e.envFile}`).join(", ")})`;
  for (const svc of Object.values(model.services)) {
    svc.envFiles.forEach((ef, i) => {
      const field = `services.${svc.name}.env_file${svc.envFiles.length > 1 ? `[${i}]` : ""}`;
      if (!ef.required) return;
      const unknown = ef.path.replaceAll("${BERTH_ENV}", "").match(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/);
      if (unknown) {
        notes.push(
          `${composeFile}: ${field}: ${ef.path} depends on ${unknown[1]}, set on the server only; berth cannot tell whether that file exists`,
        );
        return;
      }
      const missing = envs.flatMap((e) => {
        const path = posix.resolve(`${e.root}/${e.name}`, ef.path.replaceAll("${BERTH_ENV}", e.name));
        return path === e.envFile ? [] : [{ env: e, path }];
      });
      const m = missing[0];
      if (m === undefined) return;
      findings.push(
        finding(
          composeFile,
          field,
          ef.path,
          `is read from ${m.path} on the ${m.env.name} server when the containers are created, a file berth setup does not create and no deploy uploads (the bundle holds the compose file, never env files): the first deploy fails ("env file ${m.path} not found"); read the environment's own env file instead, ${fix}, or pass each variable under environment: (NAME: \${NAME})`,
        ),
      );
    });
  }
}

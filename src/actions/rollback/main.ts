import * as core from "@actions/core";
import { loadConfig, resolveEnvironment } from "../../config/load.js";
import { octokitDeployments } from "../../deploy/github-deployment.js";
import { rollback } from "../../deploy/rollback.js";
import { EXIT_MEANING } from "../../remote/exit-codes.generated.js";
import { readInputs } from "../common/inputs.js";
import { credentials } from "../common/registry-inputs.js";
import { reporter, runner } from "../common/runner.js";
import { runInfo, server, withOverrides } from "../common/server.js";
import { schema, specs } from "./inputs.js";

export async function main(): Promise<void> {
  const inputs = readInputs(specs, schema, runner);
  const { config } = loadConfig(inputs.config, process.env.GITHUB_WORKSPACE ?? process.cwd());
  const env = withOverrides(resolveEnvironment(config, inputs.environment, inputs.config), inputs);
  const token = inputs["github-token"];
  const repository = process.env.GITHUB_REPOSITORY;
  const report = await rollback(
    {
      environment: env.name,
      sha: inputs.sha,
      database: inputs.database,
      repos: Object.values(config.services).map((s) => s.image),
      credentials: credentials(inputs),
      environmentUrl: env.url,
      ...runInfo(),
    },
    {
      server: server(env, inputs),
      reporter,
      github: token && repository ? octokitDeployments({ repository, token }) : undefined,
      now: Date.now,
    },
  );
  core.setOutput("sha", report.sha);
  core.setOutput("url", env.url ?? "");
  core.setOutput("rolled-back-from", report.rolledBackFrom);
  core.setOutput("result", report.result);
  core.setOutput("duration-seconds", String(report.durationSeconds));
  await core.summary
    .addRaw(
      `### berth rollback of ${env.name}: ${report.result}\n\n\`${report.rolledBackFrom || "?"}\` → \`${report.sha || "?"}\` in ${report.durationSeconds} s\n`,
    )
    .write();
  if (report.exitCode !== 0) {
    throw new Error(
      `rollback of ${env.name} ${report.result} (berth exit code ${report.exitCode}): ${EXIT_MEANING[report.exitCode] ?? "see the log"}; the log above names the reason and the phase`,
    );
  }
}

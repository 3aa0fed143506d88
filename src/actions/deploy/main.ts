import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as core from "@actions/core";
import { HttpRegistry } from "../../build/registry.js";
import { loadConfig, resolveEnvironment } from "../../config/load.js";
import { berthHome } from "../../deploy/bundle.js";
import { deploy } from "../../deploy/deploy.js";
import { octokitDeployments } from "../../deploy/github-deployment.js";
import { EXIT_MEANING } from "../../remote/exit-codes.generated.js";
import { readInputs } from "../common/inputs.js";
import { credentials } from "../common/registry-inputs.js";
import { reporter, runner, shaDefaulted } from "../common/runner.js";
import { runInfo, server, withOverrides } from "../common/server.js";
import { schema, specs } from "./inputs.js";
import { deploySummary } from "./summary.js";

export async function main(): Promise<void> {
  // sha defaults to the commit the workflow runs for, except in a promotion: there an
  // empty sha means the source environment's current release.
  const inputs = readInputs(specs, schema, shaDefaulted(runner, "promote-from"));
  const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
  const { config, dir } = loadConfig(inputs.config, workspace);
  const env = withOverrides(resolveEnvironment(config, inputs.environment, inputs.config), inputs);
  const creds = credentials(inputs);
  // A promotion reads the source environment's ledger with the same SSH credentials.
  const from = inputs["promote-from"];
  const source = from
    ? withOverrides(resolveEnvironment(config, from, inputs.config), {
        ...inputs,
        "ssh-host": undefined,
        "ssh-port": undefined,
        "ssh-user": undefined,
      })
    : undefined;
  const token = inputs["github-token"];
  const repository = process.env.GITHUB_REPOSITORY;
  const github =
    token && repository && !inputs["dry-run"] ? octokitDeployments({ repository, token }) : undefined;

  const report = await deploy(
    {
      config,
      configDir: dir,
      env,
      sha: inputs.sha,
      imagesJson: inputs.images,
      promoteFrom: source,
      dryRun: inputs["dry-run"],
      credentials: creds,
      allowScriptsDowngrade: inputs["allow-scripts-downgrade"],
      run: runInfo(),
      home: berthHome(),
      workDir: mkdtempSync(join(process.env.RUNNER_TEMP ?? tmpdir(), "berth-deploy-")),
    },
    {
      registry: new HttpRegistry(creds),
      server: server(env, inputs),
      source: source && server(source, inputs),
      reporter,
      github,
      now: Date.now,
    },
  );

  core.setOutput("sha", report.sha);
  core.setOutput("images", JSON.stringify(report.images));
  core.setOutput("url", env.url ?? "");
  core.setOutput("previous-sha", report.previousSha);
  core.setOutput("result", report.result);
  core.setOutput("duration-seconds", String(report.durationSeconds));
  core.setOutput("phases", JSON.stringify(report.phases));
  await core.summary.addRaw(deploySummary(env.name, report)).write();
  if (report.exitCode !== 0) {
    throw new Error(
      `deploy of ${report.sha} to ${env.name} ${report.result} (berth exit code ${report.exitCode}): ${EXIT_MEANING[report.exitCode] ?? "see the log"}; the log above names the phase`,
    );
  }
}

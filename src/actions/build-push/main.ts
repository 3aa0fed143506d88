import * as core from "@actions/core";
import { buildPush, login } from "../../build/build-push.js";
import { DockerCli } from "../../build/docker.js";
import { planBuild } from "../../build/plan.js";
import { HttpRegistry } from "../../build/registry.js";
import { checkSource, gitCli } from "../../build/source-check.js";
import { loadConfig } from "../../config/load.js";
import { readInputs } from "../common/inputs.js";
import { credentials } from "../common/registry-inputs.js";
import { reporter, runner, shaDefaulted } from "../common/runner.js";
import { schema, specs } from "./inputs.js";
import { imagesSummary } from "./summary.js";

export async function main(): Promise<void> {
  const inputs = readInputs(specs, schema, shaDefaulted(runner));
  const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
  const { config, dir, repoRoot } = loadConfig(inputs.config, workspace);
  const server = process.env.GITHUB_SERVER_URL;
  const repository = process.env.GITHUB_REPOSITORY;
  const plan = planBuild(config, dir, {
    sha: inputs.sha,
    services: inputs.services,
    extraTags: inputs["extra-tags"],
    buildArgs: inputs["build-args"],
    source: server && repository ? `${server}/${repository}` : undefined,
    created: new Date().toISOString(),
  });

  const unproven = await checkSource(plan, repoRoot, gitCli);
  if (unproven) reporter.warning(unproven);

  const creds = credentials(inputs);
  const docker = new DockerCli();
  if (creds)
    await login(
      docker,
      plan.services.map((s) => s.repo),
      creds,
    );
  const images = await buildPush(plan, { docker, registry: new HttpRegistry(creds), reporter });

  core.setOutput("images", JSON.stringify(images));
  await core.summary.addRaw(imagesSummary(plan.sha, images)).write();
}

// npm run demo: bring up the lab and ship the example app through it, running the
// actions exactly as the GitHub runner does (node actions/<x>/dist/index.js with
// INPUT_* and GITHUB_* set). Every step is asserted; any failure exits non-zero.
// The lab and its state stay up for inspection; `npm run lab -- down` removes them.
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { labInputs, labUp, resetEnvironment, root, runAction, sh, versionAt } from "./lib/runner.mjs";

const t0 = Date.now();
const step = (m) => console.log(`\n▶ ${m}  (+${((Date.now() - t0) / 1000).toFixed(1)} s)`);
function assert(cond, message) {
  if (!cond) {
    console.error(`\n✗ demo failed: ${message}`);
    process.exit(1);
  }
  console.log(`  ✓ ${message}`);
}

step("lab up");
const lab = labUp();
if (!existsSync(join(root, "examples/app/node_modules")))
  sh("npm", ["ci", "--prefix", join(root, "examples/app")]);

// The example app as a repository of its own, with real commits to deploy.
const ws = mkdtempSync(join(tmpdir(), "berth-demo-"));
cpSync(join(root, "examples/app"), ws, { recursive: true });
const git = (...args) =>
  sh("git", ["-C", ws, "-c", "user.name=berth demo", "-c", "user.email=demo@berth.invalid", ...args]).trim();
git("init", "-q", "-b", "main");
git("add", "-A");
git("commit", "-qm", "v1");
const v1 = git("rev-parse", "HEAD");
writeFileSync(join(ws, "CHANGELOG.md"), "v2: notes get an index\n");
git("add", "-A");
git("commit", "-qm", "v2");
const v2 = git("rev-parse", "HEAD");

const action = (name, inputs) =>
  runAction(name, inputs, { GITHUB_WORKSPACE: ws, GITHUB_ACTOR: "demo" }, { echo: true });
const { ssh, registry } = labInputs(lab);

const berth = (...args) => sh("runuser", ["-u", "deploy", "--", join(lab.vps.root, "bin/berth"), ...args]);
const ledgerOf = (env) =>
  readFileSync(join(lab.vps.root, env, "releases.log"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

// A demo starts from never-deployed environments (the previous demo's state is replaced).
step("fresh staging and production on the lab VPS");
for (const env of ["staging", "production"]) resetEnvironment(lab, env);
assert(
  ["staging", "production"].every((env) => !existsSync(join(lab.vps.root, env, "releases.log"))),
  "staging and production have no releases",
);

async function buildPush(sha, knobs, label) {
  step(`build-push ${label} (${sha.slice(0, 12)})`);
  const b = await action("build-push", { sha, "build-args": `GIT_SHA=${sha}\n${knobs}`, ...registry });
  assert(b.exitCode === 0, `build-push ${label} succeeded`);
  const images = JSON.parse(b.outputs.images);
  assert(
    Object.values(images).every((i) => /^sha256:[0-9a-f]{64}$/.test(i.digest)),
    `pushed ${Object.keys(images).join(" and ")}: ${Object.values(images)
      .map((i) => `${i.digest.slice(0, 19)}… (${i.status})`)
      .join(", ")}`,
  );
  return b.outputs.images;
}

async function deployTo(env, sha, label, inputs) {
  step(
    `deploy ${label} to ${env}${inputs["promote-from"] ? " (promoted from staging: same digests, no rebuild)" : ""}`,
  );
  const d = await action("deploy", { environment: env, sha, ...inputs, ...ssh, ...registry });
  assert(
    d.exitCode === 0 && d.outputs.result === "succeeded",
    `deploy ${label} to ${env}: ${d.outputs.result}`,
  );
  const now = await versionAt(lab.nginx[env]);
  assert(now === sha, `${lab.nginx[env]}/api/version serves ${label} (${now.slice(0, 12)})`);
  if (inputs["promote-from"]) {
    const digests = (e) =>
      JSON.stringify(
        ledgerOf(e)
          .filter((l) => l.sha === sha && l.result === "succeeded")
          .at(-1).images,
      );
    assert(
      digests("production") === digests("staging"),
      "production runs exactly the image digests staging ran",
    );
  }
}

// build-push builds the checked-out commit (it refuses to tag other code with the SHA):
// check each commit out before building it, as actions/checkout does for that SHA.
git("checkout", "-q", v1);
const v1Images = await buildPush(v1, "MAX_MIGRATION=2", "v1");
await deployTo("staging", v1, "v1", { images: v1Images });
await deployTo("production", v1, "v1", { "promote-from": "staging" });
git("checkout", "-q", "main");
const v2Images = await buildPush(v2, "", "v2");
await deployTo("staging", v2, "v2", { images: v2Images });
await deployTo("production", v2, "v2", { "promote-from": "staging" });

step("roll production back (v2 migrated the database: restore the backup taken before it)");
const r = await action("rollback", { environment: "production", database: "restore", ...ssh, ...registry });
assert(
  r.exitCode === 0 && r.outputs.result === "rolled_back",
  `rollback: ${r.outputs.result} in ${r.outputs["duration-seconds"]} s`,
);
const back = await versionAt(lab.nginx.production);
assert(back === v1, `${lab.nginx.production}/api/version serves v1 again (${back.slice(0, 12)})`);

for (const env of ["staging", "production"]) {
  step(`${env} releases`);
  console.log(berth("releases", env));
}
console.log(`staging:    ${lab.nginx.staging}\nproduction: ${lab.nginx.production}`);
console.log(
  `\ndemo passed in ${((Date.now() - t0) / 1000).toFixed(1)} s; the lab stays up (npm run lab -- down removes it)`,
);

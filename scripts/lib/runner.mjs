// Shared by `npm run demo` and `npm run bench`: the lab's coordinates, and running an
// action exactly as the GitHub runner does (node actions/<x>/dist/index.js with INPUT_*
// and the GITHUB_* files).
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

export const sh = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], ...opts });

export function labUp() {
  execFileSync("bash", [join(root, "test/lab/lab.sh"), "up"], { stdio: "inherit" });
  return JSON.parse(sh("bash", [join(root, "test/lab/lab.sh"), "env"]));
}

/** Run an action; resolves with its exit status, outputs and elapsed seconds. */
export function action(name, inputs, env, { quiet = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "berth-runner-"));
  const output = join(dir, "output");
  const summary = join(dir, "summary");
  writeFileSync(output, "");
  writeFileSync(summary, "");
  const full = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: "true",
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_ACTOR: "berth",
    RUNNER_TEMP: dir,
    DOCKER_CONFIG: join(dir, "docker"),
    ...env,
  };
  for (const [k, v] of Object.entries(inputs)) full[`INPUT_${k.toUpperCase()}`] = v;
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(root, "actions", name, "dist", "index.js")], {
    env: full,
    stdio: ["ignore", quiet ? "ignore" : "inherit", quiet ? "ignore" : "inherit"],
  });
  return new Promise((resolve) => {
    child.on("close", (status) => {
      const outputs = {};
      const text = readFileSync(output, "utf8");
      for (const m of text.matchAll(/^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) outputs[m[1]] = m[3];
      resolve({ status, outputs, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

/** The deploy user's SSH and registry inputs for the lab. */
export function labInputs(lab) {
  return {
    ssh: {
      "ssh-private-key": readFileSync(lab.ssh.privateKeyPath, "utf8"),
      "ssh-known-hosts": lab.ssh.knownHosts,
    },
    registry: { "registry-username": lab.registry.username, "registry-password": lab.registry.password },
  };
}

/** Put an environment of the lab VPS back to never-deployed (containers and state gone; env file kept). */
export function resetEnvironment(lab, env, project = `example-${env}`) {
  const ids = sh("docker", ["ps", "-aq", "--filter", `label=com.docker.compose.project=${project}`])
    .split("\n")
    .filter(Boolean);
  if (ids.length > 0) sh("docker", ["rm", "-f", ...ids]);
  sh("bash", [
    "-c",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash script, not a template
    'set -e; rm -rf "${1:?}/${2:?}"; for d in releases backups maintenance data runs; do install -d -o deploy -g deploy "$1/$2/$d"; done; chown deploy:deploy "$1/$2"',
    "reset",
    lab.vps.root,
    env,
  ]);
}

export async function versionAt(base) {
  const res = await fetch(`${base}/api/version`, { signal: AbortSignal.timeout(10_000) });
  return res.ok ? (await res.json()).sha : `HTTP ${res.status}`;
}

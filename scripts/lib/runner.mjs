// Shared by `npm run demo` and `npm run bench`: the lab's coordinates, and running an
// action exactly as the GitHub runner does (node actions/<x>/dist/index.js with INPUT_*
// and the GITHUB_* files).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

export const sh = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], ...opts });

export function labUp() {
  execFileSync("bash", [join(root, "test/lab/lab.sh"), "up"], { stdio: "inherit" });
  return JSON.parse(sh("bash", [join(root, "test/lab/lab.sh"), "env"]));
}

/** Parse the GITHUB_OUTPUT file format (`name<<delimiter` … `delimiter`). */
function parseOutputFile(text) {
  const out = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i] ?? "");
    if (!m) continue;
    const [, name, delim] = m;
    const value = [];
    for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i] ?? "");
    out[name] = value.join("\n");
  }
  return out;
}

/**
 * Run `node actions/<name>/dist/index.js` exactly as the runner does: INPUT_<NAME>
 * (upper-cased, spaces to `_`, hyphens kept), GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
 * RUNNER_TEMP, and a DOCKER_CONFIG of its own unless `env` gives one. Output is captured
 * (and also printed with `echo`); the run is killed after `timeoutMs`. Resolves with the
 * exit code, stdout, stderr, the parsed outputs, the step summary and the elapsed seconds.
 * The one runner emulation: `npm run demo`, `npm run bench` and the tests all use it.
 */
export function runAction(name, inputs, env = {}, { echo = false, onStdout, timeoutMs = 600_000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "berth-runner-"));
  const output = join(dir, "output");
  const summary = join(dir, "summary");
  writeFileSync(output, "");
  writeFileSync(summary, "");
  const inputEnv = Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [`INPUT_${k.replace(/ /g, "_").toUpperCase()}`, v]),
  );
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(root, "actions", name, "dist", "index.js")], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      GITHUB_ACTIONS: "true",
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
      RUNNER_TEMP: dir,
      DOCKER_CONFIG: join(dir, "docker"),
      ...env,
      ...inputEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d.toString();
    if (echo) process.stdout.write(d);
    onStdout?.(d.toString());
  });
  child.stderr.on("data", (d) => {
    stderr += d.toString();
    if (echo) process.stderr.write(d);
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((resolve) => {
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({
        exitCode: code ?? 137,
        stdout,
        stderr,
        outputs: parseOutputFile(readFileSync(output, "utf8")),
        summary: readFileSync(summary, "utf8"),
        seconds: (performance.now() - t0) / 1000,
        // Which environment the run acted on: test/helpers/outcome.ts reads its ledger on failure.
        environment: inputs.environment,
      });
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
  // Both slots of the swap path: the project and <project>_b.
  const ids = [project, `${project}_b`].flatMap((p) =>
    sh("docker", ["ps", "-aq", "--filter", `label=com.docker.compose.project=${p}`])
      .split("\n")
      .filter(Boolean),
  );
  if (ids.length > 0) sh("docker", ["rm", "-f", ...ids]);
  // nginx still routes by the live.conf it loaded: after removing it, reload (as root,
  // with the command the lab gave berth in <root>/nginx.json).
  const live = join(lab.vps.root, env, "nginx", "live.conf");
  const settings = join(lab.vps.root, "nginx.json");
  const hadLive = existsSync(live);
  sh("bash", [
    "-c",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash script, not a template
    'set -e; rm -rf "${1:?}/${2:?}"; for d in releases backups maintenance data runs; do install -d -o deploy -g deploy "$1/$2/$d"; done; chown deploy:deploy "$1/$2"',
    "reset",
    lab.vps.root,
    env,
  ]);
  if (hadLive && existsSync(settings)) {
    const [cmd, ...args] = JSON.parse(readFileSync(settings, "utf8")).reload;
    sh(cmd, args);
  }
}

export async function versionAt(base) {
  const res = await fetch(`${base}/api/version`, { signal: AbortSignal.timeout(10_000) });
  return res.ok ? (await res.json()).sha : `HTTP ${res.status}`;
}

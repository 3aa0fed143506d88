/**
 * The newcomer path, end to end in the lab, with an app that is not examples/app: the
 * Rails-style fixture (one image for web + worker, Dockerfile at the root, two SQLite
 * files) in a fresh git repository. As a user would: `berth init --yes` → edit the
 * generated environment → `berth check` clean → `berth setup staging` as root against a
 * server account that does not exist yet → `berth setup` again changes nothing →
 * build-push and deploy by the actions → served through the nginx site setup installed
 * → both SQLite files in the next deploy's pre-migration backup set.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliDeps, main } from "../../src/cli/main.js";
import { connectSsh } from "../../src/transport/ssh.js";
import { fakeIo } from "../helpers/fake-io.js";
import { labEnv, repoRoot, runAction, tempDir } from "../helpers/lab.js";

const lab = labEnv();
const USER = "berth-fixture";
const ROOT = "/srv/berth-lab/fixture";
const ENV_DIR = `${ROOT}/staging`;
const SITE_PORT = 28100;
const APP_PORT = 23300;
const SERVER_NAME = "fixture.berth.lab";
const CONFIG = "config/deploy/berth.yml";
const PROJECT = "rails-style-staging";
const sitesDir = join(lab.labDir, "nginx", "sites-enabled");
const siteFile = join(sitesDir, "rails-style-staging.conf");
const site = `http://127.0.0.1:${SITE_PORT}`;

const repo = join(tempDir("berth-newcomer-"), "rails-style");
const home = tempDir("berth-newcomer-home-");
const knownHosts = join(home, ".ssh", "known_hosts");
const dockerConfig = tempDir("berth-newcomer-docker-");

const deps: CliDeps = {
  version: () => "berth (test)",
  server: {
    connect: (target, log) => connectSsh(target, { attempts: 1, log }),
    files: { readFile: (p) => readFileSync(p, "utf8"), homeDir: homedir() },
    localUser: () => userInfo().username,
    newRunId: () => `newcomer-${Date.now()}`,
  },
};

/** `berth …` in the app's repository, as a user at a shell without a terminal. */
async function berth(args: string[]) {
  const io = fakeIo(repo, { env: { HOME: home, BERTH_REGISTRY_TOKEN: lab.registry.password } });
  const exitCode = await main(args, io.io, deps);
  return { exitCode, out: io.out(), err: io.err() };
}

const git = (...args: string[]) =>
  execFileSync("git", ["-C", repo, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
const exists = (cmd: string, ...args: string[]) => spawnSync(cmd, args).status === 0;
const hostKeyFingerprint = () =>
  execFileSync("ssh-keygen", ["-lf", join(lab.labDir, "ssh", "ssh_host_ed25519_key.pub")], {
    encoding: "utf8",
  }).split(" ")[1] as string;
/** The first uid from 1000 that no account has (1000 is taken on some lab machines). */
function freeUid(): number {
  for (let uid = 1000; ; uid++) if (!exists("getent", "passwd", String(uid))) return uid;
}

/** What a previous run may have left: the compose project, the account, its files, the site. */
function cleanUp() {
  const ids = execFileSync(
    "docker",
    ["ps", "-aq", "--filter", `label=com.docker.compose.project=${PROJECT}`],
    {
      encoding: "utf8",
    },
  ).trim();
  if (ids) execFileSync("docker", ["rm", "-f", ...ids.split("\n")], { stdio: "ignore" });
  if (exists("id", USER)) execFileSync("userdel", ["--force", "--remove", USER], { stdio: "ignore" });
  if (exists("getent", "group", USER)) execFileSync("groupdel", [USER], { stdio: "ignore" });
  rmSync(ROOT, { recursive: true, force: true });
  rmSync(`/etc/sudoers.d/berth-${USER}`, { force: true });
  if (existsSync(siteFile)) {
    rmSync(siteFile);
    const conf = join(lab.labDir, "nginx", "nginx.conf");
    execFileSync("nginx", ["-p", join(lab.labDir, "nginx"), "-c", conf, "-s", "reload"], { stdio: "ignore" });
  }
  rmSync("/var/cache/nginx/berth-staging", { recursive: true, force: true });
}

const SETUP = [
  ...["setup", "staging", "--config", CONFIG, "--ssh-user", "root", "--yes"],
  ...["--identity", lab.ssh.admin.privateKeyPath, "--known-hosts", knownHosts],
  ...[
    "--server-name",
    SERVER_NAME,
    "--app-port",
    String(APP_PORT),
    "--http-listen",
    `127.0.0.1:${SITE_PORT}`,
  ],
  ...["--nginx-sites-dir", sitesDir, "--registry-username", lab.registry.username],
];

describe("a newcomer's first deploy: init → check → setup → build-push → deploy", () => {
  let secrets: { knownHosts: string; privateKey: string };
  const releases: { sha: string; images: string }[] = [];

  beforeAll(() => {
    cleanUp();
    const fixture = join(repoRoot, "test", "fixtures", "rails-style");
    // node_modules is built on the host (better-sqlite3 is native), as for examples/app.
    if (!existsSync(join(fixture, "node_modules")))
      execFileSync("npm", ["ci", "--prefix", fixture], { stdio: "ignore" });
    cpSync(fixture, repo, { recursive: true });
    writeFileSync(join(repo, ".gitignore"), "node_modules/\n");
    // berth's backups run as the deploy user and must write the files the containers
    // create: the fixture runs as 1000:1000, which some lab machines give to an account.
    const uid = freeUid();
    if (uid !== 1000) {
      const compose = join(repo, "compose.yml");
      writeFileSync(
        compose,
        readFileSync(compose, "utf8").replace('user: "1000:1000"', `user: "${uid}:${uid}"`),
      );
    }
    git("init", "-q", "-b", "main");
    git("-c", "user.name=Newcomer", "-c", "user.email=newcomer@example.com", "add", ".");
    git("-c", "user.name=Newcomer", "-c", "user.email=newcomer@example.com", "commit", "-qm", "the app");
  });

  afterAll(() => {
    cleanUp();
  });

  it("`berth init --yes` writes berth.yml and the callers; the user edits one line: staging's server", async () => {
    const init = await berth([
      ...["init", "--yes", "--dir", "config/deploy", "--host", "127.0.0.1"],
      ...["--registry", `${lab.registry.host}/berth-fixture`, "--build-arg", `BASE_IMAGE=${lab.baseImage}`],
    ]);
    expect(init.err).toBe("");
    expect(init).toExit(0);
    expect(init.out).toContain(
      `next: berth check --config ${CONFIG}, then berth setup staging --config ${CONFIG}`,
    );

    // The user points staging at their server: another SSH port, user and directory.
    const file = join(repo, CONFIG);
    const text = readFileSync(file, "utf8");
    const edited = text.replace(
      /^ {2}staging: \{ host: 127\.0\.0\.1, root: \/opt\/rails-style \}$/m,
      `  staging: { host: 127.0.0.1, port: 2222, user: ${USER}, root: ${ROOT} }`,
    );
    expect(edited).not.toBe(text);
    git("-c", "user.name=Newcomer", "-c", "user.email=newcomer@example.com", "add", ".");
    git("-c", "user.name=Newcomer", "-c", "user.email=newcomer@example.com", "commit", "-qm", "berth init");
    writeFileSync(file, edited);
    const [added, removed] = git("diff", "--numstat", "--", CONFIG).split("\t").map(Number);
    const lines = (f: string) => readFileSync(join(repo, f), "utf8").trimEnd().split("\n").length;
    const callers = git("ls-files", ".github/workflows").split("\n");
    console.log(
      `newcomer YAML: berth init wrote berth.yml (${lines(CONFIG)} lines) and ${callers.length} callers (${callers.map(lines).join(" + ")} lines); the user changed ${added} line (${removed} removed)`,
    );
    expect([added, removed]).toEqual([1, 1]);
    git(
      "-c",
      "user.name=Newcomer",
      "-c",
      "user.email=newcomer@example.com",
      "commit",
      "-qam",
      "staging server",
    );
  });

  it("`berth check` is clean", async () => {
    const check = await berth(["check", "--config", CONFIG]);
    expect(check.out).toContain("ok: no findings");
    expect(check).toExit(0);
  });

  it("`berth setup` refuses an unknown host key it cannot confirm, with nothing changed", async () => {
    const run = await berth(SETUP.filter((a) => a !== "--yes"));
    expect(run).toExit(2);
    expect(run.err).toContain(
      `127.0.0.1:2222 is not in the known hosts yet; it presents ssh-ed25519 ${hostKeyFingerprint()}`,
    );
    const wrong = await berth([...SETUP, "--host-key-fingerprint", `SHA256:${"A".repeat(43)}`]);
    expect(wrong).toExit(2);
    expect(wrong.err).toContain("not the --host-key-fingerprint");
    expect(existsSync(knownHosts)).toBe(false);
    expect(exists("id", USER)).toBe(false);
  });

  it("`berth setup staging --ssh-user root --yes` provisions the bare account", async () => {
    expect(exists("id", USER)).toBe(false);
    expect(existsSync(ROOT)).toBe(false);
    const run = await berth([...SETUP, "--host-key-fingerprint", hostKeyFingerprint()]);
    console.log(run.out);
    expect(run.err).not.toContain("berth setup:");
    expect(run).toExit(0);
    expect(run.out).toMatch(/done: \d+ changes made on 127\.0\.0\.1/);

    // The deploy user, in the docker group, with the key setup made for GitHub.
    expect(execFileSync("id", ["-nG", USER], { encoding: "utf8" })).toContain("docker");
    const privateKeyPath = join(home, ".ssh", "berth_rails_style_deploy_ed25519");
    expect(statSync(privateKeyPath).mode & 0o777).toBe(0o600);
    const authorized = readFileSync(`/home/${USER}/.ssh/authorized_keys`, "utf8");
    expect(authorized).toContain(readFileSync(`${privateKeyPath}.pub`, "utf8").split(" ")[1]);
    // The tree, with owners and modes.
    const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
    const owner = (p: string) => execFileSync("stat", ["-c", "%U", p], { encoding: "utf8" }).trim();
    expect([ROOT, `${ROOT}/env`, ENV_DIR, `${ENV_DIR}/backups`, `${ENV_DIR}/maintenance`].map(mode)).toEqual([
      "755",
      "700",
      "755",
      "700",
      "755",
    ]);
    expect(owner(ROOT)).toBe(USER);
    const uid = execFileSync("id", ["-u", USER], { encoding: "utf8" }).trim();
    expect(execFileSync("stat", ["-c", "%u", `${ENV_DIR}/storage`], { encoding: "utf8" }).trim()).toBe(uid);
    // The env file names the compose file's variables, values empty.
    const envFile = `${ROOT}/env/staging.env`;
    expect(mode(envFile)).toBe("600");
    expect(readFileSync(envFile, "utf8")).toMatch(/^SECRET_KEY_BASE=$/m);
    expect(readFileSync(envFile, "utf8")).toMatch(/^# WEB_PORT= /m);
    // The site, and the line for the ssh-known-hosts secret.
    // Every route through the live slot's variable, the rendered port until a swap says otherwise.
    expect(readFileSync(siteFile, "utf8")).toContain(`set $berth_staging_${APP_PORT} 127.0.0.1:${APP_PORT};`);
    expect(readFileSync(siteFile, "utf8")).toContain(`proxy_pass http://$berth_staging_${APP_PORT};`);
    // The one sudoers line for zero-downtime switches (test and reload nginx, nothing else),
    // and nginx.json telling berth how to run them.
    const grant = readFileSync(`/etc/sudoers.d/berth-${USER}`, "utf8");
    expect(grant).toMatch(
      new RegExp(`^${USER} ALL=\\(root\\) NOPASSWD: /usr/sbin/nginx .*-t -q, /usr/sbin/nginx .*-s reload\n$`),
    );
    const nginxJson = JSON.parse(readFileSync(`${ROOT}/nginx.json`, "utf8")) as {
      reload: string[];
      test: string[];
    };
    expect(nginxJson.reload.slice(0, 3)).toEqual(["sudo", "-n", "/usr/sbin/nginx"]);
    expect(execFileSync("runuser", ["-u", USER, "--", ...nginxJson.test]).toString()).toBe("");
    expect(mode(`${ENV_DIR}/nginx`)).toBe("755");
    const line = /BERTH_SSH_KNOWN_HOSTS {2}(\S.*)\n/.exec(run.out)?.[1];
    expect(line).toBe(lab.ssh.knownHosts.trim());
    secrets = { knownHosts: `${line}\n`, privateKey: readFileSync(privateKeyPath, "utf8") };

    // The user fills in the env file on the server.
    writeFileSync(
      envFile,
      readFileSync(envFile, "utf8")
        .replace(/^SECRET_KEY_BASE=$/m, "SECRET_KEY_BASE=newcomer-secret")
        .concat(`WEB_PORT=${APP_PORT}\n`),
    );
  });

  it("a second `berth setup` changes nothing and says so", async () => {
    const run = await berth(SETUP);
    expect(run.err).not.toContain("berth setup:");
    expect(run).toExit(0);
    expect(run.out).toContain("nothing to change");
    expect(run.out).not.toMatch(/^ {2}change/m);
    expect(run.out).not.toContain("newcomer-secret");
  });

  const release = async () => {
    const sha = git("rev-parse", "HEAD");
    const run = await runAction(
      "build-push",
      {
        sha,
        config: CONFIG,
        "registry-username": lab.registry.username,
        "registry-password": lab.registry.password,
      },
      { GITHUB_WORKSPACE: repo, DOCKER_CONFIG: dockerConfig },
    );
    expect(run.stdout).not.toContain("::error::");
    expect(run).toExit(0);
    releases.push({ sha, images: run.outputs.images ?? "" });
    return releases.at(-1) as { sha: string; images: string };
  };
  const deploy = (r: { sha: string; images: string }) =>
    runAction(
      "deploy",
      {
        environment: "staging",
        sha: r.sha,
        images: r.images,
        config: CONFIG,
        "ssh-private-key": secrets.privateKey,
        "ssh-known-hosts": secrets.knownHosts,
        "registry-username": lab.registry.username,
        "registry-password": lab.registry.password,
      },
      { GITHUB_WORKSPACE: repo, GITHUB_ACTOR: "newcomer", GITHUB_RUN_ID: "1" },
    );

  it("build-push and deploy put the app behind the site setup installed, with both SQLite files", async () => {
    const r = await release();
    const run = await deploy(r);
    if (run.exitCode !== 0) console.log(run.stdout, run.stderr);
    expect(run).toExit(0);
    const res = await fetch(`${site}/`, { signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { sha: string }).sha).toBe(r.sha);
    for (const db of ["production.sqlite3", "production_queue.sqlite3"])
      expect(existsSync(`${ENV_DIR}/storage/${db}`), db).toBe(true);
  });

  it("the next deploy swaps with no downtime; the worker, a singleton, never runs twice; a backup set holds both SQLite files", async () => {
    const before = JSON.parse(
      readFileSync(`${ENV_DIR}/releases.log`, "utf8").trim().split("\n").at(-1) as string,
    ) as { sha: string };
    writeFileSync(join(repo, "CHANGELOG.md"), "v2\n");
    git("-c", "user.name=Newcomer", "-c", "user.email=newcomer@example.com", "add", "CHANGELOG.md");
    git("-c", "user.name=Newcomer", "-c", "user.email=newcomer@example.com", "commit", "-qm", "v2");
    const r = await release();
    const run = await deploy(r);
    if (run.exitCode !== 0) console.log(run.stdout, run.stderr);
    expect(run).toExit(0);
    const last = readFileSync(`${ENV_DIR}/releases.log`, "utf8").trim().split("\n").at(-1) as string;
    expect(JSON.parse(last)).toMatchObject({ sha: r.sha, result: "succeeded", mode: "swap", slot: "b" });
    expect(run.stdout).toContain("handing over worker");
    const res = await fetch(`${site}/`, { signal: AbortSignal.timeout(10_000) });
    expect(((await res.json()) as { sha: string }).sha).toBe(r.sha);

    // The worker writes a heartbeat a second: the new one's rows start after the old one's
    // end, never interleaved (two workers at once would interleave them).
    await new Promise((done) => setTimeout(done, 2500));
    const shas = execFileSync(
      "sqlite3",
      ["-readonly", `${ENV_DIR}/storage/production_queue.sqlite3`, "SELECT sha FROM heartbeats ORDER BY id"],
      { encoding: "utf8" },
    )
      .trim()
      .split("\n");
    const runs = shas.filter((sha, i) => i === 0 || sha !== shas[i - 1]);
    expect(runs.slice(-2)).toEqual([before.sha, r.sha]);

    // A backup now: one set, both files.
    const out = execFileSync(
      "runuser",
      ["-u", USER, "--", `${ROOT}/bin/berth`, "backup", "staging", "--json"],
      {
        encoding: "utf8",
      },
    );
    const backup = JSON.parse(out) as { path: string; files: string[] };
    expect(backup.files).toEqual([backup.path, `${backup.path}.1`]);
    const tables = (f: string) =>
      execFileSync("sqlite3", ["-readonly", f, ".tables"], { encoding: "utf8" }).trim();
    expect(tables(backup.path)).toContain("posts");
    expect(tables(`${backup.path}.1`)).toContain("heartbeats");
  });
});

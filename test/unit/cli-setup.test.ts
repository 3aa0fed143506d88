/**
 * `berth setup`: its arguments (every refusal names the argument, the value and the
 * fix), the plan it makes from berth.yml and the compose file (which directories, owned
 * by whom, which variables, which nginx upstream), the upload archive, the host-key
 * decision, and the run itself against a fake server: nothing is changed before the
 * host key is confirmed and the changes are (or --yes is given).
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose variables are data here
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { utils } from "ssh2";
import { describe, expect, it } from "vitest";
import { runSetup, type SetupDeps } from "../../src/cli/setup.js";
import { decideHostKey, knownHostsLine } from "../../src/cli/setup-host-key.js";
import {
  imageRegistry,
  numericUser,
  parseSetupArgs,
  planSetup,
  publicKeyLine,
  SetupUsageError,
} from "../../src/cli/setup-plan.js";
import { archive, setupEntries, unpackedDir } from "../../src/cli/setup-upload.js";
import { parseCompose } from "../../src/config/compose-model.js";
import { parseConfig, resolveEnvironment } from "../../src/config/load.js";
import type { Command } from "../../src/remote/render.js";
import { fingerprint } from "../../src/transport/known-hosts.js";
import type { ExecOptions, ExecResult, Transport } from "../../src/transport/transport.js";
import { fakeIo } from "../helpers/fake-io.js";
import { repoRoot, tempDir } from "../helpers/lab.js";

const RAILS_YML = `app: rails-style
services:
  web: { image: ghcr.io/acme/rails-style, build: { context: ../.. } }
  worker: { image: ghcr.io/acme/rails-style }
compose: { file: ../../compose.yml }
database: { paths: [storage/production.sqlite3, storage/production_queue.sqlite3] }
migrate: { service: web, command: [bin/rails, db:prepare] }
writers: [web, worker]
ready: { service: web, port: 3000 }
environments:
  staging: { host: vps.example.com, user: rails, root: /opt/rails-style, url: https://staging.example.com }
`;
const railsCompose = () =>
  parseCompose(readFileSync(join(repoRoot, "test/fixtures/rails-style/compose.yml"), "utf8"));
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGje2LPcUZg/Qr597SiGF60qqYNUuxDIZ45bGnLEad2x ci@acme";

function railsPlan(args: string[] = [], yml = RAILS_YML) {
  const config = parseConfig(yml);
  return planSetup({
    config,
    env: resolveEnvironment(config, "staging"),
    compose: railsCompose(),
    composeFile: "compose.yml",
    options: parseSetupArgs(["staging", ...args]),
    deployKey: KEY,
    registryFromImages: imageRegistry(Object.values(config.services).map((s) => s.image)),
  });
}

describe("berth setup: arguments", () => {
  it("takes the defaults: root over SSH, nginx on, no --yes", () => {
    const o = parseSetupArgs(["staging"]);
    expect(o).toMatchObject({
      environment: "staging",
      sshUser: "root",
      yes: false,
      nginx: true,
      adminIps: [],
    });
    expect(parseSetupArgs(["staging", "--host-key-fingerprint", "A".repeat(43)]).hostKeyFingerprint).toBe(
      `SHA256:${"A".repeat(43)}`,
    );
  });

  it.each([
    [[], "missing <env>"],
    [["Staging;rm"], 'environment "Staging;rm" is not an environment name'],
    [["staging", "extra"], 'unexpected argument "extra"'],
    [["staging", "--ssh-user", "root;id"], '--ssh-user "root;id" is not a Unix user name'],
    [
      ["staging", "--deploy-uid", "0"],
      '--deploy-uid "0" is not a uid for files a container writes: use a non-root uid',
    ],
    [["staging", "--data-uid", "x"], '--data-uid "x" is not a uid'],
    [["staging", "--app-port", "70000"], '--app-port "70000" must be a TCP port from 1 to 65535'],
    [["staging", "--app-port", "3000", "--frontend-port", "1"], "give --app-port alone"],
    [["staging", "--frontend-port", "1"], "--frontend-port and --backend-port go together"],
    [["staging", "--server-name", "a b"], '--server-name "a b" is not a DNS name'],
    [["staging", "--http-listen", "80; include /etc/passwd"], "--http-listen"],
    [
      ["staging", "--admin-ip", "1.2.3.4; allow all"],
      '--admin-ip "1.2.3.4; allow all" is not an IPv4/IPv6 address',
    ],
    [["staging", "--nginx-sites-dir", "../etc"], '--nginx-sites-dir "../etc" is not an absolute path'],
    [["staging", "--certbot", "me"], '--certbot "me" is not an e-mail address'],
    [
      ["staging", "--no-nginx", "--server-name", "a.example.com"],
      "--server-name is an nginx option, and --no-nginx",
    ],
    [["staging", "--registry", "ghcr.io"], "--registry needs --registry-username"],
    [["staging", "--host-key-fingerprint", "MD5:aa"], "is not a SHA256 key fingerprint"],
    [["staging", "--bogus"], "Unknown option '--bogus'"],
  ])("refuses %j: %s", (args, message) => {
    expect(() => parseSetupArgs(args)).toThrow(SetupUsageError);
    expect(() => parseSetupArgs(args)).toThrow(message);
  });
});

describe("berth setup: the plan for a berth.yml and its compose file", () => {
  it("Rails-style: storage/ owned by the containers' uid, SECRET_KEY_BASE named, one upstream", () => {
    const plan = railsPlan();
    expect(plan.dataDirs).toEqual([
      {
        path: "/opt/rails-style/staging/storage",
        owner: "1000:1000",
        ownerSource: "web's user: 1000:1000",
        usedBy: ["web: ./storage:/rails/storage", "worker: ./storage:/rails/storage"],
      },
    ]);
    expect(plan.envVars).toEqual(["SECRET_KEY_BASE"]);
    expect(plan.envOptional).toEqual(["WEB_PORT"]);
    expect(plan.nginx).toEqual({
      serverName: "staging.example.com",
      upstream: "every route → 127.0.0.1:3000",
      siteFile: "/etc/nginx/sites-available/rails-style-staging.conf",
    });
    expect(plan.args).toEqual([
      ...["--app", "rails-style", "--env", "staging", "--user", "rails", "--root", "/opt/rails-style"],
      ...["--env-file", "/opt/rails-style/env/staging.env", "--prefer-uid", "1000", "--deploy-key", KEY],
      ...["--data-dir", "/opt/rails-style/staging/storage=1000:1000"],
      ...["--env-var", "SECRET_KEY_BASE", "--env-optional", "WEB_PORT"],
      ...["--server-name", "staging.example.com", "--app-port", "3000"],
    ]);
    expect(plan.warnings).toEqual([]);
  });

  it("passes the nginx, uid and registry options through", () => {
    const plan = railsPlan([
      ...["--deploy-uid", "1500", "--server-name", "app.example.com", "--app-port", "23300"],
      ...[
        "--http-listen",
        "127.0.0.1:8080",
        "--admin-ip",
        "203.0.113.7",
        "--nginx-sites-dir",
        "/etc/nginx/conf.d",
      ],
      ...["--certbot", "ops@example.com", "--registry-username", "acme-bot"],
    ]);
    expect(plan.args).toContain("--user-uid");
    expect(plan.args).not.toContain("--prefer-uid");
    expect(plan.args.join(" ")).toContain(
      "--registry ghcr.io --registry-user acme-bot --server-name app.example.com --app-port 23300 --http-listen 127.0.0.1:8080 --admin-ip 203.0.113.7 --sites-dir /etc/nginx/conf.d --certbot ops@example.com",
    );
    expect(plan.nginx?.siteFile).toBe("/etc/nginx/conf.d/rails-style-staging.conf");
    expect(railsPlan(["--no-nginx"]).args.at(-1)).toBe("--no-nginx");
    // No offsite: in berth.yml, no timer.
    expect(plan.args).not.toContain("--offsite-schedule");
  });

  it("needs a server name when berth.yml has no url, and an app port it can read", () => {
    const noUrl = RAILS_YML.replace(", url: https://staging.example.com", "");
    expect(() => railsPlan([], noUrl)).toThrow(
      "--server-name: the nginx site needs its DNS name; pass --server-name app.example.com, or set environments.staging.url",
    );
    expect(() => railsPlan([], RAILS_YML.replace("port: 3000", "port: 4000"))).toThrow(
      "--app-port: compose.yml does not publish web's port 4000 (berth.yml ready:); pass --app-port",
    );
  });

  it("examples/app: the data dir is a server variable, the upstream port too", () => {
    const config = parseConfig(readFileSync(join(repoRoot, "examples/app/berth.yml"), "utf8"));
    const compose = parseCompose(readFileSync(join(repoRoot, "examples/app/compose.yml"), "utf8"));
    const input = {
      config,
      env: resolveEnvironment(config, "staging"),
      compose,
      composeFile: "compose.yml",
      deployKey: undefined,
      registryFromImages: "127.0.0.1:25000",
    };
    expect(() => planSetup({ ...input, options: parseSetupArgs(["staging"]) })).toThrow(
      '--app-port: compose.yml publishes backend:3000 as "127.0.0.1:${BACKEND_PORT}:3000", whose host port ${BACKEND_PORT} is known only on the server',
    );
    const plan = planSetup({
      ...input,
      options: parseSetupArgs(["staging", "--frontend-port", "23101", "--backend-port", "23100"]),
    });
    expect(plan.dataDirs).toEqual([]);
    expect(plan.notes).toEqual([
      "backend: ${DATA_DIR}:/data: its host path uses ${DATA_DIR}, known only on the server; create that directory yourself",
    ]);
    expect(plan.envVars).toEqual([
      "ENV_FILE",
      "APP_UID",
      "APP_GID",
      "BACKEND_PORT",
      "DATA_DIR",
      "FRONTEND_PORT",
    ]);
    expect(plan.nginx).toMatchObject({
      serverName: "127.0.0.1",
      upstream: "/ → 127.0.0.1:23101, /api/ /auth/ → 127.0.0.1:23100",
    });
    // berth.yml's offsite: → the backup timer, on its schedule (the default here).
    expect(plan.args.join(" ")).toContain("--offsite-schedule *-*-* 03:15:00");
  });

  it("owners: numeric user:, --data-uid, else the deploy user; mounts it leaves alone are noted", () => {
    const compose = parseCompose(`services:
  web:
    image: x
    user: app
    volumes: ["./uploads:/u", "./config:/c:ro", "/etc/localtime:/etc/localtime:ro", "./settings.yml:/s.yml", "./:/all"]
  job:
    image: x
    user: "2000"
    volumes: ["./uploads:/u", "/opt/rails-style/shared/cache:/cache"]
`);
    const config = parseConfig(RAILS_YML);
    const plan = (args: string[]) =>
      planSetup({
        config,
        env: resolveEnvironment(config, "staging"),
        compose,
        composeFile: "compose.yml",
        options: parseSetupArgs(["staging", "--no-nginx", ...args]),
        deployKey: undefined,
        registryFromImages: undefined,
      });
    const p = plan([]);
    expect(p.dataDirs.map((d) => [d.path, d.owner])).toEqual([
      ["/opt/rails-style/staging/uploads", "deploy"],
      ["/opt/rails-style/shared/cache", "2000"],
    ]);
    expect(p.warnings).toEqual([
      "web: ./:/all: /opt/rails-style/staging is one of berth's own directories; mount a directory of its own, e.g. ./data",
      "/opt/rails-style/staging/uploads is written by containers of two uids (the deploy user (web's user: app is not a number; pass --data-uid N with its uid); job's user: 2000): it is given to deploy",
    ]);
    expect(p.notes.join("\n")).toContain("web: ./config:/c:ro: mounted read-only");
    expect(p.notes.join("\n")).toContain("/etc/localtime is outside /opt/rails-style; setup leaves it alone");
    expect(p.notes.join("\n")).toContain("/opt/rails-style/staging/settings.yml looks like a file");
    expect(plan(["--data-uid", "3000"]).dataDirs[0]?.owner).toBe("3000");
    expect(plan(["--data-uid", "3000"]).warnings.at(-1)).toContain("several uids (3000, 2000)");
    expect(() => plan(["--registry-username", "bot"])).toThrow(
      "name the one to log in to with --registry HOST",
    );
  });

  it("reads numeric users, registries and public keys", () => {
    expect(
      ["1000", "1000:1000", "${APP_UID:-1000}", "app", "0", "0:0", "${APP_UID}", undefined].map(numericUser),
    ).toEqual(["1000", "1000:1000", "1000", undefined, undefined, undefined, undefined, undefined]);
    expect(imageRegistry(["ghcr.io/acme/a", "ghcr.io/acme/b"])).toBe("ghcr.io");
    expect(imageRegistry(["acme/api", "nginx"])).toBe("docker.io");
    expect(imageRegistry(["127.0.0.1:25000/x", "localhost/y"])).toBeUndefined();
    expect(publicKeyLine(`# a comment\n${KEY}\n`)).toBe(KEY);
    expect(publicKeyLine(`${KEY.replace("ci@acme", "a comment; with spaces")}`)).toBe(
      KEY.replace(" ci@acme", ""),
    );
    expect(publicKeyLine("-----BEGIN OPENSSH PRIVATE KEY-----\nabc")).toBeUndefined();
    expect(publicKeyLine(`${KEY.replace(" ci@acme", "")}$(id)`)).toBeUndefined();
  });
});

describe("berth setup: the upload", () => {
  it("is provision.sh and nginx/ as a tar that tar unpacks, modes kept", () => {
    const dir = tempDir("berth-setup-archive-");
    execFileSync("tar", ["-xzf", "-", "-C", dir], { input: archive(setupEntries(repoRoot)) });
    expect(readFileSync(join(dir, "provision.sh"), "utf8")).toBe(
      readFileSync(join(repoRoot, "vps-scripts/setup/provision.sh"), "utf8"),
    );
    expect(statSync(join(dir, "provision.sh")).mode & 0o111).not.toBe(0);
    expect(statSync(join(dir, "nginx/render.sh")).mode & 0o111).not.toBe(0);
    expect(readFileSync(join(dir, "nginx/snippets/berth-maintenance.conf"), "utf8")).toBe(
      readFileSync(join(repoRoot, "nginx/snippets/berth-maintenance.conf"), "utf8"),
    );
    // Only the same bytes for the same files: no time or user in it.
    expect(
      gunzipSync(archive(setupEntries(repoRoot))).equals(gunzipSync(archive(setupEntries(repoRoot)))),
    ).toBe(true);
    expect(unpackedDir("/tmp/berth-setup.Ab12Cd\n")).toBe("/tmp/berth-setup.Ab12Cd");
    expect(unpackedDir("/tmp/x; rm -rf /")).toBeUndefined();
    expect(unpackedDir("/tmp/../berth-setup.x")).toBeUndefined();
  });
});

const hostKey = () => {
  const pub = utils.parseKey(utils.generateKeyPairSync("ed25519").public);
  if (pub instanceof Error) throw pub;
  return { type: "ssh-ed25519", blob: pub.getPublicSSH() };
};

describe("berth setup: an unknown host key", () => {
  it("is accepted only when it matches the fingerprint given, or a person confirms it", async () => {
    const key = hostKey();
    const fp = fingerprint(key.blob);
    expect(await decideHostKey(key, "h:22", fp, undefined)).toEqual({
      accept: true,
      how: `it matches --host-key-fingerprint ${fp}`,
    });
    const wrong = await decideHostKey(key, "h:22", `SHA256:${"B".repeat(43)}`, async () => true);
    expect(wrong).toMatchObject({ accept: false });
    expect(JSON.stringify(wrong)).toContain(
      `h:22 presented ssh-ed25519 ${fp}, not the --host-key-fingerprint`,
    );
    const noTty = await decideHostKey(key, "h:22", undefined, undefined);
    expect(JSON.stringify(noTty)).toContain(`run again with --host-key-fingerprint ${fp}`);
    const questions: string[] = [];
    const ask = (answer: boolean) => async (q: string) => {
      questions.push(q);
      return answer;
    };
    expect((await decideHostKey(key, "h:22", undefined, ask(true))).accept).toBe(true);
    expect((await decideHostKey(key, "h:22", undefined, ask(false))).accept).toBe(false);
    expect(questions[0]).toContain(`It presents ssh-ed25519 ${fp}`);
    expect(knownHostsLine("H", 2222, key)).toBe(`[h]:2222 ssh-ed25519 ${key.blob.toString("base64")}`);
  });
});

/** A fake server: answers the upload, provision.sh (plan/apply) and the cleanup. */
function fakeServer(plan: string, apply = plan.replaceAll("plan\t", "changed\t"), code = 0) {
  const runs: { argv: readonly string[]; stdin: string | undefined }[] = [];
  let connects = 0;
  const transport: Transport = {
    async exec(command: Command, options: ExecOptions = {}): Promise<ExecResult> {
      runs.push({ argv: command.argv, stdin: options.stdin?.toString() });
      const argv = command.argv;
      if (argv[0] === "sh") return { exitCode: 0, stdout: "/tmp/berth-setup.Fake01\n", stderr: "" };
      if (argv[0] === "bash") {
        const out = argv[argv.indexOf("--mode") + 1] === "plan" ? plan : apply;
        options.onStdout?.(Buffer.from(out));
        return { exitCode: code, stdout: out, stderr: "" };
      }
      return { exitCode: 0, stdout: "", stderr: "" };
    },
    close() {},
  };
  const key = hostKey();
  const deps: SetupDeps = {
    connect: async () => {
      connects++;
      return transport;
    },
    scanHostKey: async () => key,
    berthHome: () => repoRoot,
  };
  return { deps, runs, key, connects: () => connects };
}

function appDir() {
  const dir = tempDir("berth-setup-run-");
  mkdirSync(join(dir, ".git"));
  writeFileSync(join(dir, "berth.yml"), RAILS_YML.replaceAll("../..", "."));
  writeFileSync(
    join(dir, "compose.yml"),
    readFileSync(join(repoRoot, "test/fixtures/rails-style/compose.yml")),
  );
  const home = join(dir, "home");
  mkdirSync(join(home, ".ssh"), { recursive: true });
  const identity = join(home, ".ssh", "id_ed25519");
  writeFileSync(identity, utils.generateKeyPairSync("ed25519").private);
  return { dir, home };
}

const PLAN = "ok\tpackages\tall there\nplan\tuser\tcreate rails\nnote\tenv-file\tset SECRET_KEY_BASE\n";
const NOTHING = "ok\tpackages\tall there\nok\tuser\trails exists\nsummary\tplan\t0\n";

describe("berth setup: the run", () => {
  it("refuses an unknown host key without a terminal or fingerprint: no login, nothing written", async () => {
    const { dir, home } = appDir();
    const server = fakeServer(PLAN);
    const io = fakeIo(dir, { env: { HOME: home } });
    expect(await runSetup(["staging", "--yes"], io.io, server.deps)).toBe(2);
    expect(io.err()).toContain("vps.example.com:22 is not in the known hosts yet");
    expect(server.connects()).toBe(0);
    expect(existsSync(join(home, ".ssh", "known_hosts"))).toBe(false);
    expect(existsSync(join(home, ".ssh", "berth_rails_style_deploy_ed25519"))).toBe(false);
  });

  it("pins a key confirmed on a terminal, plans, asks, applies, and writes the deploy key", async () => {
    const { dir, home } = appDir();
    const server = fakeServer(PLAN);
    const io = fakeIo(dir, { env: { HOME: home, NO_COLOR: "1" }, isTTY: true, answers: ["y", "yes"] });
    expect(await runSetup(["staging"], io.io, server.deps)).toBe(0);
    expect(io.prompts[0]).toContain(`It presents ssh-ed25519 ${fingerprint(server.key.blob)}`);
    expect(io.prompts[1]).toContain("Apply these 1 changes to root@vps.example.com:22?");
    const line = `vps.example.com ssh-ed25519 ${server.key.blob.toString("base64")}`;
    expect(readFileSync(join(home, ".ssh", "known_hosts"), "utf8")).toBe(`${line}\n`);
    expect(io.out()).toContain(`BERTH_SSH_KNOWN_HOSTS  ${line}\n`);
    const priv = join(home, ".ssh", "berth_rails_style_deploy_ed25519");
    expect(statSync(priv).mode & 0o777).toBe(0o600);
    const modes = server.runs
      .filter((r) => r.argv[0] === "bash")
      .map((r) => r.argv[r.argv.indexOf("--mode") + 1]);
    expect(modes).toEqual(["plan", "apply"]);
    const apply = server.runs[2]?.argv ?? [];
    expect(apply.slice(0, 6)).toEqual([
      "bash",
      "/tmp/berth-setup.Fake01/provision.sh",
      "--mode",
      "apply",
      "--assets",
      "/tmp/berth-setup.Fake01/nginx",
    ]);
    expect(apply[apply.indexOf("--deploy-key") + 1]).toBe(readFileSync(`${priv}.pub`, "utf8").trim());
    expect(server.runs.at(-1)?.argv).toEqual(["rm", "-rf", "--", "/tmp/berth-setup.Fake01"]);
    expect(io.out()).toContain("  changed  user         create rails");
    expect(io.out()).toContain("done: 1 change made on vps.example.com");
  });

  it("without --yes and without a terminal, stops after the plan: nothing applied", async () => {
    const { dir, home } = appDir();
    const server = fakeServer(PLAN);
    const known = join(home, "kh");
    const io = fakeIo(dir, { env: { HOME: home } });
    const fp = fingerprint(server.key.blob);
    expect(
      await runSetup(["staging", "--known-hosts", known, "--host-key-fingerprint", fp], io.io, server.deps),
    ).toBe(2);
    expect(io.err()).toContain("pass --yes to apply them. Nothing was changed");
    expect(server.runs.filter((r) => r.argv.includes("apply"))).toEqual([]);
    expect(io.out()).toContain("  change   user         create rails");
  });

  it("says there is nothing to change, and applies nothing, when every step is ok", async () => {
    const { dir, home } = appDir();
    const server = fakeServer(NOTHING);
    writeFileSync(
      join(home, ".ssh", "known_hosts"),
      `vps.example.com ssh-ed25519 ${server.key.blob.toString("base64")}\n`,
    );
    const io = fakeIo(dir, { env: { HOME: home, BERTH_REGISTRY_TOKEN: "t0ken" } });
    expect(await runSetup(["staging", "--registry-username", "bot"], io.io, server.deps)).toBe(0);
    expect(io.out()).toContain("nothing to change: vps.example.com is set up for staging");
    expect(server.runs.filter((r) => r.argv.includes("apply"))).toEqual([]);
    // The token travels on stdin only.
    const plan = server.runs.find((r) => r.argv.includes("plan"));
    expect(plan?.stdin).toBe("t0ken\n");
    expect(JSON.stringify(server.runs.map((r) => r.argv))).not.toContain("t0ken");
  });

  it("needs the registry token in the environment, and a deploy key that is a public key", async () => {
    const { dir, home } = appDir();
    const server = fakeServer(NOTHING);
    const io = fakeIo(dir, { env: { HOME: home } });
    expect(await runSetup(["staging", "--registry-username", "bot"], io.io, server.deps)).toBe(1);
    expect(io.err()).toContain("set BERTH_REGISTRY_TOKEN");
    const io2 = fakeIo(dir, { env: { HOME: home } });
    expect(await runSetup(["staging", "--deploy-key", "home/.ssh/id_ed25519"], io2.io, server.deps)).toBe(1);
    expect(io2.err()).toContain("is not an OpenSSH public key");
    expect(server.connects()).toBe(0);
  });
});

/**
 * The fault matrix, part 2: what comes in from outside. Hostile values through every
 * action input and every berth.yml field are refused with a message naming the field,
 * and a canary proves nothing ran (no docker command, no SSH login, no file written);
 * host keys that are unknown or wrong are refused before any command; known secret
 * values never appear in a log, an output, the ledger or an uploaded file.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { connectSsh } from "../../src/transport/ssh.js";
import { example } from "../helpers/example.js";
import { dockerSpy, labEnv, ledger, runAction, sshInputs, tempDir, visibleLog } from "../helpers/lab.js";
import { inPool } from "../helpers/pool.js";

const lab = labEnv();
const SHA = "c0ffee".padEnd(40, "0");
const canaryDir = tempDir("berth-canary-");
const CANARY = join(canaryDir, "ran");
const sshdLog = join(lab.labDir, "ssh", "sshd.log");
/** Runs staging's ledger records; none before its first deploy (the lab may have just reset it). */
const ledgerLines = () =>
  existsSync(join(lab.vps.root, "staging", "releases.log")) ? ledger("staging").length : 0;
const logins = () => (readFileSync(sshdLog, "utf8").match(/Accepted publickey/g) ?? []).length;

/** Hostile values: shell metacharacters, newlines, traversal, overlong, look-alikes. */
const PAYLOADS: readonly string[] = [
  `$(touch ${CANARY})`,
  `\`touch ${CANARY}\``,
  `x; touch ${CANARY}`,
  `x | touch ${CANARY}`,
  `x && touch ${CANARY}`,
  `x\ntouch ${CANARY}`,
  `x\r\ntouch ${CANARY}`,
  `x > ${CANARY}`,
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell payload
  "${IFS}touch${IFS}/tmp/berth-ifs",
  "../../../etc/passwd",
  "x".repeat(5000),
  "ｓｔａｇｉｎｇ", // fullwidth
  "stаging", // Cyrillic а
  "staging\u200b", // zero-width space
  "\u202egnigats", // right-to-left override
  "a b",
  "x'y\"z",
  "--help",
  "*",
  "~root/.ssh",
  "x\ty",
  "%0Atouch",
];

/** Inputs that take names, SHAs, paths or choices (not secrets, which may hold anything). */
const INPUTS: Record<string, string[]> = {
  "build-push": ["sha", "services", "extra-tags", "build-args", "config", "registry-username"],
  deploy: ["environment", "sha", "images", "promote-from", "ssh-host", "ssh-port", "ssh-user", "config"],
  rollback: ["environment", "sha", "database", "ssh-host", "ssh-port", "ssh-user", "config"],
};

/** berth.yml fields, as paths into the example app's file. */
const FIELDS: (string | number)[][] = [
  ["app"],
  ["services", "backend", "image"],
  ["services", "backend", "build", "context"],
  ["services", "backend", "build", "dockerfile"],
  ["services", "backend", "build", "target"],
  ["services", "backend", "build", "args", "BASE_IMAGE"],
  ["compose", "file"],
  ["database", "path"],
  ["migrate", "service"],
  ["migrate", "command", 0],
  ["writers", 0],
  ["ready", "service"],
  ["ready", "path"],
  ["environments", "staging", "host"],
  ["environments", "staging", "user"],
  ["environments", "staging", "root"],
  ["environments", "staging", "url"],
];

/**
 * Fields whose value is data passed as one argv word (never through a shell): any
 * printable value is accepted there (test/unit/real-repos.test.ts), so only values with
 * control or format characters must be refused.
 */
const DATA_FIELDS = new Set(["services.backend.build.args.BASE_IMAGE", "migrate.command.0"]);
const CONTROL = /[\p{Cc}\p{Cf}]/u;

describe("fault matrix: hostile inputs and config, host keys, secrets", () => {
  const app = example();
  const spy = dockerSpy();
  const base: Record<string, Record<string, string>> = {};
  /** What a payload that ran would leave: docker commands, SSH logins, the canary files. */
  const sideEffects = () => {
    const [dockerCalls, sshLogins] = [spy.calls().length, logins()];
    return {
      since: () => ({
        dockerCalls: spy.calls().length - dockerCalls,
        logins: logins() - sshLogins,
        canary: existsSync(CANARY) || existsSync("/tmp/berth-ifs"),
      }),
    };
  };

  beforeAll(() => {
    const ssh = sshInputs();
    base["build-push"] = { sha: SHA, "registry-username": "u", "registry-password": "p" };
    base.deploy = { environment: "staging", sha: SHA, ...ssh };
    base.rollback = { environment: "staging", ...ssh };
  });

  const runEnv = () => ({ GITHUB_WORKSPACE: app.workspace, PATH: `${spy.pathDir}:${process.env.PATH}` });

  const cases = Object.entries(INPUTS).flatMap(([action, inputs]) =>
    inputs.flatMap((input, i) =>
      // Every payload through the first input of each action; a rotating half through the rest.
      PAYLOADS.filter((_, p) => i === 0 || (p + i) % 2 === 0).map(
        (payload) => [action, input, payload] as const,
      ),
    ),
  );

  it(`${cases.length} hostile action inputs are refused, naming the input, and nothing runs`, async () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    const before = sideEffects();
    const accepted: string[] = [];
    // Each case is its own runner process refused at the edge: four at a time.
    await inPool(cases, 4, async ([action, input, payload]) => {
      const run = await runAction(action, { ...base[action], [input]: payload }, runEnv(), {
        timeoutMs: 30_000,
      });
      const error = run.stdout.split("\n").find((l) => l.startsWith("::error::")) ?? "";
      if (run.exitCode === 0 || !error.includes(`input: ${input}`)) {
        accepted.push(
          `${action} ${input}=${JSON.stringify(payload).slice(0, 60)} → exit ${run.exitCode} ${error.slice(0, 160)}`,
        );
      }
    });
    expect(accepted).toEqual([]);
    expect(before.since()).toEqual({ dockerCalls: 0, logins: 0, canary: false });
  });

  const values = [...PAYLOADS.filter((_, p) => p % 3 === 0), "x\u0000touch", "../../outside"];
  const fieldCases = FIELDS.flatMap((path, f) =>
    values
      .slice(f % 2, (f % 2) + 8)
      .filter((value) => !DATA_FIELDS.has(path.join(".")) || CONTROL.test(value))
      .map((value) => [path, value] as const),
  );

  it(`${fieldCases.length} hostile berth.yml values are refused, naming the file and field, and nothing runs`, async () => {
    expect(fieldCases.length).toBeGreaterThanOrEqual(100);
    const before = sideEffects();
    const original = readFileSync(join(app.workspace, "berth.yml"), "utf8");
    const accepted: string[] = [];
    // Four workers, each with its own copy of the workspace to write its berth.yml into.
    const workspaces = [0, 1, 2, 3].map(() => {
      const ws = tempDir("berth-hostile-ws-");
      execFileSync("cp", ["-a", `${app.workspace}/.`, ws]);
      return ws;
    });
    await inPool(fieldCases, workspaces.length, async ([path, value], worker) => {
      const ws = workspaces[worker] ?? app.workspace;
      const doc = parseDocument(original);
      doc.setIn(path, value);
      writeFileSync(join(ws, "berth.yml"), doc.toString());
      const run = await runAction(
        "build-push",
        base["build-push"] ?? {},
        { ...runEnv(), GITHUB_WORKSPACE: ws },
        { timeoutMs: 30_000 },
      );
      const error = run.stdout.split("\n").find((l) => l.startsWith("::error::")) ?? "";
      if (run.exitCode === 0 || !error.includes(`berth.yml: ${path.join(".")}`)) {
        accepted.push(`${path.join(".")}=${JSON.stringify(value).slice(0, 60)} → ${error.slice(0, 160)}`);
      }
    });
    expect(accepted).toEqual([]);
    expect(before.since()).toEqual({ dockerCalls: 0, logins: 0, canary: false });
  });

  // The canary on its own: each action refuses a payload that would write CANARY if any
  // shell ran it, and nothing ran. The spy and the sshd log are shown to see a docker
  // command and a login first, so a canary that could not see one fails instead of passing.
  it.each(
    Object.entries(INPUTS).map(([action, inputs]) => ({
      action,
      input: inputs[0] ?? "",
      payload: PAYLOADS[0] ?? "",
    })),
  )(
    "the canary: $action refuses a command substitution in $input; no docker command, SSH login or file follows",
    async (c) => {
      const seen = sideEffects();
      execFileSync(join(spy.pathDir, "docker"), ["version", "--format", "{{.Client.Version}}"], {
        stdio: "ignore",
      });
      const ssh = await connectSsh({ ...lab.ssh, privateKey: readFileSync(lab.ssh.privateKeyPath, "utf8") });
      ssh.close();
      expect(seen.since()).toEqual({ dockerCalls: 1, logins: 1, canary: false });

      const before = sideEffects();
      const run = await runAction(c.action, { ...base[c.action], [c.input]: c.payload }, runEnv(), {
        timeoutMs: 30_000,
      });
      expect(run.exitCode).not.toBe(0);
      expect(run.stdout.split("\n").find((l) => l.startsWith("::error::"))).toContain(`input: ${c.input}`);
      expect(before.since()).toEqual({ dockerCalls: 0, logins: 0, canary: false });
    },
  );

  describe("7. host keys", () => {
    it.each([
      [
        "unknown (no line for this host)",
        () => lab.ssh.knownHosts.replace(/^\[127\.0\.0\.1\]:2222/, "[192.0.2.1]:22"),
        "has no key for [127.0.0.1]:2222",
      ],
      [
        "wrong (another key for this host)",
        () => {
          const dir = tempDir("berth-wrong-key-");
          execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "k")]);
          const [type, blob] = readFileSync(join(dir, "k.pub"), "utf8").split(" ");
          return `[127.0.0.1]:2222 ${type} ${blob}`;
        },
        "host key mismatch for [127.0.0.1]:2222: the server presented ssh-ed25519 SHA256:",
      ],
    ])("%s: refused before any command runs", async (_, knownHosts, message) => {
      const lines = ledgerLines();
      const release = await app.release();
      const before = sideEffects();
      const run = await runAction(
        "deploy",
        {
          environment: "staging",
          sha: release.sha,
          images: release.images,
          ...sshInputs(),
          "ssh-known-hosts": knownHosts(),
        },
        runEnv(),
      );
      expect(run.exitCode).not.toBe(0);
      expect(run.stdout).toContain(message);
      expect(before.since()).toEqual({ dockerCalls: 0, logins: 0, canary: false });
      expect(ledgerLines()).toBe(lines);
    });
  });

  it("9. secrets never reach a log, an output, the ledger or an uploaded file", async () => {
    const ssh = sshInputs();
    const envFileSecret = /^APP_SECRET=(.+)$/m.exec(
      readFileSync(join(lab.vps.root, "env", "staging.env"), "utf8"),
    )?.[1];
    expect(envFileSecret?.length).toBeGreaterThan(8);
    const token = `ghs_${"S3cr3tT0ken".repeat(3)}`;
    const keyBody =
      (ssh["ssh-private-key"] ?? "").split("\n").filter((l) => l && !l.startsWith("-----"))[1] ?? "";
    const secrets = [lab.registry.password, token, keyBody, envFileSecret ?? ""];
    expect(secrets.every((s) => s.length > 8)).toBe(true);

    const release = await app.release();
    const run = await runAction(
      "deploy",
      { environment: "staging", sha: release.sha, images: release.images, ...ssh, "github-token": token },
      // A dead loopback API: the deployment record fails (best effort), nothing leaves the machine.
      { GITHUB_WORKSPACE: app.workspace, GITHUB_API_URL: "http://127.0.0.1:9", GITHUB_REPOSITORY: "o/r" },
    );
    expect(run).toExit(0);
    const bundleDir = join(lab.vps.root, "staging", "releases", release.sha);
    const runDir = join(lab.vps.root, "staging", "runs");
    const files = [...walk(bundleDir), ...walk(runDir)];
    expect(files.length).toBeGreaterThan(5);
    const places: Record<string, string> = {
      log: visibleLog(run.stdout) + run.stderr,
      outputs: JSON.stringify(run.outputs),
      summary: run.summary,
      ledger: readFileSync(join(lab.vps.root, "staging", "releases.log"), "utf8"),
      ...Object.fromEntries(files.map((f) => [f, readFileSync(f).toString("latin1")])),
    };
    const leaks = Object.entries(places).flatMap(([where, text]) =>
      secrets.filter((s) => text.includes(s)).map((s) => `${where} holds ${s.slice(0, 4)}…`),
    );
    expect(leaks).toEqual([]);
    // The runner masks them: each secret was registered with ::add-mask:: before use.
    for (const s of [lab.registry.password, token]) expect(run.stdout).toContain(`::add-mask::${s}`);
  });
});

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/**
 * The `berth` CLI's dispatcher and server verbs with the side effects handed in: a
 * scripted transport instead of SSH, in-memory key files. What must never happen is
 * pinned by counting connections: a refused command line opens none.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { utils } from "ssh2";
import { describe, expect, it } from "vitest";
import type { CliIo } from "../../src/cli/io.js";
import { type CliDeps, main, splitVerb } from "../../src/cli/main.js";
import type { Command } from "../../src/remote/render.js";
import type { SshTarget } from "../../src/transport/ssh.js";
import type { ExecOptions, ExecResult, Transport } from "../../src/transport/transport.js";

const repoRoot = join(import.meta.dirname, "..", "..");
const CONFIG = ["--config", "examples/app/berth.yml"];
const ROOT_BERTH = "/srv/berth-lab/app/bin/berth";
const KEY = utils.generateKeyPairSync("ed25519").private;
const SHA = "a".repeat(40);

type Reply = { exitCode: number | null; stdout?: string; stderr?: string };

/** Answers each command by the verb after `<root>/bin/berth`; records what it was asked. */
class ScriptedTransport implements Transport {
  readonly commands: string[][] = [];
  closed = false;
  constructor(private readonly replies: Record<string, Reply>) {}
  async exec(command: Command, options: ExecOptions = {}): Promise<ExecResult> {
    this.commands.push([...command.argv]);
    const r = this.replies[command.argv[1] ?? ""] ?? { exitCode: 0 };
    if (r.stdout) options.onStdout?.(Buffer.from(r.stdout));
    if (r.stderr) options.onStderr?.(Buffer.from(r.stderr));
    return { exitCode: r.exitCode, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  }
  close(): void {
    this.closed = true;
  }
}

function harness(
  options: {
    tty?: boolean;
    answer?: string;
    replies?: Record<string, Reply>;
    env?: NodeJS.ProcessEnv;
    files?: Record<string, string>;
  } = {},
) {
  const out: string[] = [];
  const err: string[] = [];
  const prompts: string[] = [];
  const targets: SshTarget[] = [];
  const transports: ScriptedTransport[] = [];
  const io: CliIo = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    cwd: repoRoot,
    env: options.env ?? {},
    isTTY: options.tty ?? false,
    prompt: async (q) => {
      prompts.push(q);
      return options.answer ?? "";
    },
  };
  const files: Record<string, string> = {
    "/home/alice/.ssh/known_hosts": "[127.0.0.1]:2222 ssh-ed25519 AAAA\n",
    "/home/alice/.ssh/id_ed25519": KEY,
    ...options.files,
  };
  const deps: CliDeps = {
    version: () => "berth 9.9.9 (commit test)",
    server: {
      connect: async (target) => {
        targets.push(target);
        const t = new ScriptedTransport(options.replies ?? {});
        transports.push(t);
        return t;
      },
      files: {
        homeDir: "/home/alice",
        readFile: (path) => {
          const text = files[path];
          if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
          return text;
        },
      },
      localUser: () => "alice",
      newRunId: () => "cli-run-1",
    },
  };
  return {
    run: (argv: string[]) => main(argv, io, deps),
    out: () => out.join(""),
    err: () => err.join(""),
    prompts,
    targets,
    transports,
    commands: () => transports.flatMap((t) => t.commands),
  };
}

describe("berth: the dispatcher", () => {
  it("prints help and its version, exit 0", async () => {
    for (const argv of [["help"], ["--help"], ["-h"]]) {
      const h = harness();
      expect(await h.run(argv)).toBe(0);
      expect(h.out()).toContain("usage: berth <verb>");
    }
    const h = harness();
    expect(await h.run(["--version"])).toBe(0);
    expect(h.out()).toBe("berth 9.9.9 (commit test)\n");
  });

  it.each([
    [[], "no verb given"],
    [["frobnicate", "staging"], 'unknown verb "frobnicate"'],
    [["--frob"], "--frob is not an option here"],
  ])("%j: exit 1 with the usage on stderr", async (argv, message) => {
    const h = harness();
    expect(await h.run(argv)).toBe(1);
    expect(h.err()).toContain(message);
    expect(h.err()).toContain("usage: berth <verb>");
    expect(h.out()).toBe("");
    expect(h.targets).toHaveLength(0);
  });

  it("finds the verb after options that come first, and their values", () => {
    expect(splitVerb(["--config", "c.yml", "--json", "status", "staging"])).toEqual({
      verb: "status",
      args: ["--config", "c.yml", "--json", "staging"],
    });
    expect(splitVerb(["--config=c.yml", "-y", "rollback", "prod"])).toEqual({
      verb: "rollback",
      args: ["--config=c.yml", "-y", "prod"],
    });
    expect(splitVerb(["--json"])).toEqual({ verb: undefined, args: ["--json"] });
  });

  it("hands check its arguments (it is offline: no connection)", async () => {
    const h = harness();
    const code = await h.run(["check", ...CONFIG, "--json"]);
    expect([0, 1]).toContain(code);
    expect(() => JSON.parse(h.out())).not.toThrow();
    expect(h.targets).toHaveLength(0);
  });
});

describe("berth <server verb>: refusals before any connection", () => {
  it.each([
    [["status"], "missing <env>"],
    [["status", "Staging"], 'environment "Staging" is not an environment name'],
    [["status", "staging", "extra"], 'unexpected argument "extra"'],
    [["status", "staging", "--frob"], "Unknown option '--frob'"],
    [["rollback", "staging", "--to", "$(reboot)"], '--to "$(reboot)" is not a full 40-character'],
    [["rollback", "staging", "--restore-db", "--keep-db"], "only one of --restore-db and --keep-db"],
    [["restore", "staging", "../../etc/passwd"], "is not a backup file name"],
    [["restore", "staging"], "missing <backup>"],
    [["deploy", "staging"], "missing <sha>"],
    [["deploy", "staging", "main"], 'sha "main" is not a full 40-character'],
    [["maintenance", "staging"], '"staging" is not on, off or status'],
    [["logs", "staging", "--tail", "5"], "--service and --tail go with --app"],
    [["logs", "staging", "--run", "a/b"], '--run "a/b" is not a run id'],
    [["status", "staging", "--port", "99999"], '--port "99999" must be a TCP port'],
    [["status", "staging", "--host", "a;b"], '--host "a;b" is not a hostname'],
    [["recover", "staging"], "give --from-offsite"],
    [["drill", "staging", "--offsite"], "Unknown option '--offsite'"],
    [["sync"], "missing <from-env>"],
    [["sync", "production"], "missing <to-env>"],
    [["sync", "production", "staging", "qa"], 'unexpected argument "qa"'],
    [["sync", "Prod", "staging"], '<from-env> "Prod" is not an environment name'],
    [["sync", "staging", "staging", "--yes"], '<from-env> and <to-env> are both "staging"'],
    [
      ["sync", "staging", "production", "--yes"],
      '<to-env> "production" is production: sync would replace its database with staging\'s; pass --allow-production',
    ],
    [["sync", "production", "staging", "--scrub", "", "--yes"], '--scrub "" is empty'],
  ])("%j: exit 1, says why, connects to nothing", async (argv, message) => {
    const h = harness();
    expect(await h.run([...argv, ...CONFIG])).toBe(1);
    expect(h.err()).toContain(message);
    expect(h.targets).toHaveLength(0);
  });

  it("sync --scrub longer than 4096 characters: exit 1, says what to do instead", async () => {
    const h = harness();
    expect(
      await h.run(["sync", "production", "staging", "--scrub", "x".repeat(4097), "--yes", ...CONFIG]),
    ).toBe(1);
    expect(h.err()).toContain(
      "is longer than 4096 characters; put a longer scrub in a script the image ships",
    );
    expect(h.targets).toHaveLength(0);
  });

  it("an environment berth.yml does not define: exit 1, listing the ones it does", async () => {
    const h = harness();
    expect(await h.run(["status", "qa", ...CONFIG])).toBe(1);
    expect(h.err()).toContain('environment "qa" is not in examples/app/berth.yml');
    expect(h.err()).toContain("staging, production");
    expect(h.targets).toHaveLength(0);
  });

  it("no berth.yml here: exit 1, says where it looked and what to do", async () => {
    const h = harness();
    expect(await h.run(["status", "staging"])).toBe(1);
    expect(h.err()).toMatch(/no berth\.yml in .*pass --config FILE, or write one with `berth init`/);
  });

  it.each([
    ["rollback", "staging"],
    ["deploy", "staging", SHA],
    ["maintenance", "on", "staging"],
    ["maintenance", "off", "staging"],
    ["backup", "staging"],
    ["backup", "staging", "--offsite"],
    ["restore", "staging", "20240101T000000Z-x-manual.db"],
    ["recover", "staging", "--from-offsite"],
    ["sync", "production", "staging"],
  ])("%s %s … without --yes and no terminal: exit 2, nothing run", async (...argv) => {
    const h = harness({ tty: false });
    expect(await h.run([...argv, ...CONFIG])).toBe(2);
    expect(h.err()).toContain("pass --yes to go ahead. Nothing was run.");
    expect(h.prompts).toHaveLength(0);
    expect(h.targets).toHaveLength(0);
  });

  it("on a terminal it asks; anything but yes refuses with exit 2 and runs nothing", async () => {
    const h = harness({ tty: true, answer: "n", env: { NO_COLOR: "1" } });
    expect(await h.run(["rollback", "staging", ...CONFIG])).toBe(2);
    expect(h.prompts[0]).toBe(
      "Roll staging back to its previous release on deploy@127.0.0.1:2222 (/srv/berth-lab/app)? [y/N] ",
    );
    expect(h.err()).toContain("not confirmed; nothing was run");
    expect(h.targets).toHaveLength(0);
  });

  it("a key that cannot be read: exit 1 naming the file, before asking or connecting", async () => {
    const h = harness({ tty: true, answer: "y" });
    expect(await h.run(["rollback", "staging", ...CONFIG, "--identity", "/nope/key"])).toBe(1);
    expect(h.err()).toContain("--identity /nope/key cannot be read (ENOENT)");
    expect(h.prompts).toHaveLength(0);
    expect(h.targets).toHaveLength(0);
  });
});

describe("berth <server verb>: what runs on the server", () => {
  it("status prints what the server prints and exits with its code; --json is passed on", async () => {
    const json = '{"environment":"staging","current":"x"}\n';
    const h = harness({ replies: { status: { exitCode: 0, stdout: json, stderr: "note\n" } } });
    expect(await h.run(["status", "staging", "--json", ...CONFIG])).toBe(0);
    expect(h.commands()).toEqual([[ROOT_BERTH, "status", "staging", "--json"]]);
    expect(h.out()).toBe(json);
    expect(h.err()).toBe("note\n");
    expect(h.transports[0]?.closed).toBe(true);
    // Host, port and user from berth.yml; the key from ~/.ssh; known hosts from ~/.ssh/known_hosts.
    expect(h.targets[0]).toMatchObject({ host: "127.0.0.1", port: 2222, user: "deploy", privateKey: KEY });
    expect(h.targets[0]?.knownHosts).toContain("[127.0.0.1]:2222");

    const failing = harness({ replies: { releases: { exitCode: 4, stdout: "" } } });
    expect(await failing.run(["releases", "staging", ...CONFIG])).toBe(4);
  });

  it("--host/--port/--user override berth.yml; --known-hosts, --identity and BERTH_SSH_KEY are read", async () => {
    const h = harness({ files: { "/keys/kh": "kh-text", "/keys/id": KEY } });
    await h.run([
      "status",
      "staging",
      ...CONFIG,
      "--host",
      "10.0.0.9",
      "--port",
      "22",
      "--user",
      "ops",
      "--known-hosts",
      "/keys/kh",
      "--identity",
      "/keys/id",
    ]);
    expect(h.targets[0]).toMatchObject({ host: "10.0.0.9", port: 22, user: "ops", knownHosts: "kh-text" });
    expect(h.targets[0]?.agent).toBeUndefined();
    const other = utils.generateKeyPairSync("ecdsa", { bits: 256 }).private;
    const fromEnv = harness({ env: { BERTH_SSH_KEY: other, SSH_AUTH_SOCK: "/run/agent" } });
    await fromEnv.run(["status", "staging", ...CONFIG]);
    expect(fromEnv.targets[0]).toMatchObject({ privateKey: other, agent: undefined });
    const agent = harness({ env: { SSH_AUTH_SOCK: "/run/agent" } });
    await agent.run(["status", "staging", ...CONFIG]);
    expect(agent.targets[0]).toMatchObject({ privateKey: KEY, agent: "/run/agent" });
  });

  it("hostile values never reach the server: arguments are validated, then passed as argv", async () => {
    const h = harness();
    await h.run(["logs", "staging", "--app", "--service", "backend", "--tail", "50", ...CONFIG]);
    expect(h.commands()).toEqual([
      [ROOT_BERTH, "logs", "staging", "--app", "--service", "backend", "--tail", "50"],
    ]);
  });

  it("rollback --yes runs detached as the local user and follows the log; --json prints the result", async () => {
    const log = [
      "2026-01-01T00:00:00Z [preflight] rolling back",
      '@@berth {"event":"phase-start","phase":"start"}',
      '@@berth {"event":"phase-end","phase":"start","status":"ok","seconds":1}',
      '@@berth {"event":"result","kind":"rollback","sha":"b","from":"c","result":"rolled_back"}',
      "",
    ].join("\n");
    const h = harness({
      replies: { run: { exitCode: 0, stdout: "started" }, follow: { exitCode: 0, stdout: log } },
    });
    expect(await h.run(["rollback", "staging", "--to", SHA, "--keep-db", "--yes", "--json", ...CONFIG])).toBe(
      0,
    );
    expect(h.commands()).toEqual([
      [
        ROOT_BERTH,
        "run",
        "staging",
        "cli-run-1",
        "rollback",
        "staging",
        "--to",
        SHA,
        "--keep-db",
        "--actor",
        "alice",
      ],
      [ROOT_BERTH, "follow", "staging", "cli-run-1", "--offset", "0"],
    ]);
    expect(JSON.parse(h.out())).toEqual({ kind: "rollback", sha: "b", from: "c", result: "rolled_back" });
    expect(h.err()).toContain("[preflight] rolling back");
    expect(h.err()).toContain("start: ok in 1s");
    expect(h.err()).not.toContain("@@berth");
  });

  it("a run the server refuses to start exits with the server's code (2: nothing changed)", async () => {
    const h = harness({
      replies: { run: { exitCode: 2, stdout: "ERROR: no environment staging under /srv/berth-lab/app" } },
    });
    expect(await h.run(["backup", "staging", "-y", ...CONFIG])).toBe(2);
    expect(h.err()).toContain("no environment staging under /srv/berth-lab/app");
    expect(h.commands()).toHaveLength(1);
  });

  it("backup --offsite, drill and recover run detached; recover gets berth.yml's offsite.repository", async () => {
    const h = harness();
    expect(await h.run(["backup", "production", "--offsite", "--yes", ...CONFIG])).toBe(0);
    expect(await h.run(["drill", "production", ...CONFIG])).toBe(0);
    expect(await h.run(["recover", "production", "--from-offsite", "--yes", ...CONFIG])).toBe(0);
    expect(h.commands().filter((c) => c[1] === "run")).toEqual([
      [ROOT_BERTH, "run", "production", "cli-run-1", "backup", "production", "--offsite"],
      [ROOT_BERTH, "run", "production", "cli-run-1", "drill", "production"],
      [
        ROOT_BERTH,
        "run",
        "production",
        "cli-run-1",
        "recover",
        "production",
        "--from-offsite",
        "--repository",
        "sftp:berth-offsite:/repos/example",
        "--actor",
        "alice",
      ],
    ]);
  });

  it("sync runs detached in <to-env>, the scrub command one argv element; --allow-production passed on", async () => {
    const scrub = `node -e 'db.prepare("UPDATE users SET email = id || '@example.invalid'").run()'; rm -rf /`;
    const h = harness();
    expect(
      await h.run(["sync", "production", "staging", "--scrub", scrub, "--yes", "--json", ...CONFIG]),
    ).toBe(0);
    expect(await h.run(["sync", "staging", "production", "--allow-production", "-y", ...CONFIG])).toBe(0);
    expect(h.commands().filter((c) => c[1] === "run")).toEqual([
      [
        ROOT_BERTH,
        "run",
        "staging",
        "cli-run-1",
        "sync",
        "production",
        "staging",
        "--scrub",
        scrub,
        "--yes",
        "--actor",
        "alice",
      ],
      [
        ROOT_BERTH,
        "run",
        "production",
        "cli-run-1",
        "sync",
        "staging",
        "production",
        "--allow-production",
        "--yes",
        "--actor",
        "alice",
      ],
    ]);
  });

  it("a failed sync names both environments with the exit code's meaning", async () => {
    const h = harness({ replies: { follow: { exitCode: 3, stdout: "scrub failed\n" } } });
    expect(await h.run(["sync", "production", "staging", "--scrub", "false", "--yes", ...CONFIG])).toBe(3);
    expect(h.err()).toContain("berth: sync production staging runs on the server as run cli-run-1");
    expect(h.err()).toContain(
      "berth: sync production staging ended with exit code 3 (failed; what was serving before is serving again)",
    );
  });

  it("sync: a <from-env> not in berth.yml, or on another server, is refused before connecting (exit 2)", async () => {
    const h = harness();
    expect(await h.run(["sync", "qa", "staging", "--yes", ...CONFIG])).toBe(2);
    expect(h.err()).toContain('<from-env> "qa" is not in examples/app/berth.yml');
    expect(h.targets).toHaveLength(0);
    const dir = mkdtempSync(join(tmpdir(), "berth-sync-"));
    const config = join(dir, "berth.yml");
    writeFileSync(
      config,
      readFileSync(join(repoRoot, "examples/app/berth.yml"), "utf8").replace(
        "root: /srv/berth-lab/app\n    url: http://127.0.0.1:28090",
        "root: /srv/other\n    url: http://127.0.0.1:28090",
      ),
    );
    const other = harness();
    expect(await other.run(["sync", "production", "staging", "--yes", "--config", config])).toBe(2);
    expect(other.err()).toContain(
      "sync copies between environments of one server root: production is on 127.0.0.1:2222 /srv/other, staging on 127.0.0.1:2222 /srv/berth-lab/app",
    );
    expect(other.targets).toHaveLength(0);
  });

  it("on a terminal, sync asks what it replaces", async () => {
    const h = harness({ tty: true, answer: "n", env: { NO_COLOR: "1" } });
    expect(await h.run(["sync", "production", "staging", "--scrub", "true", ...CONFIG])).toBe(2);
    expect(h.prompts[0]).toBe(
      "Replace staging's database with a snapshot of production's, scrubbed by --scrub (staging's own is backed up first) on deploy@127.0.0.1:2222 (/srv/berth-lab/app)? [y/N] ",
    );
    expect(h.targets).toHaveLength(0);
  });

  it("a failed run exits with its code and says what the code means; deploy records the local user", async () => {
    const h = harness({ replies: { follow: { exitCode: 3, stdout: "boom\n" } } });
    expect(await h.run(["deploy", "staging", SHA, "--yes", ...CONFIG])).toBe(3);
    expect(h.commands()[0]).toEqual([
      ROOT_BERTH,
      "run",
      "staging",
      "cli-run-1",
      "deploy",
      "staging",
      SHA,
      "--actor",
      "alice",
    ]);
    expect(h.out()).toContain("boom\n");
    expect(h.err()).toContain("ended with exit code 3 (failed; what was serving before is serving again)");
  });

  it("on a terminal, yes goes ahead; maintenance on runs in the session", async () => {
    const h = harness({ tty: true, answer: "yes" });
    expect(await h.run(["maintenance", "on", "staging", ...CONFIG])).toBe(0);
    expect(h.prompts[0]).toContain("maintenance page on for staging");
    expect(h.commands()).toEqual([[ROOT_BERTH, "maintenance", "on", "staging"]]);
  });

  it("color only on a terminal without NO_COLOR", async () => {
    const plain = harness({ tty: true, env: { NO_COLOR: "1" } });
    await plain.run(["frob"]);
    expect(plain.err()).not.toContain("\u001b[");
    const colored = harness({ tty: true });
    await colored.run(["frob"]);
    expect(colored.err()).toContain("\u001b[31m");
    const piped = harness({ tty: false });
    await piped.run(["frob"]);
    expect(piped.err()).not.toContain("\u001b[");
  });
});

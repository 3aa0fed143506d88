/**
 * The `berth` CLI from the runner machine, run as a user runs it (`node cli/berth.js …`,
 * the bundle `npx berth` starts) against the lab VPS over real SSH: one-command rollback
 * with the pinned host key, the same command refused for a wrong or unknown host key
 * with nothing changed, and the read-only verbs printing what the server prints.
 */
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { example, type Release } from "../helpers/example.js";
import {
  labEnv,
  lastLedgerLine,
  ledger,
  repoRoot,
  resetEnvironment,
  served,
  tempDir,
} from "../helpers/lab.js";

const ENV = "staging";
const lab = labEnv();
const url = lab.nginx[ENV];
const dir = tempDir("berth-cli-e2e-");
const pinned = join(dir, "known_hosts");
const CONNECTION = ["--identity", lab.ssh.privateKeyPath, "--config", "examples/app/berth.yml"];

interface Run {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  environment: string;
}

/** `berth …` as a user types it in a clone of berth (no ssh-agent: the key is --identity). */
function berth(args: string[]): Promise<Run> {
  const env = { ...process.env };
  delete env.SSH_AUTH_SOCK;
  delete env.BERTH_SSH_KEY;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, "cli", "berth.js"), ...args], {
      cwd: repoRoot,
      env,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (exitCode) => resolve({ exitCode, stdout, stderr, environment: ENV }));
  });
}

describe("the berth CLI from a laptop", () => {
  let v1: Release;
  let v2: Release;

  beforeAll(async () => {
    resetEnvironment(ENV);
    const app = example();
    v1 = await app.release();
    v2 = await app.release();
    expect(await app.deploy(ENV, v1)).toExit(0);
    expect(await app.deploy(ENV, v2)).toExit(0);
    expect(await served(url, "/version")).toBe(v2.sha);
    writeFileSync(pinned, lab.ssh.knownHosts);
  });

  it("refuses a server whose host key is not the pinned one, or not pinned at all; nothing changes", async () => {
    const other = join(dir, "other");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other]);
    const wrong = join(dir, "wrong_known_hosts");
    writeFileSync(wrong, `[127.0.0.1]:2222 ${readFileSync(`${other}.pub`, "utf8")}`);
    const unknown = join(dir, "unknown_known_hosts");
    writeFileSync(unknown, `[127.0.0.1]:22 ${readFileSync(`${other}.pub`, "utf8")}`);
    const lines = ledger(ENV).length;
    for (const [file, message] of [
      [wrong, "host key mismatch for [127.0.0.1]:2222"],
      [unknown, "has no key for [127.0.0.1]:2222: refusing to connect to an unknown host"],
    ] as const) {
      const run = await berth(["rollback", ENV, "--yes", "--known-hosts", file, ...CONNECTION]);
      expect(run.exitCode).not.toBe(0);
      expect(run.stderr).toContain(message);
      expect(run.stderr).toContain(`known hosts read from ${file}`);
    }
    expect(ledger(ENV)).toHaveLength(lines);
    expect(await served(url, "/version")).toBe(v2.sha);
  });

  it("`berth rollback staging --yes` serves the previous release and records who asked", async () => {
    const t0 = Date.now();
    const run = await berth(["rollback", ENV, "--yes", "--known-hosts", pinned, ...CONNECTION]);
    const seconds = (Date.now() - t0) / 1000;
    expect(run.stderr).not.toContain("unexpected error");
    expect(run).toExit(0);
    expect(run.stdout).toContain(`rolled back ${ENV} to ${v1.sha}`);
    expect(run.stdout).not.toContain("@@berth");
    expect(await served(url, "/version")).toBe(v1.sha);
    expect(lastLedgerLine(ENV)).toMatchObject({
      kind: "rollback",
      sha: v1.sha,
      from: v2.sha,
      result: "rolled_back",
      actor: userInfo().username,
    });
    console.log(`berth rollback from the CLI: ${seconds.toFixed(1)} s from command to exit`);
  });

  it("status --json, releases and logs print what the server prints", async () => {
    const status = await berth(["status", ENV, "--json", "--known-hosts", pinned, ...CONNECTION]);
    expect(status).toExit(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ environment: ENV, current: v1.sha, previous: v2.sha });

    const releases = await berth(["releases", ENV, "--json", "--known-hosts", pinned, ...CONNECTION]);
    expect(releases).toExit(0);
    expect((JSON.parse(releases.stdout) as { sha: string }[])[0]?.sha).toBe(v1.sha);

    const logs = await berth(["logs", ENV, "--known-hosts", pinned, ...CONNECTION]);
    expect(logs).toExit(0);
    expect(logs.stdout).toContain(`rolled back ${ENV} to ${v1.sha}`);
    expect(logs.stderr).toMatch(/run cli-\S+ of staging ended with exit code 0/);
  });

  it("backup --yes --json runs detached and prints the backup's result", async () => {
    const run = await berth(["backup", ENV, "--yes", "--json", "--known-hosts", pinned, ...CONNECTION]);
    expect(run).toExit(0);
    const result = JSON.parse(run.stdout) as { env: string; release: string; path: string; bytes: number };
    expect(result).toMatchObject({ env: ENV, release: v1.sha });
    expect(result.path).toMatch(/-manual\.db$/);
    expect(result.bytes).toBeGreaterThan(0);
  });
});

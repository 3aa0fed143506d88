/**
 * The fault matrix, part 1: what goes wrong around a running deploy. Each case checks
 * what a user would check afterwards — the served version through nginx, the DB
 * (integrity_check, rows), the ledger, the maintenance flag, the lock — not only an
 * exit code. Runs on the lab: real sshd, Docker, registry, nginx and SQLite.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { addNote, example, type Release } from "../helpers/example.js";
import {
  asDeploy,
  labEnv,
  labEnvironment,
  ledger,
  repoRoot,
  resetEnvironment,
  served,
  tempDir,
} from "../helpers/lab.js";

const lab = labEnv();
const ENV = "staging";
const { url, dir: envDir, db, read } = labEnvironment(ENV);
const app = example();
const flag = join(envDir, "maintenance", "MAINTENANCE_ON");
const berth = (...args: string[]) => asDeploy([join(lab.vps.root, "bin/berth"), ...args]);
const status = () => JSON.parse(berth("status", ENV, "--json")) as Record<string, unknown>;
const integrity = () => execFileSync("sqlite3", [db, "PRAGMA integrity_check"], { encoding: "utf8" }).trim();
const notes = () =>
  execFileSync("sqlite3", ["-readonly", db, "SELECT text FROM notes"], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean);

/** Everything a healthy environment shows after any fault: the release serving, no flag, no lock holder, a sound DB. */
async function healthy(sha: string) {
  expect(await served(url, "/version")).toBe(sha);
  expect(existsSync(flag), "maintenance flag").toBe(false);
  expect(existsSync(join(envDir, "lock.holder")), "lock holder").toBe(false);
  expect(integrity()).toBe("ok");
  expect(read("current_release")).toBe(sha);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// The maintenance path's faults need releases that take it: the same app with the swap
// path turned off in berth.yml (a release that changes nothing would otherwise swap).
const maintenanceWorkspace = tempDir("berth-faults-maint-");
execFileSync("cp", ["-a", `${app.workspace}/.`, maintenanceWorkspace]);
writeFileSync(
  join(maintenanceWorkspace, "berth.yml"),
  `${readFileSync(join(app.workspace, "berth.yml"), "utf8")}\nswap:\n  enabled: false\n`,
);
type Path = "maintenance" | "swap";
const deployBy = (path: Path, r: Release, onStdout?: (chunk: string) => void) =>
  path === "maintenance"
    ? app.deployFrom(maintenanceWorkspace, ENV, r, onStdout)
    : app.deploy(ENV, r, onStdout);
/** The running containers of the staging project in slot a and in slot b. */
const slotContainers = () =>
  ["example-staging", "example-staging_b"].map(
    (p) =>
      execFileSync("docker", ["ps", "-q", "--filter", `label=com.docker.compose.project=${p}`], {
        encoding: "utf8",
      })
        .split("\n")
        .filter(Boolean).length,
  );

describe("fault matrix: around a running deploy", () => {
  let current: Release;

  beforeAll(async () => {
    resetEnvironment(ENV);
    resetEnvironment("production");
    current = await app.release();
    expect(await app.deploy(ENV, current)).toExit(0);
    await addNote(url, "before the faults");
  });

  describe("1. SSH connection dropped: the deploy finishes, the action reattaches and reports it", () => {
    it.each([
      ["maintenance", "pull"],
      ["maintenance", "backup"],
      ["maintenance", "migrate"],
      ["maintenance", "ready"],
      ["swap", "start"],
      ["swap", "switch"],
    ] as [Path, string][])("on the %s path, during %s", async (path, phase) => {
      const next = await app.release();
      let killed = false;
      const run = await deployBy(path, next, (chunk) => {
        if (!killed && chunk.includes(`::group::${phase}`)) {
          killed = true;
          execFileSync("pkill", ["-KILL", "-f", "^sshd: deploy"]);
        }
      });
      expect(killed).toBe(true);
      expect(run.stdout).toContain("reattaching");
      expect(run).toExit(0);
      expect(run.outputs.result).toBe("succeeded");
      expect(ledger(ENV).at(-1)).toMatchObject({ sha: next.sha, result: "succeeded", mode: path });
      await healthy(next.sha);
      expect(slotContainers().sort()).toEqual([0, 2]);
      current = next;
    });
  });

  it("2. runner killed mid-deploy: the server still finishes in a consistent state", async () => {
    const next = await app.release();
    let killed = false;
    const run = await deployBy("maintenance", next, (chunk) => {
      if (!killed && chunk.includes("::group::backup")) {
        killed = true;
        execFileSync("pkill", ["-KILL", "-f", "actions/deploy/dist/index.js"]);
      }
    });
    expect(killed).toBe(true);
    expect(run.exitCode).not.toBe(0);
    for (let i = 0; i < 120 && ledger(ENV).at(-1)?.sha !== next.sha; i++) await sleep(500);
    const line = ledger(ENV).at(-1) as { runId: string };
    expect(line).toMatchObject({ sha: next.sha, result: "succeeded" });
    // The ledger line comes before prune and the lock's release: wait for the run's exit code.
    const exit = join(envDir, "runs", line.runId, "exit");
    for (let i = 0; i < 120 && !existsSync(exit); i++) await sleep(250);
    expect(readFileSync(exit, "utf8").trim()).toBe("0");
    await healthy(next.sha);
    current = next;
  });

  describe("3. the remote berth deploy killed (SIGKILL): status says so, the next deploy recovers", () => {
    it.each([
      ...["pull", "maintenance-on", "stop", "backup", "migrate", "start", "ready"].map((p) => [
        "maintenance",
        p,
      ]),
      // The swap path: killed with both slots running, nginx on either. "switched": the
      // moment berth has written nginx's live file for the new slot (switch and drain
      // last milliseconds: the phase itself is too short to catch).
      ...["start", "ready", "switched"].map((p) => ["swap", p]),
    ] as [Path, string][])("on the %s path, in phase %s", async (path, phase) => {
      const victim = await app.release();
      let killedIn = "";
      const rowsBefore = notes().length;
      const liveConf = join(envDir, "nginx", "live.conf");
      const switched = () => existsSync(liveConf) && readFileSync(liveConf, "utf8").includes(victim.sha);
      // Watch the server's own in-flight record and kill the run the moment it enters the phase.
      const watch = setInterval(() => {
        if (killedIn) return;
        let state: { runId: string; phase: string; sha: string };
        try {
          state = JSON.parse(readFileSync(join(envDir, "deploy.state"), "utf8"));
        } catch {
          return;
        }
        if (state.sha !== victim.sha) return;
        if (phase === "switched" ? !switched() : state.phase !== phase) return;
        // `berth run` made the run its own session: its pid is the process group.
        const pgid = readFileSync(join(envDir, "runs", state.runId, "pid"), "utf8").trim();
        execFileSync("kill", ["-KILL", "--", `-${pgid}`]);
        killedIn = state.phase;
      }, 1);
      const run = await deployBy(path, victim);
      clearInterval(watch);
      if (phase === "switched") expect(["switch", "drain", "handover"]).toContain(killedIn);
      else expect(killedIn).toBe(phase);
      expect(run.exitCode).not.toBe(0);
      expect(run.stdout).toMatch(/ended without an exit code/);

      const s = status() as { interrupted: boolean; inflight: { phase: string; sha: string } };
      expect(s.interrupted).toBe(true);
      expect(s.inflight).toMatchObject({ phase: killedIn, sha: victim.sha });
      // Killed mid-swap, the site still answers, from one release or the other.
      if (path === "swap") expect([current.sha, victim.sha]).toContain(await served(url, "/version"));
      expect(berth("status", ENV)).toContain("INTERRUPTED");
      await sleep(1000); // a one-off migrate container outlives its killed client
      expect(integrity()).toBe("ok");
      expect(notes().length).toBe(rowsBefore);

      const next = await app.release();
      const recovery = await deployBy(path, next);
      expect(recovery).toExit(0);
      expect(recovery.stdout).toContain("an earlier run was interrupted");
      expect(recovery.stdout).toContain("after an interrupted run");
      await healthy(next.sha);
      expect(notes().length).toBe(rowsBefore);
      expect(status()).toMatchObject({ interrupted: false });
      // One release in one slot: nothing the killed run started is left running.
      expect(slotContainers().sort()).toEqual([0, 2]);
      current = next;
    });
  });

  it("4. a release that crashes on start: the previous release serves, DB as before, maintenance off", async () => {
    const crash = await app.release({ CRASH_ON_START: "1" });
    const before = notes();
    const run = await app.deploy(ENV, crash);
    expect(run.exitCode).not.toBe(0);
    expect(run.outputs.result).toBe("failed");
    // Seen as crashed, not waited on for ready.timeout_seconds.
    expect(run.stdout).toMatch(/backend will not become ready: its container (crashed and restarted|exited)/);
    expect(ledger(ENV).at(-1)).toMatchObject({ sha: crash.sha, result: "failed", rolledBackTo: current.sha });
    await healthy(current.sha);
    expect(notes()).toEqual(before);
  });

  it("5. two deploys to one environment: one is refused naming the holder; two environments proceed in parallel", async () => {
    const [a, b] = [await app.release(), await app.release()];
    const runs = await Promise.all([app.deploy(ENV, a), app.deploy(ENV, b)]);
    const ok = runs.filter((r) => r.exitCode === 0);
    const refused = runs.filter((r) => r.exitCode !== 0);
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]?.stdout).toMatch(
      new RegExp(`${ENV} is locked by deploy of [0-9a-f]{40} by e2e-tester`),
    );
    const winner = ok[0]?.outputs.sha ?? "";
    await healthy(winner);

    const c = await app.release();
    const both = await Promise.all([app.deploy(ENV, c), app.deploy("production", c)]);
    expect(both.map((r) => r.exitCode)).toEqual([0, 0]);
    expect(await served(url, "/version")).toBe(c.sha);
    expect(await served(lab.nginx.production, "/version")).toBe(c.sha);
  });

  describe("6. refused in preflight or pull, before maintenance: nothing changes", () => {
    // Each case reads what serves before it starts, so one failing case cannot cascade.
    let serving = "";
    beforeEach(() => {
      serving = read("current_release");
    });
    const unchanged = async (lines: number) => {
      await healthy(serving);
      const last = ledger(ENV).at(-1) as { result: string; phase: string };
      expect(ledger(ENV)).toHaveLength(lines + 1);
      expect(last.result).toBe("refused");
      return last.phase;
    };

    it("not enough disk for the backup", async () => {
      const ws = tempDir("berth-fault-ws-");
      execFileSync("cp", ["-a", `${app.workspace}/.`, ws]);
      const yml = join(ws, "berth.yml");
      writeFileSync(yml, readFileSync(yml, "utf8").replace(/^min_free_mb: .*$/m, "min_free_mb: 900000000"));
      const next = await app.release();
      const lines = ledger(ENV).length;
      const run = await app.deployFrom(ws, ENV, next);
      expect(run.exitCode).not.toBe(0);
      expect(run.stdout).toMatch(/MB free under .*; need [0-9]+ MB/);
      expect(await unchanged(lines)).toBe("preflight");
    });

    it("a digest the registry does not have (digest mismatch)", async () => {
      const next = await app.release();
      const images = JSON.parse(next.images) as Record<string, { digest: string; ref: string }>;
      const wrong = `sha256:${"0".repeat(64)}`;
      for (const i of Object.values(images)) {
        i.ref = i.ref.replace(i.digest, wrong);
        i.digest = wrong;
      }
      const lines = ledger(ENV).length;
      const run = await app.deploy(ENV, { sha: next.sha, images: JSON.stringify(images) });
      expect(run.exitCode).not.toBe(0);
      expect(await unchanged(lines)).toBe("pull");
    });

    it("registry unreachable", async () => {
      const next = await app.release();
      // Make the server pull: remove the images the lab's shared Docker holds locally.
      for (const i of Object.values(JSON.parse(next.images) as Record<string, { ref: string }>)) {
        const [byTag = "", digest = ""] = i.ref.split("@");
        const repo = byTag.replace(/:[0-9a-f]{40}$/, "");
        execFileSync("docker", ["image", "rm", "-f", byTag, `${repo}@${digest}`], { stdio: "ignore" });
      }
      const pid = Number(readFileSync(join(lab.labDir, "registry", "pid"), "utf8").trim());
      process.kill(pid, "SIGTERM");
      // Wait until it is gone, or `lab up` below would still see it alive and not restart it.
      for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
      expect(alive(pid)).toBe(false);
      try {
        const lines = ledger(ENV).length;
        const run = await app.deploy(ENV, next);
        expect(run.exitCode).not.toBe(0);
        expect(run.stdout).toMatch(/registry login to 127\.0\.0\.1:25000 failed on the server/);
        expect(ledger(ENV).length).toBe(lines);
        await healthy(serving);
      } finally {
        execFileSync("bash", [join(repoRoot, "test/lab/lab.sh"), "up"], { stdio: "ignore" });
      }
    });
  });

  describe("10. writes in flight: every acknowledged write survives", () => {
    // Each outcome is stated, not read from the run: a failing migration is refused in its
    // rehearsal (berth exit 2, nothing changed, no window), the previous release still
    // serving. The action's own exit code is 1 for any failure; it names berth's.
    it.each<{
      what: string;
      knobs: Record<string, string>;
      exitCode: number;
      berthExit: string | undefined;
      result: string;
      phase: string;
      serves: "new" | "previous";
    }>([
      {
        what: "a successful deploy",
        knobs: {},
        exitCode: 0,
        berthExit: undefined,
        result: "succeeded",
        phase: "record",
        serves: "new",
      },
      {
        what: "a deploy whose migration fails (FAIL_MIGRATION)",
        knobs: { FAIL_MIGRATION: "1" },
        exitCode: 1,
        berthExit: "2",
        result: "refused",
        phase: "rehearse",
        serves: "previous",
      },
    ])("$what: berth exit $berthExit, $result in $phase, the $serves release serving", async (c) => {
      const { what, knobs } = c;
      const before = read("current_release");
      const next = await app.release(knobs);
      const acked: string[] = [];
      let statuses: Record<string, number> = {};
      let stop = false;
      const writer = (async () => {
        // Bounded: at most 3000 writes, one every 20 ms, until the deploy ends.
        for (let i = 0; i < 3000 && !stop; i++) {
          const text = `inflight-${next.sha.slice(0, 8)}-${i}`;
          try {
            const res = await fetch(`${url}/api/notes`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ text }),
              signal: AbortSignal.timeout(5000),
            });
            statuses = { ...statuses, [res.status]: (statuses[res.status] ?? 0) + 1 };
            if (res.status === 201) acked.push(text);
          } catch {
            statuses = { ...statuses, error: (statuses.error ?? 0) + 1 };
          }
          await sleep(20);
        }
      })();
      await sleep(300);
      const run = await app.deploy(ENV, next);
      await sleep(300);
      stop = true;
      await writer;
      expect(acked.length).toBeGreaterThan(10);
      // What a client sees: served (201) or told to come back (503) — nothing else.
      expect(Object.keys(statuses).filter((k) => k !== "201" && k !== "503")).toEqual([]);
      const stored = new Set(notes());
      expect(acked.filter((t) => !stored.has(t))).toEqual([]);
      expect(integrity()).toBe("ok");
      console.log(
        `${what}: ${acked.length} writes acknowledged, all present; statuses ${JSON.stringify(statuses)}`,
      );
      const last = ledger(ENV).at(-1) as { sha: string; result: string; phase: string };
      expect({
        exitCode: run.exitCode,
        berthExit: /\(berth exit code ([0-9]+)\)/.exec(run.stdout)?.[1],
        result: run.outputs.result,
        line: [last.sha, last.result, last.phase],
      }).toEqual({
        exitCode: c.exitCode,
        berthExit: c.berthExit,
        result: c.result,
        line: [next.sha, c.result, c.phase],
      });
      await healthy(c.serves === "new" ? next.sha : before);
    });
  });
});

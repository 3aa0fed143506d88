/**
 * The deploy issue's must-shows, end to end: actions/build-push and actions/deploy run
 * as the runner runs them, against the lab VPS over real SSH, real registry, real
 * nginx and a real SQLite database.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { example, addNote as postNote, type Release } from "../helpers/example.js";
import {
  asDeploy,
  dbChecksum,
  labEnv,
  labEnvironment,
  ledger,
  resetEnvironment,
  served,
  tempDir,
} from "../helpers/lab.js";
import { startWriter } from "../helpers/load.js";

const ENV = "staging";
const { url, dir: envDir, db, read } = labEnvironment(ENV);
const app = example();
const release = app.release;
const deploy = (r: Release, onStdout?: (chunk: string) => void) => app.deploy(ENV, r, onStdout);
const addNote = (text: string) => postNote(url, text);

describe("deploy to the lab VPS", () => {
  let v1: Release;
  let v2: Release;

  beforeAll(async () => {
    resetEnvironment(ENV);
    v1 = await release({ MAX_MIGRATION: "2" });
    v2 = await release();
  });

  it("deploys v1 then v2: served version, ledger, current/previous, backup, flag", async () => {
    const first = await deploy(v1);
    expect(first.stdout).not.toContain("::error::");
    expect(first).toExit(0);
    expect(first.outputs.result).toBe("succeeded");
    expect(await served(url)).toBe(v1.sha);
    expect(await served(url, "/version")).toBe(v1.sha);
    await addNote("written under v1");

    const second = await deploy(v2);
    expect(second).toExit(0);
    expect(second.outputs).toMatchObject({ sha: v2.sha, "previous-sha": v1.sha, result: "succeeded" });
    const phases = JSON.parse(second.outputs.phases ?? "{}");
    for (const p of [
      "preflight",
      "pull",
      "rehearse",
      "maintenance-on",
      "stop",
      "backup",
      "migrate",
      "start",
      "ready",
    ]) {
      expect(phases[p], p).toBeGreaterThanOrEqual(0);
    }
    // v2 adds migration 3: the rehearsal saw it change the snapshot, so the window runs it.
    expect(second.stdout).toContain("rehearsal: the migration changes the database");
    expect(ledger(ENV).at(-1)).toMatchObject({
      mode: "maintenance",
      migrated: true,
      rehearsal: { result: "changed" },
    });
    expect(await served(url)).toBe(v2.sha);

    expect(read("current_release")).toBe(v2.sha);
    expect(read("previous_release")).toBe(v1.sha);
    const lines = ledger(ENV);
    expect(lines.map((l) => [l.sha, l.result])).toEqual([
      [v1.sha, "succeeded"],
      [v2.sha, "succeeded"],
    ]);
    const last = lines[1] as { images: Record<string, string>; actor: string; backup: string };
    expect(last.images.backend).toMatch(new RegExp(`:${v2.sha}@sha256:[0-9a-f]{64}$`));
    expect(last.actor).toBe("e2e-tester");
    expect(existsSync(last.backup)).toBe(true);
    expect(execFileSync("sqlite3", [last.backup, "PRAGMA integrity_check"]).toString().trim()).toBe("ok");
    expect(existsSync(join(envDir, "maintenance", "MAINTENANCE_ON"))).toBe(false);
    const notes = await (await fetch(`${url}/api/notes/count`)).json();
    expect(notes.count).toBeGreaterThanOrEqual(1);
    expect(second.summary).toContain("| backup |");
  });

  it("a failing migration is refused in its rehearsal: no maintenance window, the DB byte-identical, v2 serving", async () => {
    const bad = await release({ FAIL_MIGRATION: "1" });
    const before = dbChecksum(db);
    const bytes = readFileSync(db);
    const run = await deploy(bad);
    expect(run.exitCode).not.toBe(0);
    expect(run.outputs.result).toBe("refused");
    // The migration's own output is in the log; the site never went into maintenance.
    expect(run.stdout).toContain("migration failed, nothing applied");
    expect(run.stdout).toContain("refusing this release; nothing was changed");
    expect(Object.keys(JSON.parse(run.outputs.phases ?? "{}"))).toEqual(["preflight", "pull", "rehearse"]);
    expect(await served(url)).toBe(v2.sha);
    expect(dbChecksum(db)).toBe(before);
    expect(readFileSync(db).equals(bytes)).toBe(true);
    const last = ledger(ENV).at(-1) as Record<string, unknown>;
    expect(last).toMatchObject({
      sha: bad.sha,
      result: "refused",
      phase: "rehearse",
      rehearsal: { result: "failed" },
    });
    expect(read("current_release")).toBe(v2.sha);
    expect(existsSync(join(envDir, "maintenance", "MAINTENANCE_ON"))).toBe(false);
  });

  it("a release that never becomes ready is rolled back to v2 by itself", async () => {
    const bad = await release({ NEVER_READY: "1" });
    // Its readiness timeout is shortened: this release never answers, so the wait is all
    // the test would spend (berth.yml's ready.timeout_seconds, read from the bundle).
    const ws = app.variant("timeout_seconds: 30", "timeout_seconds: 8");
    const run = await app.deployFrom(ws, ENV, bad);
    expect(run.stdout).toContain("not ready within 8s");
    expect(run.exitCode).not.toBe(0);
    expect(await served(url)).toBe(v2.sha);
    const last = ledger(ENV).at(-1) as Record<string, unknown>;
    expect(last).toMatchObject({ sha: bad.sha, result: "failed", phase: "ready", rolledBackTo: v2.sha });
    expect(read("current_release")).toBe(v2.sha);
    // What a red CI run prints when a test expected this deploy to pass (test/helpers/outcome.ts):
    // the phase, the ledger line and the server log's tail, not only "expected 1 to be 0".
    let report = "";
    try {
      expect(run).toExit(0);
    } catch (e) {
      report = (e as Error).message;
    }
    expect(report).toContain(`expected the run to exit 0, it exited ${run.exitCode}`);
    expect(report).toMatch(/action outputs: result=failed sha=[0-9a-f]{40} phases preflight → /);
    expect(report).toMatch(/ledger \(staging, newest line\): kind=deploy result=failed phase=ready/);
    expect(report).toContain(`"sha":"${bad.sha}"`);
    expect(report).toMatch(/server run \S+ \(exit 3\), last 40 lines of its log:\n[\s\S]*ready/);
    expect(report).toMatch(/containers \(\*-staging\*\):/);
  });

  it("with umask 077 for the deploy user, the maintenance flag still serves berth's page", async () => {
    const root = labEnv().vps.root;
    const bashrc = "/home/deploy/.bashrc";
    const original = readFileSync(bashrc, "utf8");
    const mode = (p: string) => (statSync(p).mode & 0o7777).toString(8);
    // nginx as a server runs it: the snippet and the page from <root>/nginx, where
    // `berth install` put them (the lab's own nginx serves a copy of the checkout's).
    const dir = tempDir("berth-umask-nginx-");
    chmodSync(dir, 0o755);
    const port = 28186;
    const conf = join(dir, "nginx.conf");
    writeFileSync(
      conf,
      `user www-data;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp-body;
  proxy_temp_path ${dir}/tmp-proxy;
  fastcgi_temp_path ${dir}/tmp-fastcgi;
  uwsgi_temp_path ${dir}/tmp-uwsgi;
  scgi_temp_path ${dir}/tmp-scgi;
  server {
    listen 127.0.0.1:${port};
    set $berth_maintenance_flag ${envDir}/maintenance/MAINTENANCE_ON;
    set $berth_maintenance_root ${root}/nginx;
    set $berth_maintenance_bypass 0;
    include ${root}/nginx/snippets/berth-maintenance.conf;
    location / { return 200 "up\\n"; }
  }
}
`,
    );
    const berth = (...args: string[]) =>
      asDeploy(["bash", "-c", 'umask 077 && exec "$@"', "berth", join(root, "bin/berth"), ...args]);
    try {
      // sshd runs each command with `bash -c`, which reads ~/.bashrc first (Debian's bash):
      // the upload, the install and the detached deploy all run with this umask.
      writeFileSync(bashrc, `umask 077\n${original}`);
      // Installed again under that umask, not left over from an earlier deploy.
      rmSync(join(root, "nginx"), { recursive: true, force: true });
      const v3 = await release();
      const run = await deploy(v3);
      expect(run.stdout).not.toContain("::error::");
      expect(run).toExit(0);
      expect(run.stdout).toContain(`nginx (www-data) can read ${root}/nginx/maintenance.html`);
      // The umask was in force: what the deploy unpacked is private to the deploy user.
      expect(mode(join(envDir, "releases", v3.sha, "release.json"))).toBe("600");

      execFileSync("nginx", ["-q", "-t", "-p", dir, "-c", conf]);
      execFileSync("nginx", ["-p", dir, "-c", conf]);
      berth("maintenance", "on", ENV);
      expect(mode(join(envDir, "maintenance"))).toBe("755");
      expect(mode(join(envDir, "maintenance", "MAINTENANCE_ON"))).toBe("644");
      for (const base of [`http://127.0.0.1:${port}`, url]) {
        const res = await fetch(`${base}/`, { signal: AbortSignal.timeout(10_000) });
        const body = await res.text();
        expect(res.status, base).toBe(503);
        expect(res.headers.get("retry-after"), base).toBe("30");
        expect(body, base).toContain("<title>Down for maintenance</title>");
        expect(body, base).not.toContain("<center>nginx</center>");
      }
      // What nginx reads was installed world-readable all the same.
      for (const d of ["nginx", "nginx/snippets"]) expect(mode(join(root, d)), d).toBe("755");
      for (const f of ["nginx/maintenance.html", "nginx/snippets/berth-maintenance.conf"])
        expect(mode(join(root, f)), f).toBe("644");
      berth("maintenance", "off", ENV);
      expect(await served(url)).toBe(v3.sha);
    } finally {
      writeFileSync(bashrc, original);
      rmSync(join(envDir, "maintenance", "MAINTENANCE_ON"), { force: true });
      spawnSync("nginx", ["-p", dir, "-c", conf, "-s", "stop"]);
    }
  });
  // A dropped SSH connection mid-deploy: test/faults/deploy-faults.test.ts (group 1, four phases).

  it("a release pulled with the job's own login: the server's docker config untouched, the disk check counts the images", async () => {
    const v3 = await release();
    const before = dbChecksum(db);
    // The server's standing pull credential (what `berth setup --registry-username`
    // stores), here one the registry refuses: v3's pulls can only succeed with the job's
    // login, and the deploy must leave this file as it is.
    const lab = labEnv();
    const dockerConfig = "/home/deploy/.docker/config.json";
    const saved = existsSync(dockerConfig) ? readFileSync(dockerConfig) : undefined;
    const standing = (password: string) =>
      `{"auths":{"${lab.registry.host}":{"auth":"${Buffer.from(`${lab.registry.username}:${password}`).toString("base64")}"}}}\n`;
    const writeStanding = (text: string) => {
      asDeploy(["mkdir", "-p", "-m", "700", "/home/deploy/.docker"]);
      writeFileSync(dockerConfig, text, { mode: 0o600 });
      execFileSync("chown", ["deploy:deploy", dockerConfig]);
    };
    const refs = (r: Release) =>
      Object.values(JSON.parse(r.images) as Record<string, { repo: string; tag: string; digest: string }>);
    // Not on the server yet (the lab's builder and server share one dockerd): pulled by the deploy.
    const untag = (r: Release) => {
      for (const i of refs(r))
        spawnSync("docker", ["image", "rm", `${i.repo}:${i.tag}`, `${i.repo}@${i.digest}`]);
      for (const i of refs(r))
        expect(spawnSync("docker", ["image", "inspect", `${i.repo}@${i.digest}`]).status).not.toBe(0);
    };
    try {
      writeStanding(standing("not-the-password"));
      untag(v3);
      const run = await deploy(v3);
      expect(run).toExit(0);
      expect(run.stdout).toMatch(/pulling (backend|frontend) /);
      // The preflight disk check counted them, by the compressed sizes the action read.
      const bytes = JSON.parse(
        readFileSync(join(envDir, "releases", v3.sha, "release.json"), "utf8"),
      ).imageBytes;
      for (const service of Object.keys(JSON.parse(v3.images)))
        expect(bytes[service], service).toBeGreaterThan(0);
      expect(run.stdout).toMatch(
        /disk: \d+ MB free.*3× the \d+ MB \(compressed\) of images to pull \((backend|frontend)/,
      );
      expect(run.stdout).not.toContain("trying the server's own credential");
      expect(run.stdout).toContain("rehearsal: the migration changes nothing");
      expect(ledger(ENV).at(-1)).toMatchObject({
        sha: v3.sha,
        result: "succeeded",
        migrated: false,
        rehearsal: { result: "unchanged" },
      });
      expect(dbChecksum(db)).toBe(before);
      expect(await served(url)).toBe(v3.sha);
      // The job's token never reached ~/.docker/config.json, and its own config is gone.
      expect(readFileSync(dockerConfig, "utf8")).toBe(standing("not-the-password"));
      expect(
        existsSync(join(envDir, ".registry-auth")) ? readdirSync(join(envDir, ".registry-auth")) : [],
      ).toEqual([]);
      // A standing credential works as before: a pull outside any deploy (v1, pruned here).
      writeStanding(standing(lab.registry.password));
      untag(v1);
      const [image] = refs(v1);
      asDeploy(["docker", "pull", "--quiet", `${image?.repo}@${image?.digest}`]);
    } finally {
      if (saved) writeFileSync(dockerConfig, saved);
      else rmSync(dockerConfig, { force: true });
    }
  });

  it("a release whose migration changes nothing takes the swap path: no maintenance page, the client sees only 2xx, nothing lost", async () => {
    const v3 = await release();
    // Earlier deploys that changed nothing took the swap path too: start from whichever slot serves.
    const from = existsSync(join(envDir, "slot")) ? (read("slot").split(" ")[0] ?? "a") : "a";
    const to = from === "a" ? "b" : "a";
    const backendPort = Number(labEnv().ports[ENV].backend);
    const slotBPort = backendPort + 10000;
    // Three writers: through nginx (what users see), and straight at each slot's backend,
    // so old and new containers write the same WAL database at once during the overlap.
    const viaNginx = startWriter(url, "nginx");
    const slotA = startWriter(`http://127.0.0.1:${backendPort}`, "slot-a", { intervalMs: 10 });
    const slotB = startWriter(`http://127.0.0.1:${slotBPort}`, "slot-b", { intervalMs: 10 });
    await new Promise((r) => setTimeout(r, 500));
    const run = await deploy(v3);
    await new Promise((r) => setTimeout(r, 500));
    const [users, a, b] = await Promise.all([viaNginx.stop(), slotA.stop(), slotB.stop()]);
    expect(run).toExit(0);

    // The path and the phases: no window, nothing migrated, the new slot live.
    expect(run.stdout).toContain("rehearsal: the migration changes nothing");
    expect(run.stdout).toContain("the swap path");
    const phases = Object.keys(JSON.parse(run.outputs.phases ?? "{}"));
    expect(phases).toEqual([
      "preflight",
      "pull",
      "rehearse",
      "start",
      "ready",
      "switch",
      "drain",
      "handover",
      "record",
      "retire",
      "prune",
    ]);
    expect(ledger(ENV).at(-1)).toMatchObject({
      sha: v3.sha,
      result: "succeeded",
      mode: "swap",
      slot: to,
      migrated: false,
      rehearsal: { result: "unchanged" },
    });
    expect(read("slot")).toBe(`${to} ${v3.sha} ${from}`);
    expect(await served(url)).toBe(v3.sha);

    // What users saw: only 201s, never a 502 or 503.
    expect(users.statuses).toEqual({ 201: users.ids.length });
    expect(users.ids.length).toBeGreaterThan(20);
    // Both slots wrote while both ran, and the old one was retired.
    expect(a.ids.length).toBeGreaterThan(0);
    expect(b.ids.length).toBeGreaterThan(0);
    const [oldSlot, newSlot] = from === "a" ? [a, b] : [b, a];
    expect(newSlot.firstAck).toBeLessThan(oldSlot.lastAck);
    for (const w of [a, b])
      expect(Object.keys(w.statuses).filter((s) => s !== "201" && s !== "0")).toEqual([]);
    // Every acknowledged write is in the database, which is whole.
    const acknowledged = [...users.ids, ...a.ids, ...b.ids];
    const present = new Set(
      execFileSync("sqlite3", [db, "SELECT id FROM notes"]).toString().trim().split("\n").map(Number),
    );
    expect(acknowledged.filter((id) => !present.has(id))).toEqual([]);
    expect(execFileSync("sqlite3", [db, "PRAGMA integrity_check"]).toString().trim()).toBe("ok");
    const project = (slot: string) => (slot === "a" ? "example-staging" : "example-staging_b");
    expect(projectContainers(project(from))).toEqual([]);
    expect(projectContainers(project(to)).length).toBe(2);
    expect(existsSync(join(envDir, "maintenance", "MAINTENANCE_ON"))).toBe(false);
  });

  it("a keep-db rollback takes the swap path back to the other slot: the client sees only 2xx", async () => {
    const before = ledger(ENV).at(-1) as { sha: string; previousSha: string; slot: string };
    const to = before.slot === "a" ? "b" : "a";
    const users = startWriter(url, "rollback");
    await new Promise((r) => setTimeout(r, 300));
    const run = await app.rollback(ENV);
    await new Promise((r) => setTimeout(r, 300));
    const seen = await users.stop();
    expect(run).toExit(0);
    expect(seen.statuses).toEqual({ 201: seen.ids.length });
    expect(ledger(ENV).at(-1)).toMatchObject({
      kind: "rollback",
      sha: before.previousSha,
      result: "rolled_back",
      mode: "swap",
      slot: to,
    });
    expect(await served(url)).toBe(before.previousSha);
    const project = (slot: string) => (slot === "a" ? "example-staging" : "example-staging_b");
    expect(projectContainers(project(before.slot))).toEqual([]);
    expect(projectContainers(project(to)).length).toBe(2);
  });
  it("the maintenance path runs in whichever slot is live: a restore-db rollback, then a migration", async () => {
    const live = read("slot").split(" ")[0] ?? "a";
    const project = live === "a" ? "example-staging" : "example-staging_b";
    const back = await app.rollback(ENV, { sha: v1.sha, database: "restore" });
    expect(back).toExit(0);
    expect(ledger(ENV).at(-1)).toMatchObject({
      kind: "rollback",
      sha: v1.sha,
      mode: "maintenance",
      slot: live,
    });
    expect(await served(url)).toBe(v1.sha);
    const forward = await deploy(v2);
    expect(forward).toExit(0);
    expect(ledger(ENV).at(-1)).toMatchObject({
      sha: v2.sha,
      mode: "maintenance",
      slot: live,
      migrated: true,
    });
    expect(await served(url)).toBe(v2.sha);
    expect(projectContainers(project).length).toBe(2);
    expect(projectContainers(live === "a" ? "example-staging_b" : "example-staging")).toEqual([]);
    expect(execFileSync("sqlite3", [db, "PRAGMA integrity_check"]).toString().trim()).toBe("ok");
  });
});

function projectContainers(project: string): string[] {
  return execFileSync("docker", ["ps", "-q", "--filter", `label=com.docker.compose.project=${project}`])
    .toString()
    .split("\n")
    .filter(Boolean);
}

// npm run bench [-- --runs N] [--db-mb MB] [--rate R]
//
// berth's numbers, measured on the lab and side by side with two baselines run in the
// same way under the same load:
//   berth            actions/deploy of a migration release (the maintenance path: backup, migrate, start, ready)
//   berth-swap       actions/deploy of a release whose migration changes nothing (the swap path: no window)
//   rollbacks        actions/rollback keeping the database (swap) and restoring it (maintenance)
//   broken migration a release whose migration fails: refused in its rehearsal
//   compose-pull-up  `docker-compose pull && up -d`, then the migration, over SSH (what most teams do)
//   classic          `down` → copy the DB → migrate → `up -d`, over SSH
// Each deploy moves the example app from v1 (schema 2) to v2 (migration 3) while a client
// reads and writes through nginx at a constant, bounded rate. Also: SQLite backup
// throughput against cp, an online backup under a busy writer, the action's cold start,
// and SSH connections per deploy. Results: bench/results/latest.json (+ a dated copy),
// a markdown table on stdout; docs/ops/performance.md explains the method.
import { execFile, execFileSync, spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { browserFetch } from "../scripts/lib/browser-fetch.mjs";
import {
  labInputs,
  labUp,
  resetEnvironment,
  root,
  runAction,
  sh,
  versionAt,
} from "../scripts/lib/runner.mjs";
import { offsiteThroughput } from "./offsite.mjs";

const { values: opts } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    "db-mb": { type: "string", default: "200" },
    rate: { type: "string", default: "50" },
  },
});
const RUNS = Number(opts.runs);
const DB_MB = Number(opts["db-mb"]);
const RATE = Number(opts.rate);
if (!(RUNS >= 1 && RUNS <= 50) || !(DB_MB >= 1 && DB_MB <= 4096) || !(RATE >= 1 && RATE <= 200)) {
  console.error("bench: --runs 1..50, --db-mb 1..4096, --rate 1..200 (requests per second)");
  process.exit(2);
}

const log = (m) => console.error(`[bench] ${m}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const r = (x) => Math.round(x * 100) / 100;
  return { min: r(s[0]), median: r(s[Math.floor((s.length - 1) / 2)]), max: r(s.at(-1)), n: s.length };
};

log("lab up");
const lab = labUp();
if (!existsSync(join(root, "examples/app/node_modules")))
  sh("npm", ["ci", "--prefix", join(root, "examples/app")]);
const { ssh, registry } = labInputs(lab);
const ws = mkdtempSync(join(tmpdir(), "berth-bench-"));
cpSync(join(root, "examples/app"), ws, { recursive: true });
const runner = { GITHUB_WORKSPACE: ws, GITHUB_ACTOR: "bench" };
const sshdLog = join(lab.labDir, "ssh", "sshd.log");
const logins = () => (readFileSync(sshdLog, "utf8").match(/Accepted publickey/g) ?? []).length;

// --- releases -----------------------------------------------------------------------
async function build(knobs) {
  const sha = execFileSync("openssl", ["rand", "-hex", "20"], { encoding: "utf8" }).trim();
  const r = await runAction(
    "build-push",
    { sha, "build-args": [`GIT_SHA=${sha}`, ...knobs].join("\n"), ...registry },
    runner,
  );
  if (r.exitCode !== 0) throw new Error("build-push failed");
  return { sha, images: r.outputs.images };
}
log("building v1 (schema 2) and v2 (migration 3)");
const v1 = await build(["MAX_MIGRATION=2"]);
const v2 = await build([]);
log("building v3 (no schema change) and a release whose migration fails");
const v3 = await build([]);
const vBad = await build(["FAIL_MIGRATION=1"]);

// --- the client -----------------------------------------------------------------------
/** Constant-rate client through nginx (alternating reads and writes); bounded in count and time. */
function client(baseUrl) {
  const results = [];
  let stop = false;
  const maxRequests = RATE * 600;
  const done = (async () => {
    const t0 = performance.now();
    const inflight = [];
    for (let i = 0; i < maxRequests && !stop; i++) {
      const due = t0 + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const at = performance.now();
      const write = i % 2 === 1;
      inflight.push(
        browserFetch(`${baseUrl}${write ? "/api/notes" : "/api/notes/count"}`, () => ({
          method: write ? "POST" : "GET",
          headers: write ? { "content-type": "application/json" } : {},
          body: write ? JSON.stringify({ text: `bench-${i}` }) : undefined,
          signal: AbortSignal.timeout(5000),
        }))
          .then(async ({ res, resent }) => {
            await res.arrayBuffer();
            results.push({ at, status: res.status, resent });
          })
          .catch((e) =>
            results.push({
              at,
              status: "error",
              resent: 0,
              why: `${e.cause?.code ?? e.name}: ${e.cause?.message ?? e.message}`,
            }),
          ),
      );
    }
    await Promise.all(inflight);
  })();
  return {
    async end() {
      stop = true;
      await done;
      const bad = results.filter((r) => r.status === 503).map((r) => r.at);
      const window503Seconds = bad.length ? (Math.max(...bad) - Math.min(...bad)) / 1000 + 1 / RATE : 0;
      const otherErrors = results.filter(
        (r) => r.status !== 503 && !(r.status >= 200 && r.status < 300),
      ).length;
      // What each non-2xx, non-503 answer was (a status, or why no answer came), for the record.
      const errorKinds = {};
      for (const r of results)
        if (r.status !== 503 && !(r.status >= 200 && r.status < 300)) {
          const k = r.status === "error" ? r.why : `HTTP ${r.status}`;
          errorKinds[k] = (errorKinds[k] ?? 0) + 1;
        }
      // Requests sent again after a kept-alive connection closed unanswered (nginx's
      // reload), as a browser does (scripts/lib/browser-fetch.mjs): not failures, but counted.
      const resent = results.reduce((n, r) => n + r.resent, 0);
      return { requests: results.length, window503Seconds, otherErrors, errorKinds, resent };
    },
  };
}

async function underLoad(baseUrl, fn) {
  const c = client(baseUrl);
  await sleep(1000);
  const t0 = performance.now();
  await fn();
  const deploySeconds = (performance.now() - t0) / 1000;
  await sleep(1000);
  return { deploySeconds, ...(await c.end()) };
}

async function deploy(env, r, { result = "succeeded" } = {}) {
  const d = await runAction(
    "deploy",
    { environment: env, sha: r.sha, images: r.images, ...ssh, ...registry },
    runner,
  );
  if (d.outputs.result !== result || (result === "succeeded") !== (d.exitCode === 0))
    throw new Error(
      `deploy of ${r.sha} to ${env}: ${d.outputs.result} (exit ${d.exitCode}), expected ${result}`,
    );
  return d;
}

const lastLedgerLine = (env) =>
  readFileSync(join(lab.vps.root, env, "releases.log"), "utf8")
    .trim()
    .split("\n")
    .map(JSON.parse)
    .at(-1);

async function rollback(env, inputs) {
  const rb = await runAction("rollback", { environment: env, ...inputs, ...ssh, ...registry }, runner);
  if (rb.exitCode !== 0) throw new Error(`rollback of ${env} (${JSON.stringify(inputs)}) failed`);
}

// --- baselines over SSH (as an SSH action would run them) -----------------------------------
// Asynchronous, so the load client keeps its rate while the baseline runs.
const sshCmd = (script) =>
  promisify(execFile)(
    "ssh",
    [
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      `UserKnownHostsFile=${join(lab.labDir, "ssh", "known_hosts")}`,
      "-i",
      lab.ssh.privateKeyPath,
      "-p",
      String(lab.ssh.port),
      `${lab.ssh.user}@${lab.ssh.host}`,
      script,
    ],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
writeFileSync(join(lab.labDir, "ssh", "known_hosts"), `${lab.ssh.knownHosts}\n`);

/** The baseline's compose invocation on the server: the app's compose file, images by tag. */
function baselineScript(env, r, steps) {
  const dir = `${lab.vps.root}/baseline-${env}`;
  const images = JSON.parse(r.images);
  const override = [
    'version: "3.8"',
    "services:",
    ...Object.entries(images).flatMap(([svc, i]) => [`  ${svc}:`, `    image: ${i.repo}:${r.sha}`]),
  ].join("\n");
  return `set -euo pipefail
mkdir -p ${dir}
cat > ${dir}/compose.yml <<'YML'
${readFileSync(join(ws, "compose.yml"), "utf8")}
YML
cat > ${dir}/override.yml <<'YML'
${override}
YML
dc() { docker-compose -p example-${env} --project-directory ${lab.vps.root}/${env} --env-file ${lab.vps.root}/env/${env}.env -f ${dir}/compose.yml -f ${dir}/override.yml "$@"; }
${steps}
for _ in $(seq 1 240); do curl -fsS -o /dev/null http://127.0.0.1:${env === "staging" ? 23100 : 24100}/readyz && exit 0; sleep 0.25; done
echo "not ready" >&2; exit 1
`;
}
const db = (env) => `${lab.vps.root}/${env}/data/app.db`;
const BASELINES = {
  "compose-pull-up": () => "dc pull -q && dc up -d && dc run --rm -T backend node backend/migrate.js",
  classic: (env) =>
    `dc down && cp ${db(env)} ${db(env)}.bak && dc run --rm -T backend node backend/migrate.js && dc up -d`,
};

// --- the runs -----------------------------------------------------------------------------
const samples = {
  berth: [],
  "berth-swap": [],
  "rollback keep-db": [],
  "rollback restore-db": [],
  "broken migration": [],
  "compose-pull-up": [],
  classic: [],
};
const phaseSamples = {};
const rollbackSeconds = [];
const sshPerDeploy = [];
for (let run = 1; run <= RUNS; run++) {
  log(`run ${run}/${RUNS}: berth`);
  resetEnvironment(lab, "staging");
  await deploy("staging", v1);
  const before = logins();
  const m = await underLoad(lab.nginx.staging, async () => {
    await deploy("staging", v2);
  });
  sshPerDeploy.push(logins() - before);
  const ledgerLine = readFileSync(join(lab.vps.root, "staging", "releases.log"), "utf8")
    .trim()
    .split("\n")
    .map(JSON.parse)
    .at(-1);
  if ((await versionAt(lab.nginx.staging)) !== v2.sha) throw new Error("berth: v2 is not served");
  samples.berth.push({ ...m, serverSeconds: ledgerLine.totalSeconds });
  for (const [p, s] of Object.entries(ledgerLine.durations)) {
    phaseSamples[p] = [...(phaseSamples[p] ?? []), s];
  }

  // The swap path: a release whose migration changes nothing, then a keep-db rollback.
  log(`run ${run}/${RUNS}: berth-swap, rollbacks, a broken migration`);
  const swap = await underLoad(lab.nginx.staging, () => deploy("staging", v3));
  const swapLine = lastLedgerLine("staging");
  if (swapLine.mode !== "swap" || (await versionAt(lab.nginx.staging)) !== v3.sha)
    throw new Error(`berth-swap: mode ${swapLine.mode}, serving ${await versionAt(lab.nginx.staging)}`);
  samples["berth-swap"].push({ ...swap, serverSeconds: swapLine.totalSeconds });
  const keep = await underLoad(lab.nginx.staging, () => rollback("staging", {}));
  if (lastLedgerLine("staging").mode !== "swap" || (await versionAt(lab.nginx.staging)) !== v2.sha)
    throw new Error("rollback keep-db: not a swap to v2");
  samples["rollback keep-db"].push(keep);
  // A migration that fails its rehearsal: refused, nothing changes, no window.
  const bad = await underLoad(lab.nginx.staging, () => deploy("staging", vBad, { result: "refused" }));
  if ((await versionAt(lab.nginx.staging)) !== v2.sha)
    throw new Error("broken migration: v2 no longer served");
  samples["broken migration"].push(bad);
  // Back across the migration: the database restored, in the maintenance window.
  const restore = await underLoad(lab.nginx.staging, () =>
    rollback("staging", { sha: v1.sha, database: "restore" }),
  );
  if ((await versionAt(lab.nginx.staging)) !== v1.sha)
    throw new Error("rollback restore-db: v1 is not served");
  samples["rollback restore-db"].push(restore);
  rollbackSeconds.push(restore.deploySeconds);

  for (const [name, steps] of Object.entries(BASELINES)) {
    log(`run ${run}/${RUNS}: ${name}`);
    resetEnvironment(lab, "production");
    await deploy("production", v1);
    // A baseline may fail (e.g. its migration meets "database is locked" while the app
    // serves writes): that is a result to report, not a reason to stop the bench.
    let failed = false;
    const b = await underLoad(lab.nginx.production, async () => {
      try {
        await sshCmd(baselineScript("production", v2, steps("production")));
      } catch (e) {
        failed = true;
        log(
          `${name} failed: ${
            String(e.stderr ?? e.message)
              .trim()
              .split("\n")
              .at(-2) ?? ""
          }`,
        );
      }
    });
    if (!failed && (await versionAt(lab.nginx.production)) !== v2.sha) failed = true;
    samples[name].push({ ...b, failed });
  }
}
resetEnvironment(lab, "production");

// --- SQLite backups -----------------------------------------------------------------------
log(`SQLite: generating a ${DB_MB} MB database`);
const dbDir = mkdtempSync(join(tmpdir(), "berth-bench-db-"));
const big = join(dbDir, "big.db");
const rows = Math.ceil((DB_MB * 1024 * 1024) / 4096);
execFileSync("sqlite3", [
  big,
  `PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB);
   WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${rows}) INSERT INTO t(b) SELECT randomblob(4000) FROM c;`,
]);
const mb = statSync(big).size / 1048576;
const timeBash = (script, ...args) => {
  const out = execFileSync("bash", ["-c", script, "bench", ...args], {
    encoding: "utf8",
    env: { ...process.env, BERTH_SCRIPTS: join(root, "vps-scripts") },
  });
  return JSON.parse(out.trim().split("\n").at(-1));
};
const backupScript = `set -euo pipefail
. "$BERTH_SCRIPTS/lib/common.sh"; . "$BERTH_SCRIPTS/lib/sqlite.sh"
db=$1; dir=$2
t0=$(now_us); cp -- "$db" "$dir/cp.db"; cp_s=$(seconds_since "$t0")
t0=$(now_us); sqlite_backup_stopped "$db" "$dir/berth.db" >/dev/null; total_s=$(seconds_since "$t0")
t0=$(now_us); sqlite_check "$dir/berth.db"; verify_s=$(seconds_since "$t0")
rm -f "$dir/cp.db" "$dir/berth.db"
printf '{"cp":%s,"total":%s,"verify":%s}\\n' "$cp_s" "$total_s" "$verify_s"`;
const backups = [];
for (let i = 0; i < 3; i++) backups.push(timeBash(backupScript, big, dbDir));
const med = (k) => stats(backups.map((b) => b[k])).median;
const berthSeconds = Math.max(med("total") - med("verify"), 0.001);
log("SQLite: the same backup of a copy in a named volume, through berth's SQLite helper container");
const volumeBackupScript = `set -euo pipefail
. "$BERTH_SCRIPTS/lib/common.sh"; . "$BERTH_SCRIPTS/lib/sqlite.sh"; . "$BERTH_SCRIPTS/lib/sqlite-helper.sh"
db=$1 dir=$2 vol=$3 PHASE=bench
image=$(helper_image)
# The volume holds the file as an app's uid (4242) would: berth must use the helper.
docker volume create "$vol" >/dev/null
docker run --rm --network none --mount "type=volume,source=$vol,target=/v" \\
  --mount "type=bind,source=$dir,target=/src,readonly" "$image" \\
  bash -c 'cp -- /src/"$1" /v/big.db && chown -R 4242:4242 /v' copy "$(basename -- "$db")"
t0=$(now_us); db_backup stopped "$vol:big.db" "$dir/volume.db"; total_s=$(seconds_since "$t0")
rm -f "$dir/volume.db"
docker volume rm "$vol" >/dev/null
printf '{"total":%s}\\n' "$total_s"`;
const volumeBackups = [];
for (let i = 0; i < 3; i++)
  volumeBackups.push(
    JSON.parse(
      execFileSync("bash", ["-c", volumeBackupScript, "bench", big, dbDir, `berth-bench-volume-${i}`], {
        encoding: "utf8",
        env: { ...process.env, BERTH_SCRIPTS: join(root, "vps-scripts"), BERTH_ROOT: lab.vps.root },
      })
        .trim()
        .split("\n")
        .at(-1),
    ),
  );
// The helper's copy includes its own quick_check, as berth's does on a host path.
const volumeSeconds = stats(volumeBackups.map((b) => b.total)).median;
log("SQLite: online backup with a writer committing every 5 ms");
const writer = spawn("bash", [
  "-c",
  `for i in $(seq 1 20000); do sqlite3 "$1" "PRAGMA busy_timeout=5000; INSERT INTO t(b) VALUES (randomblob(100));" || exit 1; sleep 0.005; done`,
  "writer",
  big,
]);
await sleep(500);
const online = timeBash(
  `set -euo pipefail
. "$BERTH_SCRIPTS/lib/common.sh"; . "$BERTH_SCRIPTS/lib/sqlite.sh"
t0=$(now_us); sqlite_backup_online "$1" "$2/online.db" >/dev/null; s=$(seconds_since "$t0")
printf '{"seconds":%s}\\n' "$s"`,
  big,
  dbDir,
);
writer.kill();
const onlineOk =
  execFileSync("sqlite3", [join(dbDir, "online.db"), "PRAGMA quick_check"], { encoding: "utf8" }).trim() ===
  "ok";
log("offsite: restic over the lab's sftp account, first and incremental backup");
const offsite = offsiteThroughput(lab, big);
rmSync(dbDir, { recursive: true, force: true });

// --- action cold start ----------------------------------------------------------------------
const cold = [];
for (let i = 0; i < 5; i++) {
  const r = await runAction("deploy", { environment: "Not Valid" }, runner);
  if (r.exitCode === 0) throw new Error("cold start probe: an invalid input was accepted");
  cold.push(r.seconds * 1000);
}

// --- results --------------------------------------------------------------------------------
const summarize = (xs) => ({
  deploySeconds: stats(xs.map((x) => x.deploySeconds)).median,
  window503Seconds: stats(xs.map((x) => x.window503Seconds)).median,
  otherErrors: stats(xs.map((x) => x.otherErrors)).median,
  otherErrorsMax: stats(xs.map((x) => x.otherErrors)).max,
  requestsPerRun: stats(xs.map((x) => x.requests)).median,
  failedRuns: xs.filter((x) => x.failed).length,
  errorKinds: xs.map((x) => x.errorKinds ?? {}).filter((k) => Object.keys(k).length > 0),
  resentMax: stats(xs.map((x) => x.resent ?? 0)).max,
  deploySecondsRange: stats(xs.map((x) => x.deploySeconds)),
  window503SecondsRange: stats(xs.map((x) => x.window503Seconds)),
});
const berthPhases = Object.fromEntries(Object.entries(phaseSamples).map(([p, xs]) => [p, stats(xs)]));
const result = {
  date: new Date().toISOString(),
  machine: { cpus: (await import("node:os")).cpus().length, node: process.version },
  runs: RUNS,
  rateRps: RATE,
  systems: {
    berth: {
      ...summarize(samples.berth),
      rollbackSeconds: stats(rollbackSeconds).median,
      rollbackSecondsRange: stats(rollbackSeconds),
      phases: berthPhases,
      serverSeconds: stats(samples.berth.map((s) => s.serverSeconds)),
      sshConnectionsPerDeploy: stats(sshPerDeploy).median,
    },
    "berth-swap": {
      ...summarize(samples["berth-swap"]),
      serverSeconds: stats(samples["berth-swap"].map((s) => s.serverSeconds)),
    },
    "rollback keep-db": summarize(samples["rollback keep-db"]),
    "rollback restore-db": summarize(samples["rollback restore-db"]),
    "broken migration": summarize(samples["broken migration"]),
    "compose-pull-up": summarize(samples["compose-pull-up"]),
    classic: summarize(samples.classic),
  },
  backup: {
    dbMB: Math.round(mb),
    cpMBps: Math.round(mb / med("cp")),
    berthMBps: Math.round(mb / berthSeconds),
    // berth's backup of the same file in a named volume (helper container), checked copy
    // included: compare with berthMBps + its quick_check, i.e. mb / (total).
    namedVolumeMBps: Math.round(mb / volumeSeconds),
    bindMountWithCheckMBps: Math.round(mb / med("total")),
    verifyMBps: Math.round(mb / med("verify")),
    onlineUnderWriterSeconds: online.seconds,
    onlineBackupOk: onlineOk,
  },
  offsite,
  actionColdStartMs: stats(cold),
};
const b = result.systems.berth;
const target =
  b.phases.backup.median + b.phases.migrate.median + b.phases.start.median + b.phases.ready.median + 1;
const sys = result.systems;
result.targets = {
  berthOtherErrorsZero: b.otherErrorsMax === 0,
  swapNoNon2xx: sys["berth-swap"].otherErrorsMax === 0 && sys["berth-swap"].window503SecondsRange.max === 0,
  keepDbRollbackNoNon2xx:
    sys["rollback keep-db"].otherErrorsMax === 0 && sys["rollback keep-db"].window503SecondsRange.max === 0,
  brokenMigrationNoNon2xx:
    sys["broken migration"].otherErrorsMax === 0 && sys["broken migration"].window503SecondsRange.max === 0,
  restoreDbRollbackOnly503: sys["rollback restore-db"].otherErrorsMax === 0,
  window503WithinBackupMigrateStartReadyPlus1s: b.window503Seconds <= target,
  window503LimitSeconds: Math.round(target * 100) / 100,
  rollbackUnder10s: b.rollbackSeconds < 10,
  backupAtLeastHalfOfCp: result.backup.berthMBps >= result.backup.cpMBps / 2,
  namedVolumeBackupAtLeastHalfOfCp: result.backup.namedVolumeMBps >= result.backup.cpMBps / 2,
};

mkdirSync(join(root, "bench", "results"), { recursive: true });
const json = `${JSON.stringify(result, null, 2)}\n`;
writeFileSync(join(root, "bench", "results", "latest.json"), json);
writeFileSync(join(root, "bench", "results", `${result.date.slice(0, 10)}.json`), json);

const row = (name, s, extra = "") =>
  `| ${name} | ${s.deploySeconds} | ${s.window503Seconds} | ${s.otherErrors} (max ${s.otherErrorsMax}) | ${s.resentMax} | ${s.failedRuns ?? 0}/${RUNS} | ${extra} |`;
const table = `
### berth bench — ${result.date.slice(0, 10)}, ${RUNS} runs, ${RATE} req/s through nginx (medians)

| system | deploy s | 503 window s | other errors | resent (max) | failed deploys | rollback s |
| --- | --- | --- | --- | --- | --- | --- |
${row("berth (migration: maintenance path)", b, String(b.rollbackSeconds))}
${row("berth-swap (no schema change)", sys["berth-swap"], "—")}
${row("berth rollback keep-db (swap)", sys["rollback keep-db"], "—")}
${row("berth rollback restore-db (maintenance)", sys["rollback restore-db"], "—")}
${row("berth broken migration (refused)", sys["broken migration"], "—")}
${row("compose-pull-up", result.systems["compose-pull-up"], "—")}
${row("classic", result.systems.classic, "—")}

berth/compose-pull-up deploy time: ${(b.deploySeconds / result.systems["compose-pull-up"].deploySeconds).toFixed(2)}×, berth/classic: ${(b.deploySeconds / result.systems.classic.deploySeconds).toFixed(2)}×

| berth phase | min | median | max |
| --- | --- | --- | --- |
${Object.entries(berthPhases)
  .map(([p, s]) => `| ${p} | ${s.min} | ${s.median} | ${s.max} |`)
  .join("\n")}

| SQLite backup (${result.backup.dbMB} MB) | MB/s |
| --- | --- |
| cp | ${result.backup.cpMBps} |
| berth backup (checkpoint + copy under a read transaction) | ${result.backup.berthMBps} |
| its quick_check | ${result.backup.verifyMBps} |
| berth backup with its check, bind mount (deploy user) | ${result.backup.bindMountWithCheckMBps} |
| berth backup with its check, named volume (SQLite helper container) | ${result.backup.namedVolumeMBps} |

| offsite backup, restic over sftp (${offsite.dbMB} MB) | MB/s | seconds |
| --- | --- | --- |
| first run | ${offsite.firstMBps} | ${offsite.firstSeconds} |
| incremental, 1% of rows rewritten + 1% added (${offsite.incrementalAddedMB} MB added) | ${offsite.incrementalMBps} | ${offsite.incrementalSeconds} |

Online backup with a writer committing every 5 ms: ${online.seconds} s, ${onlineOk ? "quick_check ok" : "CHECK FAILED"}.
Action cold start: ${result.actionColdStartMs.median} ms (median). SSH connections per deploy: ${b.sshConnectionsPerDeploy}.

Targets: ${Object.entries(result.targets)
  .map(([k, v]) => `${k}=${v}`)
  .join(", ")}
`;
console.log(table);
// The latest table also goes into docs/ops/performance.md, between its markers.
const doc = join(root, "docs", "ops", "performance.md");
const text = readFileSync(doc, "utf8");
const start = text.indexOf("<!-- bench:start -->");
const end = text.indexOf("<!-- bench:end -->");
if (start >= 0 && end > start) {
  writeFileSync(doc, `${text.slice(0, start)}<!-- bench:start -->\n${table.trim()}\n${text.slice(end)}`);
}

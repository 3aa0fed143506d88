// Offsite backup throughput (docs/ops/offsite.md): restic over the lab's sftp account, as
// the deploy user, for a database of the bench's size — the first run (everything is new)
// and an incremental one after 1% of the rows changed and 1% were added (restic sends
// only the chunks it has not seen).
// Used by bench/run.mjs; runnable alone: node bench/offsite.mjs <db file>.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

/** @returns {{dbMB: number, firstMBps: number, firstSeconds: number, incrementalMBps: number, incrementalSeconds: number, incrementalAddedMB: number}} */
export function offsiteThroughput(lab, db) {
  const name = `bench-${randomBytes(4).toString("hex")}`;
  const repo = `${lab.offsite.repositoryBase}/${name}`;
  const stage = mkdtempSync("/var/tmp/berth-bench-offsite-");
  try {
    copyFileSync(db, join(stage, "0.db"));
    chmodSync(stage, 0o755);
    execFileSync("chown", ["-R", "deploy:deploy", stage]);
    const env = {
      ...process.env,
      RESTIC_PASSWORD: randomBytes(24).toString("hex"),
      HOME: "/home/deploy",
      XDG_CACHE_HOME: join(stage, ".cache"),
    };
    const restic = (...args) =>
      execFileSync("runuser", ["-u", "deploy", "--", "restic", "--repo", repo, ...args], {
        env,
        cwd: stage,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      });
    restic("init");
    const backup = () => {
      const t0 = process.hrtime.bigint();
      const out = restic("backup", "--json", "--exclude", ".cache", ".");
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const summary = JSON.parse(
        out
          .trim()
          .split("\n")
          .filter((l) => l.includes('"summary"'))
          .at(-1),
      );
      return { seconds, added: summary.data_added };
    };
    const mb = statSync(join(stage, "0.db")).size / 1048576;
    const first = backup();
    // A day of an app's writes: 1% of the rows rewritten in one range, 1% appended.
    execFileSync("sqlite3", [
      join(stage, "0.db"),
      `UPDATE t SET b = randomblob(4000) WHERE id <= (SELECT max(id) / 100 FROM t);
       INSERT INTO t(b) SELECT randomblob(4000) FROM t WHERE id <= (SELECT max(id) / 100 FROM t);`,
    ]);
    const second = backup();
    execFileSync("runuser", ["-u", "deploy", "--", "restic", "--repo", repo, "check"], { env, cwd: stage });
    const r = (x) => Math.round(x * 100) / 100;
    return {
      dbMB: Math.round(mb),
      firstSeconds: r(first.seconds),
      firstMBps: Math.round(mb / first.seconds),
      incrementalSeconds: r(second.seconds),
      incrementalMBps: Math.round(mb / second.seconds),
      incrementalAddedMB: r(second.added / 1048576),
    };
  } finally {
    rmSync(stage, { recursive: true, force: true });
    rmSync(join(lab.offsite.repositories, name), { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const lab = JSON.parse(execFileSync("bash", ["test/lab/lab.sh", "env"], { encoding: "utf8" }));
  console.log(JSON.stringify(offsiteThroughput(lab, process.argv[2])));
}

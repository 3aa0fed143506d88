/**
 * Where the lab minutes go: after a run, one line per test file (seconds, slowest first)
 * and one per capability of test/lab-budget.json (its files' minutes against its budget).
 * A capability over its budget is named, not failed: speed targets live in the benchmark,
 * and a loaded machine is slower. The budget is what the other issues plan against: a new
 * lab test joins a capability's files and fits in its minutes, or the budget is changed
 * on purpose (docs/ops/ci.md).
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import type { Reporter, TestModule } from "vitest/node";

interface Budget {
  minutes: number;
  files: string[];
}

const root = new URL("../..", import.meta.url).pathname;
const budgets = JSON.parse(readFileSync(new URL("../lab-budget.json", import.meta.url), "utf8")) as {
  capabilities: Record<string, Budget>;
};

function seconds(m: TestModule): number {
  const d = m.diagnostic();
  return (d.duration + d.collectDuration + d.setupDuration) / 1000;
}

export default class TimingsReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const files = modules
      .map((m) => ({ file: relative(root, m.moduleId), project: m.project.name, s: seconds(m) }))
      .sort((a, b) => b.s - a.s);
    if (files.length === 0) return;
    const lines = ["", "timings (seconds per test file, slowest first):"];
    for (const f of files) lines.push(`  ${f.s.toFixed(1).padStart(7)}  ${f.project.padEnd(4)}  ${f.file}`);
    const total = files.reduce((n, f) => n + f.s, 0);
    lines.push(`  ${total.toFixed(1).padStart(7)}  total`);
    const seen = new Set(files.map((f) => f.file));
    const capabilities = Object.entries(budgets.capabilities).filter(([, b]) =>
      b.files.some((f) => seen.has(f)),
    );
    if (capabilities.length > 0) {
      lines.push("", "lab minutes per capability (test/lab-budget.json):");
      for (const [name, b] of capabilities) {
        const used = files.filter((f) => b.files.includes(f.file)).reduce((n, f) => n + f.s, 0) / 60;
        const flag = used > b.minutes ? "  OVER BUDGET" : "";
        lines.push(
          `  ${used.toFixed(1).padStart(5)} of ${b.minutes.toFixed(1).padStart(4)} min  ${name}${flag}`,
        );
      }
      const unbudgeted = files.filter(
        (f) =>
          f.project === "lab" && !Object.values(budgets.capabilities).some((b) => b.files.includes(f.file)),
      );
      for (const f of unbudgeted)
        lines.push(`  no capability lists ${f.file}: add it to test/lab-budget.json`);
    }
    process.stdout.write(`${lines.join("\n")}\n`);
  }
}

import { defineConfig } from "vitest/config";

// Two layers: `unit` is pure and fast; `lab` talks to the real parts that
// `npm run lab -- up` starts (dockerd, registry, sshd, nginx) and runs serially
// because the lab is one shared VPS.
export default defineConfig({
  test: {
    // Per-file seconds and each capability's lab minutes against its budget (test/lab-budget.json).
    reporters: ["default", "./test/helpers/timings-reporter.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts", "test/app/**/*.test.ts"],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "lab",
          include: ["test/integration/**/*.test.ts", "test/e2e/**/*.test.ts", "test/faults/**/*.test.ts"],
          // A failing run says why: expect(run).toExit(n) prints its ledger line, phase and log tail.
          setupFiles: ["test/helpers/outcome.ts"],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          sequence: { concurrent: false },
        },
      },
    ],
  },
});

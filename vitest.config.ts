import { defineConfig } from "vitest/config";

// Two layers: `unit` is pure and fast; `lab` talks to the real parts that
// `npm run lab -- up` starts (dockerd, registry, sshd, nginx) and runs serially
// because the lab is one shared VPS.
export default defineConfig({
  test: {
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
          include: [
            "test/integration/**/*.test.ts",
            "test/vps/**/*.test.ts",
            "test/e2e/**/*.test.ts",
            "test/faults/**/*.test.ts",
          ],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          sequence: { concurrent: false },
        },
      },
    ],
  },
});

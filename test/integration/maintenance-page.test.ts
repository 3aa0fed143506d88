/**
 * The maintenance page as a visitor sees it: served by the lab's nginx from the flag
 * file, opened in a real headless Chromium (Debian's, driven by playwright-core). The
 * page must render on its own — no request leaves the site — and a screenshot is kept
 * in test-results/ for a human to look at.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { labEnv, repoRoot } from "../helpers/lab.js";

const CHROMIUM = "/usr/bin/chromium";

describe("the maintenance page in a browser", () => {
  it("renders from nginx with no external requests", async () => {
    expect(existsSync(CHROMIUM), "Debian's chromium (.ci/run installs it)").toBe(true);
    const lab = labEnv();
    const flagDir = join(lab.vps.root, "production", "maintenance");
    execFileSync("install", ["-d", "-o", "deploy", "-g", "deploy", flagDir]);
    const flag = join(flagDir, "MAINTENANCE_ON");
    writeFileSync(flag, "{}\n");
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1024, height: 640 } });
      const requests: string[] = [];
      page.on("request", (r) => {
        requests.push(r.url());
      });
      const res = await page.goto(`${lab.nginx.production}/some/page`, { waitUntil: "networkidle" });
      expect(res?.status()).toBe(503);
      expect(await res?.headerValue("retry-after")).toBe("30");
      expect(await page.title()).toBe("Down for maintenance");
      await expect.poll(() => page.locator("h1").innerText()).toBe("We'll be right back");
      expect(await page.locator("h1").isVisible()).toBe(true);
      const origin = new URL(lab.nginx.production).origin;
      expect(requests.filter((u) => !u.startsWith(origin))).toEqual([]);
      mkdirSync(join(repoRoot, "test-results"), { recursive: true });
      const shot = join(repoRoot, "test-results", "maintenance-page.png");
      await page.screenshot({ path: shot });
      expect(statSync(shot).size).toBeGreaterThan(5_000);
    } finally {
      await browser.close();
      execFileSync("rm", ["-f", flag]);
    }
  });
});

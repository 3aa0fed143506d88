/**
 * vps-scripts/VERSION (scripts/scripts-version.mjs): the serial `berth install` compares
 * grows whenever the installed files change, and only then; the committed file matches
 * the scripts as they are (scripts/check-dist.mjs enforces the same in npm test).
 */
import { appendFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  readVersion,
  renderVersion,
  treeDigest,
  updateVersion,
  wantedVersion,
} from "../../scripts/scripts-version.mjs";
import { repoRoot, tempDir } from "../helpers/lab.js";

/** A copy of what the version covers, plus package.json, in a scratch directory. */
function copy(): string {
  const dir = tempDir("berth-scripts-version-");
  for (const part of ["vps-scripts", "nginx"])
    cpSync(join(repoRoot, part), join(dir, part), { recursive: true });
  cpSync(join(repoRoot, "package.json"), join(dir, "package.json"));
  return dir;
}

describe("vps-scripts/VERSION", () => {
  it("describes the scripts as committed", () => {
    expect(readFileSync(join(repoRoot, "vps-scripts/VERSION"), "utf8")).toBe(
      renderVersion(wantedVersion(repoRoot)),
    );
  });

  it("raises the serial by one when an installed file changes, and keeps it otherwise", () => {
    const dir = copy();
    const before = readVersion(dir);
    expect(updateVersion(dir)).toEqual(before);
    appendFileSync(join(dir, "vps-scripts/lib/common.sh"), "# changed\n");
    const after = updateVersion(dir);
    expect(after.serial).toBe(before.serial + 1);
    expect(after.tree).not.toBe(before.tree);
    expect(readVersion(dir)).toEqual(after);
    // Built again with nothing changed: the same serial.
    expect(updateVersion(dir).serial).toBe(before.serial + 1);
    // nginx/ is installed too; setup/ is not (berth setup uploads it itself).
    writeFileSync(join(dir, "nginx/maintenance.html"), "<p>other</p>\n");
    expect(updateVersion(dir).serial).toBe(before.serial + 2);
    mkdirSync(join(dir, "vps-scripts/setup"), { recursive: true });
    appendFileSync(join(dir, "vps-scripts/setup/provision.sh"), "# changed\n");
    expect(treeDigest(dir)).toBe(readVersion(dir).tree);
  });

  it("refuses a serial that is not a whole number", () => {
    const dir = copy();
    const text = readFileSync(join(dir, "vps-scripts/VERSION"), "utf8").replace(/^serial=.*$/m, "serial=x");
    writeFileSync(join(dir, "vps-scripts/VERSION"), text);
    expect(() => wantedVersion(dir)).toThrow("serial=NaN is not a whole number");
  });
});

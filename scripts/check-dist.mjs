// Fails when the committed actions/*/dist or cli/dist differ from a fresh build: the
// runner executes dist/, never src/, and so does `npx berth`, so a stale bundle means
// users run old code. Also fails while vps-scripts/VERSION or a module generated from the
// server scripts (scripts/gen-server-facts.mjs: the verbs' headers, the exit codes) is stale.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { EXIT_CODES_FILE, staleFacts, VERBS_FILE } from "./gen-server-facts.mjs";
import { readVersion, renderVersion, VERSION_FILE, wantedVersion } from "./scripts-version.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const fresh = mkdtempSync(join(tmpdir(), "berth-dist-"));
execFileSync(process.execPath, [join(root, "scripts", "build.mjs"), fresh], { cwd: root, stdio: "inherit" });

const files = (dir) =>
  readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
const problems = [];
const bundles = [
  ...readdirSync(join(fresh, "actions")).map((name) => join("actions", name, "dist")),
  join("cli", "dist"),
];
for (const bundle of bundles) {
  const built = join(fresh, bundle);
  const committed = join(root, bundle);
  const a = files(built);
  const b = (() => {
    try {
      return files(committed);
    } catch {
      return [];
    }
  })();
  for (const f of new Set([...a, ...b])) {
    const rel = relative(root, join(committed, f));
    if (f.endsWith(".exe"))
      problems.push(`${rel}: a Windows binary in a bundle (berth ships none; delete it)`);
    if (!a.includes(f)) problems.push(`${rel}: not produced by a fresh build (delete it)`);
    else if (!b.includes(f)) problems.push(`${rel}: missing (run npm run build and commit it)`);
    else if (!readFileSync(join(built, f)).equals(readFileSync(join(committed, f))))
      problems.push(`${rel}: differs from a fresh build (run npm run build and commit it)`);
  }
}
// The server scripts' serial must describe the scripts as they are (install compares it).
{
  const wanted = wantedVersion(root);
  let recorded;
  try {
    recorded = readFileSync(join(root, VERSION_FILE), "utf8");
  } catch {
    recorded = "";
  }
  if (recorded !== renderVersion(wanted))
    problems.push(
      `${VERSION_FILE}: ${recorded ? `serial ${readVersion(root).serial} was written for other server scripts (or another package version)` : "missing"}; run npm run build (it raises the serial) and commit it`,
    );
}
// The runner's copy of the server's verb headers and exit codes must say what vps-scripts/ says.
problems.push(...staleFacts(root));
// The working tree can match a fresh build while HEAD does not: check git too, when there is git.
try {
  const dirty = execFileSync(
    "git",
    ["status", "--porcelain", "--", "actions", "cli", VERSION_FILE, VERBS_FILE, EXIT_CODES_FILE],
    {
      cwd: root,
    },
  )
    .toString()
    .trim();
  if (dirty)
    problems.push(
      `uncommitted changes under actions/, cli/, in vps-scripts/VERSION or the generated server facts (commit the rebuilt dist):\n${dirty}`,
    );
} catch {
  // Not a git checkout (e.g. an unpacked tarball): the byte comparison above still holds.
}
rmSync(fresh, { recursive: true, force: true });
if (problems.length) {
  console.error(
    `check-dist: actions/*/dist, cli/dist or a generated file is stale:\n- ${problems.join("\n- ")}`,
  );
  process.exit(1);
}
console.log("check-dist: actions/*/dist and cli/dist match a fresh build");

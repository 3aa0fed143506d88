// Build recipe (docs/design.md §6): tsc compiles src/ to ES-module JS, then ncc bundles
// each action's entry into one CommonJS dist/index.js that runs on node20 and node24,
// and the `berth` CLI (src/cli/index.ts) the same way into cli/dist/index.js, which the
// committed launcher cli/berth.js (package.json "bin") requires. actions/ and cli/ each
// hold a package.json saying "commonjs", since the repository's own says "module".
// ncc's own TypeScript loader fails with TypeScript 7, and its ESM output crashes on
// ssh2's bundled poly1305 (`__dirname is not defined`), hence the two steps and the
// bundle input placed in a package scope with no "type" (so webpack auto-detects ESM syntax
// and ncc still emits CommonJS).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { writeServerFacts } from "./gen-server-facts.mjs";
import { updateVersion, VERSION_FILE } from "./scripts-version.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// With an argument, the bundles go under that directory instead (actions/<x>/dist,
// cli/dist), for scripts/check-dist.mjs to compare with the committed ones.
const outRoot = process.argv[2] ? resolve(process.argv[2]) : root;
const tscOut = join(root, "build", "tsc");
const bin = (name) => join(root, "node_modules", ".bin", name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: ["ignore", "inherit", "inherit"] });

// The server's verb headers and exit codes, generated for the runner (scripts/gen-server-facts.mjs);
// check-dist's build (with an argument) leaves src/ alone and reports them stale instead.
if (!process.argv[2]) console.log(`wrote ${writeServerFacts(root).join(", ")}`);
rmSync(tscOut, { recursive: true, force: true });
run(bin("tsc"), ["-p", "tsconfig.build.json"]);
writeFileSync(join(tscOut, "package.json"), "{}\n");
// The CLI's verbs against the server's headers: a flag one side has and the other lacks fails the build.
run(process.execPath, ["--no-warnings", join(root, "scripts", "gen-server-facts.mjs"), "--check-cli"]);
// The schema's generated artefacts (JSON Schema, docs/ops/configuration.md).
if (!process.argv[2]) run(process.execPath, ["--no-warnings", join(root, "scripts", "gen-reference.mjs")]);
// The server scripts' serial, raised when they changed (scripts/scripts-version.mjs).
if (!process.argv[2]) console.log(`${VERSION_FILE}: serial ${updateVersion(root).serial}`);

const actions = readdirSync(join(root, "src", "actions"), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, "src", "actions", d.name, "index.ts")))
  .map((d) => d.name)
  .sort();
const bundles = [
  ...actions.map((name) => ({
    entry: join("actions", name, "index.js"),
    dist: join("actions", name, "dist"),
  })),
  { entry: join("cli", "index.js"), dist: join("cli", "dist") },
];
for (const { entry, dist: rel } of bundles) {
  const dist = join(outRoot, rel);
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  run(bin("ncc"), ["build", join(tscOut, entry), "-o", dist, "--quiet", "--license", "licenses.txt"]);
  // ncc copies ssh2's pagent.exe (a Pageant helper its agent code spawns only on
  // Windows). berth runs on Linux runners and servers: no Windows binary is shipped.
  for (const f of readdirSync(dist)) if (f.endsWith(".exe")) rmSync(join(dist, f));
  console.log(`built ${rel}/index.js`);
}

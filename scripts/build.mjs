// Build recipe (DESIGN §6): tsc compiles src/ to ES-module JS, then ncc bundles
// each action's entry into one CommonJS dist/index.js that runs on node20 and node24.
// ncc's own TypeScript loader fails with TypeScript 7, and its ESM output crashes on
// ssh2's bundled poly1305 (`__dirname is not defined`), hence the two steps and the
// bundle input placed in a package scope with no "type" (so webpack auto-detects ESM syntax
// and ncc still emits CommonJS).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outRoot = process.argv[2] ? resolve(process.argv[2]) : join(root, "actions");
const tscOut = join(root, "build", "tsc");
const bin = (name) => join(root, "node_modules", ".bin", name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: ["ignore", "inherit", "inherit"] });

rmSync(tscOut, { recursive: true, force: true });
run(bin("tsc"), ["-p", "tsconfig.build.json"]);
writeFileSync(join(tscOut, "package.json"), "{}\n");
// The schema's generated artefacts (JSON Schema, docs/ops/configuration.md).
if (!process.argv[2]) run(process.execPath, ["--no-warnings", join(root, "scripts", "gen-reference.mjs")]);

const actions = readdirSync(join(root, "src", "actions"), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, "src", "actions", d.name, "index.ts")))
  .map((d) => d.name)
  .sort();
for (const name of actions) {
  const dist = join(outRoot, name, "dist");
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  run(bin("ncc"), [
    "build",
    join(tscOut, "actions", name, "index.js"),
    "-o",
    dist,
    "--quiet",
    "--license",
    "licenses.txt",
  ]);
  console.log(`built actions/${name}/dist/index.js`);
}

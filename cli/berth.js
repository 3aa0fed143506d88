#!/usr/bin/env node
// The `berth` command (package.json "bin", so `npx berth …` in a clone): runs the CLI
// bundled by `npm run build` from src/cli/ into dist/index.js — CommonJS, like the
// actions' bundles (see scripts/build.mjs), hence this directory's package.json.
require("./dist/index.js");

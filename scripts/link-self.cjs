#!/usr/bin/env node
// Makes `import ... from "sparsing-law"` resolve inside this repository (notebooks, scripts) by
// linking node_modules/sparsing-law -> .. (the package root; main/types point at dist/).
// tslab compiles notebook cells with Node10 module resolution and cannot use package.json
// "exports" self-references, so a node_modules entry is the mechanism that works everywhere.
// Idempotent; safe to run from any cwd. Prefer the `"sparsing-law": "file:."` dependency in
// package.json, which makes npm keep this link itself; this script is the fallback and check.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const name = require(path.join(root, 'package.json')).name;
const link = path.join(root, 'node_modules', name);

function pointsToRoot() {
  try {
    return fs.realpathSync(link) === fs.realpathSync(root);
  } catch {
    return false;
  }
}

if (pointsToRoot()) {
  if (process.argv.includes('--verbose')) console.log(`node_modules/${name} -> .. (already linked)`);
  process.exit(0);
}
fs.mkdirSync(path.dirname(link), { recursive: true });
try {
  const st = fs.lstatSync(link);
  if (!st.isSymbolicLink()) {
    console.error(`node_modules/${name} exists and is not a link to the repository; remove it and rerun`);
    process.exit(1);
  }
  fs.unlinkSync(link); // a stale link
} catch (e) {
  if (e.code !== 'ENOENT') throw e;
}
// 'junction' needs no privileges on Windows and is ignored elsewhere; it wants an absolute target.
fs.symlinkSync(process.platform === 'win32' ? root : '..', link, 'junction');
console.log(`linked node_modules/${name} -> ..`);

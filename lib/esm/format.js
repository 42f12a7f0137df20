'use strict';
// Whether a file is an ES module by Node's rules for files: `.mjs`/`.mts`, or `.js`/`.ts` under
// a package.json with `"type": "module"` (the nearest one decides).
const fs = require('node:fs');
const path = require('node:path');

const typeOfDirectory = new Map();

function packageType(directory) {
  if (typeOfDirectory.has(directory)) return typeOfDirectory.get(directory);
  let type;
  try {
    type = JSON.parse(fs.readFileSync(path.join(directory, 'package.json'), 'utf8')).type === 'module' ? 'module' : 'commonjs';
  } catch (error) {
    const parent = path.dirname(directory);
    type = error.code === 'ENOENT' && parent !== directory ? packageType(parent) : 'commonjs';
  }
  typeOfDirectory.set(directory, type);
  return type;
}

function isEsmFile(filename) {
  const extension = path.extname(filename);
  if (extension === '.mjs' || extension === '.mts') return true;
  if (extension === '.js' || extension === '.ts') return packageType(path.dirname(filename)) === 'module';
  return false;
}

/** Directories never looked into for project files. */
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git']);
/** How many directory entries findEsmFile reads at most before it gives up (and says yes). */
const SCAN_LIMIT = 50_000;

/**
 * The first ES module file (`.mjs`, `.mts`, or a `package.json` with `"type": "module"` below a
 * root, which makes its `.js` files ES modules) under `roots`, outside node_modules; undefined
 * when there is none. A project too large to scan within SCAN_LIMIT entries counts as having one.
 */
function findEsmFile(roots) {
  const pending = [...roots];
  let seen = 0;
  while (pending.length > 0) {
    const directory = pending.pop();
    let entries;
    try {
      entries = fs.readdirSync(directory, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (++seen > SCAN_LIMIT) return directory;
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name)) pending.push(full);
      } else if (/\.m[jt]s$/.test(entry.name)) {
        return full;
      } else if (entry.name === 'package.json' && !roots.includes(directory) && packageType(directory) === 'module') {
        return full;
      }
    }
  }
  return undefined;
}

module.exports = { isEsmFile, findEsmFile };

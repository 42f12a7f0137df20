'use strict';
// Where the heap benchmark's reference tools live. memlab is not a devDependency: it pulls ~200
// packages (puppeteer, a node-gyp build) that the product's install has no use for, so it is
// installed on demand into .bench-tmp/memlab, like @airbnb/node-memwatch for the memwatch bench.
// heap-analyze.bench.js needs @memlab/core only; heap-leaks.bench.js also @memlab/api (for
// findLeaksBySnapshotFilePaths; it adds @memlab/e2e and @memlab/heap-analysis, same version).
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const MEMLAB_DIR = path.join(ROOT, '.bench-tmp', 'memlab');
const MEMLAB_CORE = path.join(MEMLAB_DIR, 'node_modules', '@memlab', 'core');
const MEMLAB_API = path.join(MEMLAB_DIR, 'node_modules', '@memlab', 'api');
const MEMLAB_VERSION = '2.0.5';
const INSTALL_MEMLAB = `npm install --prefix .bench-tmp/memlab --no-save @memlab/core@${MEMLAB_VERSION}`;
const INSTALL_MEMLAB_API = `${INSTALL_MEMLAB} @memlab/api@${MEMLAB_VERSION}`;

function installedVersion(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

/**
 * `{ version }` of the installed @memlab/core (and `apiVersion` of @memlab/api with `{ api: true }`),
 * or `{ error }` with the command that installs what is missing.
 */
function memlabInstall({ api = false } = {}) {
  const version = installedVersion(MEMLAB_CORE);
  const apiVersion = api ? installedVersion(MEMLAB_API) : undefined;
  const command = api ? INSTALL_MEMLAB_API : INSTALL_MEMLAB;
  if (!version || apiVersion === null) {
    const missing = [!version && '@memlab/core', apiVersion === null && '@memlab/api'].filter(Boolean).join(' and ');
    return { error: `${missing} not installed: run \`${command}\` (from the repository root)` };
  }
  return api ? { version, apiVersion } : { version };
}

/**
 * Ends a bench child: prints its result as the last line of stdout (memlab writes progress to
 * stdout, so the result starts on a line of its own) and exits without waiting for the message
 * ports the DevTools toolkit can leave behind.
 * @param {() => Promise<object>} main builds the result
 */
function runChildMain(main) {
  main().then(
    (result) => {
      process.stdout.write(`\n${JSON.stringify(result)}\n`);
      process.exit(0);
    },
    (error) => {
      console.error(error && error.stack ? error.stack : error);
      process.exit(1);
    },
  );
}

module.exports = { runChildMain, MEMLAB_CORE, MEMLAB_API, MEMLAB_VERSION, INSTALL_MEMLAB, INSTALL_MEMLAB_API, memlabInstall };

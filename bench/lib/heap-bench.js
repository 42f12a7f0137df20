'use strict';
// Where the heap benchmark's reference tools live. memlab is not a devDependency: it pulls ~200
// packages (puppeteer, a node-gyp build) that the product's install has no use for, so it is
// installed on demand into .bench-tmp/memlab, like @airbnb/node-memwatch for the memwatch bench.
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const MEMLAB_DIR = path.join(ROOT, '.bench-tmp', 'memlab');
const MEMLAB_CORE = path.join(MEMLAB_DIR, 'node_modules', '@memlab', 'core');
const MEMLAB_VERSION = '2.0.5';
const INSTALL_MEMLAB = `npm install --prefix .bench-tmp/memlab --no-save @memlab/core@${MEMLAB_VERSION}`;

/** `{ version }` of the installed @memlab/core, or `{ error }` with the command that installs it. */
function memlabInstall() {
  try {
    const { version } = JSON.parse(fs.readFileSync(path.join(MEMLAB_CORE, 'package.json'), 'utf8'));
    return { version };
  } catch {
    return { error: `@memlab/core is not installed: run \`${INSTALL_MEMLAB}\` (from the repository root)` };
  }
}

module.exports = { MEMLAB_CORE, MEMLAB_VERSION, INSTALL_MEMLAB, memlabInstall };

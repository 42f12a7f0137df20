'use strict';
// Shared test helpers: temporary fixture trees, forced GC without --expose-gc, heap probes.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

/** Creates a temporary directory holding `files` ({ relativePath: source }). */
function makeFixture(files) {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'modswap-test-')));
  const fixture = {
    root,
    path: (relative) => path.join(root, relative),
    write(relative, source) {
      const file = path.join(root, relative);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, source);
      return file;
    },
    remove() {
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  for (const [relative, source] of Object.entries(files)) fixture.write(relative, source);
  return fixture;
}

const nextTask = () => new Promise((resolve) => setImmediate(resolve));

/** Runs full GCs and lets FinalizationRegistry callbacks run. */
async function collectGarbage() {
  for (let i = 0; i < 4; i++) {
    gc();
    await nextTask();
  }
}

/** JS heap plus external memory after forced GC, in bytes. */
async function retainedBytes() {
  await collectGarbage();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

const MB = 1024 * 1024;

/** Source of a module that holds `megabytes` MB of JS heap (SMIs, 8 bytes each). */
function heavyModuleSource(megabytes, extra = '') {
  return `'use strict';
const data = new Array(${megabytes} * 131072);
for (let i = 0; i < data.length; i++) data[i] = i;
module.exports = { data, loadedAt: Date.now() };
${extra}
`;
}

/** Every cached module plus `extra` modules, with how many instances of `file` each lists. */
function childrenCounts(file, extra = []) {
  const modules = new Set([...Object.values(require.cache), ...extra]);
  return [...modules].map((mod) => ({
    parent: mod.filename,
    count: mod.children.filter((child) => child.filename === file).length,
  }));
}

module.exports = { makeFixture, collectGarbage, retainedBytes, heavyModuleSource, childrenCounts, MB, gc };

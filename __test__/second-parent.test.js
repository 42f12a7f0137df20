'use strict';
// The classic clear-module leak: M is required by the entry and by a second module that keeps
// running and re-requires M after every reload. Node appends each new M to that module's
// `children`; clear-module only cleans `M.parent`, so every version stays reachable.
const test = require('node:test');
const assert = require('node:assert/strict');
const modswap = require('..');
const { makeFixture, retainedBytes, heavyModuleSource, childrenCounts, MB } = require('./helpers');

const SECOND_PARENT = `'use strict';
let current = require('./m');
module.exports = {
  module,
  refresh() {
    current = require('./m');
    return current;
  },
};
`;

test('a second parent that re-requires M after every reload keeps only one M', async () => {
  const fixture = makeFixture({ 'm.js': heavyModuleSource(8), 'second.js': SECOND_PARENT });
  const m = fixture.path('m.js');
  require(m);
  const second = require(fixture.path('second.js'));
  const before = await retainedBytes();

  let fresh;
  for (let i = 0; i < 200; i++) {
    fresh = modswap.reload(m);
    // The old second module is still running (we hold it) and requires M again.
    assert.equal(second.refresh(), fresh);
  }

  const growth = (await retainedBytes()) - before;
  assert.ok(growth < 20 * MB, `heap grew by ${(growth / MB).toFixed(1)} MB over 200 reloads`);
  const counts = childrenCounts(m, [second.module]);
  const worst = Math.max(...counts.map(({ count }) => count));
  assert.equal(worst, 1, `a children array lists ${worst} versions of M`);
  assert.equal(second.module.children.filter((c) => c.filename === m)[0], require.cache[m]);
  const rows = modswap.generations(m);
  const count = (state) => rows.filter((row) => row.state === state).reduce((sum, row) => sum + row.count, 0);
  assert.equal(count('current'), 1);
  assert.equal(count('collected'), 200);
  fixture.remove();
});

test('old importers whose timers re-require M do not pin old versions of M', async () => {
  // Every reload of M replaces the poller too (an importer, evaluated inside the swap); the old
  // pollers' timers keep running here (resource disposal is not what this test is about) and
  // keep requiring M from old generations.
  globalThis.__pollerTimers = [];
  const resources = require('../lib/dev/resources');
  const fixture = makeFixture({
    'm.js': heavyModuleSource(4),
    'poller.js': `'use strict';
let latest = require('./m');
globalThis.__pollerTimers.push(setInterval(() => { latest = require('./m'); }, 1));
module.exports = { module, latest: () => latest };
`,
  });
  const m = fixture.path('m.js');
  // Left running on purpose: old generations that keep requiring M (policy off).
  resources.setPolicy(fixture.path('poller.js'), 'off');
  const firstPoller = require(fixture.path('poller.js'));
  const before = await retainedBytes();
  for (let i = 0; i < 60; i++) {
    modswap.reload(m);
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
  const growth = (await retainedBytes()) - before;
  for (const timer of globalThis.__pollerTimers.splice(0)) clearInterval(timer);
  assert.ok(growth < 12 * MB, `heap grew by ${(growth / MB).toFixed(1)} MB over 60 reloads`);
  assert.equal(firstPoller.latest(), require(m), 'the oldest poller picked up the newest M');
  const counts = childrenCounts(m, [firstPoller.module, require.cache[fixture.path('poller.js')]]);
  assert.equal(Math.max(...counts.map(({ count }) => count)), 1);
  const staleFiles = new Set(modswap.stale().map((row) => row.file));
  assert.equal(staleFiles.has(m), false, 'no old version of M is alive');
  resources.setPolicy(fixture.path('poller.js'), null);
  fixture.remove();
});

// Node >= 22 also records the *last* requirer of every module under a V8 private symbol
// (node:module_last_parent) that JavaScript cannot reach; until another module requires `late`,
// that reference keeps the old loader alive. modswap cannot cut it (README, Limits).
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const lastParentPins = NODE_MAJOR >= 22 ? "Node's private module_last_parent pins the old loader" : false;

test('a module first loaded by an old generation does not pin that generation', async (t) => {
  const { readParent } = require('../lib/module-parent');
  const fixture = makeFixture({
    'lazy-loader.js': "module.exports = { module, load: () => require('./late') };",
    'late.js': 'module.exports = { late: true };',
  });
  const loaderFile = fixture.path('lazy-loader.js');
  // In its own function so that no reference to the old loader survives it.
  (function runOldLoader() {
    const loader = require(loaderFile);
    modswap.clear.single(loaderFile);
    assert.equal(modswap.generations(loaderFile)[0].state, 'old');
    // The old loader keeps running and loads a module nobody loaded before.
    assert.deepEqual(loader.load(), { late: true });
    const late = require.cache[fixture.path('late.js')];
    assert.equal(readParent(late), null, 'parent reset instead of naming the old generation');
    assert.deepEqual(loader.module.children, [late]);
  })();

  if (lastParentPins) {
    t.skip(lastParentPins);
    fixture.remove();
    return;
  }
  // The cached module does not point back at the old loader, so it can go. FinalizationRegistry
  // callbacks do not keep the event loop alive: poll with timers, which do.
  let state;
  for (let attempt = 0; attempt < 50 && state !== 'collected'; attempt++) {
    await retainedBytes();
    await new Promise((resolve) => setTimeout(resolve, 10));
    state = modswap.generations(loaderFile)[0].state;
  }
  assert.equal(state, 'collected');
  fixture.remove();
});

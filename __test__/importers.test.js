'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
const modswap = require('..');
const { makeFixture } = require('./helpers');

test('after B changes on disk and reload(B), a fresh require(A) sees the new B', () => {
  const fixture = makeFixture({
    'a.js': "module.exports = { b: require('./b') };",
    'b.js': 'module.exports = { version: 1 };',
  });
  const a = fixture.path('a.js');
  const b = fixture.path('b.js');
  assert.equal(require(a).b.version, 1);
  const oldA = require.cache[a];

  fixture.write('b.js', 'module.exports = { version: 2 };');
  const freshB = modswap.reload(b);

  assert.equal(freshB.version, 2);
  assert.notEqual(require.cache[a], oldA, 'A, an importer of B, was replaced inside the swap');
  const freshA = require(a);
  assert.equal(freshA, require.cache[a].exports, 'A was not evaluated again by require()');
  assert.equal(freshA.b, freshB, 'A was evaluated afresh against the new B');
  assert.equal(modswap.generations(a).length, 2);
  assert.equal(modswap.generations(a)[1].state, 'current');
  fixture.remove();
});

test('importers are cleared transitively, dependencies of B are kept', () => {
  const fixture = makeFixture({
    'top.js': "module.exports = { mid: require('./mid') };",
    'mid.js': "module.exports = { leaf: require('./leaf') };",
    'leaf.js': "module.exports = { util: require('./util'), v: 1 };",
    'util.js': 'module.exports = { created: {} };',
    'bystander.js': "module.exports = { util: require('./util') };",
  });
  const files = Object.fromEntries(['top', 'mid', 'leaf', 'util', 'bystander'].map((n) => [n, fixture.path(`${n}.js`)]));
  const oldTop = require(files.top);
  const bystander = require(files.bystander);

  const oldModules = Object.fromEntries(Object.entries(files).map(([name, file]) => [name, require.cache[file]]));
  fixture.write('leaf.js', "module.exports = { util: require('./util'), v: 2 };");
  modswap.reload(files.leaf);

  // Replaced inside the swap: the file and every importer; kept: its dependencies, bystanders.
  for (const name of ['top', 'mid', 'leaf']) assert.notEqual(require.cache[files[name]], oldModules[name], name);
  for (const name of ['util', 'bystander']) assert.equal(require.cache[files[name]], oldModules[name], name);
  assert.equal(files.util in require.cache, true, 'a dependency of the reloaded module stays');
  assert.equal(files.bystander in require.cache, true, 'an unrelated importer of util stays');
  const newTop = require(files.top);
  assert.notEqual(newTop, oldTop);
  assert.equal(newTop.mid.leaf.v, 2);
  assert.equal(newTop.mid.leaf.util, bystander.util, 'util stayed a singleton');
});

test('a module that is not loaded is not run by reload() unless allowFirstLoad says so', () => {
  globalThis.__lazyRuns = 0;
  const fixture = makeFixture({ 'lazy.js': 'globalThis.__lazyRuns++; module.exports = 42;' });
  assert.throws(() => modswap.reload(fixture.path('lazy.js')), (error) => {
    assert.equal(error.code, 'ERR_MODSWAP_NOT_LOADED');
    assert.equal(error.file, fixture.path('lazy.js'));
    assert.match(error.message, /allowFirstLoad/);
    return true;
  });
  assert.equal(globalThis.__lazyRuns, 0, 'the file was not executed');
  assert.deepEqual(modswap.generations(fixture.path('lazy.js')), []);
  assert.throws(() => modswap.reload(fixture.path('lazy.js'), { allowFirstLoad: 'yes' }), {
    code: 'ERR_MODSWAP_INVALID_OPTIONS',
  });
  assert.equal(modswap.reload(fixture.path('lazy.js'), { allowFirstLoad: true }), 42);
  assert.equal(globalThis.__lazyRuns, 1);
  assert.deepEqual(
    modswap.generations(fixture.path('lazy.js')).map((row) => [row.generation, row.state]),
    [[1, 'current']],
  );
  fixture.remove();
});

test('ids are resolved from the calling file', () => {
  const fixture = makeFixture({
    'caller.js': "const modswap = require(process.env.MODSWAP); module.exports = () => modswap.reload('./target');",
    'target.js': 'module.exports = { n: Math.random() };',
  });
  process.env.MODSWAP = require.resolve('..');
  const reloadFromCaller = require(fixture.path('caller.js'));
  const first = require(fixture.path('target.js'));
  const second = reloadFromCaller();
  assert.notEqual(second, first);
  assert.equal(require(fixture.path('target.js')), second);
  fixture.remove();
});

test('under --preserve-symlinks ids resolve to the symlinked path Node caches, not a second copy', {
  skip: process.platform === 'win32' && 'symlinks need privileges on Windows',
}, () => {
  const fixture = makeFixture({
    'lib/mod.js': 'module.exports = { v: 1 };\n',
    // Reloads by a relative id from inside the symlinked directory, as a linked package would.
    'lib/swapper.js': "const modswap = require(process.env.MODSWAP);\nmodule.exports = () => modswap.reload('./mod');\n",
    'app/main.js': `const fs = require('fs');
const first = require('./link/mod');
const swap = require('./link/swapper');
fs.writeFileSync(require.resolve('./link/mod'), 'module.exports = { v: 2 };\\n');
const fresh = swap();
console.log(JSON.stringify({ first: first.v, fresh: fresh.v, required: require('./link/mod').v,
  cached: Object.keys(require.cache).filter((key) => key.endsWith('mod.js')) }));
`,
  });
  fs.symlinkSync(fixture.path('lib'), fixture.path('app/link'), 'dir');
  const runs = [
    [['--preserve-symlinks'], {}],
    [[], { NODE_PRESERVE_SYMLINKS: '1' }],
  ];
  for (const [flags, env] of runs) {
    fixture.write('lib/mod.js', 'module.exports = { v: 1 };\n');
    const run = spawnSync(process.execPath, [...flags, fixture.path('app/main.js')], {
      encoding: 'utf8',
      env: { ...process.env, ...env, MODSWAP: require.resolve('..') },
    });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), {
      first: 1,
      fresh: 2,
      required: 2,
      cached: [fixture.path('app/link/mod.js')],
    });
  }
  fixture.remove();
});

test("a caller that imports the module it reloads: the new module's parent is the caller while it evaluates, null after", async () => {
  process.env.MODSWAP = require.resolve('..');
  const fixture = makeFixture({
    'target.js': 'module.exports = { parentWhileEvaluating: module.parent && module.parent.filename };\n',
    'caller.js': `const modswap = require(process.env.MODSWAP);
require('./target');
module.exports = () => modswap.reload('./target');
`,
  });
  const reloadTarget = require(fixture.path('caller.js'));
  const fresh = reloadTarget();
  assert.equal(fresh.parentWhileEvaluating, fixture.path('caller.js'));
  const target = require.cache[fixture.path('target.js')];
  assert.equal(target.exports, fresh);
  assert.equal(target.parent, null, 'no pointer keeps the replaced caller alive');
  const callerNow = require.cache[fixture.path('caller.js')];
  assert.notEqual(callerNow.exports, reloadTarget, 'the caller was replaced as an importer');
  assert.ok(callerNow.children.includes(target), 'the new caller imports the new target');
  fixture.remove();
});

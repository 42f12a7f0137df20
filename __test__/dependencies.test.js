'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const modswap = require('..');
const { readParent } = require('../lib/module-parent');
const { makeFixture } = require('./helpers');

const fixture = path.join(__dirname, 'fixtures', 'non-idempotent-dependency');
const importer = path.join(fixture, 'importer.js');
const dependency = require.resolve('evaluation-counter', { paths: [fixture] });
const evaluations = () => globalThis.__evaluationCounterRegistry.length;

test('reloading an importer 50 times evaluates its node_modules dependency once', () => {
  require(importer);
  assert.equal(evaluations(), 1);
  for (let i = 0; i < 50; i++) {
    const fresh = modswap.reload(importer);
    assert.equal(fresh.counterInstance, 1, 'the importer sees the one dependency instance');
  }
  assert.equal(evaluations(), 1);
  assert.equal(modswap.generations(importer).length, 51);
  assert.equal(modswap.generations(dependency).length, 1);

  // The dependency was first loaded by generation 1 of the importer; its `parent` must not pin
  // that old generation.
  const parent = readParent(require.cache[dependency]);
  assert.ok(parent === null || parent === require.cache[importer], 'parent is current or reset');
});

test('includeDependencies re-executes the dependency subtree', () => {
  const before = evaluations();
  const fresh = modswap.reload(importer, { includeDependencies: true });
  assert.equal(evaluations(), before + 1);
  assert.equal(fresh.counterInstance, before + 1);
  assert.equal(modswap.generations(dependency).length, 2);
});

test('a version split left by a default reload inside a package is repaired by includeDependencies', () => {
  const tree = makeFixture({
    'node_modules/pkg/package.json': '{ "name": "pkg", "main": "index.js" }',
    'node_modules/pkg/index.js': "const util = require('./lib/util');\nmodule.exports = () => util.v;\n",
    'node_modules/pkg/lib/util.js': 'module.exports = { v: 1 };\n',
    'importer.js': "const pkg = require('pkg');\nmodule.exports = () => pkg();\n",
  });
  const util = tree.path('node_modules/pkg/lib/util.js');
  const importer = tree.path('importer.js');
  assert.equal(require(importer)(), 1);
  tree.write('node_modules/pkg/lib/util.js', 'module.exports = { v: 2 };\n');
  assert.deepEqual(modswap.reload(util), { v: 2 });
  assert.equal(require(importer)(), 1, 'by default the package keeps its version of util (documented)');
  tree.write('node_modules/pkg/lib/util.js', 'module.exports = { v: 3 };\n');
  assert.deepEqual(modswap.reload(util, { includeDependencies: true }), { v: 3 });
  assert.equal(require(importer)(), 3, 'the package and its importer were cleared and see the new util');
  tree.remove();
});

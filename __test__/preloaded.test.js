'use strict';
// Modules loaded before modswap was required are adopted from require.cache on first use.
const test = require('node:test');
const assert = require('node:assert/strict');
const { makeFixture, childrenCounts } = require('./helpers');

const fixture = makeFixture({
  'm.js': 'module.exports = { version: 1 };',
  'second.js': "let m = require('./m'); module.exports = { module, refresh: () => (m = require('./m')) };",
  'app.js': "module.exports = { m: require('./m'), second: require('./second') };",
});
const app = require(fixture.path('app.js'));
const modswap = require('..');

test('modules loaded before modswap are handled like the others', () => {
  const m = fixture.path('m.js');
  assert.deepEqual(
    modswap.generations(m).map((row) => [row.generation, row.state]),
    [[1, 'current']],
  );
  const oldApp = require.cache[fixture.path('app.js')];
  const oldSecond = require.cache[fixture.path('second.js')];
  fixture.write('m.js', 'module.exports = { version: 2 };');
  const fresh = modswap.reload(m);
  assert.equal(fresh.version, 2);
  assert.notEqual(require.cache[fixture.path('app.js')], oldApp, 'importers known from the adopted graph');
  assert.notEqual(require.cache[fixture.path('second.js')], oldSecond);
  assert.equal(require(fixture.path('app.js')).m, fresh);
  assert.equal(app.second.refresh(), fresh);
  assert.equal(Math.max(...childrenCounts(m, [app.second.module]).map(({ count }) => count)), 1);
  assert.deepEqual(
    modswap.generations(m).map((row) => row.generation),
    [1, 2],
  );
  fixture.remove();
});

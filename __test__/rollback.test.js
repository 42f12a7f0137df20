'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const modswap = require('..');
const { makeFixture, collectGarbage } = require('./helpers');

function cacheShape() {
  return Object.entries(require.cache).map(([key, mod]) => [key, mod, [...mod.children]]);
}

function assertSameCache(before, after) {
  assert.deepEqual(
    after.map(([key]) => key),
    before.map(([key]) => key),
    'same cache keys',
  );
  before.forEach(([key, mod, children], i) => {
    assert.equal(after[i][1], mod, `same instance for ${key}`);
    assert.deepEqual(after[i][2], children, `same children for ${key}`);
  });
}

for (const [label, broken, causeName] of [
  ['a syntax error', 'module.exports = { version: ;', 'SyntaxError'],
  ['an exception at load', "require('./fresh-dep'); throw new TypeError('boom at load');", 'TypeError'],
]) {
  test(`reload of B with ${label} throws and leaves the cache exactly as it was`, () => {
    const fixture = makeFixture({
      'a.js': "module.exports = { b: require('./b') };",
      'b.js': 'module.exports = { version: 1 };',
      'fresh-dep.js': 'module.exports = {};',
    });
    const a = fixture.path('a.js');
    const b = fixture.path('b.js');
    const oldA = require(a);
    const oldB = require(b);
    const before = cacheShape();
    const generationsBefore = modswap.generations(b);

    fixture.write('b.js', broken);
    assert.throws(
      () => modswap.reload(b),
      (error) => {
        assert.equal(error.code, 'ERR_MODSWAP_RELOAD_FAILED');
        assert.equal(error.file, b);
        assert.match(error.message, new RegExp(b.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
        assert.equal(error.cause.name, causeName);
        assert.equal(error.location.file, b, 'the location names the broken file');
        assert.equal(error.location.line, 1);
        return true;
      },
    );

    assertSameCache(before, cacheShape());
    assert.equal(require(b), oldB, 'require(B) returns the identical old exports');
    assert.equal(require(a), oldA, 'importers are restored too');
    assert.equal(fixture.path('fresh-dep.js') in require.cache, false, 'nothing from the failed attempt stays');
    assert.deepEqual(modswap.generations(b), generationsBefore, 'a failed load is not a generation');

    fixture.write('b.js', 'module.exports = { version: 3 };');
    assert.equal(modswap.reload(b).version, 3);
    assert.equal(require(a).b.version, 3);
    assert.deepEqual(
      modswap.generations(b).map((row) => [row.generation, row.state]).slice(-1),
      [[2, 'current']],
    );
    fixture.remove();
  });
}

test('loads that failed (half-written files) are not reported as stale once collected', async () => {
  const { readParent } = require('../lib/module-parent');
  const fixture = makeFixture({ 'b.js': 'module.exports = 1;\n', 'c.js': 'module.exports = 3;\n' });
  // b's first requirer is a live module: on Node >= 22 a cached module also keeps its first
  // requirer under a private symbol that JavaScript cannot reach (README, Limits).
  require(fixture.path('b.js'));
  const a = fixture.write('a.js', "require('./b');\nthrow new Error('half-written');\n");
  for (let i = 0; i < 5; i++) assert.throws(() => require(a), /half-written/);
  fixture.write('a.js', "module.exports = require('./b') + 1;\n");
  assert.equal(require(a), 2);
  await collectGarbage();
  await collectGarbage();
  const staleOfA = modswap.stale().filter((row) => row.file === a);
  assert.deepEqual(staleOfA, [], JSON.stringify(staleOfA));
  const states = modswap.generations(a).map((row) => row.state);
  assert.deepEqual(states, ['collected', 'collected', 'collected', 'collected', 'collected', 'current']);

  // A module first loaded by the failing file: Node leaves its parent naming the failed
  // instance, which would keep that instance alive; modswap resets it.
  const d = fixture.write('d.js', "require('./c');\nthrow new Error('half-written');\n");
  assert.throws(() => require(d), /half-written/);
  assert.equal(readParent(require.cache[fixture.path('c.js')]), null);
  fixture.remove();
});

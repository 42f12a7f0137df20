'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const modswap = require('..');
const { makeFixture, retainedBytes, heavyModuleSource, childrenCounts, MB } = require('./helpers');

test('a module holding 8 MB reloaded 200 times does not grow the heap', async () => {
  const fixture = makeFixture({ 'heavy.js': heavyModuleSource(8) });
  const file = fixture.path('heavy.js');
  let exports = require(file);
  const firstLoad = exports.loadedAt;
  const before = await retainedBytes();

  for (let i = 0; i < 200; i++) exports = modswap.reload(file);

  const growth = (await retainedBytes()) - before;
  assert.ok(growth < 20 * MB, `heap grew by ${(growth / MB).toFixed(1)} MB over 200 reloads`);
  assert.equal(exports.data.length, 8 * 131072);
  assert.ok(exports.loadedAt >= firstLoad);
  assert.equal(require(file), exports, 'require() returns the newest exports');

  // 201 loads: the 100 newest collected generations keep a row each, the 100 before them are
  // folded into the first row, which counts them.
  const table = modswap.generations(file);
  assert.equal(table.length, 102);
  assert.deepEqual(
    table.map((row) => [row.generation, row.count]),
    [[1, 100], ...Array.from({ length: 101 }, (_, i) => [101 + i, 1])],
  );
  assert.equal(table.reduce((sum, row) => sum + row.count, 0), 201);
  assert.equal(table[101].state, 'current');
  const states = new Set(table.slice(0, 101).map((row) => row.state));
  assert.deepEqual([...states], ['collected'], 'every old generation was garbage-collected');
  assert.ok(table.every((row, i) => i === 0 || row.loadedAt >= table[i - 1].loadedAt));
  assert.deepEqual(modswap.stale(), []);
  assert.ok(childrenCounts(file).every(({ count }) => count <= 1));
  fixture.remove();
});

test('an old generation kept alive by the caller is reported as old and stale', async () => {
  // Exports that reference their own Module keep that generation alive while the caller holds them.
  const fixture = makeFixture({ 'kept.js': 'module.exports = { self: module };' });
  const file = fixture.path('kept.js');
  const kept = require(file);
  modswap.reload(file);
  await retainedBytes();

  const table = modswap.generations(file);
  assert.deepEqual(
    table.map((row) => [row.generation, row.state]),
    [
      [1, 'old'],
      [2, 'current'],
    ],
  );
  const stale = modswap.stale().filter((row) => row.file === file);
  assert.equal(stale.length, 1);
  assert.equal(stale[0].generation, 1);
  assert.ok(stale[0].ageMs >= 0);
  assert.ok(stale[0].gcsSurvived >= 4, `survived ${stale[0].gcsSurvived} forced GCs`);
  assert.equal(kept.self.filename, file, 'the caller still holds the old generation');
  fixture.remove();
});

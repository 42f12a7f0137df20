'use strict';
// clear-module 4.1.3's behaviour, plus the references it forgets to cut.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const modswap = require('..');
const { makeFixture } = require('./helpers');
const { readParent } = require('../lib/module-parent');

const COUNTER = 'let i = 0; module.exports = () => ++i;';
const nativeAddon = Object.keys(require.cache).find((file) => file.endsWith('.node'));

test('state resets after clear (relative id, resolved from this file)', () => {
  const fixture = makeFixture({ 'counter.js': COUNTER });
  const relative = './' + path.relative(__dirname, fixture.path('counter.js'));
  assert.equal(require(relative)(), 1);
  assert.equal(require(relative)(), 2);
  modswap.clear(relative);
  assert.equal(require(relative)(), 1);
  fixture.remove();
});

test('a missing id is a no-op; a non-string id is a TypeError', () => {
  assert.doesNotThrow(() => modswap.clear('./does-not-exist'));
  assert.doesNotThrow(() => modswap.clear.single('./does-not-exist'));
  assert.throws(() => modswap.clear(42), { name: 'TypeError', message: 'Expected a `string`, got `number`' });
  assert.throws(() => modswap.clear.single(null), TypeError);
  assert.throws(() => modswap.clear.match('x'), TypeError);
});

test('clear.all clears everything but native addons and the entry module', () => {
  const fixture = makeFixture({ 'one.js': COUNTER, 'two.js': COUNTER });
  const one = require(fixture.path('one.js'));
  const two = require(fixture.path('two.js'));
  one();
  two();
  assert.ok(nativeAddon, "modswap's own addon is cached");
  modswap.clear.all();
  assert.deepEqual(Object.keys(require.cache).sort(), [__filename, nativeAddon].sort());
  assert.equal(require(fixture.path('one.js'))(), 1);
  assert.equal(require(fixture.path('two.js'))(), 1);
  fixture.remove();
});

test('clear.match clears matching modules and their subtrees', () => {
  const fixture = makeFixture({
    'foo-entry.js': "module.exports = require('./inner');",
    'inner.js': COUNTER,
    'bar.js': COUNTER,
  });
  require(fixture.path('foo-entry.js'))();
  require(fixture.path('bar.js'))();
  modswap.clear.match(/foo-entry/g);
  assert.equal(fixture.path('foo-entry.js') in require.cache, false);
  assert.equal(fixture.path('inner.js') in require.cache, false, 'the subtree went too');
  assert.equal(fixture.path('bar.js') in require.cache, true);
  assert.equal(require(fixture.path('bar.js'))(), 2);
  fixture.remove();
});

test('clear.single is not recursive, and re-points the kept child', () => {
  const fixture = makeFixture({ 'a.js': "require('./b'); module.exports = {};", 'b.js': COUNTER });
  const a = fixture.path('a.js');
  const b = fixture.path('b.js');
  require(a);
  const oldA = require.cache[a];
  assert.equal(readParent(require.cache[b]), oldA);
  modswap.clear.single(a);
  assert.equal(a in require.cache, false);
  assert.equal(b in require.cache, true);
  assert.notEqual(readParent(require.cache[b]), oldA, 'the kept child no longer pins the cleared module');
  fixture.remove();
});

test('siblings are not skipped', () => {
  const fixture = makeFixture({
    'parent.js': "require('./c1'); require('./c2'); require('./c3'); module.exports = {};",
    'c1.js': COUNTER,
    'c2.js': COUNTER,
    'c3.js': COUNTER,
  });
  require(fixture.path('parent.js'));
  modswap.clear(fixture.path('parent.js'));
  for (const name of ['parent', 'c1', 'c2', 'c3']) {
    assert.equal(fixture.path(`${name}.js`) in require.cache, false, `${name} was cleared`);
  }
  fixture.remove();
});

test('a native addon is never removed, directly or as a child', () => {
  modswap.clear(nativeAddon);
  modswap.clear.single(nativeAddon);
  assert.ok(nativeAddon in require.cache);
  // A fresh copy of the generated loader lists the addon as its child.
  const loader = path.join(__dirname, '..', 'binding.js');
  modswap.clear(loader);
  require(loader);
  assert.ok(require.cache[loader].children.some((child) => child.filename === nativeAddon));
  modswap.clear(loader);
  assert.ok(nativeAddon in require.cache);
  assert.equal(loader in require.cache, false);
  assert.throws(() => modswap.reload(nativeAddon), { code: 'ERR_MODSWAP_NATIVE_ADDON' });
});

test('cycles terminate', () => {
  const fixture = makeFixture({
    'x.js': "exports.name = 'x'; require('./y');",
    'y.js': "exports.name = 'y'; require('./x');",
  });
  require(fixture.path('x.js'));
  modswap.clear(fixture.path('x.js'));
  assert.equal(fixture.path('x.js') in require.cache, false);
  assert.equal(fixture.path('y.js') in require.cache, false);
  fixture.remove();
});

test('a chain 15 modules deep is cleared from a call made inside a deep call stack', () => {
  const files = {};
  for (let i = 0; i < 15; i++) {
    files[`m${i}.js`] = i < 14 ? `require('./m${i + 1}'); module.exports = ${i};` : 'module.exports = 14;';
  }
  const fixture = makeFixture(files);
  const relative = './' + path.relative(__dirname, fixture.path('m0.js'));
  require(relative);
  const clearDeep = (depth) => (depth === 0 ? modswap.clear(relative) : clearDeep(depth - 1));
  clearDeep(200);
  const left = Object.keys(files).filter((name) => fixture.path(name) in require.cache);
  assert.deepEqual(left, []);
  fixture.remove();
});

test('unlike clear-module, every parent drops the cleared module from its children', () => {
  const fixture = makeFixture({
    'target.js': COUNTER,
    'first.js': "require('./target'); module.exports = {};",
    'second.js': "require('./target'); module.exports = {};",
  });
  require(fixture.path('first.js'));
  require(fixture.path('second.js'));
  const target = require.cache[fixture.path('target.js')];
  modswap.clear.single(fixture.path('target.js'));
  for (const parent of ['first.js', 'second.js']) {
    assert.equal(require.cache[fixture.path(parent)].children.includes(target), false, parent);
  }
  fixture.remove();
});

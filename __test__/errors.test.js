'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const modswap = require('..');
const { makeFixture } = require('./helpers');

test('reloading the entry module is a clear error', () => {
  assert.throws(() => modswap.reload(__filename), (error) => {
    assert.equal(error.code, 'ERR_MODSWAP_RELOAD_MAIN');
    assert.equal(error.file, __filename);
    assert.ok(error instanceof modswap.ModswapError);
    return true;
  });
});

test('reloading a missing module names the id and the directory searched', () => {
  assert.throws(() => modswap.reload('./no-such-module'), (error) => {
    assert.equal(error.code, 'ERR_MODSWAP_NOT_FOUND');
    assert.match(error.message, /'\.\/no-such-module'/);
    assert.match(error.message, new RegExp(__dirname.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.equal(error.cause.code, 'MODULE_NOT_FOUND');
    return true;
  });
});

test('bad ids and options are rejected before anything changes', () => {
  const fixture = makeFixture({ 'x.js': 'module.exports = {};' });
  const x = require(fixture.path('x.js'));
  assert.throws(() => modswap.reload(fixture.path('x.js'), 'deep'), { code: 'ERR_MODSWAP_INVALID_OPTIONS' });
  assert.throws(() => modswap.reload(fixture.path('x.js'), { includeDependencies: 'yes' }), {
    code: 'ERR_MODSWAP_INVALID_OPTIONS',
  });
  assert.throws(() => modswap.reload(''), { code: 'ERR_MODSWAP_INVALID_ID' });
  assert.throws(() => modswap.reload(7), { code: 'ERR_MODSWAP_INVALID_ID' });
  assert.equal(require(fixture.path('x.js')), x);
  assert.equal(modswap.generations(fixture.path('x.js')).length, 1);
  fixture.remove();
});

test('generations of a file never loaded is empty; generations needs a string', () => {
  assert.deepEqual(modswap.generations('/nowhere/never-loaded.js'), []);
  assert.throws(() => modswap.generations(1), TypeError);
});

test('a module that reloads during its own evaluation gets ERR_MODSWAP_REENTRANT', () => {
  process.env.MODSWAP = require.resolve('..');
  const fixture = makeFixture({
    'self.js': "const modswap = require(process.env.MODSWAP); if (globalThis.__reenter) modswap.reload('./other'); module.exports = {};",
    'other.js': 'module.exports = {};',
  });
  require(fixture.path('self.js'));
  require(fixture.path('other.js'));
  globalThis.__reenter = true;
  assert.throws(() => modswap.reload(fixture.path('self.js')), (error) => {
    assert.equal(error.code, 'ERR_MODSWAP_RELOAD_FAILED');
    assert.equal(error.cause.code, 'ERR_MODSWAP_REENTRANT');
    return true;
  });
  globalThis.__reenter = false;
  fixture.remove();
});

test('no DEP0144 warning under --pending-deprecation', () => {
  const fixture = makeFixture({
    'dep.js': 'module.exports = {};',
    'a.js': "require('./dep'); module.exports = {};",
    'main.js': `const modswap = require(${JSON.stringify(require.resolve('..'))});
require('./a');
for (let i = 0; i < 3; i++) modswap.reload('./a');
modswap.clear.single('./a');
console.log('done');`,
  });
  const run = spawnSync(process.execPath, ['--pending-deprecation', fixture.path('main.js')], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), 'done');
  assert.doesNotMatch(run.stderr, /DEP0144/);
  fixture.remove();
});

test('an addon built from other sources is refused with a rebuild hint', () => {
  const { checkProtocol, binding } = require('../lib/native');
  assert.equal(checkProtocol(binding), binding);
  for (const stale of [{ protocolVersion: () => 1 }, {}]) {
    assert.throws(() => checkProtocol(stale), (error) => {
      assert.equal(error.code, 'ERR_MODSWAP_NATIVE_MISMATCH');
      assert.match(error.message, /npm run build/);
      return true;
    });
  }
});

test('reloading a Node builtin is refused with its own code, not answered with the builtin', () => {
  for (const id of ['fs', 'node:fs', 'node:test', 'path']) {
    assert.throws(() => modswap.reload(id), (error) => {
      assert.equal(error.code, 'ERR_MODSWAP_BUILTIN', id);
      assert.equal(error.file, id);
      assert.match(error.message, new RegExp(`Cannot reload '${id}': it is a Node\\.js builtin module`));
      return true;
    });
  }
});

test('a module still evaluating (on the require stack) cannot be reloaded: no second live instance', () => {
  process.env.MODSWAP = require.resolve('..');
  const fixture = makeFixture({
    // Reloads itself during its first evaluation.
    'self.js': `const modswap = require(process.env.MODSWAP);
let refused;
try { modswap.reload(__filename); } catch (error) { refused = error; }
module.exports = { refused };`,
    // parent.js is still evaluating while child.js, which it requires, reloads it.
    'parent.js': "module.exports = { child: require('./child') };",
    'child.js': `const modswap = require(process.env.MODSWAP);
let refused;
try { modswap.reload('./parent'); } catch (error) { refused = error; }
module.exports = { refused };`,
  });
  const self = require(fixture.path('self.js'));
  const parent = require(fixture.path('parent.js'));
  for (const [file, refused] of [
    ['self.js', self.refused],
    ['parent.js', parent.child.refused],
  ]) {
    assert.ok(refused, `${file}: reload was accepted`);
    assert.equal(refused.code, 'ERR_MODSWAP_REENTRANT');
    assert.equal(refused.file, fixture.path(file));
    assert.match(refused.message, /still being evaluated/);
    assert.equal(modswap.generations(fixture.path(file)).length, 1, file);
  }
  assert.equal(require(fixture.path('self.js')), self);
  assert.equal(require(fixture.path('parent.js')), parent);
  fixture.remove();
});

test("a failed reload's location names the user's file, never Node's internals or modswap's own", () => {
  process.env.MODSWAP = require.resolve('..');
  const fixture = makeFixture({
    'routes.js': 'module.exports = 1;\n',
    'data.json': '{ "ok": true }',
    'uses-data.js': "module.exports = require('./data.json');\n",
    'reenters.js': "module.exports = 1;\n",
    'other.js': 'module.exports = 2;\n',
  });
  for (const file of ['routes.js', 'uses-data.js', 'reenters.js', 'other.js']) require(fixture.path(file));
  const locationOf = (id, options) => {
    try {
      modswap.reload(fixture.path(id), options);
    } catch (error) {
      assert.equal(error.code, 'ERR_MODSWAP_RELOAD_FAILED');
      return error.location;
    }
    assert.fail(`reload of ${id} succeeded`);
  };
  // A dependency that does not exist: the line of the require() in the user's file.
  fixture.write('routes.js', "const a = 1;\nmodule.exports = require('./no-such-dependency');\n");
  assert.deepEqual(locationOf('routes.js'), { file: fixture.path('routes.js'), line: 2, column: 18 });
  // Broken JSON, reloaded itself or with an importer that re-evaluates it: the JSON file.
  fixture.write('data.json', '{ "ok": tru');
  assert.deepEqual(locationOf('data.json'), { file: fixture.path('data.json') });
  assert.deepEqual(locationOf('uses-data.js', { includeDependencies: true }), { file: fixture.path('data.json') });
  // A reentrant reload: the user's line that called reload(), not lib/clear.js.
  fixture.write('reenters.js', "const modswap = require(process.env.MODSWAP);\nmodswap.reload('./other');\n");
  const reentrant = locationOf('reenters.js');
  assert.equal(reentrant.file, fixture.path('reenters.js'));
  assert.equal(reentrant.line, 2);
  fixture.remove();
});

test('an edit that turns a CommonJS file into ESM syntax is refused, never a stale success', {
  skip: !process.features.require_module && 'this Node has no require(esm)',
}, () => {
  const fixture = makeFixture({ 'm.js': 'module.exports = { v: 1 };\n' });
  const file = fixture.path('m.js');
  const first = require(file);
  for (const version of [2, 3]) {
    fixture.write('m.js', `export const v = ${version};\n`);
    assert.throws(() => modswap.reload(file), (error) => {
      assert.equal(error.code, 'ERR_MODSWAP_ESM');
      assert.equal(error.file, file);
      assert.match(error.message, /ES module/);
      return true;
    });
    assert.equal(require(file), first, 'the CommonJS version keeps serving');
  }
  fixture.write('m.js', 'module.exports = { v: 4 };\n');
  assert.deepEqual(modswap.reload(file), { v: 4 });
  fixture.remove();
});

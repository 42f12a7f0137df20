'use strict';
// createRequire(file) makes a second Module object for `file`. It is not a new generation of a
// cached file, and what it requires is imported by the module that called it: a reload of a
// dependency must clear that module, and the module must not show as old.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const modswap = require('..');
const { makeFixture, collectGarbage } = require('./helpers');

const stateRows = (file) => modswap.generations(file).map((row) => [row.generation, row.state]);
const staleFiles = () => modswap.stale().map((row) => `${row.file}#${row.generation}`);

const USER_THROUGH_CREATE_REQUIRE = `'use strict';
const { createRequire } = require('node:module');
const requireHere = createRequire(__filename);
const dep = requireHere('./dep');
module.exports = () => dep.value;
`;

test('a module that requires through createRequire(__filename) is cleared when the dependency reloads', async () => {
  const fixture = makeFixture({ 'dep.js': "exports.value = 'v1';\n", 'user.js': USER_THROUGH_CREATE_REQUIRE });
  const user = fixture.path('user.js');
  const dep = fixture.path('dep.js');
  assert.equal(require(user)(), 'v1');
  assert.deepEqual(stateRows(user), [[1, 'current']], 'the createRequire module is no generation of user.js');

  fixture.write('dep.js', "exports.value = 'v2';\n");
  modswap.reload(dep);
  assert.equal(require(user)(), 'v2', 'user.js was cleared with its dependency: one version runs');
  await collectGarbage();
  await collectGarbage();
  assert.deepEqual(stateRows(user), [
    [1, 'collected'],
    [2, 'current'],
  ]);
  assert.deepEqual(stateRows(dep), [
    [1, 'collected'],
    [2, 'current'],
  ]);
  assert.deepEqual(staleFiles().filter((entry) => entry.startsWith(fixture.root)), []);
  fixture.remove();
});

test('a module requiring through a shared createRequire helper is known as the importer', async () => {
  const fixture = makeFixture({
    'dep.js': "exports.value = 'v1';\n",
    'helper.js': "module.exports = (file) => require('node:module').createRequire(file);\n",
    'user.js': "const dep = require('./helper')(__filename)('./dep');\nmodule.exports = () => dep.value;\n",
  });
  const user = fixture.path('user.js');
  require(fixture.path('helper.js'));
  assert.equal(require(user)(), 'v1');
  fixture.write('dep.js', "exports.value = 'v2';\n");
  modswap.reload(fixture.path('dep.js'));
  assert.equal(require(user)(), 'v2');
  fixture.remove();
});

test('a requirer for a file that is no module is never retired, and lets go of old versions', async () => {
  // A handler that requires per call through createRequire of a path that is not a module.
  const fixture = makeFixture({
    'dep.js': "exports.value = 'v1';\n",
    'router.js':
      "const requireFromRoot = require('node:module').createRequire(require('node:path').join(__dirname, 'noop.js'));\n" +
      "module.exports = () => requireFromRoot('./dep').value;\n",
  });
  const dep = fixture.path('dep.js');
  const handle = require(fixture.path('router.js'));
  assert.equal(handle(), 'v1');
  fixture.write('dep.js', "exports.value = 'v2';\n");
  modswap.reload(dep);
  assert.equal(handle(), 'v2', 'the next require through the requirer loads the new version');
  await collectGarbage();
  await collectGarbage();
  assert.deepEqual(modswap.generations(fixture.path('noop.js')), [], 'a requirer is no generation');
  assert.deepEqual(stateRows(dep), [
    [1, 'collected'],
    [2, 'current'],
  ], "the requirer's children no longer hold the old version");
  assert.deepEqual(staleFiles().filter((entry) => entry.startsWith(fixture.root)), []);
  fixture.remove();
});

test('an old version required through an old createRequire module does not keep itself alive by its parent', async () => {
  // dep's first requirer is the createRequire module of user.js; when user.js and dep are both
  // replaced, nothing of the old pair may stay reachable from the new one.
  const fixture = makeFixture({ 'dep.js': "exports.value = 'v1';\n", 'user.js': USER_THROUGH_CREATE_REQUIRE });
  const user = fixture.path('user.js');
  const dep = fixture.path('dep.js');
  require(user);
  for (let version = 2; version <= 4; version++) {
    fixture.write('dep.js', `exports.value = 'v${version}';\n`);
    modswap.reload(dep);
    assert.equal(require(user)(), `v${version}`);
  }
  await collectGarbage();
  await collectGarbage();
  assert.deepEqual(
    modswap.generations(user).map((row) => row.state),
    ['collected', 'collected', 'collected', 'current'],
  );
  assert.deepEqual(
    modswap.generations(dep).map((row) => row.state),
    ['collected', 'collected', 'collected', 'current'],
  );
  fixture.remove();
});

test('the entry module using createRequire(__filename) is not reported old', () => {
  const fixture = makeFixture({
    'dep.js': "exports.value = 'v1';\n",
    'main.js': `'use strict';
const modswap = require(${JSON.stringify(path.join(__dirname, '..'))});
const requireHere = require('node:module').createRequire(__filename);
requireHere('./dep');
console.log(JSON.stringify({ stale: modswap.stale(), rows: modswap.generations(__filename).map((row) => row.state) }));
`,
  });
  const output = JSON.parse(execFileSync(process.execPath, [fixture.path('main.js')], { encoding: 'utf8' }));
  assert.deepEqual(output, { stale: [], rows: ['current'] });
  fixture.remove();
});

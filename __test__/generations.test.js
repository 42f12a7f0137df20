'use strict';
// The generation table follows what keeps old code alive, not just the old Module objects:
// captured exports and their functions hold an old generation as much as its Module does.
const test = require('node:test');
const assert = require('node:assert/strict');
const modswap = require('..');
const { makeFixture, collectGarbage } = require('./helpers');

const stateOf = (file, generation) => modswap.generations(file).find((row) => row.generation === generation)?.state;
const staleFiles = () => modswap.stale().map((row) => `${row.file}#${row.generation}`);

test('a router captured by the app keeps itself and the old handler it imported old, not collected', async () => {
  const fixture = makeFixture({
    'routes/hello.js': "module.exports = () => 'hello v1';\n",
    'routes/router.js': "const hello = require('./hello');\nmodule.exports = (request) => hello(request);\n",
  });
  const router = fixture.path('routes/router.js');
  const hello = fixture.path('routes/hello.js');
  // app.use(require('./routes/router')): the app holds the router function, not its module.
  const registered = [require(router)];
  fixture.write('routes/hello.js', "module.exports = () => 'hello v2';\n");
  modswap.reload(hello);
  await collectGarbage();
  await collectGarbage();
  assert.equal(registered[0](), 'hello v1', 'the old router still serves the old handler');
  assert.equal(stateOf(router, 1), 'old');
  assert.equal(stateOf(hello, 1), 'old');
  assert.ok(staleFiles().includes(`${router}#1`), staleFiles().join(', '));
  assert.ok(staleFiles().includes(`${hello}#1`), staleFiles().join(', '));

  registered.length = 0; // the app re-registers, or stops serving the old router
  await collectGarbage();
  await collectGarbage();
  assert.equal(stateOf(router, 1), 'collected');
  assert.equal(stateOf(hello, 1), 'collected');
  fixture.remove();
});

test('a function taken out of the exports of an old generation keeps it old', async () => {
  const fixture = makeFixture({ 'greeter.js': "exports.greet = () => 'v1';\nexports.version = 1;\n" });
  const file = fixture.path('greeter.js');
  let { greet } = require(file);
  fixture.write('greeter.js', "exports.greet = () => 'v2';\nexports.version = 2;\n");
  modswap.reload(file);
  await collectGarbage();
  await collectGarbage();
  assert.equal(greet(), 'v1');
  assert.equal(stateOf(file, 1), 'old', 'the old greet() is alive');
  greet = null;
  await collectGarbage();
  await collectGarbage();
  assert.equal(stateOf(file, 1), 'collected');
  assert.equal(stateOf(file, 2), 'current');
  fixture.remove();
});

test('a module that re-exports a dependency is not held old by that dependency', async () => {
  const fixture = makeFixture({
    'config.js': 'module.exports = { port: 1 };\n',
    'facade.js': "module.exports = require('./config');\n",
  });
  const facade = fixture.path('facade.js');
  // config's first requirer is this live test file: on Node >= 22 a cached module also keeps its
  // first requirer under a private symbol JavaScript cannot reach (README, Limits).
  require(fixture.path('config.js'));
  require(facade);
  modswap.reload(facade);
  await collectGarbage();
  await collectGarbage();
  assert.equal(stateOf(facade, 1), 'collected');
  fixture.remove();
});

'use strict';
// modswap.hot(id), module.hot and atomic swaps.
const test = require('node:test');
const assert = require('node:assert/strict');
const modswap = require('..');
const { makeFixture } = require('./helpers');

test('hot(id) of a function export always calls the current version', () => {
  const fixture = makeFixture({ 'handler.js': "module.exports = (name) => `hello ${name} v1`;\n" });
  const handler = modswap.hot(fixture.path('handler.js'));
  assert.equal(typeof handler, 'function');
  assert.equal(handler('ann'), 'hello ann v1');
  fixture.write('handler.js', 'module.exports = function greet(name, extra) { return `hi ${name} v2`; };\n');
  modswap.swap(fixture.path('handler.js'));
  assert.equal(handler('ann'), 'hi ann v2');
  assert.equal(handler.length, 2, 'properties come from the current version');
  assert.equal(handler.name, 'greet');
  assert.equal(modswap.hot(fixture.path('handler.js')), handler, 'one handle per file');
  fixture.remove();
});

test('hot(id) of an object export reads the current version', () => {
  const fixture = makeFixture({ 'config.js': 'module.exports = { port: 1, describe() { return `port ${this.port}`; } };\n' });
  const config = modswap.hot(fixture.path('config.js'));
  assert.equal(config.port, 1);
  fixture.write('config.js', 'module.exports = { port: 2, extra: true, describe() { return `port ${this.port}`; } };\n');
  modswap.swap([fixture.path('config.js')]);
  assert.equal(config.port, 2);
  assert.equal(config.describe(), 'port 2');
  assert.deepEqual(Object.keys(config), ['port', 'extra', 'describe']);
  assert.equal('extra' in config, true);
  fixture.remove();
});

test('a call in flight finishes on the version it started with', async () => {
  const fixture = makeFixture({
    'slow.js': "module.exports = async () => { await new Promise((r) => setTimeout(r, 20)); return 'v1'; };\n",
  });
  const handler = modswap.hot(fixture.path('slow.js'));
  const inFlight = handler();
  fixture.write('slow.js', "module.exports = async () => 'v2';\n");
  modswap.swap(fixture.path('slow.js'));
  assert.equal(await handler(), 'v2');
  assert.equal(await inFlight, 'v1');
  fixture.remove();
});

test('a module reached through hot() is a boundary: a change below it stops there', () => {
  globalThis.__evaluations = [];
  const fixture = makeFixture({
    'util.js': "globalThis.__evaluations.push('util'); exports.word = 'one';\n",
    'routes.js': "globalThis.__evaluations.push('routes'); const util = require('./util');\nmodule.exports = () => util.word;\n",
    'app.js': "globalThis.__evaluations.push('app'); const modswap = require(process.env.MODSWAP);\nmodule.exports = modswap.hot('./routes');\n",
  });
  process.env.MODSWAP = require.resolve('..');
  const routes = require(fixture.path('app.js'));
  assert.deepEqual(globalThis.__evaluations.splice(0), ['app', 'routes', 'util']);
  fixture.write('util.js', "globalThis.__evaluations.push('util'); exports.word = 'two';\n");
  const result = modswap.swap(fixture.path('util.js'));
  assert.deepEqual(globalThis.__evaluations.splice(0), ['util', 'routes'], 'app is above the boundary');
  assert.deepEqual(result.evaluated.sort(), [fixture.path('routes.js'), fixture.path('util.js')]);
  assert.equal(routes(), 'two');
  fixture.remove();
});

test('an importer that throws while re-evaluated rolls the whole swap back', () => {
  const fixture = makeFixture({
    'dep.js': "exports.value = 'v1';\n",
    'user.js': "const dep = require('./dep');\nif (dep.value === 'v2') throw new Error('user cannot take v2');\nmodule.exports = () => dep.value;\n",
  });
  const user = require(fixture.path('user.js'));
  const before = { dep: require.cache[fixture.path('dep.js')], user: require.cache[fixture.path('user.js')] };
  fixture.write('dep.js', "exports.value = 'v2';\n");
  assert.throws(() => modswap.reload(fixture.path('dep.js')), (error) => {
    assert.equal(error.code, 'ERR_MODSWAP_RELOAD_FAILED');
    assert.match(error.message, /user cannot take v2/);
    assert.equal(error.location.file, fixture.path('user.js'));
    return true;
  });
  assert.equal(require.cache[fixture.path('dep.js')], before.dep, 'the old dep is back');
  assert.equal(require.cache[fixture.path('user.js')], before.user, 'the old user is back');
  assert.equal(user(), 'v1');
  assert.deepEqual(before.user.children, [before.dep]);
  fixture.remove();
});

test('module.hot: dispose hands data to the next generation, bottom-up; accept handlers run top-down', () => {
  globalThis.__order = [];
  const fixture = makeFixture({
    'counter.js': `module.hot.dispose((data) => { data.count = count; globalThis.__order.push('dispose counter'); });
let count = (module.hot.data ? module.hot.data.count : 0) + 1;
module.exports = { count: () => count, data: module.hot.data };
`,
    'view.js': `const counter = require('./counter');
module.hot.dispose(() => globalThis.__order.push('dispose view'));
module.exports = () => counter.count();
`,
    'shell.js': `let view = require('./view');
module.hot.accept('./view', () => { view = require('./view'); globalThis.__order.push('accept shell'); });
module.exports = () => view();
`,
  });
  const shell = require(fixture.path('shell.js'));
  const shellModule = require.cache[fixture.path('shell.js')];
  assert.equal(shell(), 1);
  assert.equal(require(fixture.path('counter.js')).data, undefined, 'the first generation has no data');
  modswap.swap(fixture.path('counter.js'));
  assert.deepEqual(globalThis.__order.splice(0), ['dispose counter', 'dispose view', 'accept shell']);
  assert.equal(shell(), 2, 'the count went through data');
  assert.equal(require.cache[fixture.path('shell.js')], shellModule, 'the accepting module stays');
  assert.equal(module.hot.status(), 'idle');
  fixture.remove();
});

test('module.hot.decline() refuses the swap before anything changes', () => {
  const fixture = makeFixture({ 'db.js': 'module.hot.decline();\nmodule.exports = { v: 1 };\n' });
  require(fixture.path('db.js'));
  const db = require.cache[fixture.path('db.js')];
  fixture.write('db.js', 'module.exports = { v: 2 };\n');
  assert.throws(() => modswap.reload(fixture.path('db.js')), { code: 'ERR_MODSWAP_DECLINED' });
  assert.equal(require.cache[fixture.path('db.js')], db);
  fixture.remove();
});

test('module.hot.decline(dep) refuses an update of dep, also when the decliner is replaced in the same swap', () => {
  const fixture = makeFixture({
    'view.js': "module.hot.decline('./format');\nconst format = require('./format');\nmodule.exports = () => format();\n",
    'format.js': "module.exports = () => 'f1';\n",
  });
  // view.js is a boundary: an update of format.js would replace format.js and view.js.
  const view = modswap.hot(fixture.path('view.js'));
  const before = [require.cache[fixture.path('view.js')], require.cache[fixture.path('format.js')]];
  fixture.write('format.js', "module.exports = () => 'f2';\n");
  assert.throws(() => modswap.swap(fixture.path('format.js')), (error) => {
    assert.equal(error.code, 'ERR_MODSWAP_DECLINED');
    assert.equal(error.file, fixture.path('format.js'));
    assert.equal(error.message, `Cannot swap ${fixture.path('format.js')}: ${fixture.path('view.js')} declines its updates; restart to take it`);
    return true;
  });
  assert.deepEqual([require.cache[fixture.path('view.js')], require.cache[fixture.path('format.js')]], before);
  assert.equal(view(), 'f1');
  fixture.remove();
});

test('a throwing dispose handler stops the swap and the old version keeps serving', () => {
  const fixture = makeFixture({ 'm.js': "module.hot.dispose(() => { throw new Error('cannot let go'); });\nexports.v = 1;\n" });
  const old = require(fixture.path('m.js'));
  fixture.write('m.js', 'exports.v = 2;\n');
  assert.throws(() => modswap.reload(fixture.path('m.js')), (error) => {
    assert.equal(error.code, 'ERR_MODSWAP_DISPOSE_FAILED');
    assert.equal(error.file, fixture.path('m.js'));
    assert.match(error.message, /cannot let go/);
    return true;
  });
  assert.equal(require(fixture.path('m.js')), old);
  fixture.remove();
});

test('a throwing accept handler rolls the swap back', () => {
  const fixture = makeFixture({
    'dep.js': 'exports.v = 1;\n',
    'parent.js': "module.hot.accept('./dep', () => { throw new Error('bad accept'); });\nmodule.exports = require('./dep');\n",
  });
  require(fixture.path('parent.js'));
  const oldDep = require.cache[fixture.path('dep.js')];
  fixture.write('dep.js', 'exports.v = 2;\n');
  assert.throws(() => modswap.reload(fixture.path('dep.js')), { code: 'ERR_MODSWAP_ACCEPT_FAILED' });
  assert.equal(require.cache[fixture.path('dep.js')], oldDep);
  fixture.remove();
});

test('module.hot.accept(errorHandler) hears of a failed update of the module; the old version keeps serving', () => {
  const heard = [];
  globalThis.__heard = heard;
  const fixture = makeFixture({
    'self.js': "module.hot.accept((error, info) => globalThis.__heard.push([error.code, info.moduleId, 'v1']));\nexports.v = 1;\n",
  });
  const self = fixture.path('self.js');
  require(self);
  fixture.write('self.js', "module.hot.accept(() => globalThis.__heard.push('v2'));\nexports.v = 2;\nthrow new Error('v2 broke');\n");
  assert.throws(() => modswap.swap(self), { code: 'ERR_MODSWAP_RELOAD_FAILED' });
  assert.equal(require(self).v, 1, 'the old version keeps serving');
  assert.deepEqual(heard, [['ERR_MODSWAP_RELOAD_FAILED', self, 'v1']], 'the handler of the version still serving');
  fixture.write('self.js', 'module.hot.accept();\nexports.v = 3;\n');
  modswap.swap(self);
  assert.equal(require(self).v, 3);
  assert.equal(heard.length, 1, 'a good swap calls no error handler');
  delete globalThis.__heard;
  fixture.remove();
});

test('a self-accepting module is replaced alone; module.hot.invalidate() swaps it again', async () => {
  globalThis.__selfRuns = 0;
  const fixture = makeFixture({
    'self.js': 'globalThis.__selfRuns++;\nmodule.hot.accept();\nmodule.exports = { again: () => module.hot.invalidate() };\n',
    'top.js': "globalThis.__topRuns = (globalThis.__topRuns ?? 0) + 1;\nmodule.exports = require('./self');\n",
  });
  require(fixture.path('top.js'));
  const top = require.cache[fixture.path('top.js')];
  modswap.swap(fixture.path('self.js'));
  assert.equal(globalThis.__selfRuns, 2);
  assert.equal(globalThis.__topRuns, 1, 'the importer of a self-accepting module is not re-evaluated');
  assert.equal(require.cache[fixture.path('top.js')], top);
  require(fixture.path('self.js')).again();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(globalThis.__selfRuns, 3);
  fixture.remove();
});

test('bad input: hot() of a missing id, module.hot.accept of a missing dependency', () => {
  assert.throws(() => modswap.hot('./does-not-exist'), (error) => {
    assert.equal(error.code, 'ERR_MODSWAP_NOT_FOUND');
    assert.equal(error.message, `hot(): './does-not-exist' not found from ${__filename}`);
    assert.equal(error.file, './does-not-exist');
    return true;
  });
  const fixture = makeFixture({
    'bad.js': "module.hot.accept('./missing', () => {});\n",
    'app.js': `module.exports = require(${JSON.stringify(require.resolve('..'))}).hot('./missing');\n`,
  });
  assert.throws(() => require(fixture.path('bad.js')), {
    code: 'ERR_MODSWAP_NOT_FOUND',
    message: `module.hot.accept('./missing') in ${fixture.path('bad.js')}: ./missing cannot be resolved`,
  });
  // The requiring file is named: the id was resolved from it.
  assert.throws(() => require(fixture.path('app.js')), {
    code: 'ERR_MODSWAP_NOT_FOUND',
    message: `hot(): './missing' not found from ${fixture.path('app.js')}`,
  });
  assert.equal(require.cache[fixture.path('app.js')], undefined, 'the failed load left nothing cached');
  assert.throws(() => modswap.swap(42), { code: 'ERR_MODSWAP_INVALID_ARG' });
  assert.throws(() => modswap.hotApi({}), { code: 'ERR_MODSWAP_INVALID_ARG' });
  fixture.remove();
});

test('a compile-on-load require hook (sucrase/register/ts) works with swaps', () => {
  require('sucrase/register/ts');
  const fixture = makeFixture({
    'greet.ts': "const greeting: string = 'hello v1';\nexport default (name: string): string => `${greeting} ${name}`;\n",
  });
  const greet = modswap.hot(fixture.path('greet.ts'));
  assert.equal(greet.default('ts'), 'hello v1 ts');
  fixture.write('greet.ts', "const greeting: string = 'hello v2';\nexport default (name: string): string => `${greeting} ${name}`;\n");
  const result = modswap.swap(fixture.path('greet.ts'));
  assert.deepEqual(result.evaluated, [fixture.path('greet.ts')]);
  assert.equal(greet.default('ts'), 'hello v2 ts', 'the new TypeScript source was compiled by the hook');
  fixture.write('greet.ts', "const greeting: string = 'broken' +;\nexport default greeting;\n");
  assert.throws(() => modswap.swap(fixture.path('greet.ts')), { code: 'ERR_MODSWAP_RELOAD_FAILED' });
  assert.equal(greet.default('ts'), 'hello v2 ts', 'a compile error keeps the old version');
  fixture.remove();
});

test("Erlang's rule: a request in flight across two swaps is reported when its generation is purged", async () => {
  const http = require('node:http');
  const fixture = makeFixture({
    'slow.js': "module.exports = (req, res) => setTimeout(() => res.end('v1'), 400);\n",
  });
  const file = fixture.path('slow.js');
  const handler = modswap.hot(file);
  let arrived;
  const arrival = new Promise((resolve) => (arrived = resolve));
  const server = http.createServer((req, res) => {
    handler(req, res);
    arrived();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const warnings = [];
  const onWarning = (warning) => warnings.push(warning);
  process.on('warning', onWarning);
  try {
    const inFlight = new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: server.address().port, path: '/slow?id=1' }, (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve(body));
      }).on('error', reject);
    });
    await arrival;
    fixture.write('slow.js', "module.exports = (req, res) => res.end('v2');\n");
    modswap.swap(file);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(warnings, [], 'two generations may serve: v1 finishes its request');
    fixture.write('slow.js', "module.exports = (req, res) => res.end('v3');\n");
    modswap.swap(file);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(warnings.length, 1, 'the third generation purges the first');
    assert.equal(warnings[0].code, 'MODSWAP_PURGED_IN_FLIGHT');
    assert.match(warnings[0].message, /GET \/slow\?id=1/);
    const purged = modswap.stale().find((row) => row.file === file && row.generation === 1);
    assert.match(purged.reason, /purged when a third generation loaded; 1 call\(s\) still running on it: GET \/slow\?id=1/);
    assert.equal(await inFlight, 'v1');
  } finally {
    process.off('warning', onWarning);
    await new Promise((resolve) => server.close(resolve));
    fixture.remove();
  }
});

test("Erlang's rule: a purge closes the oldest generation's draining server hard and names the request it cuts", async () => {
  const http = require('node:http');
  const resources = require('../lib/dev/resources');
  // A long grace period: without the purge the old server would keep draining for a minute.
  resources.configure({ gracePeriodMs: 60_000 });
  const fixture = makeFixture({
    'server.js': [
      "const http = require('node:http');",
      'const server = http.createServer((req, res) => {',
      "  if (req.url.startsWith('/slow')) setTimeout(() => res.end('v1 slow'), 30_000);",
      "  else res.end('v1');",
      '});',
      "module.exports = new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));",
      '',
    ].join('\n'),
  });
  const file = fixture.path('server.js');
  const warnings = [];
  const onWarning = (warning) => warnings.push(warning);
  process.on('warning', onWarning);
  try {
    const firstServer = await require(file);
    const { port } = firstServer.address();
    const cut = new Promise((resolve) => {
      const request = http.get({ host: '127.0.0.1', port, path: '/slow?id=7', agent: false }, (response) => {
        response.resume();
        response.on('end', () => resolve('answered'));
      });
      request.on('error', (error) => resolve(error.code));
    });
    await new Promise((resolve) => firstServer.once('request', () => setImmediate(resolve)));
    modswap.swap(file);
    assert.equal(firstServer.listening, false, 'the replaced generation stops accepting');
    assert.equal(firstServer._connections, 1, 'and drains: the slow request is still open');
    assert.deepEqual(warnings, []);
    const firstClosed = new Promise((resolve) => firstServer.once('close', resolve));
    modswap.swap(file);
    assert.equal(await cut, 'ECONNRESET', 'the purge destroyed the connection of the request in flight');
    await firstClosed;
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0].code, 'MODSWAP_PURGED_IN_FLIGHT');
    assert.match(warnings[0].message, /closed hard: http server 127\.0\.0\.1:\d+ \(closing, 1 open\) \(destroyed; requests cut: GET \/slow\?id=7\)/);
    assert.match(warnings[0].message, /setTimeout 30000ms \(cleared\)/, 'what waited for the drain stops at once');
    const purged = modswap.stale().find((row) => row.file === file && row.generation === 1);
    if (purged !== undefined) assert.match(purged.reason, /requests cut: GET \/slow\?id=7/);
  } finally {
    process.off('warning', onWarning);
    resources.configure({ gracePeriodMs: 5000 });
    const current = await require(file);
    await new Promise((resolve) => current.close(resolve));
    fixture.remove();
  }
});

test('resourceOptions(), untracked() and resourcesSettled() are public', async () => {
  assert.deepEqual(modswap.resourceOptions(), { gracePeriodMs: 5000, stacks: 'auto' });
  assert.throws(() => modswap.resourceOptions({ gracePeriodMs: -1 }), { code: 'ERR_MODSWAP_INVALID_OPTIONS' });
  assert.throws(() => modswap.resourceOptions({ stacks: 'never' }), { code: 'ERR_MODSWAP_INVALID_OPTIONS' });
  assert.deepEqual(modswap.resourceOptions({}), { gracePeriodMs: 5000, stacks: 'auto' }, 'a rejected call changes nothing');
  const fixture = makeFixture({
    'pool.js': [
      "const modswap = require(process.env.MODSWAP_UNDER_TEST);",
      'const shared = modswap.untracked((ms) => setInterval(() => {}, ms), 1000);',
      'const own = setInterval(() => {}, 1000);',
      "const server = require('node:http').createServer(() => {});",
      "server.listen(0, '127.0.0.1');",
      'module.exports = { shared, own, server };',
      '',
    ].join('\n'),
  });
  process.env.MODSWAP_UNDER_TEST = require.resolve('..');
  const file = fixture.path('pool.js');
  const first = require(file);
  await new Promise((resolve) => first.server.once('listening', resolve));
  assert.deepEqual(modswap.resources(file).map((held) => held.kind).sort(), ['interval', 'server'], 'the untracked interval is nobody\'s');
  assert.throws(() => modswap.untracked('not a function'), { code: 'ERR_MODSWAP_INVALID_OPTIONS' });
  let closed = false;
  first.server.once('close', () => (closed = true));
  modswap.swap(file);
  await modswap.resourcesSettled();
  assert.equal(closed, true, 'settled waits for the old server to close');
  assert.equal(first.own._destroyed, true, "the generation's own interval was cleared");
  assert.equal(first.shared._destroyed, false, 'the untracked one survives the swap');
  // The swap evaluated a second generation: stop it by hand, the untracked intervals too.
  const second = require(file);
  clearInterval(first.shared);
  clearInterval(second.shared);
  clearInterval(second.own);
  second.server.close();
  delete process.env.MODSWAP_UNDER_TEST;
  fixture.remove();
});

test('resources(id) lists what the current generation holds; a swap disposes the old one', () => {
  const fixture = makeFixture({ 'ticker.js': 'const timer = setInterval(() => {}, 1000);\nmodule.exports = { timer };\n' });
  const file = fixture.path('ticker.js');
  const first = require(file);
  assert.deepEqual(modswap.resources(file).map((resource) => resource.kind), ['interval']);
  modswap.swap(file);
  assert.equal(first.timer._destroyed, true, 'the old interval was cleared');
  assert.deepEqual(modswap.resources(file).map((resource) => resource.kind), ['interval'], 'the new one runs');
  modswap.resourcePolicy(file, 'off');
  const second = require(file);
  modswap.swap(file);
  assert.equal(second.timer._destroyed, false, "policy 'off' leaves it running");
  clearInterval(second.timer);
  modswap.resourcePolicy(file, null);
  assert.throws(() => modswap.resourcePolicy('sometimes'), { code: 'ERR_MODSWAP_INVALID_OPTIONS' });
  clearInterval(require(file).timer);
  fixture.remove();
});

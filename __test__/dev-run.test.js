'use strict';
// `modswap run app.js`: swaps saved modules into the running server, keeps the old version on a
// broken save, restarts when the entry module or a restart-only file changes, `rs` restarts.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { makeFixture } = require('./helpers');
const { MODSWAP, get, startRunner, waitFor, waitForLog, ports, runToEnd, literal } = require('./runner-helpers');

const SERVER = `'use strict';
const http = require('node:http');
const modswap = require(${JSON.stringify(MODSWAP)});
const handler = modswap.hot('./handler');
require('./plain');
const server = http.createServer((req, res) => res.end(handler()));
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port + ' pid ' + process.pid));
`;

test('modswap run swaps saves, survives a broken save, restarts for the entry and .env', { timeout: 60000 }, async () => {
  const fixture = makeFixture({
    'server.js': SERVER,
    'handler.js': "module.exports = () => 'v1';\n",
    'plain.js': 'module.exports = 1;\n',
  });
  const { child, output } = startRunner(fixture.root);
  try {
    const first = await waitFor('the server to listen', () => ports(output)[0]);
    assert.equal(await get(first.port), 'v1');

    fixture.write('handler.js', "module.exports = () => 'v2';\n");
    await waitFor('v2 to be served', async () => (await get(first.port)) === 'v2');
    await waitForLog(output, /\[modswap\] swapped handler\.js in \d+\.\d ms/);

    fixture.write('handler.js', "module.exports = () => 'v3' +;\n");
    await waitFor('the broken save to be reported', () => /kept the previous version/.test(output.stderr));
    assert.match(output.stderr, /kept the previous version: \[ERR_MODSWAP_RELOAD_FAILED\] Reloading \S*handler\.js failed: SyntaxError/);
    assert.match(output.stderr, />\s+1 \| module\.exports = \(\) => 'v3' \+;/, 'a code frame of the bad line');
    assert.equal(await get(first.port), 'v2', 'the old version keeps serving');

    fixture.write('handler.js', "module.exports = () => 'v4';\n");
    await waitFor('the next good save', async () => (await get(first.port)) === 'v4');
    assert.equal(ports(output).length, 1, 'no restart so far');

    fixture.write('server.js', `${SERVER}// edited\n`);
    const second = await waitFor('a restart for the entry module', () => ports(output)[1]).catch((error) => {
      throw new Error(`${error.message}; stderr: ${output.stderr}`);
    });
    assert.notEqual(second.pid, first.pid);
    await waitForLog(output, /restarting: .*entry module/);

    fixture.write('.env', 'A=1\n');
    const third = await waitFor('a restart for .env', () => ports(output)[2]);
    await waitForLog(output, /restarting: \.env changed/);

    child.stdin.write('rs\n');
    await waitFor('a restart for rs', () => ports(output)[3]);
    await waitForLog(output, /restarting: rs typed/);
    assert.equal(await get(ports(output)[3].port), 'v4');

    // plain.js is required by the entry with no boundary: swapping it would leave the entry on
    // the old version, so the runner restarts.
    fixture.write('plain.js', 'module.exports = 2;\n');
    await waitFor('a restart for an unaccepted change', () => ports(output)[4]);
    await waitForLog(output, /restarting: The change reaches the entry module .*server\.js through .*plain\.js/);

    // A loaded file deleted: reported, and the running app is untouched.
    const last = ports(output)[4];
    fs.rmSync(fixture.path('handler.js'));
    await waitFor('the deletion to be reported', () => /handler\.js was deleted; the loaded version keeps serving/.test(output.stderr));
    assert.equal(await get(last.port), 'v4');
    assert.equal(ports(output).length, 5, 'no restart for a deleted file');
    void third;
  } finally {
    child.kill('SIGTERM');
    await waitFor('the runner to exit', () => child.exitCode !== null || child.signalCode !== null);
    fixture.remove();
  }
});

test('modswap run: a missing entry file and an unknown option are clear errors', () => {
  const fixture = makeFixture({ 'package.json': '{"modswap": {"delay": "soon"}}' });
  // runToEnd kills a runner that did not exit within its bound: a status of null fails.
  const run = (args) => {
    const { status, stderr } = runToEnd(fixture.root, args);
    return { code: status, stderr };
  };
  const missing = run(['nope.js']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, literal(`modswap run: [ERR_MODSWAP_NOT_FOUND] the entry file ${fixture.path('nope.js')} does not exist`));
  assert.doesNotMatch(missing.stderr, /at \S+:\d+:\d+/, 'a message, not a stack trace');
  const unknown = run(['--frobnicate', 'x', 'app.js']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown option --frobnicate/);
  fs.writeFileSync(fixture.path('app.js'), '');
  const badConfig = run(['app.js']);
  assert.equal(badConfig.code, 1);
  assert.match(badConfig.stderr, literal(`[ERR_MODSWAP_CONFIG] ${fixture.path('package.json')}: option 'delay' must be an integer`));
  fixture.remove();
});

test('the swap signal swaps the loaded project files modified since the last look', async () => {
  require('..'); // module.hot
  const { HotReloader } = require('../lib/dev/hot-reloader');
  // Self-accepting: this test file is the entry module, and a swap must not reach it.
  const fixture = makeFixture({
    'a.js': "module.hot.accept();\nmodule.exports = 'a1';\n",
    'b.js': "module.hot.accept();\nmodule.exports = 'b1';\n",
  });
  // Saved a minute ago: "since the last look" must not depend on which millisecond the files
  // were written in.
  const before = new Date(Date.now() - 60_000);
  for (const name of ['a.js', 'b.js']) fs.utimesSync(fixture.path(name), before, before);
  require(fixture.path('a.js'));
  require(fixture.path('b.js'));
  const lines = [];
  const reloader = new HotReloader({ watch: [fixture.root], restartOn: [], signal: null }, {
    log: (line) => lines.push(line),
    restart: (reason) => lines.push(`restart: ${reason}`),
  });
  reloader.swapChangedSinceLastLook();
  assert.deepEqual(lines, ['null: no loaded file changed']);
  fixture.write('a.js', "module.hot.accept();\nmodule.exports = 'a2';\n");
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(fixture.path('a.js'), later, later);
  reloader.swapChangedSinceLastLook();
  assert.equal(require(fixture.path('a.js')), 'a2');
  assert.equal(require(fixture.path('b.js')), 'b1');
  assert.match(lines[1], /^swapped .*a\.js in \d+\.\d ms$/);
  // A save just after the look whose time the kernel's coarse clock put a few ms before it.
  fixture.write('b.js', "module.hot.accept();\nmodule.exports = 'b2';\n");
  const justBefore = new Date(reloader.lastLook - 5);
  fs.utimesSync(fixture.path('b.js'), justBefore, justBefore);
  reloader.swapChangedSinceLastLook();
  assert.equal(require(fixture.path('b.js')), 'b2');
  // b.js alone: a.js keeps the time the last look saw, even though that time is in the future.
  assert.match(lines[2], /^swapped \S*b\.js in \d+\.\d ms$/);
  reloader.swapChangedSinceLastLook();
  assert.equal(lines[3], 'null: no loaded file changed');
  fixture.remove();
});

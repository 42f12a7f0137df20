'use strict';
// `modswap run` when the OS watch limit is reached for real (inotify ENOSPC, in a user namespace
// whose limit is lowered; the machine's limits are untouched): the app keeps running, the log
// gives the error's code, the directory and the fix, and the runner itself survives.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { makeFixture } = require('./helpers');
const { MODSWAP, get, startRunner, stopRunner, waitFor, waitForLog, ports, inotifyLimitWrap, literal } = require('./runner-helpers');

const SERVER = `'use strict';
const http = require('node:http');
const modswap = require(${JSON.stringify(MODSWAP)});
const handler = modswap.hot('./handler');
const server = http.createServer((req, res) => {
  res.end(handler());
  if (req.url === '/exit') server.close(() => process.exit(0));
});
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port + ' pid ' + process.pid));
`;

const LIMIT_LINE = /\[modswap\] watcher: \[ERR_MODSWAP_WATCH_LIMIT\] cannot watch (\S+): the system limit on watched directories is reached.*sysctl fs\.inotify\.max_user_watches=\d+/;

test('modswap run over the inotify watch limit: the app runs on, the log says where and how to fix it', { timeout: 90000 }, async (t) => {
  // 3 watches: the project's root fits, the 4 directories of deep/ do not.
  const { wrap, skip } = inotifyLimitWrap({ watches: 3 });
  if (skip) return t.skip(skip);
  const fixture = makeFixture({ 'server.js': SERVER, 'handler.js': "module.exports = () => 'v1';\n" });
  const { child, output } = startRunner(fixture.root, ['server.js'], { wrap });
  const withLog = (error) => {
    throw new Error(`${error.message}\nstderr:\n${output.stderr}`);
  };
  try {
    const first = await waitFor('the server to listen', () => ports(output)[0]);
    assert.equal(await get(first.port), 'v1');

    // While running: a new tree over the limit is reported, and watching goes on.
    fs.mkdirSync(fixture.path('deep/a/b/c'), { recursive: true });
    const [, dir] = await waitFor('the limit to be reported', () => LIMIT_LINE.exec(output.stderr)).catch(withLog);
    assert.ok(dir.startsWith(fixture.path('deep')), `names a new directory: ${dir}`);
    fixture.write('handler.js', "module.exports = () => 'v2';\n");
    await waitFor('v2 to be served', async () => (await get(first.port)) === 'v2').catch(withLog);

    // At start: the project is over the limit now. The app starts anyway, without swaps on
    // save; the swap signal still swaps.
    const logged = output.stderr.length;
    child.stdin.write('rs\n');
    const second = await waitFor('a restart for rs', () => ports(output)[1]).catch(withLog);
    await waitForLog(output, LIMIT_LINE, 'the limit to be reported at start', logged);
    assert.match(output.stderr.slice(logged), literal(`; saves under ${fixture.root} are not swapped; SIGUSR2 still swaps changed files`));
    assert.equal(await get(second.port), 'v2');
    fixture.write('handler.js', "module.exports = () => 'v3';\n");
    process.kill(second.pid, 'SIGUSR2');
    await waitFor('v3 to be served after SIGUSR2', async () => (await get(second.port)) === 'v3').catch(withLog);

    // The app exits: the runner's own watcher is over the limit too. The runner stays, and
    // rs starts the app again.
    await get(second.port, '/exit');
    await waitFor('the runner to report the failed watch', () =>
      /cannot watch for changes: \[ERR_MODSWAP_WATCH_LIMIT\] cannot watch \S+: .*max_user_watches.*; type rs \+ Enter to start the app again/.test(output.stderr),
    ).catch(withLog);
    assert.equal(child.exitCode, null, 'the runner is still running');
    child.stdin.write('rs\n');
    const third = await waitFor('the app to start again on rs', () => ports(output)[2]).catch(withLog);
    assert.equal(await get(third.port), 'v3');
  } finally {
    await stopRunner(child);
    fixture.remove();
  }
});

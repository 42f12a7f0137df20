'use strict';
// Changes `modswap run` cannot swap, through the real command: a declined module restarts the
// app with the reason in the log; a throwing disposer or a hot() id that does not resolve keeps
// the old version serving, with the error's code and file in the log; a deleted file keeps its
// loaded version.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { makeFixture } = require('./helpers');
const { MODSWAP, get, startRunner, stopRunner, waitFor, waitForLog, ports, literal } = require('./runner-helpers');

const serverOf = (names) => `'use strict';
const http = require('node:http');
const modswap = require(${JSON.stringify(MODSWAP)});
const handlers = ${JSON.stringify(names)}.map((name) => modswap.hot('./' + name));
const server = http.createServer((req, res) => res.end(handlers.map((handler) => handler()).join(' ')));
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port + ' pid ' + process.pid));
`;

/** Fails with the runner's log attached, so a timeout says what the runner did instead. */
const withLog = (output) => (error) => {
  throw new Error(`${error.message}\nstderr:\n${output.stderr}`);
};

test('modswap run: saving a declined module restarts the app, and the log says why', { timeout: 60000 }, async () => {
  const fixture = makeFixture({
    'server.js': serverOf(['db', 'view']),
    'db.js': "module.hot.decline();\nmodule.exports = () => 'db1';\n",
    'view.js': "module.hot.decline('./format');\nconst format = require('./format');\nmodule.exports = () => format();\n",
    'format.js': "module.exports = () => 'f1';\n",
  });
  const { child, output } = startRunner(fixture.root);
  try {
    const first = await waitFor('the server to listen', () => ports(output)[0]);
    assert.equal(await get(first.port), 'db1 f1');

    fixture.write('db.js', "module.hot.decline();\nmodule.exports = () => 'db2';\n");
    const second = await waitFor('a restart for the declined db.js', () => ports(output)[1]).catch(withLog(output));
    assert.notEqual(second.pid, first.pid);
    await waitForLog(output, literal(`[modswap] restarting: Cannot swap ${fixture.path('db.js')}: it declines updates (module.hot.decline()); restart to take it`));
    assert.equal(await get(second.port), 'db2 f1');

    // A dependency its importer declines: the log names both.
    fixture.write('format.js', "module.exports = () => 'f2';\n");
    const third = await waitFor('a restart for format.js, declined by view.js', () => ports(output)[2]).catch(withLog(output));
    await waitForLog(output, literal(`[modswap] restarting: Cannot swap ${fixture.path('format.js')}: ${fixture.path('view.js')} declines its updates`));
    assert.equal(await get(third.port), 'db2 f2');
    assert.doesNotMatch(output.stderr, /swapped/, 'nothing declined was swapped');
  } finally {
    await stopRunner(child);
    fixture.remove();
  }
});

test('modswap run: a throwing disposer, a hot() id that does not resolve, a deleted dependency: the app keeps serving', { timeout: 60000 }, async () => {
  const fixture = makeFixture({
    'server.js': serverOf(['holder', 'routes']),
    'holder.js': "module.hot.dispose(() => { throw new Error('cannot let go'); });\nmodule.exports = () => 'holder1';\n",
    'routes.js': "module.exports = () => 'routes1';\n",
  });
  const { child, output } = startRunner(fixture.root);
  try {
    const first = await waitFor('the server to listen', () => ports(output)[0]);
    assert.equal(await get(first.port), 'holder1 routes1');

    fixture.write('holder.js', "module.exports = () => 'holder2';\n");
    await waitFor('the failed dispose to be reported', () => /kept the previous version/.test(output.stderr), 10000).catch(withLog(output));
    assert.match(
      output.stderr,
      literal(`[modswap] kept the previous version: [ERR_MODSWAP_DISPOSE_FAILED] A dispose handler of ${fixture.path('holder.js')} threw: cannot let go`),
    );
    assert.equal(await get(first.port), 'holder1 routes1', 'the swap was rolled back');

    const missing = `module.exports = require(${JSON.stringify(MODSWAP)}).hot('./missing');\n`;
    fixture.write('routes.js', missing);
    await waitFor('the bad hot() id to be reported', () => /kept the previous version.*routes\.js/.test(output.stderr)).catch(withLog(output));
    assert.match(
      output.stderr,
      literal(
        `[modswap] kept the previous version: [ERR_MODSWAP_RELOAD_FAILED] Reloading ${fixture.path('routes.js')} failed: ` +
          `ModswapError: hot(): './missing' not found from ${fixture.path('routes.js')} (at ${fixture.path('routes.js')}:1:`,
      ),
    );
    assert.match(output.stderr, /> 1 \| module\.exports = require\(.*\)\.hot\('\.\/missing'\);/, 'a code frame of the call');
    assert.equal(await get(first.port), 'holder1 routes1', 'the old version keeps serving');

    fixture.write('routes.js', "const word = require('./word');\nmodule.exports = () => word + '3';\n");
    fixture.write('word.js', "module.exports = 'routes';\n");
    await waitFor('the next good save', async () => (await get(first.port)) === 'holder1 routes3').catch(withLog(output));

    // A loaded file deleted: reported, nothing swapped, and its loaded version keeps serving,
    // also to a new version of its importer; written again, it is swapped in.
    const beforeDeletion = output.stderr.length;
    fs.rmSync(fixture.path('word.js'));
    await waitFor('the deletion to be reported', () => /word\.js was deleted; the loaded version keeps serving/.test(output.stderr)).catch(withLog(output));
    assert.equal(await get(first.port), 'holder1 routes3');
    fixture.write('routes.js', "const word = require('./word');\nmodule.exports = () => word + '4';\n");
    await waitFor('the importer to be swapped', async () => (await get(first.port)) === 'holder1 routes4').catch(withLog(output));
    await waitForLog(output, /swapped routes\.js/, 'the swap to be logged', beforeDeletion);
    assert.deepEqual(
      output.stderr.slice(beforeDeletion).trim().split('\n').map((line) => line.replace(/ in \d+\.\d ms$/, '')),
      ['[modswap] word.js was deleted; the loaded version keeps serving', '[modswap] swapped routes.js'],
      'no error: the deleted file was not run',
    );
    fixture.write('word.js', "module.exports = 'ROUTES';\n");
    await waitFor('the file written again to be swapped', async () => (await get(first.port)) === 'holder1 ROUTES4').catch(withLog(output));
    assert.equal(ports(output).length, 1, 'no restart');
  } finally {
    await stopRunner(child);
    fixture.remove();
  }
});

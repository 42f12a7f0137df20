'use strict';
// `modswap run` options: modswap.config.js is applied, the command line beats it and it beats
// package.json's `modswap` key; a config that cannot be read, throws or is invalid stops the
// runner with ERR_MODSWAP_CONFIG naming the file, before the app starts.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
const { makeFixture } = require('./helpers');
const { BIN, MODSWAP, get, startRunner, stopRunner, waitFor, waitForLog, ports, runToEnd, literal } = require('./runner-helpers');

const SERVER = `'use strict';
const http = require('node:http');
const modswap = require(${JSON.stringify(MODSWAP)});
const handler = modswap.hot('./handler');
const a = modswap.hot('./cfg-ignored/a');
const b = modswap.hot('./cli-ignored/b');
console.log('config ' + process.env.MODSWAP_RUN_CONFIG);
const server = http.createServer((req, res) => res.end([handler(), a(), b()].join(' ')));
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port + ' pid ' + process.pid));
`;

test('modswap.config.js is applied; the command line beats it, it beats package.json', { timeout: 60000 }, async () => {
  const fixture = makeFixture({
    'package.json': JSON.stringify({
      modswap: { restartOn: ['pkg.flag'], ignore: ['pkg-ignored'], delay: 40, signal: 'SIGUSR2' },
    }),
    'modswap.config.js': "module.exports = { restartOn: ['cfg.flag'], ignore: ['cfg-ignored'], delay: 30 };\n",
    'server.js': SERVER,
    'handler.js': "module.exports = () => 'h1';\n",
    'cfg-ignored/a.js': "module.exports = () => 'a1';\n",
    'cli-ignored/b.js': "module.exports = () => 'b1';\n",
  });
  const { child, output } = startRunner(fixture.root, ['--ignore', 'cli-ignored', '--delay', '3', 'server.js']);
  try {
    const first = await waitFor('the server to listen', () => ports(output)[0]);
    assert.equal(await get(first.port), 'h1 a1 b1');
    const config = JSON.parse(/^config (.*)$/m.exec(output.stdout)[1]);
    assert.deepEqual(
      { restartOn: config.restartOn, ignore: config.ignore, delay: config.delay, signal: config.signal },
      { restartOn: ['cfg.flag'], ignore: ['cli-ignored'], delay: 3, signal: 'SIGUSR2' },
      'restartOn from modswap.config.js, ignore and delay from the command line, signal from package.json',
    );

    // package.json's restart-only file is overridden by modswap.config.js's: a write to it
    // restarts nothing, so the save after it is swapped into the first process (a restart
    // would come first, or instead).
    fixture.write('pkg.flag', '1');
    fixture.write('handler.js', "module.exports = () => 'h2';\n");
    await waitFor('h2 to be served', async () => (await get(first.port)).startsWith('h2'));
    assert.doesNotMatch(output.stderr, /restarting/);

    // modswap.config.js's ignore is overridden by the command line's: a save in cli-ignored/ is
    // not seen, one in cfg-ignored/ after it is.
    fixture.write('cli-ignored/b.js', "module.exports = () => 'b2';\n");
    fixture.write('cfg-ignored/a.js', "module.exports = () => 'a2';\n");
    await waitFor('a2 to be served', async () => (await get(first.port)) !== 'h2 a1 b1');
    assert.equal(await get(first.port), 'h2 a2 b1', 'cfg-ignored/a.js swapped, cli-ignored/b.js not');
    assert.doesNotMatch(output.stderr, /swapped .*b\.js/);

    // modswap.config.js's restart-only file restarts.
    fixture.write('cfg.flag', '1');
    const second = await waitFor('a restart for cfg.flag', () => ports(output)[1]);
    await waitForLog(output, /\[modswap\] restarting: cfg\.flag changed/);
    assert.equal(await get(second.port), 'h2 a2 b2', 'the new process loads what is on disk');
  } finally {
    await stopRunner(child);
    fixture.remove();
  }
});

test('an ES module modswap.config.js (export default) is read', (t) => {
  if (!process.features.require_module) return t.skip('this Node cannot require() an ES module (20.19+, 22.12+)');
  const { loadConfig } = require('../lib/dev/config');
  const fixture = makeFixture({ 'modswap.config.js': "export default { restartOn: ['esm.flag'], delay: 7 };\n" });
  const config = loadConfig(fixture.root, { delay: 9 });
  assert.deepEqual(config.restartOn, ['esm.flag']);
  assert.equal(config.delay, 9);
  fixture.remove();
  assertConfigError({ 'modswap.config.js': 'export const delay = 1;\n' }, /is an ES module without a default export/);
});

// The app marks its start: none of the configs below may let it run.
const APP = "console.log('app started');\nrequire('node:fs').writeFileSync(__dirname + '/started', '');\n";

/** `modswap run app.js` with `files`; asserts ERR_MODSWAP_CONFIG naming `file`, exit 1, no app. */
function assertConfigError(files, expected, { file = 'modswap.config.js', spawnOptions, prepare } = {}) {
  const fixture = makeFixture({ 'app.js': APP, ...files });
  try {
    prepare?.(fixture);
    const result = runToEnd(fixture.root, ['app.js'], spawnOptions);
    assert.equal(result.status, 1, `exit code; stderr: ${result.stderr}`);
    assert.match(result.stderr, literal(`modswap run: [ERR_MODSWAP_CONFIG] ${fixture.path(file)}: `));
    assert.match(result.stderr, expected);
    assert.doesNotMatch(result.stderr, /^\s+at /m, 'a message, not a stack trace');
    assert.equal(result.stdout, '');
    assert.equal(fs.existsSync(fixture.path('started')), false, 'the app did not start');
  } finally {
    fixture.remove();
  }
}

test('a modswap.config.js that throws, does not parse or exports no options stops the runner before the app', () => {
  assertConfigError({ 'modswap.config.js': "throw new Error('no config for you');\n" }, /: failed to load: no config for you \(at \S*modswap\.config\.js:1\)/);
  assertConfigError({ 'modswap.config.js': 'module.exports = { delay: 1,, };\n' }, /: failed to load: Unexpected token ','/);
  assertConfigError({ 'modswap.config.js': 'module.exports = async () => ({ delay: 1 });\n' }, /must be a plain object, got a function/);
  assertConfigError({ 'modswap.config.js': 'module.exports = Promise.resolve({ delay: 1 });\n' }, /must be a plain object, got a Promise/);
  assertConfigError({ 'modswap.config.js/index.js': 'module.exports = {};\n' }, /modswap\.config\.js: is not a file/);
});

test('invalid options in modswap.config.js name the file and the option', () => {
  assertConfigError({ 'modswap.config.js': "module.exports = { restartOn: '.env' };\n" }, /option 'restartOn' must be an array of strings/);
  assertConfigError({ 'modswap.config.js': 'module.exports = { delay: -1 };\n' }, /option 'delay' must be an integer/);
  assertConfigError({ 'modswap.config.js': "module.exports = { signal: 'usr2' };\n" }, /option 'signal' must be a signal name/);
  assertConfigError({ 'modswap.config.js': 'module.exports = { wacth: [] };\n' }, /unknown option 'wacth'/);
  // Each source is checked, also when a later one overrides the bad value.
  assertConfigError(
    { 'package.json': '{"modswap": {"delay": "soon"}}', 'modswap.config.js': 'module.exports = { delay: 1 };\n' },
    /option 'delay' must be an integer/,
    { file: 'package.json' },
  );
});

/**
 * How to run the runner so that a chmod 000 file is unreadable to it: as is for a normal user;
 * as root (CI), without the capabilities that let root read any file (setpriv drops them from the
 * bounding set, so the checkout stays readable wherever it is cloned), else as nobody when nobody
 * can reach the checkout. `{ spawnOptions }` or `{ skip }`.
 */
function withoutReadOverride() {
  if (process.getuid() !== 0) return { spawnOptions: {} };
  const setpriv = spawnSync('setpriv', ['--bounding-set', '-dac_override,-dac_read_search', 'true']);
  if (setpriv.status === 0) return { spawnOptions: { wrap: ['setpriv', '--bounding-set', '-dac_override,-dac_read_search'] } };
  const asNobody = { uid: 65534, gid: 65534 };
  const reach = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(BIN)})`], asNobody);
  if (reach.status === 0) return { spawnOptions: asNobody };
  return { skip: 'running as root without setpriv, in a checkout nobody cannot read: no way to make a file unreadable' };
}

test('an unreadable modswap.config.js stops the runner before the app', (t) => {
  if (process.platform === 'win32') return t.skip('no POSIX file modes on Windows');
  const { spawnOptions, skip } = withoutReadOverride();
  if (skip !== undefined) return t.skip(skip);
  assertConfigError({ 'modswap.config.js': 'module.exports = {};\n' }, /: cannot be read \(EACCES\)/, {
    spawnOptions,
    prepare(fixture) {
      fs.chmodSync(fixture.path('modswap.config.js'), 0o000);
      if (spawnOptions.uid !== undefined) fs.chmodSync(fixture.root, 0o755); // nobody must reach the app and the config
    },
  });
});

'use strict';
// `modswap run` with ES modules, through the real command: mixed apps (an ES module entry that
// imports CommonJS, a CommonJS entry that imports ES modules), broken saves, the swap signal
// and `rs`, and invalidate() of either kind of module reaching the runner as a saved file does.
const test = require('node:test');
const assert = require('node:assert/strict');
const { makeFixture } = require('./helpers');
const { INDEX, HOT_HANDLER_SERVER } = require('./esm-helpers');
const { get, underRunner, waitFor, waitForLog, nthServer, ports, inotifyLimitWrap, literal } = require('./runner-helpers');

/** An http server whose routes call the exports of `modswap.hot('./handler.mjs')` by name. */
const ROUTED_SERVER = `import http from 'node:http';
import modswap from ${JSON.stringify(INDEX)};
const handler = await modswap.hot('./handler.mjs');
const server = http.createServer((req, res) => res.end(String(handler[req.url.slice(1) || 'read']())));
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port + ' pid ' + process.pid));
`;

test('modswap run app.mjs: a broken save (top-level throw, rejected top-level await) keeps the old version, with file, line and code frame', { timeout: 60000 }, async () => {
  await underRunner(
    { 'server.mjs': HOT_HANDLER_SERVER, 'handler.mjs': "import { tag } from './tag.mjs';\nexport default () => tag;\n", 'tag.mjs': "export const tag = 'v1';\n" },
    'server.mjs',
    async ({ fixture, output }) => {
      const { port } = await nthServer(output, 0, 'the server to listen');
      const tag = fixture.path('tag.mjs');
      fixture.write('tag.mjs', "export const tag = 'v2';\n\nthrow new Error('thrown at the top');\n");
      await waitForLog(output, literal(`kept the previous version: [ERR_MODSWAP_RELOAD_FAILED] Reloading ${tag} failed: Error: thrown at the top (at ${tag}:3:7)`));
      await waitForLog(output, />\s+3 \| throw new Error\('thrown at the top'\);\n\s+\| {7}\^/, 'a code frame with a column marker');
      assert.equal(await get(port), 'v1');
      const logged = output.stderr.length;
      fixture.write('tag.mjs', "export const tag = 'v3';\nawait Promise.reject(new Error('awaited and rejected'));\n");
      await waitForLog(output, literal(`Reloading ${tag} failed: Error: awaited and rejected (at ${tag}:2:`), undefined, logged);
      await waitForLog(output, />\s+2 \| await Promise\.reject/, 'a code frame of the rejected await', logged);
      assert.equal(await get(port), 'v1', 'the old version keeps serving');
      fixture.write('tag.mjs', "export const tag = 'v4';\n");
      await waitFor('the next good save', async () => (await get(port)) === 'v4');
      assert.equal(ports(output).length, 1, 'no restart');
    },
  );
});

test('modswap run app.mjs without a file watcher: SIGUSR2 swaps modified ES modules; rs restarts', { timeout: 60000 }, async (t) => {
  // No inotify watch at all: only the signal can see the save.
  const { wrap, skip } = inotifyLimitWrap({ watches: 0 });
  if (skip) return t.skip(skip);
  await underRunner(
    { 'server.mjs': HOT_HANDLER_SERVER, 'handler.mjs': "import { tag } from './tag.mjs';\nexport default () => tag;\n", 'tag.mjs': "export const tag = 'v1';\n" },
    'server.mjs',
    async ({ fixture, output, child }) => {
      const first = await nthServer(output, 0, 'the server to listen');
      await waitForLog(output, /saves under \S+ are not swapped; SIGUSR2 still swaps changed files/);
      fixture.write('tag.mjs', "export const tag = 'v2';\n");
      process.kill(first.pid, 'SIGUSR2');
      await waitForLog(output, /\[modswap\] swapped tag\.mjs \(\+1 importer\) in \d+\.\d ms/);
      assert.equal(await get(first.port), 'v2');
      const logged = output.stderr.length;
      process.kill(first.pid, 'SIGUSR2');
      await waitForLog(output, /SIGUSR2: no loaded file changed/, undefined, logged);
      fixture.write('tag.mjs', "export const tag = 'v3';\n");
      child.stdin.write('rs\n');
      const second = await nthServer(output, 1, 'a restart for rs');
      assert.notEqual(second.pid, first.pid);
      assert.equal(await get(second.port), 'v3');
    },
    { wrap },
  );
});

test('modswap run app.mjs: import.meta.hot.invalidate() logs, keeps the old version or restarts as a saved file does', { timeout: 60000 }, async () => {
  await underRunner(
    {
      'server.mjs': ROUTED_SERVER,
      'handler.mjs': `import { freeze } from './frozen.mjs';
let reads = 0;
if (globalThis.breakHandler) throw new Error('handler broke on invalidate');
export const read = () => 'reads:' + ++reads;
export const invalidate = () => { import.meta.hot.invalidate(); return 'invalidating'; };
export const arm = () => (globalThis.breakHandler = true);
export const disarm = () => (globalThis.breakHandler = false);
export { freeze };
`,
      'frozen.mjs': "import.meta.hot.decline();\nexport const freeze = () => { import.meta.hot.invalidate(); return 'freezing'; };\n",
    },
    'server.mjs',
    async ({ fixture, output }) => {
      const handler = fixture.path('handler.mjs');
      const first = await nthServer(output, 0, 'the server to listen');
      assert.equal(await get(first.port, '/read'), 'reads:1');
      await get(first.port, '/arm');
      assert.equal(await get(first.port, '/invalidate'), 'invalidating');
      await waitForLog(output, literal(`kept the previous version: [ERR_MODSWAP_RELOAD_FAILED] Reloading ${handler} failed: Error: handler broke on invalidate (at ${handler}:3:`));
      await waitForLog(output, />\s+3 \| if \(globalThis\.breakHandler\)/, 'a code frame');
      assert.equal(await get(first.port, '/read'), 'reads:2', 'the old version keeps serving');
      await get(first.port, '/disarm');
      await get(first.port, '/invalidate');
      await waitForLog(output, /\[modswap\] swapped handler\.mjs \(invalidated\) in \d+\.\d ms/);
      assert.equal(await get(first.port, '/read'), 'reads:1', 'a new version serves');
      assert.equal(await get(first.port, '/freeze'), 'freezing');
      const second = await nthServer(output, 1, 'a restart for the declined invalidation');
      await waitForLog(output, literal(`restarting: Cannot swap ${fixture.path('frozen.mjs')}: it declines updates`));
      assert.notEqual(second.pid, first.pid);
    },
  );
});

test('modswap run app.js: module.hot.invalidate() reaches the runner too (old version kept, or a restart)', { timeout: 60000 }, async () => {
  await underRunner(
    {
      'server.js': `const http = require('node:http');
const modswap = require(${JSON.stringify(INDEX)});
const handler = modswap.hot('./handler');
const server = http.createServer((req, res) => res.end(String(handler[req.url.slice(1) || 'read']())));
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port + ' pid ' + process.pid));
`,
      'handler.js': `const frozen = require('./frozen');
if (globalThis.breakHandler) throw new Error('handler broke on invalidate');
module.hot.accept();
exports.read = () => 'v1';
exports.invalidate = () => { module.hot.invalidate(); return 'invalidating'; };
exports.arm = () => (globalThis.breakHandler = true);
exports.freeze = frozen.freeze;
`,
      'frozen.js': "module.hot.decline();\nexports.freeze = () => { module.hot.invalidate(); return 'freezing'; };\n",
    },
    'server.js',
    async ({ fixture, output }) => {
      const handler = fixture.path('handler.js');
      const first = await nthServer(output, 0, 'the server to listen');
      await get(first.port, '/arm');
      await get(first.port, '/invalidate');
      await waitForLog(output, literal(`kept the previous version: [ERR_MODSWAP_RELOAD_FAILED] Reloading ${handler} failed: Error: handler broke on invalidate (at ${handler}:2:`));
      assert.equal(await get(first.port, '/read'), 'v1');
      await get(first.port, '/freeze');
      const second = await nthServer(output, 1, 'a restart for the declined invalidation');
      await waitForLog(output, literal(`restarting: Cannot swap ${fixture.path('frozen.js')}: it declines updates`));
      assert.notEqual(second.pid, first.pid);
    },
  );
});

test('modswap run app.mjs importing CommonJS and an ES module boundary: a saved ES module swaps without a restart', { timeout: 60000 }, async () => {
  await underRunner(
    {
      'server.mjs': `import http from 'node:http';
import modswap from ${JSON.stringify(INDEX)};
import config from './config.cjs';
const handler = await modswap.hot('./handler.mjs');
const server = http.createServer((req, res) => res.end(config.prefix + handler()));
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port + ' pid ' + process.pid));
`,
      'config.cjs': "module.exports = { prefix: 'cjs:' };\n",
      'handler.mjs': "import { tag } from './tag.mjs';\nimport { shout } from './util.cjs';\nexport default () => shout(tag);\n",
      'util.cjs': 'exports.shout = (text) => text.toUpperCase();\n',
      'tag.mjs': "export const tag = 'v1';\n",
    },
    'server.mjs',
    async ({ fixture, output }) => {
      const { port } = await nthServer(output, 0, 'the server to listen');
      assert.equal(await get(port), 'cjs:V1');
      fixture.write('tag.mjs', "export const tag = 'v2';\n");
      await waitFor('v2 to be served', async () => (await get(port)) === 'cjs:V2');
      await waitForLog(output, /\[modswap\] swapped tag\.mjs \(\+1 importer\) in \d+\.\d ms/);
      fixture.write('handler.mjs', "import { tag } from './tag.mjs';\nimport { shout } from './util.cjs';\nexport default () => shout(tag) + '!';\n");
      await waitFor('the saved boundary to serve', async () => (await get(port)) === 'cjs:V2!');
      assert.equal(ports(output).length, 1, 'no restart');
    },
  );
});

test('modswap run app.js (CommonJS) loading ES modules with import(): behind hot() they swap; a plain import() restarts', { timeout: 60000 }, async () => {
  await underRunner(
    {
      'server.js': `const http = require('node:http');
const modswap = require(${JSON.stringify(INDEX)});
(async () => {
  const handler = await modswap.hot('./handler.mjs');
  const { suffix } = await import('./plain.mjs');
  const server = http.createServer((req, res) => res.end(handler() + suffix));
  server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port + ' pid ' + process.pid));
})();
`,
      'handler.mjs': "import { tag } from './tag.mjs';\nexport default () => tag;\n",
      'tag.mjs': "export const tag = 'v1';\n",
      'plain.mjs': "export const suffix = '.';\n",
    },
    'server.js',
    async ({ fixture, output }) => {
      const first = await nthServer(output, 0, 'the server to listen');
      assert.equal(await get(first.port), 'v1.');
      fixture.write('tag.mjs', "export const tag = 'v2';\n");
      await waitFor('v2 to be served', async () => (await get(first.port)) === 'v2.');
      await waitForLog(output, /\[modswap\] swapped tag\.mjs \(\+1 importer\) in \d+\.\d ms/);
      fixture.write('handler.mjs', "import { tag } from './tag.mjs';\nexport default () => tag + '!';\n");
      await waitFor('the saved boundary to serve', async () => (await get(first.port)) === 'v2!.');
      assert.equal(ports(output).length, 1, 'no restart so far');
      // Nothing stops a change of plain.mjs before the entry: never stale, a restart.
      fixture.write('plain.mjs', "export const suffix = '?';\n");
      const second = await nthServer(output, 1, 'a restart for plain.mjs');
      await waitForLog(output, literal(`restarting: The change of ${fixture.path('plain.mjs')} reaches ${fixture.path('server.js')}, a CommonJS module that imports it and is no boundary`));
      assert.doesNotMatch(output.stderr, /restart needed/, 'one reloader (none in the hooks thread)');
      assert.equal(await get(second.port), 'v2!?');
    },
  );
});

test('node -r modswap/register app.js installs the ES module hooks only for a project that has ES module files (or when asked)', { timeout: 60000 }, () => {
  const { spawnSync } = require('node:child_process');
  const path = require('node:path');
  const root = path.join(__dirname, '..');
  const app = `console.log(String(require(${JSON.stringify(path.join(root, 'lib/esm/register.js'))}).installedWith()));\n`;
  const cases = [
    { name: 'CommonJS only', files: { 'app.js': app, 'lib/util.js': 'exports.x = 1;\n' }, env: {}, installed: false },
    { name: 'an .mjs file', files: { 'app.js': app, 'lib/view.mjs': 'export const x = 1;\n' }, env: {}, installed: true },
    { name: 'a "type": "module" package below', files: { 'app.js': app, 'web/package.json': '{"type":"module"}', 'web/x.js': 'export const x = 1;\n' }, env: {}, installed: true },
    { name: 'an .mjs only under node_modules', files: { 'app.js': app, 'node_modules/pkg/index.mjs': 'export const x = 1;\n' }, env: {}, installed: false },
    { name: 'CommonJS only, MODSWAP_ESM_HOOKS=on', files: { 'app.js': app }, env: { MODSWAP_ESM_HOOKS: 'on' }, installed: true },
    { name: 'an .mjs file, MODSWAP_ESM_HOOKS=off', files: { 'app.js': app, 'view.mjs': 'export {};\n' }, env: { MODSWAP_ESM_HOOKS: 'off' }, installed: false },
  ];
  for (const { name, files, env, installed } of cases) {
    const fixture = makeFixture(files);
    try {
      const { MODSWAP_ESM_HOOKS, ...inherited } = process.env;
      const child = spawnSync(process.execPath, ['-r', path.join(root, 'register.js'), 'app.js'], {
        cwd: fixture.root,
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...inherited, NODE_OPTIONS: '', ...env },
      });
      assert.equal(child.status, 0, `${name}: ${child.stderr}`);
      const hooks = child.stdout.trim().split('\n').pop();
      assert.equal(hooks !== 'undefined', installed, `${name}: hooks ${hooks}`);
    } finally {
      fixture.remove();
    }
  }
});

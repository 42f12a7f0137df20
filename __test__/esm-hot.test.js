'use strict';
// import.meta.hot for ES modules (lib/esm/hot.js, the load hook in lib/esm/inject.js): each test
// runs a real .mjs app in a child process with modswap's loader hooks, once per hooks API this
// Node has (module.registerHooks in-thread, module.register off-thread); the app prints one
// JSON report.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const { INDEX, PRELUDE, HOT_HANDLER_SERVER, counted, eachMode } = require('./esm-helpers');

const SELF = `${counted('self')}import { value } from './leaf.mjs';
import.meta.hot.accept();
import.meta.hot.dispose((data) => { data.disposed = (data.disposed ?? 0) + 1; data.last = value; });
(globalThis.seen ??= []).push({ value, data: { ...import.meta.hot.data } });
export const read = () => value;
`;

eachMode(
  'a self-accepting module is a boundary: its importer is not evaluated again; data goes from version to version',
  () => ({
    'leaf.mjs': `${counted('leaf')}export const value = 1;\n`,
    'self.mjs': SELF,
    'main.mjs': `${PRELUDE}${counted('main')}
import { read } from './self.mjs';
report.swaps = [];
for (const n of [2, 3, 4]) {
  write('leaf.mjs', ${JSON.stringify(counted('leaf'))} + 'export const value = ' + n + ';\\n');
  report.swaps.push((await modswap.swap(here('leaf.mjs'))).evaluated);
}
report.seen = globalThis.seen;
report.stale = read();
report.counts = counts();
console.log(JSON.stringify(report));
`,
  }),
  (report, fixture) => {
    for (const evaluated of report.swaps) assert.deepEqual(evaluated, [fixture.path('leaf.mjs'), fixture.path('self.mjs')]);
    assert.deepEqual(report.seen, [
      { value: 1, data: {} },
      { value: 2, data: { disposed: 1, last: 1 } },
      { value: 3, data: { disposed: 2, last: 2 } },
      { value: 4, data: { disposed: 3, last: 3 } },
    ]);
    // The importer keeps its bindings to the first instance (webpack's and Vite's semantics).
    assert.equal(report.stale, 1);
    assert.deepEqual(report.counts, { main: 1, leaf: 4, self: 4 });
  },
  // Node 20 runs -r preloads on the module.register thread too: the hooks once, not twice.
  { preloads: ['--import', '-r'] },
);

eachMode(
  'accept(deps, cb) stops the change at the accepting importer and hands it the new namespaces',
  () => ({
    'dep.mjs': `${counted('dep')}export const value = 'one';\n`,
    'other.mjs': `${counted('other')}export const value = 'o1';\n`,
    'main.mjs': `${PRELUDE}${counted('main')}
import { value } from './dep.mjs';
import './other.mjs';
report.calls = [];
import.meta.hot.accept('./dep.mjs', (ns) => report.calls.push(['single', ns.value]));
import.meta.hot.accept(['./other.mjs', './dep.mjs'], (list) => report.calls.push(['list', list.map((ns) => ns?.value ?? null)]));
write('dep.mjs', ${JSON.stringify(`${counted('dep')}export const value = 'two';\n`)});
report.swap = (await modswap.swap(here('dep.mjs'))).evaluated;
report.binding = value;
report.counts = counts();
console.log(JSON.stringify(report));
`,
  }),
  (report, fixture) => {
    assert.deepEqual(report.swap, [fixture.path('dep.mjs')]);
    assert.deepEqual(report.calls, [
      ['single', 'two'],
      ['list', [null, 'two']],
    ]);
    assert.equal(report.binding, 'one');
    assert.deepEqual(report.counts, { main: 1, dep: 2, other: 1 });
  },
);

eachMode(
  'decline(): a swap that would replace the module is refused before anything runs',
  () => ({
    'leaf.mjs': `${counted('leaf')}export const value = 1;\n`,
    'mid.mjs': `${counted('mid')}import { value } from './leaf.mjs';\nimport.meta.hot.decline();\nexport default () => value;\n`,
    'main.mjs': `${PRELUDE}
const api = await modswap.hot('./mid.mjs');
write('leaf.mjs', ${JSON.stringify(`${counted('leaf')}export const value = 2;\n`)});
report.failure = await failureOf(modswap.swap(here('leaf.mjs')));
report.served = api();
report.reimported = (await import('./leaf.mjs')).value;
report.counts = counts();
console.log(JSON.stringify(report));
`,
  }),
  (report, fixture) => {
    assert.equal(report.failure?.code, 'ERR_MODSWAP_DECLINED');
    assert.equal(report.failure.file, fixture.path('mid.mjs'));
    assert.match(report.failure.message, /declines updates/);
    assert.equal(report.served, 1);
    assert.equal(report.reimported, 1);
    assert.deepEqual(report.counts, { leaf: 1, mid: 1 });
  },
);

eachMode(
  'a throwing disposer or accept handler rolls the swap back: the old version keeps serving',
  () => ({
    'leaf.mjs': `${counted('leaf')}export const value = 1;\nimport.meta.hot.dispose(() => { if (globalThis.failDispose) throw new Error('dispose broke'); });\n`,
    'api.mjs': `${counted('api')}import { value } from './leaf.mjs';\nexport default () => value;\n`,
    // Imports the file again at run time (a boundary too, so main does not import leaf.mjs).
    'probe.mjs': "export const reimport = async () => (await import('./leaf.mjs')).value;\n",
    'main.mjs': `${PRELUDE}
const api = await modswap.hot('./api.mjs');
const probe = await modswap.hot('./probe.mjs');
const next = (n) => write('leaf.mjs', ${JSON.stringify(counted('leaf'))} + 'export const value = ' + n + ';\\nimport.meta.hot.dispose(() => { if (globalThis.failDispose) throw new Error("dispose broke"); });\\n');
globalThis.failDispose = true;
next(2);
report.dispose = await failureOf(modswap.swap(here('leaf.mjs')));
report.dispose.served = api();
report.dispose.reimported = await probe.reimport();
globalThis.failDispose = false;
report.acceptCalls = 0;
import.meta.hot.accept('./api.mjs', () => { report.acceptCalls += 1; if (report.acceptCalls === 1) throw new Error('accept broke'); });
report.accept = await failureOf(modswap.swap(here('leaf.mjs')));
report.accept.served = api();
report.accept.reimported = await probe.reimport();
next(3);
report.recovered = (await modswap.swap(here('leaf.mjs'))).evaluated;
report.after = api();
report.counts = counts();
console.log(JSON.stringify(report));
`,
  }),
  (report, fixture) => {
    const leaf = fixture.path('leaf.mjs');
    assert.equal(report.dispose.code, 'ERR_MODSWAP_DISPOSE_FAILED');
    assert.equal(report.dispose.file, leaf);
    assert.match(report.dispose.message, new RegExp(`dispose handler of ${leaf} threw: dispose broke`));
    assert.equal(report.dispose.served, 1);
    assert.equal(report.dispose.reimported, 1);
    assert.equal(report.accept.code, 'ERR_MODSWAP_ACCEPT_FAILED');
    assert.equal(report.accept.file, fixture.path('main.mjs'));
    assert.match(report.accept.message, /accept handler of .*main\.mjs for .*api\.mjs threw: accept broke/);
    assert.equal(report.accept.served, 1, 'the old namespace keeps serving');
    assert.equal(report.accept.reimported, 1, 'versions rolled back');
    assert.deepEqual(new Set(report.recovered), new Set([leaf, fixture.path('api.mjs'), fixture.path('probe.mjs')]));
    assert.equal(report.after, 3);
    assert.equal(report.acceptCalls, 2);
    // leaf: first, the version the accept failure discarded, the recovered one.
    assert.deepEqual(report.counts, { leaf: 3, api: 3 });
  },
);

eachMode(
  'the injected prefix leaves line and column numbers alone (with and without a hashbang)',
  () => ({
    'thrower.mjs': "export function fail() {\n  const x = 1;\n  throw new Error('boom ' + x);\n}\nexport const hot = typeof import.meta.hot;\n",
    'bang.mjs': "#!/usr/bin/env node\nexport function fail() {\n    throw new Error('bang');\n}\nexport const hot = typeof import.meta.hot;\n",
    'main.mjs': `${PRELUDE}
const thrower = await modswap.hot('./thrower.mjs');
const bang = await modswap.hot('./bang.mjs');
const frame = (fn, name) => { try { fn(); } catch (error) { return error.stack.split('\\n').find((line) => line.includes(name)).replace(/^.*\\//, ''); } };
report.first = [frame(thrower.fail, 'thrower.mjs'), frame(bang.fail, 'bang.mjs'), thrower.hot, bang.hot];
write('thrower.mjs', "export function fail() {\\n  const x = 2;\\n\\n  throw new Error('boom ' + x);\\n}\\nexport const hot = typeof import.meta.hot;\\n");
await modswap.swap(here('thrower.mjs'));
report.swapped = frame(thrower.fail, 'thrower.mjs');
console.log(JSON.stringify(report));
`,
  }),
  (report) => {
    assert.deepEqual(report.first, ['thrower.mjs:3:9)', 'bang.mjs:3:11)', 'object', 'object']);
    assert.equal(report.swapped, 'thrower.mjs?modswap=1:4:9)');
  },
);

eachMode(
  'invalidate() swaps the module again, bubbling past its own self-acceptance to a boundary',
  () => ({
    'self.mjs': `${counted('self')}import.meta.hot.accept();\nexport const invalidate = () => import.meta.hot.invalidate();\n`,
    'api.mjs': `${counted('api')}import { invalidate } from './self.mjs';\nexport default invalidate;\n`,
    'main.mjs': `${PRELUDE}
const api = await modswap.hot('./api.mjs');
api();
// The swap runs on a later turn: wait for it (up to 10 s), then a little more for any extra one.
for (let waited = 0; (globalThis.evaluations.api ?? 0) < 2 && waited < 10000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
await new Promise((resolve) => setTimeout(resolve, 100));
report.counts = counts();
console.log(JSON.stringify(report));
`,
  }),
  (report) => {
    assert.deepEqual(report.counts, { self: 2, api: 2 });
  },
);

const logged = (name, what) => `(globalThis.log ??= []).push(${JSON.stringify(`${name}:${what}`)});\n`;

eachMode(
  'order: disposers bottom-up before the new versions evaluate, accept(cb) after with the new namespace',
  () => ({
    'leaf.mjs': `${logged('leaf', 'eval')}import.meta.hot.dispose(() => globalThis.log.push('leaf:dispose'));\nexport const value = 1;\n`,
    'mid.mjs': `${logged('mid', 'eval')}import { value } from './leaf.mjs';\nimport.meta.hot.dispose(() => globalThis.log.push('mid:dispose'));\nexport const read = () => value;\n`,
    'top.mjs': `${logged('top', 'eval')}import { read } from './mid.mjs';\nimport.meta.hot.dispose(() => globalThis.log.push('top:dispose'));\nimport.meta.hot.accept((ns) => globalThis.log.push('top:accept:' + ns.read()));\nexport { read };\n`,
    'main.mjs': `${PRELUDE}
import './top.mjs';
globalThis.log.length = 0;
write('leaf.mjs', ${JSON.stringify(`${logged('leaf', 'eval')}import.meta.hot.dispose(() => globalThis.log.push('leaf:dispose'));\nexport const value = 2;\n`)});
await modswap.swap(here('leaf.mjs'));
report.log = globalThis.log;
console.log(JSON.stringify(report));
`,
  }),
  (report) => {
    assert.deepEqual(report.log, [
      'leaf:dispose',
      'mid:dispose',
      'top:dispose',
      'leaf:eval',
      'mid:eval',
      'top:eval',
      'top:accept:2',
    ]);
  },
);

test('modswap run app.mjs: a swap reaching a module that declines restarts the app', { timeout: 60000 }, async () => {
  const { get, underRunner, waitForLog, nthServer } = require('./runner-helpers');
  await underRunner(
    {
      'server.mjs': HOT_HANDLER_SERVER,
      'handler.mjs': "import { tag } from './tag.mjs';\nimport.meta.hot.decline();\nexport default () => tag;\n",
      'tag.mjs': "export const tag = 'v1';\n",
    },
    'server.mjs',
    async ({ fixture, output }) => {
      const first = await nthServer(output, 0, 'the server to listen');
      assert.equal(await get(first.port), 'v1');
      fixture.write('tag.mjs', "export const tag = 'v2';\n");
      const second = await nthServer(output, 1, 'a restart');
      assert.notEqual(second.pid, first.pid);
      await waitForLog(output, /restarting: Cannot swap \S*handler\.mjs: it declines updates/);
      assert.equal(await get(second.port), 'v2');
    },
  );
});

eachMode(
  'prune(cb) runs when a swap leaves the module imported by nothing, not while it is imported',
  () => ({
    'extra.mjs': `${counted('extra')}import.meta.hot.prune((data) => { globalThis.pruned = (globalThis.pruned ?? 0) + 1; });\nexport const extra = 'x';\n`,
    'kept.mjs': `${counted('kept')}import.meta.hot.prune(() => { globalThis.keptPruned = true; });\nexport const kept = 'k';\n`,
    'api.mjs': `${counted('api')}import { extra } from './extra.mjs';\nimport { kept } from './kept.mjs';\nexport default () => extra + kept;\n`,
    'main.mjs': `${PRELUDE}
const api = await modswap.hot('./api.mjs');
write('api.mjs', ${JSON.stringify(`${counted('api')}import { extra } from './extra.mjs';\nimport { kept } from './kept.mjs';\nexport default () => 'still:' + extra + kept;\n`)});
await modswap.swap(here('api.mjs'));
report.stillImported = [api(), globalThis.pruned ?? 0];
write('api.mjs', ${JSON.stringify(`${counted('api')}import { kept } from './kept.mjs';\nexport default () => 'dropped:' + kept;\n`)});
await modswap.swap(here('api.mjs'));
report.dropped = [api(), globalThis.pruned ?? 0, globalThis.keptPruned ?? false];
report.counts = counts();
console.log(JSON.stringify(report));
`,
  }),
  (report) => {
    assert.deepEqual(report.stillImported, ['still:xk', 0]);
    assert.deepEqual(report.dropped, ['dropped:k', 1, false]);
    assert.deepEqual(report.counts, { extra: 1, kept: 1, api: 3 });
  },
);

eachMode(
  'accept(cb, errorHandler): a throw of cb is handled and the swap commits; a failed evaluation rolls back and is reported to the version still serving',
  () => ({
    'self.mjs': `${counted('self')}export const value = 1;
import.meta.hot.accept(() => { throw new Error('cb of v1 broke'); }, (error, info) => globalThis.heard.push(['v1', error.code ?? error.message, info.moduleId]));
`,
    'main.mjs': `${PRELUDE}
globalThis.heard = [];
const self = await modswap.hot('./self.mjs');
const handler = (version) => "import.meta.hot.accept(undefined, (error, info) => globalThis.heard.push(['" + version + "', error.code ?? error.message, info.moduleId]));\\n";
write('self.mjs', ${JSON.stringify(counted('self'))} + 'export const value = 2;\\n' + handler('v2'));
report.handled = (await modswap.swap(here('self.mjs'))).evaluated;
report.afterHandled = [self.value, globalThis.heard.splice(0)];
write('self.mjs', 'export const value = 3;\\n' + handler('v3') + "throw new Error('v3 broke');\\n");
report.failure = await failureOf(modswap.swap(here('self.mjs')));
report.afterFailure = [self.value, (await import('./self.mjs')).value, globalThis.heard.splice(0)];
report.counts = counts();
console.log(JSON.stringify(report));
`,
  }),
  (report, fixture) => {
    const self = fixture.path('self.mjs');
    assert.deepEqual(report.handled, [self]);
    // v1's callback threw with v2 evaluated: v1's error handler took it, and v2 serves.
    assert.deepEqual(report.afterHandled, [2, [['v1', 'cb of v1 broke', self]]]);
    assert.equal(report.failure.code, 'ERR_MODSWAP_RELOAD_FAILED');
    assert.match(report.failure.message, /v3 broke/);
    // v3 failed: rolled back to v2, whose error handler hears of it (v3's never took over).
    assert.deepEqual(report.afterFailure, [2, 2, [['v2', 'ERR_MODSWAP_RELOAD_FAILED', self]]]);
    assert.deepEqual(report.counts, { self: 2 });
  },
);

eachMode(
  'accept(deps, cb, errorHandler): a throw of cb goes to errorHandler and the swap commits; a throw of errorHandler rolls it back',
  () => ({
    'dep.mjs': "export const value = 'one';\n",
    'main.mjs': `${PRELUDE}
import './dep.mjs';
report.heard = [];
let throwFromHandler = false;
import.meta.hot.accept('./dep.mjs', () => { throw new Error('cb broke'); }, (error, info) => {
  report.heard.push([error.message, info.moduleId, info.dependencyId]);
  if (throwFromHandler) throw new Error('handler broke too');
});
const probe = async () => (await import('./dep.mjs')).value;
write('dep.mjs', "export const value = 'two';\\n");
report.committed = (await modswap.swap(here('dep.mjs'))).evaluated;
report.afterCommit = await probe();
throwFromHandler = true;
write('dep.mjs', "export const value = 'three';\\n");
report.failure = await failureOf(modswap.swap(here('dep.mjs')));
report.afterFailure = await probe();
console.log(JSON.stringify(report));
`,
  }),
  (report, fixture) => {
    const dep = fixture.path('dep.mjs');
    const main = fixture.path('main.mjs');
    assert.deepEqual(report.committed, [dep]);
    assert.equal(report.afterCommit, 'two');
    assert.deepEqual(report.heard, [
      ['cb broke', main, dep],
      ['cb broke', main, dep],
    ]);
    assert.equal(report.failure.code, 'ERR_MODSWAP_RELOAD_FAILED');
    assert.match(report.failure.message, /handler broke too/);
    assert.equal(report.afterFailure, 'two', 'rolled back');
  },
);

eachMode(
  'decline(deps): a swap that would replace a declined dependency is refused, others go through',
  () => ({
    'config.mjs': `${counted('config')}export const port = 1;\n`,
    'other.mjs': `${counted('other')}export const name = 'a';\n`,
    'api.mjs': `${counted('api')}import { port } from './config.mjs';\nimport { name } from './other.mjs';\nimport.meta.hot.decline('./config.mjs');\nexport default () => port + name;\n`,
    'main.mjs': `${PRELUDE}
const api = await modswap.hot('./api.mjs');
write('config.mjs', ${JSON.stringify(`${counted('config')}export const port = 2;\n`)});
report.declined = await failureOf(modswap.swap(here('config.mjs')));
report.afterDeclined = api();
write('other.mjs', ${JSON.stringify(`${counted('other')}export const name = 'b';\n`)});
report.other = (await modswap.swap(here('other.mjs'))).evaluated.length;
report.afterOther = api();
report.counts = counts();
console.log(JSON.stringify(report));
`,
  }),
  (report, fixture) => {
    assert.equal(report.declined.code, 'ERR_MODSWAP_DECLINED');
    assert.equal(report.declined.file, fixture.path('config.mjs'));
    assert.match(report.declined.message, new RegExp(`Cannot swap \\S*config\\.mjs: ${fixture.path('api.mjs')} declines its updates`));
    assert.equal(report.afterDeclined, '1a');
    assert.equal(report.other, 2);
    // The new api.mjs imports the config.mjs instance that stayed (version 0: port 1).
    assert.equal(report.afterOther, '1b');
    assert.deepEqual(report.counts, { config: 1, other: 2, api: 2 });
  },
);

eachMode(
  'status() and status handlers: shared with module.hot, dispose -> apply -> idle, fail after a failed swap',
  () => ({
    'leaf.mjs': 'export const value = 1;\n',
    'main.mjs': `${PRELUDE}
import { createRequire } from 'node:module';
const api = await modswap.hot('./leaf.mjs');
report.statuses = [];
const onStatus = (status) => report.statuses.push(status);
import.meta.hot.addStatusHandler(onStatus);
report.before = import.meta.hot.status();
write('leaf.mjs', 'export const value = 2;\\n');
await modswap.swap(here('leaf.mjs'));
write('leaf.mjs', 'export const value = 3;\\nthrow new Error("no");\\n');
await failureOf(modswap.swap(here('leaf.mjs')));
report.after = import.meta.hot.status();
// One status for the process: module.hot of a CommonJS module reads the same.
write('cjs.cjs', 'module.exports = module.hot.status();\\n');
report.cjs = createRequire(import.meta.url)('./cjs.cjs');
import.meta.hot.removeStatusHandler(onStatus);
write('leaf.mjs', 'export const value = 4;\\n');
await modswap.swap(here('leaf.mjs'));
report.value = api.value;
console.log(JSON.stringify(report));
`,
  }),
  (report) => {
    assert.equal(report.before, 'idle');
    assert.deepEqual(report.statuses, ['dispose', 'apply', 'idle', 'dispose', 'apply', 'fail']);
    assert.equal(report.after, 'fail');
    assert.equal(report.cjs, 'fail');
    assert.equal(report.value, 4);
  },
);

eachMode(
  'an import() racing a swap of the module gets the old or the new version, never an error; the new one only once the swap committed',
  () => ({
    'leaf.mjs': 'export const value = 1;\n',
    'main.mjs': `${PRELUDE}
const handle = await modswap.hot('./leaf.mjs');
const race = async (swapping) => {
  let settled = null;
  swapping.then(() => (settled = 'committed'), () => (settled = 'failed'));
  const seen = [];
  for (let i = 0; i < 2000 && settled === null; i++) {
    try {
      seen.push({ value: (await import('./leaf.mjs')).value, settled });
    } catch (error) {
      seen.push({ error: error.message, settled });
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  // The loop is bounded: on a slow machine it may end before the swap does.
  await swapping.catch(() => {});
  seen.push({ value: (await import('./leaf.mjs')).value, settled, after: true });
  return seen;
};
// The delay keeps the new version evaluating for a while: the app's imports run meanwhile.
const slow = (value, tail = '') => 'await new Promise((resolve) => setTimeout(resolve, 100));\\nexport const value = ' + value + ';\\n' + tail;
write('leaf.mjs', slow(2));
report.committed = await race(modswap.swap(here('leaf.mjs')));
write('leaf.mjs', slow(3, 'await Promise.reject(new Error("no"));\\n'));
report.failed = await race(modswap.swap(here('leaf.mjs')).catch(() => { throw new Error('swap failed'); }));
report.handle = handle.value;
console.log(JSON.stringify(report));
`,
  }),
  (report) => {
    const values = (seen) => seen.map((entry) => entry.error ?? entry.value);
    assert.ok(report.committed.length > 3 && report.failed.length > 3, 'imports ran while the swaps were in flight');
    // While the good swap is in flight (not settled when the import returned): the old version;
    // from its commit on, the new one, never the old one again.
    const inFlight = report.committed.filter((entry) => entry.settled === null);
    assert.ok(inFlight.length > 0);
    assert.deepEqual(new Set(values(inFlight)), new Set([1]));
    const committed = values(report.committed);
    assert.deepEqual(committed, [...committed].sort(), 'no old version after a new one');
    assert.equal(committed.at(-1), 2);
    // The failed swap: the version still serving, before and after, never its error.
    assert.deepEqual(new Set(values(report.failed)), new Set([2]));
    assert.equal(report.handle, 2);
  },
);

eachMode(
  'a first hot() of a module whose swap is in flight gets the version serving, not the one the swap may roll back',
  () => ({
    'leaf.mjs': 'export const value = 1;\n',
    'api.mjs': "import { value } from './leaf.mjs';\nexport default () => value;\n",
    'main.mjs': `${PRELUDE}
const api = await modswap.hot('./api.mjs');
let release;
globalThis.gate = new Promise((resolve) => (release = resolve));
// The new version waits at the gate, then fails: the swap is in flight until main opens it.
write('leaf.mjs', 'globalThis.evaluating = true;\\nawait globalThis.gate;\\nexport const value = 2;\\nthrow new Error("v2 broke");\\n');
const swapping = failureOf(modswap.swap(here('leaf.mjs')));
while (!globalThis.evaluating) await new Promise((resolve) => setImmediate(resolve));
const handle = modswap.hot('./leaf.mjs').then((leaf) => leaf.value, (error) => 'rejected: ' + error.message);
release();
report.hot = await handle;
report.swap = (await swapping).code;
report.api = api();
console.log(JSON.stringify(report));
`,
  }),
  (report) => {
    assert.equal(report.hot, 1);
    assert.equal(report.swap, 'ERR_MODSWAP_RELOAD_FAILED');
    assert.equal(report.api, 1);
  },
);

'use strict';
// Resource tracking (issue F) for ES module versions: what a version's body starts is charged to
// that version, and a swap disposes what the replaced version holds, as for CommonJS.
const assert = require('node:assert/strict');
const { PRELUDE, eachMode } = require('./esm-helpers');

/** A module whose body starts an interval that counts its ticks per version. */
const ticking = (version) => `
globalThis.ticks ??= {};
globalThis.ticks[${version}] = 0;
setInterval(() => { globalThis.ticks[${version}]++; }, 5);
export const version = ${version};
`;

/** Waits until every listed version ticked at least once more than now, or 5 s passed. */
const SETTLE = `
const ticked = async (versions) => {
  const before = versions.map((v) => globalThis.ticks[v]);
  for (let i = 0; i < 500 && versions.some((v, k) => globalThis.ticks[v] <= before[k]); i++) await new Promise((r) => setTimeout(r, 10));
};
const frozen = async (version) => {
  const before = globalThis.ticks[version];
  await new Promise((r) => setTimeout(r, 100));
  return globalThis.ticks[version] === before;
};
`;

eachMode(
  'a swap clears the interval the replaced version started; the new version keeps its own',
  () => ({
    'clock.mjs': ticking(1),
    'main.mjs': `${PRELUDE}${SETTLE}
const clock = await modswap.hot('./clock.mjs');
await ticked([1]);
report.resourcesBefore = modswap.resources(here('clock.mjs')).map((r) => r.description);
write('clock.mjs', ${JSON.stringify(ticking(2))});
await modswap.swap(here('clock.mjs'));
await ticked([2]);
report.version = clock.version;
report.oldStopped = await frozen(1);
report.newRuns = !(await frozen(2));
report.resourcesAfter = modswap.resources(here('clock.mjs')).map((r) => r.description);
write('clock.mjs', ${JSON.stringify(ticking(3))});
await modswap.swap(here('clock.mjs'));
await ticked([3]);
report.third = [clock.version, await frozen(2), !(await frozen(3))];
console.log(JSON.stringify(report));
process.exit(0);
`,
  }),
  (report) => {
    assert.deepEqual(report.resourcesBefore, ['setInterval 5ms']);
    assert.equal(report.version, 2);
    assert.equal(report.oldStopped, true, "the replaced version's interval was cleared");
    assert.equal(report.newRuns, true, "the new version's interval runs");
    assert.deepEqual(report.resourcesAfter, ['setInterval 5ms']);
    assert.deepEqual(report.third, [3, true, true], 'a third version: the second stopped, the third runs');
  },
);

eachMode(
  'a failed swap disposes what the failed version started and leaves the serving version running',
  () => ({
    'clock.mjs': ticking(1),
    'main.mjs': `${PRELUDE}${SETTLE}
const clock = await modswap.hot('./clock.mjs');
write('clock.mjs', ${JSON.stringify(`${ticking(2)}throw new Error('broken after start');\n`)});
report.failure = await failureOf(modswap.swap(here('clock.mjs')));
await ticked([1]);
report.version = clock.version;
report.failedStopped = await frozen(2);
report.servingRuns = !(await frozen(1));
console.log(JSON.stringify(report));
process.exit(0);
`,
  }),
  (report) => {
    assert.equal(report.failure?.code, 'ERR_MODSWAP_RELOAD_FAILED');
    assert.equal(report.version, 1);
    assert.equal(report.failedStopped, true, 'the interval of the version that failed was cleared');
    assert.equal(report.servingRuns, true);
  },
);

eachMode(
  "a server a version started stops accepting when it is replaced; a node_modules package's timer is not the version's",
  () => ({
    'node_modules/poller/package.json': JSON.stringify({ name: 'poller', type: 'module', exports: './index.js' }),
    'node_modules/poller/index.js': "globalThis.pollTicks = 0;\nexport const poll = setInterval(() => { globalThis.pollTicks++; }, 5);\n",
    'first.mjs': "import.meta.hot.accept();\nexport const first = 1;\n",
    'api.mjs': `import http from 'node:http';
import './first.mjs';
import { poll } from 'poller';
export const server = http.createServer((req, res) => res.end('v1')).listen(0, '127.0.0.1');
export const pollerTimer = poll;
`,
    'main.mjs': `${PRELUDE}
import { once } from 'node:events';
const api = await modswap.hot('./api.mjs');
const first = api.server;
if (!first.listening) await once(first, 'listening');
report.held = modswap.resources(here('api.mjs')).map((r) => r.kind).sort();
write('api.mjs', "import http from 'node:http';\\nexport const server = http.createServer((req, res) => res.end('v2')).listen(0, '127.0.0.1');\\n");
await modswap.swap(here('api.mjs'));
write('first.mjs', "import.meta.hot.accept();\\nexport const first = 2;\\n");
await modswap.swap(here('first.mjs'));
await modswap.resourcesSettled();
report.oldListening = first.listening;
const pollTicks = globalThis.pollTicks;
for (let i = 0; i < 500 && globalThis.pollTicks === pollTicks; i++) await new Promise((r) => setTimeout(r, 10));
report.pollerActive = globalThis.pollTicks > pollTicks;
api.server.close();
console.log(JSON.stringify(report));
process.exit(0);
`,
  }),
  (report) => {
    assert.deepEqual(report.held, ['server'], "the package's interval is not charged to api.mjs");
    assert.equal(report.oldListening, false, 'the replaced version closed its server');
    assert.equal(report.pollerActive, true, "the package's interval still runs after swaps of the modules evaluated before it");
  },
);

/**
 * A self-accepting module serving `tag` on the port in globalThis.port. Its top-level await lets
 * the listen() complete before the swap commits (as a second boundary's import would).
 */
const fixedPortServer = (tag) => `import http from 'node:http';
import.meta.hot.accept();
export const server = http.createServer((req, res) => res.end(${JSON.stringify(tag)})).listen(globalThis.port, '127.0.0.1');
await new Promise((resolve) => setTimeout(resolve, 50));
`;

eachMode(
  "a new version's listen() on the port the replaced version's server holds waits for that server to close",
  () => ({
    'server.mjs': fixedPortServer('v1'),
    'main.mjs': `${PRELUDE}
import http from 'node:http';
import { once } from 'node:events';
const probe = http.createServer().listen(0, '127.0.0.1');
await once(probe, 'listening');
globalThis.port = probe.address().port;
await new Promise((resolve) => probe.close(resolve));
const get = () => new Promise((resolve, reject) => http.get({ host: '127.0.0.1', port: globalThis.port, agent: false }, (res) => {
  let body = '';
  res.on('data', (chunk) => { body += chunk; }).on('end', () => resolve(body));
}).on('error', reject));
const first = (await import('./server.mjs')).server;
if (!first.listening) await once(first, 'listening');
report.before = await get();
const errors = [];
process.on('uncaughtException', (error) => errors.push(error.code));
write('server.mjs', ${JSON.stringify(fixedPortServer('v2'))});
await modswap.swap(here('server.mjs'));
await modswap.resourcesSettled();
for (let i = 0; i < 500 && (await get().catch(() => '')) !== 'v2'; i++) await new Promise((r) => setTimeout(r, 10));
report.after = await get();
report.oldListening = first.listening;
report.errors = errors;
console.log(JSON.stringify(report));
process.exit(0);
`,
  }),
  (report) => {
    assert.equal(report.before, 'v1');
    assert.equal(report.after, 'v2');
    assert.equal(report.oldListening, false);
    assert.deepEqual(report.errors, [], 'no EADDRINUSE');
  },
);

'use strict';
// Handle and listener leaks: each scenario runs in its own process (fixtures/memwatch-handles/
// child.js) with a real HTTP server on 127.0.0.1 and a load loop bounded in time.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const EventEmitter = require('node:events');
const { once } = require('node:events');
const { floorRises, ratePerUnit } = require('../lib/memwatch/growth');

const FIXTURE = path.join(__dirname, 'fixtures', 'memwatch-handles');
/** Upper bounds of the load loops: a scenario that leaks stops at its first event. */
const LEAK_LOOP_MS = 20_000;
const STEADY_LOOP_MS = 4_000;

function runScenario(scenario, durationMs, stopOnLeak) {
  const args = [path.join(FIXTURE, 'child.js'), scenario, String(durationMs)];
  if (stopOnLeak) args.push('stop-on-leak');
  const options = { cwd: FIXTURE, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] };
  const output = execFileSync(process.execPath, args, options);
  return JSON.parse(output);
}

function firstLeak(scenario) {
  const { leaks } = runScenario(scenario, LEAK_LOOP_MS, true);
  assert.equal(leaks.length, 1, `one 'leak' event before the loop ended (${scenario})`);
  return leaks[0];
}

function assertCommonFields(leak, unit) {
  assert.equal(leak.unit, unit);
  assert.ok(Math.abs(leak.perUnit - 1) <= 0.05, `perUnit ${leak.perUnit}`);
  assert.ok(leak.count >= 32, `count ${leak.count}`);
  assert.ok(leak.growth >= 32 && leak.growth <= leak.count, `growth ${leak.growth}`);
  const start = Date.parse(leak.start);
  const end = Date.parse(leak.end);
  assert.ok(Number.isFinite(start) && end > start, 'start and end are dates, in order');
}

test('an interval started per request: a Timeout leak with its creation site', () => {
  const leak = firstLeak('ssr');
  assert.equal(leak.kind, 'handles');
  assert.equal(leak.type, 'Timeout');
  assert.equal(leak.site, 'app/ssr.js:4');
  assert.ok(leak.siteCount > 0 && leak.siteCount <= leak.count, `siteCount ${leak.siteCount}`);
  assertCommonFields(leak, 'request');
  assert.match(leak.reason, /^Timeout created at app\/ssr\.js:4 — [\d,]+ alive, \+1 per request$/);
});

test("a socket 'error' listener added per request: a listener leak on Socket", () => {
  const leak = firstLeak('errors');
  assert.equal(leak.kind, 'listeners');
  assert.equal(leak.emitter, 'Socket');
  assert.equal(leak.event, 'error');
  assert.equal(leak.site, 'app/errors.js:4');
  assert.ok(leak.emitters >= 1 && leak.emitters <= 4, `emitters ${leak.emitters} (the client keeps 4 sockets)`);
  assertCommonFields(leak, 'request');
  const reason = /^'error' listeners on Socket added at app\/errors\.js:4 — [\d,]+ attached, \+1 per request$/;
  assert.match(leak.reason, reason);
});

test('a server started per reload and never closed: a TCPServerWrap leak per reload', () => {
  const leak = firstLeak('reload');
  assert.equal(leak.kind, 'handles');
  assert.equal(leak.type, 'TCPServerWrap');
  assert.equal(leak.site, 'app/server.js:6');
  assertCommonFields(leak, 'reload');
  assert.match(leak.reason, /^TCPServerWrap created at app\/server\.js:6 — [\d,]+ alive, \+1 per reload$/);
});

test('no event for a steady pool of keep-alive sockets, short timers and a bounded timer cache', () => {
  const { leaks, requests } = runScenario('steady', STEADY_LOOP_MS, false);
  assert.ok(requests >= 200, `the load ran (${requests} requests)`);
  assert.deepEqual(leaks, []);
});

const at = (i) => ({ count: 0, at: i * 1000, work: { request: i * 10, reload: 0, gc: 0 } });
const series = (counts) => counts.map((count, i) => ({ ...at(i), count }));

test('the growth rule: a rising floor, not a warm-up (a cache filling up), noise or a small rise', () => {
  const linear = series(Array.from({ length: 16 }, (_, i) => 10 + 10 * i));
  assert.equal(floorRises(linear, 32), true);
  const warmUp = series([0, 20, 40, 60, 80, 100, 100, 100, 99, 100, 100, 100, 98, 100, 100, 100]);
  assert.equal(floorRises(warmUp, 32), false);
  const noisy = series([50, 90, 40, 85, 60, 95, 70, 99, 80, 100, 85, 110, 90, 120, 95, 130]);
  assert.equal(floorRises(noisy, 32), false, 'a floor rising by less than twice the swing is noise');
  const small = series(Array.from({ length: 16 }, (_, i) => 10 + i));
  assert.equal(floorRises(small, 32), false, 'fewer than 32 new');
});

test('the rate is per request when requests explain the growth, per second otherwise', () => {
  const perRequest = series(Array.from({ length: 16 }, (_, i) => 100 + 20 * i));
  assert.deepEqual(ratePerUnit(perRequest), { unit: 'request', perUnit: 2 });
  const idle = perRequest.map((sample) => ({ ...sample, work: { request: 0, reload: 0, gc: 0 } }));
  assert.deepEqual(ratePerUnit(idle), { unit: 'second', perUnit: 20 });
});

test('configure(): bad options are refused and change nothing; off means no patch', () => {
  const memwatch = require('..').memwatch;
  const before = memwatch.configure();
  for (const bad of [{ handles: 'yes' }, { listeners: 1 }, { sampleIntervalMs: 5 }, { sampleIntervalMs: 1.5 }]) {
    assert.throws(() => memwatch.configure({ ...bad, detector: 'classic' }), { code: 'ERR_MODSWAP_INVALID_OPTIONS' });
    assert.deepEqual(memwatch.configure(), before);
  }
  const on = EventEmitter.prototype.on;
  const onLeak = () => {};
  memwatch.on('leak', onLeak);
  assert.notEqual(EventEmitter.prototype.on, on, 'listener watching wraps on()');
  assert.equal(EventEmitter.prototype.on, EventEmitter.prototype.addListener);
  memwatch.configure({ listeners: false });
  assert.equal(EventEmitter.prototype.on, on, 'listeners: false unwraps it');
  memwatch.removeListener('leak', onLeak);
  assert.equal(memwatch.resources.active, false, 'nothing runs without a leak listener');
  memwatch.configure({ listeners: true });
  assert.equal(EventEmitter.prototype.on, on);
});

test('a fault while sampling stops watching with a warning instead of crashing', async () => {
  const memwatch = require('..').memwatch;
  memwatch.configure({ sampleIntervalMs: 10 });
  const onLeak = () => {};
  memwatch.on('leak', onLeak);
  memwatch.resources.handles.sample = () => {
    throw new Error('boom');
  };
  // The sampler is unref'd: something has to keep the loop alive until it runs.
  const keepAlive = setInterval(() => {}, 1000);
  const [warning] = await once(process, 'warning');
  clearInterval(keepAlive);
  assert.equal(warning.name, 'ModswapWarning');
  assert.equal(warning.code, 'MODSWAP_MEMWATCH_INTERNAL');
  assert.match(warning.message, /boom/);
  assert.equal(memwatch.resources.active, false);
  memwatch.removeListener('leak', onLeak);
  memwatch.configure({ sampleIntervalMs: 1000 });
});

'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const v8 = require('node:v8');
const { once } = require('node:events');
const { Worker } = require('node:worker_threads');
const modswap = require('..');

const memwatch = modswap.memwatch;
const nextStats = () => once(memwatch, 'stats').then(([stats]) => stats);

const CLASSIC_FIELDS = [
  'num_full_gc',
  'num_inc_gc',
  'heap_compactions',
  'usage_trend',
  'estimated_base',
  'current_base',
  'min',
  'max',
];
const AIRBNB_FIELDS = [
  'gcScavengeCount',
  'gcScavengeTime',
  'gcMarkSweepCompactCount',
  'gcMarkSweepCompactTime',
  'gcIncrementalMarkingCount',
  'gcIncrementalMarkingTime',
  'gcProcessWeakCallbacksCount',
  'gcProcessWeakCallbacksTime',
  'total_heap_size',
  'total_heap_size_executable',
  'total_physical_size',
  'total_available_size',
  'used_heap_size',
  'heap_size_limit',
  'malloced_memory',
  'peak_malloced_memory',
  'gc_time',
  'gc_ts',
];

test('one emitter, whatever the require path, with the memwatch surface', () => {
  assert.equal(require('../memwatch'), memwatch);
  assert.equal(require('../lib/memwatch'), memwatch);
  for (const member of ['gc', 'on', 'once', 'removeAllListeners', 'HeapDiff']) {
    assert.equal(typeof memwatch[member], 'function', member);
  }
  assert.equal(typeof globalThis.gc, 'undefined', 'gc() does not leak a global');
});

test('no work at all while nobody listens', async () => {
  assert.equal(memwatch.feed.running, false);
  let events = 0;
  const count = () => events++;
  memwatch.on('stats', count);
  assert.equal(memwatch.feed.running, true);
  memwatch.removeListener('stats', count);
  assert.equal(memwatch.feed.running, false);
  memwatch.gc();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(events, 0);
});

test("gc() leads to a 'stats' event with the classic and airbnb fields", async () => {
  const stats = nextStats();
  memwatch.gc();
  const payload = await stats;
  for (const field of [...CLASSIC_FIELDS, ...AIRBNB_FIELDS]) {
    assert.equal(typeof payload[field], 'number', field);
    assert.ok(Number.isFinite(payload[field]), field);
  }
  assert.ok(payload.num_full_gc >= 1);
  assert.ok(payload.gcMarkSweepCompactCount >= 1);
  assert.equal(payload.current_base, payload.used_heap_size);
  assert.ok(Math.abs(payload.gc_ts / 1000 - Date.now()) < 60_000, 'gc_ts is µs since the epoch');
});

test('once() works and current_base is the post-GC heap of every full GC', async () => {
  // gc() may run more than one full GC: compare every 'stats' with every mark-sweep-compact an
  // independent profiler saw in the same window, in order. Two profilers read V8's heap statistics
  // at slightly different moments of the same pause, and concurrent sweeping can move the number
  // between them (seen once on Node 24 under load: 440 KB). So the readings must agree within
  // SWEEP_SLACK, and the collected garbage is made far bigger than that, so that a value read
  // before the GC, or at delivery time after more allocation, would fail.
  const SWEEP_SLACK = 2 * 1024 * 1024;
  const GARBAGE = 24 * 1024 * 1024;
  const seen = [];
  const collect = (stats) => seen.push(stats.current_base);
  memwatch.on('stats', collect);
  const first = nextStats();
  const profiler = new v8.GCProfiler();
  profiler.start();
  let garbage = allocate(GARBAGE);
  assert.ok(garbage.length > 0);
  garbage = null;
  memwatch.gc();
  await first;
  await new Promise((resolve) => setTimeout(resolve, 30));
  const fulls = profiler.stop().statistics.filter((gc) => gc.gcType === 'MarkSweepCompact');
  memwatch.removeListener('stats', collect);

  assert.ok(fulls.length >= 1);
  assert.equal(seen.length, fulls.length, 'one stats event per full GC');
  // Allocating may start full GCs of V8's own, and gc() may run two: one of them freed the garbage.
  const freed = Math.max(
    ...fulls.map((gc) => gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize),
  );
  assert.ok(freed > GARBAGE / 2, `a full GC freed the garbage (${freed} bytes)`);
  fulls.forEach((gc, i) => {
    const after = gc.afterGC.heapStatistics.usedHeapSize;
    assert.ok(Math.abs(seen[i] - after) <= SWEEP_SLACK, `full GC ${i}: current_base ${seen[i]}, profiler ${after}`);
  });
  assert.equal(memwatch.listenerCount('stats'), 0, 'the once() listener is gone');
});

test('scavenges between full GCs are counted in the next full GC\'s stats', async () => {
  // The feed reads V8's profile only when a full GC arrives: the young-generation GCs before it
  // must still be counted, once each, in order.
  const seen = [];
  const collect = (stats) => seen.push(stats);
  memwatch.on('stats', collect);
  const profiler = new v8.GCProfiler();
  profiler.start();
  memwatch.gc();
  await new Promise((resolve) => setTimeout(resolve, 20));
  for (let round = 0; round < 20; round++) {
    allocate(16 * 1024 * 1024);
    await new Promise((resolve) => setImmediate(resolve));
  }
  memwatch.gc();
  await new Promise((resolve) => setTimeout(resolve, 30));
  const gcs = profiler.stop().statistics;
  memwatch.removeListener('stats', collect);

  const fullAt = gcs.flatMap((gc, i) => (gc.gcType === 'MarkSweepCompact' ? [i] : []));
  assert.equal(seen.length, fullAt.length, 'one stats event per full GC');
  let scavengesBetween = 0;
  for (let k = 1; k < fullAt.length; k++) {
    const expected = gcs.slice(fullAt[k - 1] + 1, fullAt[k]).filter((gc) => gc.gcType === 'Scavenge').length;
    scavengesBetween += expected;
    assert.equal(seen[k].gcScavengeCount - seen[k - 1].gcScavengeCount, expected, `scavenges before full GC ${k}`);
    assert.ok(seen[k].gc_ts >= seen[k - 1].gc_ts, 'gc_ts in GC order');
  }
  assert.ok(scavengesBetween >= 5, `the allocation loop scavenged (${scavengesBetween})`);
});

/** About `bytes` of arrays of doubles, reachable until the caller drops them. */
function allocate(bytes) {
  const chunks = [];
  for (let total = 0; total < bytes; total += 64 * 1024) chunks.push(new Array(8 * 1024).fill(0.5));
  return chunks;
}

test('classic mode: steady growth gives a leak at the 5th full GC, emitted before its stats', async () => {
  memwatch.configure({ detector: 'classic' });
  // A fresh classic detector: its first full GC always counts as growth.
  const order = [];
  const onLeak = (leak) => order.push(['leak', leak]);
  const onStats = (stats) => order.push(['stats', stats]);
  memwatch.on('leak', onLeak);
  memwatch.on('stats', onStats);
  const retained = [];
  for (let i = 0; i < 5; i++) {
    for (let k = 0; k < 50_000; k++) retained.push({ k });
    memwatch.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
  memwatch.removeListener('leak', onLeak);
  memwatch.removeListener('stats', onStats);
  memwatch.configure({ detector: 'robust' });

  const kinds = order.map(([kind]) => kind);
  assert.deepEqual(kinds, ['stats', 'stats', 'stats', 'stats', 'leak', 'stats']);
  const [, leak] = order[4];
  const [, statsOfLeakGc] = order[5];
  assert.equal(statsOfLeakGc.heap_compactions, 5);
  assert.ok(leak.start instanceof Date && leak.end instanceof Date);
  assert.ok(leak.growth > 4 * 50_000 * 16, `growth ${leak.growth}`);
  // node-memwatch would print "-2147483648 bytes/hr" for GCs less than a second apart.
  assert.match(leak.reason, /^heap growth over 5 consecutive GCs \(\d+s\) - [\d.]+ (bytes|kb|mb)\/hr$/);
  assert.equal(leak.kind, 'heap');
  assert.ok(leak.rate > 0, `rate ${leak.rate}`);
  assert.ok(retained.length > 0);
});

async function leaksDuring(steps, work) {
  const leaks = [];
  const onLeak = (leak) => leaks.push(leak);
  memwatch.on('leak', onLeak);
  for (let i = 0; i < steps; i++) {
    work(i);
    memwatch.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
  memwatch.removeListener('leak', onLeak);
  return leaks;
}

test("robust mode: a real leaking loop triggers 'leak'", async () => {
  memwatch.configure({ detector: 'classic' });
  memwatch.configure({ detector: 'robust' }); // fresh state
  const leaked = [];
  // The robust rule wants the retained floor rising steadily over a 64-GC horizon (17 windows of
  // 4 full GCs after a 4-GC warm-up: the first report comes at full GC 72).
  const leaks = await leaksDuring(90, () => {
    for (let k = 0; k < 5_000; k++) leaked.push({ k, label: `request ${k}` });
  });
  assert.ok(leaks.length >= 1, 'leak detected');
  assert.ok(leaks[0].growth > 1024 * 1024);
  assert.match(leaks[0].reason, /^heap floor grew over \d+ full GCs/);
  assert.equal(leaks[0].kind, 'heap');
  assert.ok(leaks[0].rate > 0 && leaks[0].heapLimit === v8.getHeapStatistics().heap_size_limit);
});

test('robust mode: an idle process and a sawtooth cache raise no leak', async () => {
  memwatch.configure({ detector: 'classic' });
  memwatch.configure({ detector: 'robust' });
  assert.deepEqual(await leaksDuring(40, () => {}), []);
  let cache = [];
  const leaks = await leaksDuring(60, (i) => {
    if (i % 6 === 0) cache = [];
    for (let k = 0; k < 20_000; k++) cache.push({ k, label: `entry ${k}` });
  });
  assert.deepEqual(leaks, []);
  assert.ok(cache.length > 0);
});

test("adaptive: a steep leak is reported within 12 full GCs with kind, rate, heapLimit and projectedMsToLimit", async () => {
  memwatch.configure({ detector: 'classic' });
  assert.equal(memwatch.configure({ detector: 'adaptive' }).detector, 'adaptive'); // fresh state
  const usedAt = [];
  const onStats = (stats) => usedAt.push(stats.current_base);
  memwatch.on('stats', onStats);
  const leaked = [];
  // ~4 MB kept per full GC: the floor grows by half or more within a few GCs.
  const leaks = await leaksDuring(14, () => leaked.push(allocate(4 * 1024 * 1024)));
  memwatch.removeListener('stats', onStats);
  assert.ok(leaks.length >= 1, `no leak in ${usedAt.length} full GCs`);
  const leak = leaks[0];
  assert.ok(leak.end instanceof Date && leak.start instanceof Date && leak.start <= leak.end);
  assert.equal(leak.kind, 'heap');
  assert.ok(leak.growth > 4 * 4 * 1024 * 1024, `growth ${leak.growth}`);
  const { heap_size_limit: heapLimit } = v8.getHeapStatistics();
  assert.equal(leak.heapLimit, heapLimit);
  assert.ok(Number.isFinite(leak.rate) && leak.rate > 0, `rate ${leak.rate}`);
  // The projection runs from the retained floor, which lies between 0 and the heap at the end.
  const maxHeap = Math.max(...usedAt);
  assert.ok(leak.projectedMsToLimit > 0);
  assert.ok(leak.projectedMsToLimit <= Math.round((heapLimit / leak.rate) * 60_000) + 1);
  assert.ok(leak.projectedMsToLimit >= Math.round(((heapLimit - maxHeap) / leak.rate) * 60_000) - 1);
  assert.match(leak.reason, /^heap floor grew [\d.]+ mb over \d+ full GCs \(.*\) - [\d.]+ mb\/min; heap limit \([\d.]+ mb\) reached in ~/);
  assert.ok(leaked.length > 0);
  memwatch.configure({ detector: 'robust' });
});

test('adaptive: the leak arrives within 12 full GCs of a steep leak', async () => {
  memwatch.configure({ detector: 'classic' });
  memwatch.configure({ detector: 'adaptive' });
  let fullGcs = 0;
  let firstLeakAt = null;
  const onStats = () => (fullGcs += 1);
  const onLeak = () => (firstLeakAt ??= fullGcs + 1); // 'leak' comes before its GC's 'stats'
  memwatch.on('stats', onStats);
  memwatch.on('leak', onLeak);
  const leaked = [];
  for (let i = 0; i < 14 && firstLeakAt === null; i++) {
    leaked.push(allocate(4 * 1024 * 1024));
    memwatch.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
  memwatch.removeListener('stats', onStats);
  memwatch.removeListener('leak', onLeak);
  memwatch.configure({ detector: 'robust' });
  assert.ok(firstLeakAt !== null && firstLeakAt <= 12, `first leak at full GC ${firstLeakAt} of ${fullGcs}`);
});

test("the default detector is 'adaptive'", () => {
  const { execFileSync } = require('node:child_process');
  const memwatchPath = JSON.stringify(require.resolve('../memwatch'));
  const printed = execFileSync(process.execPath, ['-e', `console.log(require(${memwatchPath}).configure().detector)`], {
    encoding: 'utf8',
  });
  assert.equal(printed.trim(), 'adaptive');
});

test('configure rejects unknown detectors and keeps the current one', () => {
  assert.throws(() => memwatch.configure({ detector: 'magic' }), { code: 'ERR_MODSWAP_INVALID_OPTIONS' });
  assert.throws(() => memwatch.configure(5), { code: 'ERR_MODSWAP_INVALID_OPTIONS' });
  assert.equal(memwatch.configure().detector, 'robust');
});

test('each worker thread has its own memwatch state', async () => {
  const source = `
    const { parentPort } = require('node:worker_threads');
    const memwatch = require(${JSON.stringify(require.resolve('../memwatch'))});
    let seen = 0;
    memwatch.on('stats', (s) => {
      seen = s.num_full_gc;
      if (seen === 3) { memwatch.removeAllListeners('stats'); parentPort.postMessage(seen); }
    });
    for (let i = 0; i < 3; i++) memwatch.gc();
  `;
  const runWorker = () =>
    new Promise((resolve, reject) => {
      const worker = new Worker(source, { eval: true });
      let fullGcs;
      worker.on('message', (n) => (fullGcs = n));
      worker.on('error', reject);
      worker.on('exit', (code) => (code === 0 ? resolve(fullGcs) : reject(new Error(`exit ${code}`))));
    });
  const before = memwatch.feed.running;
  assert.deepEqual(await Promise.all([runWorker(), runWorker()]), [3, 3]);
  assert.equal(memwatch.feed.running, before, "the workers' listeners did not touch this thread");
});

test('every way of adding and removing listeners starts and stops watching, removeAllListeners() included', async () => {
  const received = () => {
    const calls = [];
    const listener = (stats) => calls.push(stats);
    return { calls, listener };
  };
  const adders = ['on', 'addListener', 'prependListener', 'once', 'prependOnceListener'];
  const removers = [
    (listener) => memwatch.removeListener('stats', listener),
    (listener) => memwatch.off('stats', listener),
    () => memwatch.removeAllListeners('stats'),
    () => memwatch.removeAllListeners(),
  ];
  for (const add of adders) {
    for (const remove of removers) {
      const { calls, listener } = received();
      assert.equal(memwatch[add]('stats', listener), memwatch, `${add} returns the emitter`);
      assert.equal(memwatch.feed.running, true, add);
      assert.deepEqual(memwatch.eventNames(), ['stats'], 'no listeners of modswap\'s own show');
      memwatch.gc();
      await nextStats();
      assert.equal(calls.length, 1, `${add}: one 'stats' event`);
      assert.ok(calls[0].num_full_gc >= 1);
      remove(listener);
      assert.equal(memwatch.listenerCount('stats'), 0);
      assert.equal(memwatch.feed.running, false, `${add} then ${remove}: watching stopped`);
    }
  }
  // node-memwatch's habit: an afterEach cleanup with no argument, then new listeners.
  memwatch.removeAllListeners();
  const { calls, listener } = received();
  memwatch.on('stats', listener);
  memwatch.gc();
  await nextStats();
  memwatch.gc();
  await nextStats();
  assert.equal(calls.length, 2);
  memwatch.removeAllListeners();
  assert.equal(memwatch.feed.running, false);
});

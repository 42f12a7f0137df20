'use strict';
// A blind workload set for the leak-detector comparison (issue I): written WITHOUT reading the
// detectors (src/memwatch/*.rs, lib/memwatch/*.js) or their benchmark results. Only the export
// format of memwatch-workloads.js and the way memwatch-detectors-child.js drives a workload were
// read. Rates and sizes come from what each service pattern is meant to look like next to the
// child's ~20 MB application state, and were fixed before any detector saw them; the check
// driver (bench/memwatch-workloads-blind-check.js) measures the heap series without a detector.
// Do not tune these to a detector: that would make them one more tuning set.
//
// Format (as the other sets): `{ name, leaking, what, make() }`, `make()` returning `step(i)`,
// the child forcing a full GC after every step. Added here:
//   - bytesPerStep: the retained bytes one step adds while the leak runs (0 if not leaking);
//   - transientBytesPerStep: for look-alikes, how fast the heap grows in their growing phase;
//   - stepMs: the real time one step stands for. The intended rate is
//     bytesPerStep / stepMs * 60000 bytes per minute (mbPerMinute()). The child runs steps back
//     to back, so a driver that wants a detector to see the intended MB/min must pace each step
//     to stepMs; unpaced, the real-time rate is bytesPerStep / (measured ms per step).
// Every step also serves requests (parsed bodies, responses, log lines) that die young, as a
// service does, so scavenges come between the forced full GCs.
//
// Leaking (all >= 1 MB/min at stepMs):
//   steep: response cache keyed by the full URL    ~3 MB/step, floor +50 % within ~4 GCs
//   medium: sessions never expired                 34 KB/step, 4 MB/min
//   slow: metric label per user id                 8.5 KB/step, 1 MB/min (the issue's floor)
//   late: subscriptions kept after disconnect      nothing for 70 steps, then 17 KB/step, 2 MB/min
//   under a large sawtooth: retry list never drained  13 KB/step, 1.5 MB/min, under a 0..17 MB batch
//   stepwise: nightly job keeps its context        5 steps x 200 KB every 30 steps, ~2 MB/min
// Not leaking (look-alikes):
//   LRU cache filling to its cap                   +~10 MB over ~40 steps, then flat
//   warm-up                                        +10 MB over 20 steps, then flat
//   big sawtooth (batch export)                    +1 MB per step, freed every 20 steps (0..20 MB)
//   one-off config reload doubling a table         +~6 MB once at step 60
//   working set that grows then shrinks            up ~8 MB over 70 steps, back down over 70
//   periodic compaction                            +80 KB/step of old versions, dropped every 40 steps
const KB = 1024;
const MB = 1024 * KB;

/** Real time one step stands for: a service doing a full GC every half second under load. */
const STEP_MS = 500;

/** Deterministic PRNG (xorshift32): every run of a workload allocates the same. */
function prng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

/**
 * About `bytes` of JS heap as one array of small integers (8 bytes per element on x64, no
 * pointer compression in Node), the payload part of every retained record.
 */
function payload(bytes, seed) {
  const length = Math.max(1, (bytes - 16) >> 3);
  const out = new Array(length);
  for (let i = 0; i < length; i++) out[i] = (seed + i) & 0x3fff;
  return out;
}

/**
 * `count` requests handled and forgotten: parse a JSON body, build a response, serialize it,
 * format a log line. Returns a checksum so the work is not optimized away.
 */
function handleRequests(count, rng) {
  let sum = 0;
  for (let r = 0; r < count; r++) {
    const id = Math.floor(rng() * 1e9);
    const body = JSON.parse(`{"cart":${id},"lines":[${[1, 2, 3, 4, 5, 6].map((k) => `{"sku":"p${(id + k) % 7919}","n":${k}}`).join(',')}]}`);
    const response = { ok: true, cart: body.cart, total: body.lines.reduce((t, line) => t + line.n * 3, 0), lines: body.lines };
    const text = JSON.stringify(response);
    const log = `${new Date(1.7e12 + id).toISOString()} POST /cart/${id} 200 ${text.length}`;
    sum = (sum + text.length + log.length) | 0;
  }
  return sum;
}

/** Requests per step of background traffic (~1.5 MB of young garbage). */
const TRAFFIC = 200;

/** A rendered response as a cache would keep it: ~5 KB. */
function renderedPage(url, n) {
  return { url, status: 200, etag: `W/"${n.toString(16)}"`, headers: { 'content-type': 'text/html' }, body: payload(5 * KB - 200, n) };
}

/** A login session: ~2.8 KB. */
function session(id) {
  return { id: `s-${id}`, user: `u-${id % 100000}`, createdAt: 1.7e12 + id, scopes: ['read', 'write'], data: payload(2800 - 200, id) };
}

/** A histogram series for one label set (20 buckets with exemplars): ~2.8 KB. */
function histogramSeries(labels, seed) {
  return { labels, count: 0, sum: 0, buckets: payload(2800 - 200, seed) };
}

/** A pub/sub subscription with its connection state: ~1.7 KB. */
function subscription(id) {
  return { id, topic: `orders.${id % 40}`, socket: { remote: `10.0.${id % 250}.${id % 200}`, buffered: payload(1700 - 250, id) } };
}

/** One log/export row of a batch: ~1 KB. */
function exportRow(n) {
  return { n, table: 'orders', op: n % 3 === 0 ? 'update' : 'insert', values: payload(1 * KB - 120, n) };
}

/** Builds a bounded LRU cache on a Map (insertion order = recency). */
function lru(capacity) {
  const map = new Map();
  return {
    get(key, load) {
      let value = map.get(key);
      if (value === undefined) {
        value = load(key);
        if (map.size >= capacity) map.delete(map.keys().next().value);
      } else {
        map.delete(key);
      }
      map.set(key, value);
      return value;
    },
    get size() {
      return map.size;
    },
  };
}

/** A routing/pricing table as parsed from config: `entries` objects of ~150 B. */
function table(entries, version) {
  const rows = new Map();
  for (let k = 0; k < entries; k++) rows.set(`sku-${k}`, { price: (k * 37) % 1000, currency: 'EUR', version, region: k % 12 });
  return rows;
}

const BLIND_WORKLOADS = [
  {
    name: 'steep: response cache keyed by full URL',
    leaking: true,
    bytesPerStep: 600 * 5 * KB,
    stepMs: STEP_MS,
    what: 'heavy load: 600 requests/step, each caches its ~5 KB rendered page under its full URL (unique query string), nothing evicts: ~3 MB/step, +50 % of the floor within ~4 GCs',
    make() {
      const rng = prng(0x51ee9);
      const cache = new Map();
      let n = 0;
      return () => {
        handleRequests(TRAFFIC, rng);
        for (let r = 0; r < 600; r++, n++) {
          const url = `/product/${n % 500}?utm=${n}`;
          cache.set(url, renderedPage(url, n));
        }
        return cache.size;
      };
    },
  },
  {
    name: 'medium: sessions never expired',
    leaking: true,
    bytesPerStep: 12 * 2800,
    stepMs: STEP_MS,
    what: '12 logins/step create ~2.8 KB sessions; the expiry sweep was never scheduled: 34 KB/step, 4 MB/min',
    make() {
      const rng = prng(0x5e55);
      const sessions = new Map();
      let next = 0;
      return () => {
        handleRequests(TRAFFIC, rng);
        for (let k = 0; k < 12; k++, next++) sessions.set(`s-${next}`, session(next));
        return sessions.size;
      };
    },
  },
  {
    name: 'slow: metric labelled by user id',
    leaking: true,
    bytesPerStep: 3 * 2800,
    stepMs: STEP_MS,
    what: 'a latency histogram labelled with the user id: 3 new users/step each add a ~2.8 KB series never dropped: 8.4 KB/step, 1 MB/min',
    make() {
      const rng = prng(0x3e7);
      const series = new Map();
      let user = 0;
      return () => {
        handleRequests(TRAFFIC, rng);
        for (let k = 0; k < 3; k++, user++) {
          const key = `route=/cart,user=${user}`;
          series.set(key, histogramSeries(key, user));
        }
        return series.size;
      };
    },
  },
  {
    name: 'late: subscriptions kept after disconnect',
    leaking: true,
    bytesPerStep: 10 * 1700,
    stepMs: STEP_MS,
    what: 'stable for 70 steps; then a deploy turns on live updates: 10 clients/step subscribe and disconnect, the ~1.7 KB subscription stays in the topic registry: 17 KB/step, 2 MB/min',
    make() {
      const rng = prng(0x1a7e);
      const registry = new Map();
      let next = 0;
      return (i) => {
        handleRequests(TRAFFIC, rng);
        if (i < 70) return registry.size;
        for (let k = 0; k < 10; k++, next++) {
          const sub = subscription(next);
          if (!registry.has(sub.topic)) registry.set(sub.topic, new Set());
          registry.get(sub.topic).add(sub); // the disconnect handler forgets to delete it
        }
        return registry.size;
      };
    },
  },
  {
    name: 'leak under a large sawtooth',
    leaking: true,
    bytesPerStep: 13 * KB,
    stepMs: STEP_MS,
    what: 'an export batch gains 700 rows (~700 KB) per step and is flushed every 25 steps (0..17 MB sawtooth); 13 rows of each step fail and are copied to a retry list never drained: 13 KB/step, 1.5 MB/min',
    make() {
      const rng = prng(0x5a770);
      let batch = [];
      const retry = [];
      let n = 0;
      return (i) => {
        handleRequests(TRAFFIC, rng);
        for (let k = 0; k < 700; k++, n++) batch.push(exportRow(n));
        for (let k = 0; k < 13; k++) retry.push(exportRow(n + k + 1e7));
        if (i % 25 === 24) batch = [];
        return batch.length + retry.length;
      };
    },
  },
  {
    name: 'stepwise: job keeps each run\'s context',
    leaking: true,
    bytesPerStep: (5 * 200 * KB) / 30,
    stepMs: STEP_MS,
    what: 'a scheduled job runs every 30 steps for 5 steps and keeps 200 KB of context per step in a module-level history (1 MB per run), flat for 25 steps in between: ~2 MB/min on average',
    make() {
      const rng = prng(0x57e9);
      const history = [];
      return (i) => {
        handleRequests(TRAFFIC, rng);
        if (i % 30 >= 10 && i % 30 < 15) history.push(Array.from({ length: 200 }, (_, k) => exportRow(i * 200 + k)));
        return history.length;
      };
    },
  },
  {
    name: 'LRU cache filling to its cap',
    leaking: false,
    bytesPerStep: 0,
    transientBytesPerStep: 150 * 1700,
    stepMs: STEP_MS,
    what: 'LRU of 6,000 product records (~1.7 KB): 200 lookups/step over 60,000 ids, ~150 misses/step fill it in ~40 steps (+10 MB), then each miss evicts one',
    make() {
      const rng = prng(0x1e0);
      const cache = lru(6000);
      return () => {
        handleRequests(TRAFFIC, rng);
        for (let k = 0; k < 200; k++) {
          // A skewed popularity: a tenth of the ids get half the lookups.
          const id = rng() < 0.5 ? Math.floor(rng() * 6000) : Math.floor(rng() * 60000);
          cache.get(id, (key) => ({ key, name: `product ${key}`, data: payload(1700 - 120, key) }));
        }
        return cache.size;
      };
    },
  },
  {
    name: 'warm-up then plateau',
    leaking: false,
    bytesPerStep: 0,
    transientBytesPerStep: 500 * KB,
    stepMs: STEP_MS,
    what: 'the first 20 steps compile templates and fill lookup tables (500 KB/step, +10 MB), nothing kept after',
    make() {
      const rng = prng(0xa4);
      const compiled = [];
      return (i) => {
        handleRequests(TRAFFIC, rng);
        if (i < 20) compiled.push(Array.from({ length: 100 }, (_, k) => ({ template: `t${i}-${k}`, code: payload(5 * KB - 100, i * 100 + k) })));
        return compiled.length;
      };
    },
  },
  {
    name: 'big sawtooth: batch export',
    leaking: false,
    bytesPerStep: 0,
    transientBytesPerStep: 1 * MB,
    stepMs: STEP_MS,
    what: 'a batch export accumulates 1,000 rows (~1 MB) per step and writes them out every 20 steps (0..20 MB), nothing kept',
    make() {
      const rng = prng(0xb16);
      let batch = [];
      let n = 0;
      return (i) => {
        handleRequests(TRAFFIC, rng);
        for (let k = 0; k < 1000; k++, n++) batch.push(exportRow(n));
        if (i % 20 === 19) batch = [];
        return batch.length;
      };
    },
  },
  {
    name: 'one-off: config reload doubles a table',
    leaking: false,
    bytesPerStep: 0,
    transientBytesPerStep: 0,
    stepMs: STEP_MS,
    what: 'a 40,000-entry pricing table (built in the first step); at step 60 a config reload replaces it with an 80,000-entry one (+~6 MB once), then flat',
    make() {
      const rng = prng(0xc0f16);
      let prices = null;
      return (i) => {
        handleRequests(TRAFFIC, rng);
        if (i === 0) prices = table(40000, 1);
        if (i === 60) prices = table(80000, 2);
        return prices.size;
      };
    },
  },
  {
    name: 'working set grows then shrinks',
    leaking: false,
    bytesPerStep: 0,
    transientBytesPerStep: 57 * 2 * KB,
    stepMs: STEP_MS,
    what: 'active connections follow the day: 0 -> 4,000 (~2 KB each, ~8 MB) over 70 steps, back to 0 over the next 70, and again',
    make() {
      const rng = prng(0xd4e);
      const active = [];
      let next = 0;
      return (i) => {
        handleRequests(TRAFFIC, rng);
        const phase = i % 140;
        const target = Math.round((phase < 70 ? phase : 140 - phase) * (4000 / 70));
        while (active.length < target) active.push({ id: next++, state: payload(2 * KB - 100, next) });
        // The oldest connections close first.
        if (active.length > target) active.splice(0, active.length - target);
        return active.length;
      };
    },
  },
  {
    name: 'periodic compaction',
    leaking: false,
    bytesPerStep: 0,
    transientBytesPerStep: 200 * 400,
    stepMs: STEP_MS,
    what: 'an in-memory store of 2,000 keys keeps superseded versions (200 updates/step, ~400 B each, +80 KB/step) until compaction every 40 steps drops them',
    make() {
      const rng = prng(0xc0ac7);
      const live = new Map();
      let superseded = [];
      let version = 0;
      return (i) => {
        handleRequests(TRAFFIC, rng);
        for (let k = 0; k < 200; k++, version++) {
          const key = Math.floor(rng() * 2000);
          const old = live.get(key);
          if (old) superseded.push(old);
          live.set(key, { key, version, value: payload(400 - 60, version) });
        }
        if (i % 40 === 39) superseded = [];
        return live.size + superseded.length;
      };
    },
  },
];

for (const workload of BLIND_WORKLOADS) workload.set = 'blind';

/** The intended leak rate of a workload in MB per minute of real time (0 when not leaking). */
function mbPerMinute(workload) {
  return (workload.bytesPerStep / workload.stepMs) * 60000 / MB;
}

module.exports = { BLIND_WORKLOADS, mbPerMinute, STEP_MS };

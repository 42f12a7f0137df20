'use strict';
// A SECOND blind workload set for the leak-detector comparison (set `blind2`). The first blind set
// (memwatch-workloads-blind.js) stopped being out-of-sample once the detectors were changed after
// its results; this one replaces it as the judge. Written WITHOUT reading the detectors
// (src/memwatch/, lib/memwatch/), their documentation (README memwatch sections, BENCHMARKS.md,
// the .d.ts files) or any benchmark output. Read: the driver (memwatch-detectors.bench.js and
// memwatch-detectors-child.js) to learn the format, the first blind set's header and format (these
// workloads are different service patterns, not its workloads with other numbers), and the heap
// series of these workloads measured WITHOUT a detector (memwatch-workloads-blind-check.js
// --set=blind2). Every rate and size below was fixed before any detector saw this set; do not tune
// them to a detector afterwards, or this becomes one more tuning set.
//
// Format (as the first blind set): `{ name, leaking, what, make(), bytesPerStep,
// transientBytesPerStep, stepMs }`, `make()` returning `step(i)`; the child forces a full GC after
// every step.
//   - bytesPerStep: retained bytes one step adds while the leak runs (for the bursty leak, the
//     average over the run's 150 steps; 0 when not leaking);
//   - transientBytesPerStep: for look-alikes, how fast the heap grows in their growing phase;
//   - stepMs: the real time one step stands for: here a busy service with a full GC about once a
//     second (the first blind set used 500 ms). Intended rate = bytesPerStep / stepMs * 60000 B/min.
// Every step also serves ~120 requests whose garbage dies young (route match, query parsing,
// header objects, a rendered page, a JSON response, a log line). Measured after the set's only
// detector run: that is well under 1 MB of young garbage a step, so under the child's 1 MB
// semi-space the lighter workloads saw no scavenge at all between the forced full GCs (the
// heavier ones did). Left as it was run, since the numbers must not change after a detector run.
//
// The child's application state is ~24 MB of post-GC heap before a workload starts. Leaking:
//   steep A: request bodies kept by a debug hook       ~3.6 MB/step (+50 % of the heap in ~3-4 GCs)
//   steep B: 'close' listener per request, never removed ~3 MB/step (+50 % in ~4-5 GCs)
//   medium: webhook replies that never come (pending)   100 KB/step, 5.9 MB/min
//   slow A: child spans under a root span never ended   20 KB/step, 1.2 MB/min
//   slow B: dedup set of processed message ids         30 KB/step, 1.8 MB/min
//   bursts: errors kept with their request, outages only 240 KB/step during 3 outages (31 of 150
//           steps, the first at step 30), flat in between: ~50 KB/step on average, 2.9 MB/min
// Not leaking (look-alikes):
//   byte-bounded cache filling fast                   +15 MB (~60 %) over ~10 steps, then flat
//   start-up loading 6 dictionary shards              +~23 MB (doubles the heap) over steps 0-5, flat
//   long-tooth sawtooth: 50-step rollup window         +140 KB/step for 50 steps, then dropped
//   clients seen: slowly rising, then stable           ~6 MB approached as 1 - e^(-i/30)
//   periodic snapshot of the store                     +12 MB for 4 steps every 30 steps
//   queue backlog during downstream slowdowns          +~225 KB/step for 30 and 20 steps, drained after
const { EventEmitter } = require('node:events');

const KB = 1024;
const MB = 1024 * KB;

/** Real time one step stands for: a busy service with a full GC about once a second. */
const STEP_MS = 1000;

/** Steps the benchmark runs (its default 150 full GCs); the bursty leak's outages fall inside. */
const RUN_STEPS = 150;

/** Deterministic PRNG (mulberry32, shared with the other sets): every run allocates the same. */
const { random: prng } = require('./memwatch-workloads');

/** A hex id of `length` characters from `rng`. */
function hexId(rng, length) {
  let out = '';
  while (out.length < length) out += Math.floor(rng() * 0x100000000).toString(16).padStart(8, '0');
  return out.slice(0, length);
}

/** `count` small integers (8 bytes each in a packed array on x64 Node, no pointer compression). */
function ints(count, seed) {
  const out = new Array(count);
  for (let k = 0; k < count; k++) out[k] = (seed * 31 + k * 7) & 0x3fff;
  return out;
}

const ROUTES = [
  [/^\/api\/orders\/(\d+)$/, 'order'],
  [/^\/api\/users\/(\d+)\/prefs$/, 'prefs'],
  [/^\/search$/, 'search'],
  [/^\/p\/([a-z0-9-]+)$/, 'product'],
];

/**
 * `count` requests served and forgotten: match a route, parse the query string, build the header
 * and response objects, render a small page or JSON body, format an access-log line. All of it is
 * young garbage. Returns a checksum so nothing is optimized away.
 */
function serveTraffic(count, rng) {
  let sum = 0;
  for (let r = 0; r < count; r++) {
    const n = Math.floor(rng() * 1e6);
    const url = [`/api/orders/${n}`, `/api/users/${n % 5000}/prefs`, `/search`, `/p/item-${n % 900}`][n % 4];
    const query = new URLSearchParams(`q=term${n % 300}&page=${n % 9}&sort=price&lang=en`);
    const headers = { host: 'shop.example', 'user-agent': `client/${n % 17}`, accept: 'text/html', 'x-request-id': n.toString(36) };
    let route = 'notfound';
    for (const [pattern, name] of ROUTES) if (pattern.test(url)) route = name;
    const items = Array.from({ length: 8 }, (_, k) => ({ id: (n + k) % 9973, title: `Item ${(n + k) % 9973}`, price: ((n + k) % 500) / 10 }));
    const body =
      route === 'search' || route === 'product'
        ? `<ul>${items.map((item) => `<li data-id="${item.id}">${item.title} - ${item.price.toFixed(2)} EUR</li>`).join('')}</ul>`
        : JSON.stringify({ route, q: query.get('q'), page: Number(query.get('page')), items });
    const log = `${headers['x-request-id']} GET ${url} 200 ${body.length} "${headers['user-agent']}"`;
    sum = (sum + body.length + log.length) | 0;
  }
  return sum;
}

/** Requests of background traffic per step. */
const TRAFFIC = 120;

/** A raw JSON request body of about `bytes` characters (a flat one-byte string, unique per call). */
function rawBody(bytes, rng) {
  const lines = [];
  let length = 40;
  while (length < bytes) {
    const line = `{"sku":"${hexId(rng, 12)}","qty":${Math.floor(rng() * 9) + 1},"note":"gift wrap ${hexId(rng, 6)}"}`;
    lines.push(line);
    length += line.length + 1;
  }
  return `{"cart":"${hexId(rng, 16)}","lines":[${lines.join(',')}]}`;
}

/** A parsed request as a handler holds it: headers plus `lines` order lines (~75 B each). */
function parsedRequest(id, lines) {
  return {
    id,
    method: 'POST',
    url: `/api/orders/${id}`,
    headers: { host: 'shop.example', 'content-type': 'application/json', 'x-request-id': `r${id}` },
    body: { cart: id, lines: Array.from({ length: lines }, (_, k) => ({ sku: (id + k) % 7919, qty: (k % 5) + 1, price: ((id * k) % 900) / 10 })) },
  };
}

/** A tracing span with its attributes (~600 B). */
function span(traceId, n) {
  return {
    traceId,
    spanId: `${traceId.slice(0, 8)}${n.toString(16).padStart(8, '0')}`,
    name: ['db.query', 'cache.get', 'http.client', 'render'][n % 4],
    startNs: 1.7e18 + n * 1000,
    endNs: 1.7e18 + n * 1000 + 420,
    attributes: { 'db.rows': n % 40, 'net.peer': `10.1.${n % 200}.${n % 250}`, 'http.status': 200, statement: `SELECT * FROM orders WHERE id = ${n}` },
    events: [{ name: 'retry', at: n }],
    samples: ints(24, n),
  };
}

/** Size-bounded LRU cache: evicts least recently used entries until the byte budget holds. */
function byteLru(budget) {
  const map = new Map();
  let bytes = 0;
  return {
    get(key, load) {
      let entry = map.get(key);
      if (entry === undefined) {
        entry = load(key);
        bytes += entry.size;
        while (bytes > budget) {
          const [oldest, old] = map.entries().next().value;
          map.delete(oldest);
          bytes -= old.size;
        }
      } else {
        map.delete(key);
      }
      map.set(key, entry);
      return entry;
    },
    get bytes() {
      return bytes;
    },
  };
}

/** One shard of a dictionary loaded at start-up: `entries` string keys to small records. */
function dictionaryShard(shard, entries) {
  const out = new Map();
  for (let k = 0; k < entries; k++) out.set(`term:${shard}:${k.toString(36)}`, { shard, df: (k * 13) % 977, boost: (k % 7) / 7 });
  return out;
}

/** The bursty leak's outages: [first step, end step) windows inside the 150-step run. */
const OUTAGES = [
  [30, 40],
  [77, 83],
  [115, 130],
];
const OUTAGE_STEPS = OUTAGES.reduce((sum, [from, to]) => sum + (to - from), 0);
const ERRORS_PER_OUTAGE_STEP = 80;
const ERROR_BYTES = 3 * KB;

const BLIND2_WORKLOADS = [
  {
    name: 'steep: debug hook keeps request bodies',
    leaking: true,
    bytesPerStep: 300 * 12 * KB,
    stepMs: STEP_MS,
    what: 'a debug hook left on in production pushes every POST body (~12 KB raw JSON string, 300/step) onto an array for a "replay" page that nobody trims: ~3.6 MB/step, +50 % of the heap in ~3-4 GCs',
    make() {
      const rng = prng(0xb0d1e5);
      const replay = [];
      return () => {
        serveTraffic(TRAFFIC, rng);
        for (let r = 0; r < 300; r++) replay.push({ at: replay.length, body: rawBody(12 * KB, rng) });
        return replay.length;
      };
    },
  },
  {
    name: 'steep: close listener per request',
    leaking: true,
    bytesPerStep: 500 * 6 * KB,
    stepMs: STEP_MS,
    what: "every request adds a 'close' listener to the shared keep-alive upstream connection (500/step) and never removes it; the closure holds the parsed request (~6 KB of objects): ~3 MB/step",
    make() {
      const rng = prng(0xc105e);
      const upstream = new EventEmitter();
      upstream.setMaxListeners(0);
      let id = 0;
      return () => {
        serveTraffic(TRAFFIC, rng);
        for (let r = 0; r < 500; r++, id++) {
          const request = parsedRequest(id, 80);
          upstream.on('close', () => request.body.lines.length);
        }
        return upstream.listenerCount('close');
      };
    },
  },
  {
    name: 'medium: webhook replies that never come',
    leaking: true,
    bytesPerStep: 40 * 2500,
    stepMs: STEP_MS,
    what: "60 outbound webhook calls/step wait for a correlated reply with no timeout; the partner never answers 'order.updated' (40/step), so those promises stay pending with their ~2.5 KB payload: 100 KB/step, 5.9 MB/min",
    make() {
      const rng = prng(0x3eb400c);
      const awaiting = new Map();
      let answerable = [];
      let next = 0;
      const call = (type) => {
        const id = `${type}:${next++}`;
        const payload = { id, type, sentAt: 1.7e12 + next, order: { lines: ints(226, next), customer: `c-${next % 40000}` } };
        const reply = new Promise((resolve) => awaiting.set(id, { resolve, payload }));
        reply.then((answer) => answer.ok && payload.order.lines.length);
        return id;
      };
      return () => {
        serveTraffic(TRAFFIC, rng);
        // Replies to last step's answerable calls arrive now; order.updated ones never do.
        for (const id of answerable) {
          awaiting.get(id).resolve({ ok: true });
          awaiting.delete(id);
        }
        answerable = [];
        for (let k = 0; k < 40; k++) call('order.updated');
        for (let k = 0; k < 20; k++) answerable.push(call('order.created'));
        return awaiting.size;
      };
    },
  },
  {
    name: 'slow: spans under a root span never ended',
    leaking: true,
    bytesPerStep: 34 * 600,
    stepMs: STEP_MS,
    what: "a queue consumer's whole loop runs inside one root span that is never ended; each step's 34 child spans (~600 B) are appended to it and never exported: ~20 KB/step, 1.2 MB/min",
    make() {
      const rng = prng(0x59a4);
      const root = { traceId: hexId(rng, 32), name: 'consumer.loop', children: [] };
      let n = 0;
      return () => {
        serveTraffic(TRAFFIC, rng);
        for (let k = 0; k < 34; k++, n++) root.children.push(span(root.traceId, n));
        return root.children.length;
      };
    },
  },
  {
    name: 'slow: dedup set of message ids never pruned',
    leaking: true,
    bytesPerStep: 330 * 92,
    stepMs: STEP_MS,
    what: 'an at-least-once consumer records every processed message id (a 40-char string, 330/step) in a Set to drop redeliveries, with no time window: ~30 KB/step, 1.8 MB/min, in the Set\'s doubling steps',
    make() {
      const rng = prng(0xdedc0);
      const seen = new Set();
      return () => {
        serveTraffic(TRAFFIC, rng);
        for (let k = 0; k < 330; k++) {
          // As the broker client delivers it: a flat 40-character string parsed from the message.
          const id = JSON.parse(`"orders-7:${hexId(rng, 8)}-${hexId(rng, 4)}-${hexId(rng, 4)}-${hexId(rng, 12)}"`);
          if (!seen.has(id)) seen.add(id);
        }
        return seen.size;
      };
    },
  },
  {
    name: 'bursts: errors kept with their request during outages',
    leaking: true,
    bytesPerStep: (OUTAGE_STEPS * ERRORS_PER_OUTAGE_STEP * ERROR_BYTES) / RUN_STEPS,
    stepMs: STEP_MS,
    what: 'an error reporter keeps every failed request\'s Error (with stack) and parsed request (~3 KB) in a "recent errors" list it never trims; failures only happen during upstream outages at steps 30-39, 77-82 and 115-129 (80/step, 240 KB/step), flat otherwise: 2.9 MB/min on average',
    make() {
      const rng = prng(0xe7707);
      const recentErrors = [];
      let id = 0;
      return (i) => {
        serveTraffic(TRAFFIC, rng);
        if (!OUTAGES.some(([from, to]) => i >= from && i < to)) return recentErrors.length;
        for (let k = 0; k < ERRORS_PER_OUTAGE_STEP; k++, id++) {
          const error = new Error(`upstream inventory responded 503 for request r${id}`);
          error.stackText = error.stack; // the reporter formats the stack when it records the error
          error.request = parsedRequest(id, 28);
          recentErrors.push(error);
        }
        return recentErrors.length;
      };
    },
  },
  {
    name: 'byte-bounded cache filling fast',
    leaking: false,
    bytesPerStep: 0,
    transientBytesPerStep: 1.6 * MB,
    stepMs: STEP_MS,
    what: 'an image-metadata cache bounded at 15 MB: 200 lookups/step over 40,000 ids, entries 4-12 KB; cold, nearly all miss (~1.6 MB/step), so it fills in ~10 steps (+~60 % of the heap) and then evicts to stay at 15 MB',
    make() {
      const rng = prng(0xcace);
      const cache = byteLru(15 * MB);
      return () => {
        serveTraffic(TRAFFIC, rng);
        for (let k = 0; k < 200; k++) {
          // A skewed popularity: a fifth of the lookups go to 2,000 popular ids.
          const id = rng() < 0.2 ? Math.floor(rng() * 2000) : Math.floor(rng() * 40000);
          cache.get(id, (key) => {
            const size = 4 * KB + Math.floor(rng() * 8 * KB);
            return { key, size, exif: { w: 800 + (key % 400), h: 600 }, tiles: ints((size - 160) >> 3, key) };
          });
        }
        return cache.bytes;
      };
    },
  },
  {
    name: 'start-up loads 6 dictionary shards',
    leaking: false,
    bytesPerStep: 0,
    transientBytesPerStep: 3.8 * MB,
    stepMs: STEP_MS,
    what: 'a search service loads its term dictionary lazily, one ~3.8 MB shard per step as the first queries touch them (steps 0-5): +~23 MB, the heap doubles, then nothing more is loaded',
    make() {
      const rng = prng(0x5a4d);
      const shards = [];
      return (i) => {
        serveTraffic(TRAFFIC, rng);
        if (i < 6) shards.push(dictionaryShard(i, 32000));
        return shards.length;
      };
    },
  },
  {
    name: 'long-tooth sawtooth: 50-step rollup window',
    leaking: false,
    bytesPerStep: 0,
    transientBytesPerStep: 2000 * 70,
    stepMs: STEP_MS,
    what: 'a metrics agent keeps every raw latency sample (2,000/step, ~70 B) for a 50-step window, then folds them into a small histogram and drops them: +~7 MB rising for 50 steps, three teeth in 150 steps',
    make() {
      const rng = prng(0x70077);
      let window = [];
      const rollups = [];
      return (i) => {
        serveTraffic(TRAFFIC, rng);
        for (let k = 0; k < 2000; k++) window.push({ route: k % 12, status: rng() < 0.01 ? 500 : 200, ms: rng() * 300 });
        if (i % 50 === 49) {
          const histogram = new Array(30).fill(0);
          for (const sample of window) histogram[Math.min(29, Math.floor(sample.ms / 10))] += 1;
          rollups.push(histogram);
          if (rollups.length > 24) rollups.shift();
          window = [];
        }
        return window.length;
      };
    },
  },
  {
    name: 'clients seen: slowly rising then stable',
    leaking: false,
    bytesPerStep: 0,
    transientBytesPerStep: 100 * 2 * KB,
    stepMs: STEP_MS,
    what: 'a rate limiter keeps a ~2 KB record per client; 100 requests/step come from a fixed population of 3,000 clients, so records grow as 3,000 (1 - e^(-i/30)): +200 KB/step at first, ~6 MB in all, nearly flat after ~100 steps',
    make() {
      const rng = prng(0xc11e7);
      const clients = new Map();
      return () => {
        serveTraffic(TRAFFIC, rng);
        for (let k = 0; k < 100; k++) {
          const id = Math.floor(rng() * 3000);
          let record = clients.get(id);
          if (!record) clients.set(id, (record = { id, tokens: 100, window: ints(240, id), seenAt: 0 }));
          record.tokens -= 1;
          record.seenAt += 1;
        }
        return clients.size;
      };
    },
  },
  {
    name: 'periodic snapshot of the in-memory store',
    leaking: false,
    bytesPerStep: 0,
    transientBytesPerStep: 12 * MB,
    stepMs: STEP_MS,
    what: 'a 12 MB in-memory store (built in step 0) is deep-copied every 30 steps (from step 15) for a backup that streams out over 4 steps, then the copy is dropped: +12 MB (~35 %) for 4 GCs, every 30 GCs',
    make() {
      const rng = prng(0x5a95);
      const build = () => Array.from({ length: 4000 }, (_, k) => ({ key: `acct-${k}`, balance: k * 3, history: ints(370, k) }));
      let store = null;
      let snapshot = null;
      return (i) => {
        serveTraffic(TRAFFIC, rng);
        if (i === 0) store = build();
        if (i % 30 === 15) snapshot = store.map((row) => ({ key: row.key, balance: row.balance, history: row.history.slice() }));
        if (i % 30 === 19) snapshot = null; // the backup stream finished
        return snapshot ? snapshot.length : store.length;
      };
    },
  },
  {
    name: 'queue backlog during downstream slowdowns',
    leaking: false,
    bytesPerStep: 0,
    transientBytesPerStep: 90 * 2500,
    stepMs: STEP_MS,
    what: 'jobs (~2.5 KB) arrive at ~100/step with noise; the downstream slows at steps 40-69 and 105-124 so ~90/step stay queued (+~225 KB/step, up to ~6.8 MB), then the consumer catches up at ~300/step; normally the queue holds 0-40 jobs',
    make() {
      const rng = prng(0xb4c1);
      const queue = [];
      let n = 0;
      return (i) => {
        serveTraffic(TRAFFIC, rng);
        const arriving = 80 + Math.floor(rng() * 41);
        for (let k = 0; k < arriving; k++, n++) queue.push({ n, kind: 'email', to: `user${n % 50000}@example.org`, body: ints(300, n) });
        const slow = (i >= 40 && i < 70) || (i >= 105 && i < 125);
        // Slowed down, the consumer finishes 0-19 jobs a step; otherwise up to 300, leaving the
        // 0-40 that arrived while it was busy.
        const done = slow ? Math.floor(rng() * 20) : Math.min(300, Math.max(0, queue.length - Math.floor(rng() * 41)));
        queue.splice(0, Math.min(queue.length, done));
        return queue.length;
      };
    },
  },
];

for (const workload of BLIND2_WORKLOADS) workload.set = 'blind2';

/** The intended leak rate of a workload in MB per minute of real time (0 when not leaking). */
function mbPerMinute(workload) {
  return ((workload.bytesPerStep / workload.stepMs) * 60000) / MB;
}

module.exports = { BLIND2_WORKLOADS, mbPerMinute, STEP_MS };

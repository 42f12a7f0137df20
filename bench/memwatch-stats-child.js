'use strict';
// One run of the 'stats' overhead benchmark in a fresh process (memwatch-stats.bench.js):
//
//   node bench/memwatch-stats-child.js <variant> <rounds> [airbnbDir]
//
// variant: plain          no memwatch loaded
//          modswap-off    modswap's memwatch loaded, no listener
//          modswap-on     modswap's memwatch with a 'stats' listener
//          airbnb-off     @airbnb/node-memwatch loaded (its GC hooks are always installed), no listener
//          airbnb-on      @airbnb/node-memwatch with a 'stats' listener
//          modswap-ab     in ONE process, blocks of the work alternately without and with a
//          airbnb-ab      'stats' listener, in ABBA order (off on on off off on on off): the
//                         per-process speed, which varies a lot on this VM, cancels out
//
// The work is fixed (bench/lib/gc-work.js: short-lived allocation, every other object retained
// until a list drop, rounds one event-loop turn apart). Prints one JSON line: the time of the
// work and what the listener saw.
const { msSince } = require('./lib/stats');

const VARIANTS = ['plain', 'modswap-off', 'modswap-on', 'airbnb-off', 'airbnb-on', 'modswap-ab', 'airbnb-ab'];
/** Listener off (false) / on (true) per block of an A/B run. */
const AB_BLOCKS = [false, true, true, false, false, true, true, false];
const { work, nextTurn } = require('./lib/gc-work');

function loadMemwatch(variant, airbnbDir) {
  if (variant.startsWith('modswap')) return require(require('./lib/memwatch-bench').MODSWAP_MEMWATCH);
  if (variant.startsWith('airbnb')) return require(airbnbDir);
  return null;
}

/**
 * What the listener keeps: the event count and a few fields, as a monitoring hook would.
 * `seen.listener` is the function, to remove it again.
 */
function listen(memwatch) {
  const seen = { events: 0, lastFullGc: null, lastUsedHeap: null, lastCurrentBase: null };
  const listener = (stats) => {
    seen.events += 1;
    seen.lastFullGc = stats.num_full_gc ?? stats.gcMarkSweepCompactCount ?? null;
    seen.lastUsedHeap = stats.used_heap_size ?? null;
    seen.lastCurrentBase = stats.current_base ?? null;
  };
  memwatch.on('stats', listener);
  Object.defineProperty(seen, 'listener', { value: listener, enumerable: false });
  return seen;
}

/**
 * Times modswap's own handling of GC batches (GcFeed.drain: profiler restart, detector, 'stats'
 * emit, the listener) by wrapping the feed instance's method; V8's in-GC bookkeeping for the
 * GCProfiler is not included. Returns the counter the wrapper fills.
 */
function timeDrain(feed) {
  const handler = { ns: 0n, batches: 0 };
  const drain = feed.drain;
  feed.drain = function timedDrain(...args) {
    const start = process.hrtime.bigint();
    try {
      return drain.apply(this, args);
    } finally {
      handler.ns += process.hrtime.bigint() - start;
      handler.batches += 1;
    }
  };
  return handler;
}

/** Waits until the GC notifications of the run have been delivered (they come a turn later). */
async function settle() {
  await nextTurn();
  await new Promise((resolve) => setTimeout(resolve, 20));
}

/**
 * One untimed block, then AB_BLOCKS blocks of rounds / AB_BLOCKS.length rounds each, with the
 * listener attached for the `true` ones.
 */
async function abRun(variant, memwatch, rounds) {
  const blockRounds = Math.max(1, Math.round(rounds / AB_BLOCKS.length));
  const ms = { off: 0, on: 0 };
  const events = { off: 0, on: 0 };
  let seen = null;
  // An untimed block first: JIT warm-up and heap sizing would otherwise land on the first block.
  await work(blockRounds);
  await settle();
  for (const on of AB_BLOCKS) {
    if (on && !seen) seen = listen(memwatch);
    if (!on && seen) {
      memwatch.removeListener('stats', seen.listener);
      events.on += seen.events;
      seen = null;
    }
    const start = process.hrtime.bigint();
    await work(blockRounds);
    ms[on ? 'on' : 'off'] += msSince(start);
    await settle();
  }
  if (seen) events.on += seen.events;
  process.stdout.write(JSON.stringify({ variant, blockRounds, blocks: AB_BLOCKS, ms, events }) + '\n');
}

async function main() {
  const [variant, roundsArg, airbnbDir] = process.argv.slice(2);
  if (!VARIANTS.includes(variant)) throw new Error(`variant must be one of ${VARIANTS.join(', ')}`);
  const memwatch = loadMemwatch(variant, airbnbDir);
  if (variant.endsWith('-ab')) return abRun(variant, memwatch, Number(roundsArg));
  const seen = variant.endsWith('-on') ? listen(memwatch) : null;
  // The modswap feed's per-kind counters: every GC it was told about, full or not.
  const feed = variant === 'modswap-on' ? memwatch.feed : null;
  const handler = feed ? timeDrain(feed) : null;
  await nextTurn();

  const start = process.hrtime.bigint();
  const checksum = await work(Number(roundsArg));
  const workMs = msSince(start);
  await settle();
  // The feed reads V8's profile only at full GCs: count the scavenges after the last one too.
  if (feed?.running) feed.drain(feed.observer.takeRecords(), { flush: true });
  const gcs = feed && {
    scavenge: feed.counters.gcScavengeCount,
    markSweepCompact: feed.counters.gcMarkSweepCompactCount,
    incrementalMarking: feed.counters.gcIncrementalMarkingCount,
    processWeakCallbacks: feed.counters.gcProcessWeakCallbacksCount,
  };
  const handlerMs = handler && { ms: Number(handler.ns) / 1e6, batches: handler.batches };
  process.stdout.write(JSON.stringify({ variant, workMs, checksum, seen, gcs, handler: handlerMs }) + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

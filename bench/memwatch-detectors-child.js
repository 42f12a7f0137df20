'use strict';
// One workload of the detector comparison in a fresh process (memwatch-detectors.bench.js):
//
//   node bench/memwatch-detectors-child.js <workload index> <full GCs>
//
// Builds the application state, then starts ONE GcFeed and feeds every batch it delivers, as the
// same Float64Array, to a classic, a robust and an adaptive LeakDetector: all see identical input. Runs the
// workload's steps with memwatch.gc() after each until the feed has delivered <full GCs> full
// GCs (later ones are not fed). Prints one JSON line: each detector's leak events with the
// full-GC number they came at, and the post-GC heap series.
const path = require('node:path');
const { ROOT, MODSWAP_MEMWATCH } = require('./lib/memwatch-bench');
const { applicationState } = require('./lib/memwatch-workloads');
const { ALL_WORKLOADS } = require('./lib/memwatch-workload-sets');

const memwatch = require(MODSWAP_MEMWATCH);
const { binding } = require(path.join(ROOT, 'lib', 'native'));
const { GcFeed } = require(path.join(ROOT, 'lib', 'memwatch', 'gc-feed'));

const DETECTORS = ['classic', 'robust', 'adaptive'];

function nextTurn() {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Feeds GC batches to every detector until `target` full GCs; records what they report. */
class Comparison {
  constructor(target) {
    this.target = target;
    this.full = 0;
    this.incremental = 0;
    this.usedHeap = [];
    this.detectors = Object.fromEntries(DETECTORS.map((kind) => [kind, new binding.LeakDetector(kind)]));
    const { heap_size_limit: limit } = require('node:v8').getHeapStatistics();
    for (const detector of Object.values(this.detectors)) detector.setHeapLimit(limit);
    this.leaks = Object.fromEntries(DETECTORS.map((kind) => [kind, []]));
    this.statsEvents = Object.fromEntries(DETECTORS.map((kind) => [kind, 0]));
  }

  get done() {
    return this.full >= this.target;
  }

  onBatch(records) {
    // Only the GCs up to the target-th full one; the full GC number of each record.
    const taken = [];
    const fullNumber = [];
    for (const record of records) {
      if (this.done) break;
      taken.push(record);
      if (record.full) {
        this.full += 1;
        this.usedHeap.push(record.heap.usedHeapSize);
      } else {
        this.incremental += 1;
      }
      fullNumber.push(this.full);
    }
    if (taken.length === 0) return;
    const samples = new Float64Array(taken.length * 3);
    taken.forEach((record, i) => {
      samples[i * 3] = record.full ? 1 : 0;
      samples[i * 3 + 1] = record.heap.usedHeapSize;
      samples[i * 3 + 2] = record.atMs;
    });
    for (const kind of DETECTORS) this.observe(kind, samples, fullNumber);
  }

  observe(kind, samples, fullNumber) {
    for (const event of this.detectors[kind].observe(samples)) {
      this.statsEvents[kind] += 1;
      if (event.leak) {
        const { growth, reason, rate, projectedMsToLimit } = event.leak;
        this.leaks[kind].push({ gc: fullNumber[event.index], growth, reason, rate, projectedMsToLimit });
      }
    }
  }
}

async function main() {
  const index = Number(process.argv[2]);
  const target = Number(process.argv[3]);
  const workload = ALL_WORKLOADS[index];
  if (!workload) throw new Error(`no workload ${process.argv[2]}`);
  globalThis.applicationState = applicationState();
  memwatch.gc();
  await nextTurn();

  const comparison = new Comparison(target);
  const feed = new GcFeed((records) => comparison.onBatch(records));
  feed.start();
  const step = workload.make();
  let steps = 0;
  const start = Date.now();
  while (!comparison.done && steps < target * 3) {
    step(steps);
    steps += 1;
    memwatch.gc();
    await nextTurn();
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
  feed.stop();
  process.stdout.write(
    JSON.stringify({
      workload: workload.name,
      steps,
      fullGcs: comparison.full,
      otherGcs: comparison.incremental,
      ms: Date.now() - start,
      statsEvents: comparison.statsEvents,
      leaks: comparison.leaks,
      usedHeap: comparison.usedHeap,
    }) + '\n',
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

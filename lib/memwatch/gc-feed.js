'use strict';
// Turns V8's GC notifications into ordered samples. A PerformanceObserver on 'gc' says *that*
// collections happened (delivered in batches after the fact); a GCProfiler that is stopped and
// restarted on every batch says exactly what each one was and the heap right after it.
// Nothing here runs unless started: memwatch starts it with its first listener.
const v8 = require('node:v8');
const { PerformanceObserver, performance } = require('node:perf_hooks');

const FULL_GC = 'MarkSweepCompact';

/** Per-kind counters in the shape of @airbnb/node-memwatch's 'stats' (times in ns). */
function emptyCounters() {
  return {
    gcScavengeCount: 0,
    gcScavengeTime: 0,
    gcMarkSweepCompactCount: 0,
    gcMarkSweepCompactTime: 0,
    gcIncrementalMarkingCount: 0,
    gcIncrementalMarkingTime: 0,
    gcProcessWeakCallbacksCount: 0,
    gcProcessWeakCallbacksTime: 0,
  };
}

const COUNTER_OF_TYPE = {
  Scavenge: 'gcScavenge',
  MinorMarkCompact: 'gcScavenge',
  MinorMarkSweep: 'gcScavenge',
  MarkSweepCompact: 'gcMarkSweepCompact',
  IncrementalMarking: 'gcIncrementalMarking',
  ProcessWeakCallbacks: 'gcProcessWeakCallbacks',
};

class GcFeed {
  /** `onBatch(records)` receives `{ full, gcType, costNs, atMs, heap }` in GC order. */
  constructor(onBatch) {
    this.onBatch = onBatch;
    this.observer = null;
    this.profiler = null;
    this.counters = emptyCounters();
  }

  get running() {
    return this.observer !== null;
  }

  start() {
    if (this.running) return;
    this.profiler = new v8.GCProfiler();
    this.profiler.start();
    this.observer = new PerformanceObserver((list) => this.drain(list.getEntries()));
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop() {
    if (!this.running) return;
    this.observer.disconnect();
    this.profiler.stop();
    this.observer = null;
    this.profiler = null;
  }

  /**
   * Runs `work` (which collects garbage, e.g. a heap snapshot) without its GCs being reported.
   * GCs already profiled are delivered first.
   */
  silently(work) {
    if (!this.running) return work();
    this.drain(this.observer.takeRecords());
    this.profiler.stop();
    try {
      return work();
    } finally {
      // Their observer entries still arrive; with no profiler records they are ignored.
      this.ignoreEntriesUntil = performance.now();
      this.profiler = new v8.GCProfiler();
      this.profiler.start();
    }
  }

  /**
   * Delivers pending GCs on the next turn of the event loop. Node hands GC entries to observers
   * without keeping the loop alive, so an otherwise idle process could exit before a forced
   * GC's 'stats'; this immediate is ref'd.
   */
  flushSoon() {
    if (!this.running) return;
    setImmediate(() => {
      if (this.running) this.drain(this.observer.takeRecords());
    });
  }

  drain(entries) {
    if (!this.running) return;
    const profile = this.profiler.stop();
    this.profiler.start();
    const timed = entries.filter((entry) => !(entry.startTime <= this.ignoreEntriesUntil));
    const records = profile.statistics.map((gc, i) => this.record(gc, timed[i]));
    if (records.length > 0) this.onBatch(records);
  }

  record(gc, entry) {
    const costNs = Math.round(gc.cost * 1000);
    const counter = COUNTER_OF_TYPE[gc.gcType];
    if (counter) {
      this.counters[`${counter}Count`] += 1;
      this.counters[`${counter}Time`] += costNs;
    }
    const atMs = entry ? performance.timeOrigin + entry.startTime + entry.duration : Date.now();
    const full = gc.gcType === FULL_GC;
    // Counters as of this GC: several GCs can arrive in one batch.
    const counters = full ? { ...this.counters } : undefined;
    return { full, gcType: gc.gcType, costNs, atMs, heap: gc.afterGC.heapStatistics, counters };
  }
}

module.exports = { GcFeed };

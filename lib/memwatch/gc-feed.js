'use strict';
// Turns V8's GC notifications into ordered samples. A PerformanceObserver on 'gc' says *that*
// collections happened (delivered in batches after the fact); a GCProfiler says exactly what each
// one was and the heap right after it. Stopping the profiler costs (Node builds and parses a JSON
// record per GC), and only full GCs produce events, so it is stopped and restarted only on batches
// that contain a full GC; the scavenges before it are read from the same profile, in order.
// Nothing here runs unless started: memwatch starts it with its first listener.
const v8 = require('node:v8');
const { PerformanceObserver, performance, constants } = require('node:perf_hooks');

const FULL_GC = 'MarkSweepCompact';
/**
 * GCs the profiler may hold before it is read even without a full GC: bounds its memory (about
 * 1 KB per GC) in processes that scavenge for a long time between full GCs.
 */
const MAX_PENDING_GCS = 512;

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
    /** When each GC the profiler holds but has not been read for ended (ms since timeOrigin). */
    this.pendingEnds = [];
    this.pendingFull = false;
    /** GCs already read from the profiler whose observer entries have not arrived yet. */
    this.readAhead = 0;
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
    this.pendingEnds = [];
    this.pendingFull = false;
    this.readAhead = 0;
  }

  /**
   * Runs `work` (which collects garbage, e.g. a heap snapshot) without its GCs being reported.
   * GCs already profiled are delivered first.
   */
  silently(work) {
    if (!this.running) return work();
    this.drain(this.observer.takeRecords(), { flush: true });
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
      if (this.running) this.drain(this.observer.takeRecords(), { flush: true });
    });
  }

  /**
   * Notes a batch of observer entries; reads the profiler when one of them (or an earlier one) is
   * a full GC, when too many are pending, or when `flush` is set.
   */
  drain(entries, { flush = false } = {}) {
    if (!this.running) return;
    for (const entry of entries) {
      // Entries of GCs run while the profiler was stopped (heap snapshots) have no record.
      if (entry.startTime <= this.ignoreEntriesUntil) continue;
      if (this.readAhead > 0) {
        this.readAhead -= 1;
        continue;
      }
      this.pendingEnds.push(entry.startTime + entry.duration);
      if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) this.pendingFull = true;
    }
    if (!(flush || this.pendingFull || this.pendingEnds.length >= MAX_PENDING_GCS)) return;
    const profile = this.profiler.stop();
    this.profiler.start();
    const ends = this.pendingEnds;
    this.pendingEnds = [];
    this.pendingFull = false;
    // A GC that ran after its batch was queued is in the profile already: its entry comes later.
    this.readAhead = Math.max(0, profile.statistics.length - ends.length);
    const records = profile.statistics.map((gc, i) => this.record(gc, ends[i]));
    if (records.length > 0) this.onBatch(records);
  }

  record(gc, endMs) {
    const costNs = Math.round(gc.cost * 1000);
    const counter = COUNTER_OF_TYPE[gc.gcType];
    if (counter) {
      this.counters[`${counter}Count`] += 1;
      this.counters[`${counter}Time`] += costNs;
    }
    const atMs = endMs === undefined ? Date.now() : performance.timeOrigin + endMs;
    const full = gc.gcType === FULL_GC;
    // Counters as of this GC: several GCs can arrive in one batch.
    const counters = full ? { ...this.counters } : undefined;
    return { full, gcType: gc.gcType, costNs, atMs, heap: gc.afterGC.heapStatistics, counters };
  }
}

module.exports = { GcFeed };

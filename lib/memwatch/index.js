'use strict';
// modswap.memwatch: a drop-in for node-memwatch's emitter ('stats', 'leak', gc(), HeapDiff),
// computed from V8's own statistics, with the detection state machine in Rust.
const { EventEmitter } = require('node:events');
const v8 = require('node:v8');
const vm = require('node:vm');
const { binding, callNative } = require('../native');
const { ModswapError } = require('../errors');
const { GcFeed } = require('./gc-feed');
const { HeapDiff } = require('./heapdiff');
const { ResourceWatch, checkOptions: checkResourceOptions } = require('./resource-watch');

const DETECTORS = ['adaptive', 'robust', 'classic'];
const WATCHED_EVENTS = new Set(['stats', 'leak']);
const kSingleton = Symbol.for('modswap.memwatch');

/** The airbnb fields read from V8's post-GC heap statistics. */
function heapFields(heap) {
  return {
    total_heap_size: heap.totalHeapSize,
    total_heap_size_executable: heap.totalHeapSizeExecutable,
    total_physical_size: heap.totalPhysicalSize,
    total_available_size: heap.totalAvailableSize,
    used_heap_size: heap.usedHeapSize,
    heap_size_limit: heap.heapSizeLimit,
    malloced_memory: heap.mallocedMemory,
    peak_malloced_memory: heap.peakMallocedMemory,
  };
}

function statsPayload(stats, record) {
  return {
    num_full_gc: stats.numFullGc,
    num_inc_gc: stats.numIncGc,
    heap_compactions: stats.heapCompactions,
    usage_trend: stats.usageTrend,
    estimated_base: stats.estimatedBase,
    current_base: stats.currentBase,
    min: stats.min,
    max: stats.max,
    ...record.counters,
    ...heapFields(record.heap),
    gc_time: record.costNs,
    gc_ts: Math.round(record.atMs * 1000),
  };
}

let forceFullGc;

/** A native detector told V8's heap limit, so that its reports can project when it is reached. */
function newDetector(kind) {
  const detector = new binding.LeakDetector(kind);
  detector.setHeapLimit(v8.getHeapStatistics().heap_size_limit);
  return detector;
}

/** The 'leak' event of a heap detector, in the shape every kind of leak shares. */
function heapLeakPayload(leak) {
  return {
    kind: 'heap',
    start: new Date(leak.start),
    end: new Date(leak.end),
    growth: leak.growth,
    reason: leak.reason,
    rate: leak.rate,
    heapLimit: leak.heapLimit ?? null,
    projectedMsToLimit: leak.projectedMsToLimit ?? null,
  };
}

class Memwatch extends EventEmitter {
  constructor() {
    super();
    // 'adaptive' reports steep leaks ~6x sooner than 'robust' and, on all five workload sets
    // (two of them blind), detected and stayed quiet exactly where 'robust' did: BENCHMARKS.md.
    this.detectorKind = 'adaptive';
    this.detector = newDetector(this.detectorKind);
    this.feed = new GcFeed((records) => this.onGcBatch(records));
    process.once('exit', () => this.feed.stop());
    this.gc = this.gc.bind(this);
    this.HeapDiff = HeapDiff;
    HeapDiff.feed = this.feed;
    this.resources = new ResourceWatch(
      (leak) => this.emit('leak', leak),
      () => this.feed.counters.gcMarkSweepCompactCount,
    );
  }

  /**
   * Chooses the heap leak detector: 'adaptive' (default: the robust rule at three horizons,
   * sooner the steeper the leak), 'robust' (one 64-full-GC horizon) or 'classic' (node-memwatch's
   * rule, numbers that do not wrap). Another detector starts fresh; an unknown one throws and
   * changes nothing.
   * Also whether handle and listener leaks are watched (see resource-watch.js).
   */
  configure(options = {}) {
    if (options === null || typeof options !== 'object') {
      throw new ModswapError('ERR_MODSWAP_INVALID_OPTIONS', 'memwatch.configure() expects an options object');
    }
    const { detector = this.detectorKind } = options;
    checkResourceOptions(options);
    if (!DETECTORS.includes(detector)) {
      throw new ModswapError(
        'ERR_MODSWAP_INVALID_OPTIONS',
        `unknown detector ${JSON.stringify(detector)}: use 'adaptive', 'robust' or 'classic'`,
      );
    }
    if (detector !== this.detectorKind) {
      this.detector = callNative(() => newDetector(detector));
      this.detectorKind = detector;
    }
    const resources = this.resources.configure(options);
    this.syncFeed();
    return { detector: this.detectorKind, ...resources };
  }

  /**
   * Names the allocation sites whose live bytes keep growing over `durationMs`, from V8's
   * sampling heap profiler (lib/memwatch/profile.js; loaded on first use, as Node builds
   * without the inspector have no node:inspector).
   */
  profile(options) {
    return require('./profile').profile(options);
  }

  /** Compares two sampling heap profiles of one session (lib/memwatch/profile.js). */
  profileDiff(before, after, options) {
    return require('./profile').profileDiff(before, after, options);
  }

  /** Runs a full garbage collection now (no --expose-gc needed); a 'stats' event follows. */
  gc() {
    if (forceFullGc === undefined) {
      v8.setFlagsFromString('--expose-gc');
      forceFullGc = vm.runInNewContext('gc');
    }
    forceFullGc();
    this.feed.flushSoon();
  }

  /**
   * Exposes 'stats' and 'leak' as OpenTelemetry metrics (needs the optional peer dependency
   * @opentelemetry/api); see lib/memwatch/otel.js. Returns a handle with stop().
   */
  metrics(options) {
    return require('./otel').metrics(this, options);
  }

  /**
   * No work at all while nobody listens: the feed runs only with a 'stats' or 'leak' listener.
   * Synced after every listener change by the listener methods defined after the class, not
   * from 'newListener' and 'removeListener' listeners of our own: `removeAllListeners()` would
   * remove those too (and silence memwatch for good), and users would see them in
   * `eventNames()`.
   */
  syncFeed() {
    const watched = [...WATCHED_EVENTS].some((event) => this.listenerCount(event) > 0);
    if (watched) this.feed.start();
    else this.feed.stop();
    this.resources.sync(this.listenerCount('leak') > 0);
    return this;
  }

  onGcBatch(records) {
    const samples = new Float64Array(records.length * 3);
    records.forEach((record, i) => {
      samples[i * 3] = record.full ? 1 : 0;
      samples[i * 3 + 1] = record.heap.usedHeapSize;
      samples[i * 3 + 2] = record.atMs;
    });
    const events = callNative(() => this.detector.observe(samples));
    for (const event of events) {
      if (event.leak) this.emit('leak', heapLeakPayload(event.leak));
      this.emit('stats', statsPayload(event.stats, records[event.index]));
    }
  }
}

// Every way of adding or removing a listener resyncs the feed (see syncFeed). The argument
// count is passed on as is: removeAllListeners() without one removes every event's listeners.
for (const method of [
  'on',
  'addListener',
  'prependListener',
  'once',
  'prependOnceListener',
  'removeListener',
  'off',
  'removeAllListeners',
]) {
  Object.defineProperty(Memwatch.prototype, method, {
    value: function changeListeners(...args) {
      return EventEmitter.prototype[method].apply(this, args).syncFeed();
    },
    writable: true,
    configurable: true,
  });
}

/** One emitter per JS environment (main thread or worker), whatever the require path. */
function singleton() {
  if (!globalThis[kSingleton]) {
    Object.defineProperty(globalThis, kSingleton, { value: new Memwatch(), enumerable: false });
  }
  return globalThis[kSingleton];
}

module.exports = singleton();
// `modswap heap profile --pid` works on processes that opt in (lib/memwatch/profile-signal.js).
if (process.env.MODSWAP_PROFILE_SIGNAL) require('./profile-signal').installFromEnv(module.exports);

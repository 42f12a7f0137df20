'use strict';
// memwatch.metrics(): memwatch's 'stats' and 'leak' events as OpenTelemetry metrics, so that a
// collector or a Prometheus scrape sees every process of a fleet. @opentelemetry/api is an
// optional peer dependency, loaded only here. Every instrument is observable: the listeners only
// keep the latest payload (and count leaks), and the values are read when the SDK collects.
const { ModswapError } = require('../errors');

const API_PACKAGE = '@opentelemetry/api';
const DEFAULT_PREFIX = 'modswap.memwatch';
/** OpenTelemetry's instrument name syntax (at most 255 characters) leaves room for our suffixes. */
const PREFIX_SYNTAX = /^[A-Za-z][A-Za-z0-9_.\-/]{0,199}$/;
const OPTION_KEYS = new Set(['meterProvider', 'meter', 'prefix']);
/** Reported (at 0) before any event, so that `increase()` over a fleet has a series from the start. */
const KNOWN_LEAK_KINDS = ['heap', 'handles', 'listeners'];
/** Bounds the label set when 'leak' is emitted with kinds nobody planned for. */
const MAX_LEAK_KINDS = 16;
const LEAK_KIND_SYNTAX = /^[a-z][a-z0-9_]{0,31}$/;
/** The GC feed's counters (see gc-feed.js), named as V8's GC profiler names the GC types. */
const GC_TYPES = {
  scavenge: 'gcScavenge',
  mark_sweep_compact: 'gcMarkSweepCompact',
  incremental_marking: 'gcIncrementalMarking',
  process_weak_callbacks: 'gcProcessWeakCallbacks',
};

function invalid(message) {
  return new ModswapError('ERR_MODSWAP_INVALID_OPTIONS', `memwatch.metrics(): ${message}`);
}

function hasMethods(value, names) {
  return (
    value !== null && typeof value === 'object' && names.every((name) => typeof value[name] === 'function')
  );
}

/** Checks every option before anything is loaded or registered. */
function checkOptions(options) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalid('expects an options object');
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw invalid(`unknown option ${JSON.stringify(key)} (use meterProvider, meter or prefix)`);
    }
  }
  const { meterProvider, meter, prefix = DEFAULT_PREFIX } = options;
  if (meterProvider !== undefined && meter !== undefined) {
    throw invalid('pass either meterProvider or meter, not both');
  }
  if (meterProvider !== undefined && !hasMethods(meterProvider, ['getMeter'])) {
    throw invalid('meterProvider must be an OpenTelemetry MeterProvider (an object with getMeter())');
  }
  const meterMethods = [
    'createObservableGauge',
    'createObservableCounter',
    'addBatchObservableCallback',
    'removeBatchObservableCallback',
  ];
  if (meter !== undefined && !hasMethods(meter, meterMethods)) {
    throw invalid(`meter must be an OpenTelemetry Meter (with ${meterMethods.join(', ')})`);
  }
  if (typeof prefix !== 'string' || !PREFIX_SYNTAX.test(prefix)) {
    throw invalid(
      `prefix must be an OpenTelemetry instrument name: a letter, then up to 199 letters, digits, ` +
        `'_', '.', '-' or '/' (got ${JSON.stringify(prefix)})`,
    );
  }
  return { meterProvider, meter, prefix };
}

/** The peer dependency, or ERR_MODSWAP_MISSING_PEER when it cannot be resolved from modswap. */
function loadApi() {
  try {
    return require(API_PACKAGE);
  } catch (error) {
    const missing = error && error.code === 'MODULE_NOT_FOUND';
    if (missing && String(error.message).includes(`'${API_PACKAGE}'`)) {
      throw new ModswapError(
        'ERR_MODSWAP_MISSING_PEER',
        `memwatch.metrics() needs the optional peer dependency ${API_PACKAGE}, which is not ` +
          `installed where modswap can require it: \`npm install ${API_PACKAGE}\` (and an ` +
          `OpenTelemetry SDK with a metric reader or exporter).`,
        { cause: error },
      );
    }
    const message = `${API_PACKAGE} is installed but failed to load: ${error && error.message}`;
    throw new ModswapError('ERR_MODSWAP_MISSING_PEER', message, { cause: error });
  }
}

/** Counts leaks by `kind` ('heap' when the event has none), with a bounded set of labels. */
function leakCounter() {
  const counts = new Map(KNOWN_LEAK_KINDS.map((kind) => [kind, 0]));
  return {
    counts,
    add(leak) {
      const raw = leak?.kind ?? 'heap';
      let kind = typeof raw === 'string' && LEAK_KIND_SYNTAX.test(raw) ? raw : 'other';
      if (!counts.has(kind) && counts.size >= MAX_LEAK_KINDS) kind = 'other';
      counts.set(kind, (counts.get(kind) || 0) + 1);
    },
  };
}

/** Bytes per minute of a heap 'leak': its `rate` when the detector gives one, else growth / time. */
function heapRate(leak) {
  if (typeof leak.rate === 'number' && Number.isFinite(leak.rate)) return leak.rate;
  const minutes = (leak.end - leak.start) / 60_000;
  return minutes > 0 && Number.isFinite(leak.growth) ? leak.growth / minutes : undefined;
}

/** [key, observable kind, name after the prefix, unit, value type, description]. */
const INSTRUMENTS = [
  ['floor', 'Gauge', 'heap.floor_bytes', 'By', 'INT',
    "Estimated heap floor: moving average of the heap after full GCs (memwatch's estimated_base)"],
  ['usedAfterGc', 'Gauge', 'heap.used_after_gc_bytes', 'By', 'INT',
    "Used heap right after the latest full GC (memwatch's current_base)"],
  ['limit', 'Gauge', 'heap.limit_bytes', 'By', 'INT', "V8's heap size limit"],
  ['trend', 'Gauge', 'heap.usage_trend_percent', '%', 'DOUBLE',
    "How far the recent heap floor is above the long-term floor (memwatch's usage_trend)"],
  ['rate', 'Gauge', 'heap.leak_rate_bytes_per_minute', 'By/min', 'DOUBLE',
    "Growth rate in the latest heap 'leak' event"],
  ['toLimit', 'Gauge', 'heap.leak_time_to_limit_seconds', 's', 'DOUBLE',
    "Projected time to the heap limit in the latest heap 'leak' event (absent when it has none)"],
  ['leaks', 'Counter', 'leaks', '{leak}', 'INT', "'leak' events by kind"],
  ['fullGcs', 'Counter', 'gc.full', '{gc}', 'INT', 'Full (mark-sweep-compact) GCs seen by memwatch'],
  ['gcs', 'Counter', 'gc.collections', '{gc}', 'INT', 'GCs by V8 GC type'],
  ['gcPause', 'Counter', 'gc.pause_seconds', 's', 'DOUBLE', 'Main-thread time spent in GC, by V8 GC type'],
];

function createInstruments(meter, prefix, valueTypes) {
  const instruments = {};
  for (const [key, kind, name, unit, valueType, description] of INSTRUMENTS) {
    instruments[key] = meter[`createObservable${kind}`](`${prefix}.${name}`, {
      description,
      unit,
      valueType: valueTypes[valueType],
    });
  }
  return instruments;
}

/**
 * Exposes memwatch's statistics and 'leak' events as observable OpenTelemetry instruments.
 * Listening starts memwatch's GC feed, as any 'stats' listener does; `stop()` ends both.
 * @param {import('events').EventEmitter & { feed: { counters: Record<string, number> } }} memwatch
 * @param {{ meterProvider?: object, meter?: object, prefix?: string }} [options]
 * @returns {{ prefix: string, stop(): void }}
 */
function metrics(memwatch, options = {}) {
  const { meterProvider, meter: givenMeter, prefix } = checkOptions(options);
  const api = loadApi();
  const { version } = require('../../package.json');
  const meter = givenMeter || (meterProvider || api.metrics).getMeter('modswap', version);
  const instruments = createInstruments(meter, prefix, api.ValueType);

  const state = { stats: undefined, fullGcs: 0, rate: undefined, toLimitMs: undefined, leaks: leakCounter() };
  const onStats = (stats) => {
    state.stats = stats;
    state.fullGcs += 1;
  };
  const onLeak = (leak) => {
    state.leaks.add(leak);
    if (!leak || (leak.kind ?? 'heap') !== 'heap') return;
    state.rate = heapRate(leak);
    // null: the detector sees no growth toward the limit, so there is no projection to show.
    state.toLimitMs = Number.isFinite(leak.projectedMsToLimit) ? leak.projectedMsToLimit : undefined;
  };

  const observe = (result) => observeAll(result, instruments, state, memwatch.feed.counters);
  const observables = Object.values(instruments);
  meter.addBatchObservableCallback(observe, observables);
  memwatch.on('stats', onStats);
  memwatch.on('leak', onLeak);

  let stopped = false;
  return {
    prefix,
    /** Stops reporting and listening; memwatch stops watching GCs if nobody else listens. */
    stop() {
      if (stopped) return;
      stopped = true;
      meter.removeBatchObservableCallback(observe, observables);
      memwatch.removeListener('stats', onStats);
      memwatch.removeListener('leak', onLeak);
    },
  };
}

/** Reads the latest values; gauges stay silent until the first full GC gives them a value. */
function observeAll(result, instruments, state, counters) {
  const { stats } = state;
  if (stats) {
    result.observe(instruments.floor, stats.estimated_base);
    result.observe(instruments.usedAfterGc, stats.current_base);
    result.observe(instruments.limit, stats.heap_size_limit);
    result.observe(instruments.trend, stats.usage_trend);
  }
  if (state.rate !== undefined) result.observe(instruments.rate, state.rate);
  if (state.toLimitMs !== undefined) result.observe(instruments.toLimit, state.toLimitMs / 1000);
  for (const [kind, count] of state.leaks.counts) result.observe(instruments.leaks, count, { kind });
  result.observe(instruments.fullGcs, state.fullGcs);
  for (const [type, counter] of Object.entries(GC_TYPES)) {
    result.observe(instruments.gcs, counters[`${counter}Count`], { type });
    result.observe(instruments.gcPause, counters[`${counter}Time`] / 1e9, { type });
  }
}

module.exports = { metrics, DEFAULT_PREFIX };

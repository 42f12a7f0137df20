'use strict';
// Runs handle and listener watching for memwatch while someone listens to 'leak': one unref'd
// timer samples both, with the work done so far (HTTP requests counted from Node's own
// 'http.server.request.start' diagnostics channel, modswap swaps and reloads, full GCs from
// memwatch's GC feed, time).
const diagnosticsChannel = require('node:diagnostics_channel');
const path = require('node:path');
const { ModswapError } = require('../errors');
const { HandleWatch } = require('./handles');
const { ListenerWatch } = require('./listeners');

const REQUEST_CHANNEL = 'http.server.request.start';
const DEFAULT_SAMPLE_MS = 1000;
const MIN_SAMPLE_MS = 10;
const MAX_SAMPLE_MS = 600_000;
/** lib/swap.js, read only if loaded: memwatch alone must not load the swap engine. */
const SWAP_MODULE = path.join(__dirname, '..', 'swap.js');

/** Checks the handle and listener options of memwatch.configure(); throws before any change. */
function checkOptions({ handles, listeners, sampleIntervalMs }) {
  for (const [name, value] of [
    ['handles', handles],
    ['listeners', listeners],
  ]) {
    if (value !== undefined && typeof value !== 'boolean') {
      const message = `memwatch.configure(): ${name} must be true or false, got ${String(value)}`;
      throw new ModswapError('ERR_MODSWAP_INVALID_OPTIONS', message);
    }
  }
  if (sampleIntervalMs === undefined) return;
  if (!Number.isInteger(sampleIntervalMs) || sampleIntervalMs < MIN_SAMPLE_MS || sampleIntervalMs > MAX_SAMPLE_MS) {
    throw new ModswapError(
      'ERR_MODSWAP_INVALID_OPTIONS',
      `memwatch.configure(): sampleIntervalMs must be an integer from ${MIN_SAMPLE_MS} to ${MAX_SAMPLE_MS}, ` +
        `got ${String(sampleIntervalMs)}`,
    );
  }
}

class ResourceWatch {
  /**
   * `emitLeak(payload)` emits a 'leak' event; `fullGcs()` is the number of full GCs so far.
   */
  constructor(emitLeak, fullGcs) {
    this.emitLeak = emitLeak;
    this.fullGcs = fullGcs;
    this.options = { handles: true, listeners: true, sampleIntervalMs: DEFAULT_SAMPLE_MS };
    this.active = false;
    this.timer = undefined;
    this.handles = undefined;
    this.listeners = undefined;
    this.requests = 0;
    this.reloads = 0;
    this.countRequest = () => {
      this.requests += 1;
    };
    this.countReload = () => {
      this.reloads += 1;
    };
    this.swapListeners = undefined;
    this.broken = false;
  }

  /** Applies checked options (see checkOptions) and restarts what they change. */
  configure(options) {
    const next = { ...this.options };
    for (const key of Object.keys(next)) if (options[key] !== undefined) next[key] = options[key];
    const changed = Object.keys(next).some((key) => next[key] !== this.options[key]);
    if (changed && this.active) this.stop();
    this.options = next;
    this.broken = false;
    return { ...this.options };
  }

  /** Runs while `listened` (memwatch has a 'leak' listener) and something is enabled. */
  sync(listened) {
    const wanted = listened && !this.broken && (this.options.handles || this.options.listeners);
    if (wanted && !this.active) this.start();
    else if (!wanted && this.active) this.stop();
  }

  start() {
    this.active = true;
    if (this.options.handles) this.handles = new HandleWatch();
    if (this.options.listeners) {
      this.listeners = new ListenerWatch();
      this.listeners.start();
    }
    diagnosticsChannel.subscribe(REQUEST_CHANNEL, this.countRequest);
    this.timer = setInterval(() => this.sample(), this.options.sampleIntervalMs);
    this.timer.unref();
  }

  stop() {
    this.active = false;
    clearInterval(this.timer);
    this.timer = undefined;
    diagnosticsChannel.unsubscribe(REQUEST_CHANNEL, this.countRequest);
    this.swapListeners?.delete(this.countReload);
    this.swapListeners = undefined;
    this.handles?.stop();
    this.listeners?.stop();
    this.handles = undefined;
    this.listeners = undefined;
  }

  /** Counts committed swaps once modswap's swap engine is loaded (by a first reload, say). */
  followSwaps() {
    if (this.swapListeners !== undefined) return;
    this.swapListeners = require.cache[SWAP_MODULE]?.exports?.committedListeners;
    this.swapListeners?.add(this.countReload);
  }

  sample() {
    let leaks;
    try {
      this.followSwaps();
      const at = Date.now();
      const work = { request: this.requests, reload: this.reloads, gc: this.fullGcs() };
      leaks = [...(this.handles?.sample(at, work) ?? []), ...(this.listeners?.sample(at, work) ?? [])];
    } catch (error) {
      // A fault of ours must not crash the process from a timer: watching stops, loudly, until
      // the next configure().
      this.stop();
      this.broken = true;
      process.emitWarning(`memwatch stopped watching handles and listeners: ${error && error.message}`, {
        type: 'ModswapWarning',
        code: 'MODSWAP_MEMWATCH_INTERNAL',
      });
      return;
    }
    // The user's 'leak' listeners throw as they would from any emitter.
    for (const leak of leaks) this.emitLeak(leak);
  }
}

module.exports = { ResourceWatch, checkOptions };

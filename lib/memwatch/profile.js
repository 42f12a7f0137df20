'use strict';
// memwatch.profile() and memwatch.profileDiff(): which allocation sites keep live bytes growing,
// from V8's sampling heap profiler (an in-process node:inspector session), without a heap
// snapshot. The JS thread only starts the sampler and copies its profile out at each
// checkpoint; folding by site and comparing run in Rust on the libuv pool.
const path = require('node:path');
const { binding, callNative } = require('../native');
const { ModswapError } = require('../errors');

const DEFAULTS = { samplingInterval: 32768, checkpoints: 4, top: 10 };
const PROFILE_KEYS = ['durationMs', 'samplingInterval', 'checkpoints', 'minGrowth', 'top'];
const DIFF_KEYS = ['minGrowth', 'tolerance', 'top'];
const MAX_DURATION_MS = 24 * 3600 * 1000;
// V8 keeps one sampling heap profiler per isolate: a second session would silently replace
// the first one's sampler, so profiles of this thread run one at a time (across copies of
// modswap too, hence a global symbol).
const kActive = Symbol.for('modswap.memwatch.profile.active');

function invalid(message) {
  return new ModswapError('ERR_MODSWAP_INVALID_OPTIONS', message);
}

function checkObject(options, what, keys) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalid(`${what} expects an options object`);
  }
  const unknown = Object.keys(options).filter((key) => !keys.includes(key));
  if (unknown.length > 0) {
    throw invalid(`${what}: unknown option ${JSON.stringify(unknown[0])} (known: ${keys.join(', ')})`);
  }
}

function checkInteger(what, name, value, min, max) {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${what}: ${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

function checkBytes(what, name, value) {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalid(`${what}: ${name} must be a number of bytes >= 0, got ${String(value)}`);
  }
  return value;
}

/** profile()'s options, completed with defaults; throws before anything starts. */
function profileOptions(options) {
  const what = 'memwatch.profile()';
  checkObject(options, what, PROFILE_KEYS);
  const merged = { ...DEFAULTS, ...options };
  if (options.durationMs === undefined) throw invalid(`${what}: durationMs is required`);
  checkInteger(what, 'durationMs', merged.durationMs, 1, MAX_DURATION_MS);
  checkInteger(what, 'samplingInterval', merged.samplingInterval, 1, 2 ** 30);
  checkInteger(what, 'checkpoints', merged.checkpoints, 2, 60);
  checkInteger(what, 'top', merged.top, 0, 10000);
  // Below a few samples' worth, growth is sampling noise.
  merged.minGrowth = checkBytes(what, 'minGrowth', merged.minGrowth ?? 8 * merged.samplingInterval);
  return merged;
}

function profilerError(step, error) {
  return new ModswapError(
    'ERR_MODSWAP_PROFILER',
    `V8's sampling heap profiler failed at ${step}: ${error.message} (is DevTools or another ` +
      'inspector session sampling allocations in this process?)',
    { cause: error },
  );
}

/** An in-process inspector session with a promise-returning post(). */
function openSession() {
  let inspector;
  try {
    inspector = require('node:inspector');
  } catch (error) {
    // Node built --without-inspector.
    throw new ModswapError('ERR_MODSWAP_PROFILER', `this Node.js has no inspector: ${error.message}`, { cause: error });
  }
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) =>
    new Promise((resolve, reject) => {
      session.post(method, params, (error, result) => (error ? reject(profilerError(method, error)) : resolve(result)));
    });
  return { session, post };
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Takes one checkpoint: V8's profile as one JSON text for Rust, and the time the JS thread
 * spent on it. The inspector asks V8 for the profile with a forced full GC first
 * (kSamplingForceGC), so a checkpoint holds live objects only: that GC is its main cost.
 * `method` is `HeapProfiler.stopSampling` for the last one: it returns the same profile (with
 * the same forced GC), so asking for the profile and then stopping would pay for two.
 */
async function checkpoint(post, method) {
  const started = process.hrtime.bigint();
  const { profile } = await post(method);
  const text = JSON.stringify(profile);
  return { text, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

async function sample(options) {
  const { session, post } = openSession();
  const texts = [];
  let checkpointMs = 0;
  try {
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', { samplingInterval: options.samplingInterval });
    const step = options.durationMs / options.checkpoints;
    const began = Date.now();
    for (let i = 1; i <= options.checkpoints; i += 1) {
      await delay(Math.max(0, began + step * i - Date.now()));
      const last = i === options.checkpoints;
      const taken = await checkpoint(post, last ? 'HeapProfiler.stopSampling' : 'HeapProfiler.getSamplingProfile');
      texts.push(taken.text);
      checkpointMs = Math.max(checkpointMs, taken.ms);
    }
  } finally {
    session.disconnect();
  }
  return { texts, checkpointMs };
}

function siteOf({ functionName, bytes, ...rest }) {
  return { ...rest, functionName, bytes, bytesBefore: bytes[0], bytesAfter: bytes[bytes.length - 1] };
}

async function analyzeTexts(texts, options) {
  const analysis = await callNative(() =>
    binding.analyzeHeapProfiles(texts, {
      root: process.cwd() + path.sep,
      minGrowth: options.minGrowth,
      tolerance: options.tolerance,
      top: options.top,
      // What the profiler itself holds (the texts of earlier checkpoints) is not the app's.
      exclude: [__filename, 'node:inspector'],
    }),
  ).catch((error) => {
    throw error instanceof ModswapError ? error : require('../errors').fromNative(error);
  });
  return {
    totals: analysis.totals,
    sites: analysis.growing.map(siteOf),
    largest: analysis.largest.map(siteOf),
  };
}

/**
 * Samples allocations for `durationMs` with V8's sampling heap profiler and names the allocation
 * sites whose live bytes keep growing from checkpoint to checkpoint, with their stacks.
 * @param {{ durationMs: number, samplingInterval?: number, checkpoints?: number,
 *   minGrowth?: number, top?: number }} options
 * @returns {Promise<object>} the report (see index.d.ts HeapProfileReport)
 */
async function profile(options) {
  const settings = profileOptions(options);
  if (globalThis[kActive]) {
    throw new ModswapError('ERR_MODSWAP_BUSY', 'memwatch.profile() is already running in this thread: await it first');
  }
  globalThis[kActive] = true;
  const start = new Date();
  let sampled;
  try {
    sampled = await sample(settings);
  } finally {
    globalThis[kActive] = false;
  }
  const end = new Date();
  const analysis = await analyzeTexts(sampled.texts, { ...settings, tolerance: settings.samplingInterval });
  return {
    start,
    end,
    durationMs: end - start,
    samplingInterval: settings.samplingInterval,
    checkpoints: settings.checkpoints,
    checkpointMs: sampled.checkpointMs,
    ...analysis,
  };
}

function profileText(value, name) {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  throw new ModswapError(
    'ERR_MODSWAP_INVALID_ARG',
    `memwatch.profileDiff(): ${name} must be a V8 sampling heap profile (object or JSON text), got ${value === null ? 'null' : typeof value}`,
  );
}

/**
 * Compares two V8 sampling heap profiles of one sampling session (e.g. two .heapprofile files
 * saved by DevTools while it kept sampling) and names the sites whose live bytes grew.
 * @param {object|string} before
 * @param {object|string} after
 * @param {{ minGrowth?: number, tolerance?: number, top?: number }} [options]
 * @returns {Promise<{ totals: number[], sites: object[], largest: object[] }>}
 */
async function profileDiff(before, after, options = {}) {
  const what = 'memwatch.profileDiff()';
  checkObject(options, what, DIFF_KEYS);
  const texts = [profileText(before, 'before'), profileText(after, 'after')];
  const settings = {
    minGrowth: checkBytes(what, 'minGrowth', options.minGrowth ?? 8 * DEFAULTS.samplingInterval),
    tolerance: checkBytes(what, 'tolerance', options.tolerance ?? DEFAULTS.samplingInterval),
    top: checkInteger(what, 'top', options.top ?? DEFAULTS.top, 0, 10000),
  };
  return analyzeTexts(texts, settings);
}

module.exports = { profile, profileDiff, profileOptions };

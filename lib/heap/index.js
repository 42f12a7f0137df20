'use strict';
// modswap.heap: V8 heap snapshot analysis by the Rust engine, off the main thread. The engine
// reads the file itself (memory-mapped), so no snapshot ever becomes a JS string or object.
const path = require('node:path');
const v8 = require('node:v8');
const { binding } = require('../native');
const { ModswapError, fromNative } = require('../errors');

const DEFAULT_TOP = 50;

function snapshotPath(file, what) {
  if (typeof file !== 'string' || file.length === 0) {
    throw new ModswapError('ERR_MODSWAP_INVALID_ARG', `${what} expects the path of a .heapsnapshot file`);
  }
  return path.resolve(file);
}

function topOption(options) {
  if (options === undefined || options === null) return DEFAULT_TOP;
  if (typeof options !== 'object') {
    throw new ModswapError('ERR_MODSWAP_INVALID_OPTIONS', 'heap.analyze() options must be an object');
  }
  const { top = DEFAULT_TOP } = options;
  if (!Number.isInteger(top) || top < 0 || top > 1_000_000) {
    throw new ModswapError('ERR_MODSWAP_INVALID_OPTIONS', `options.top must be an integer from 0 to 1000000, got ${top}`);
  }
  return top;
}

/** A native rejection as a ModswapError that names the file. */
function rejection(file) {
  return (error) => {
    const lifted = fromNative(error);
    lifted.file = file;
    throw lifted;
  };
}

/**
 * Analyses a `.heapsnapshot` file: totals, class aggregates and the largest retainers, with
 * DevTools' dominator rules. Resolves with plain objects (see index.d.ts).
 */
async function analyze(file, options) {
  const absolute = snapshotPath(file, 'heap.analyze()');
  const top = topOption(options);
  return binding.analyzeHeapSnapshot(absolute, top).catch(rejection(absolute));
}

/** Writes a snapshot of this process (V8's `writeHeapSnapshot`) and returns its path. */
function snapshot(file) {
  if (file !== undefined && (typeof file !== 'string' || file.length === 0)) {
    throw new ModswapError('ERR_MODSWAP_INVALID_ARG', 'heap.snapshot() expects a file path or nothing');
  }
  const written = file === undefined ? v8.writeHeapSnapshot() : v8.writeHeapSnapshot(path.resolve(file));
  return path.resolve(written);
}

module.exports = { analyze, snapshot };

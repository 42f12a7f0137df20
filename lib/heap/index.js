'use strict';
// modswap.heap: V8 heap snapshot analysis, diffs and leak searches by the Rust engine, off the
// main thread. The engine reads the files itself (memory-mapped; a path that is a pipe or a device
// as a stream), so no snapshot ever becomes a JS string or object; results are plain objects
// (shapes in index.d.ts).
const path = require('node:path');
const v8 = require('node:v8');
const { binding } = require('../native');
const { ModswapError, fromNative } = require('../errors');

const DEFAULT_TOP = 50;
const DEFAULT_LEAK_GROUPS = 100;
const MAX_TOP = 1_000_000;
const PROGRESS_INTERVAL_MS = 100;

function invalidOptions(message) {
  return new ModswapError('ERR_MODSWAP_INVALID_OPTIONS', message);
}

function snapshotPath(file, what) {
  if (typeof file !== 'string' || file.length === 0) {
    throw new ModswapError('ERR_MODSWAP_INVALID_ARG', `${what} expects the path of a .heapsnapshot file`);
  }
  return path.resolve(file);
}

function optionsObject(options, what) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') throw invalidOptions(`${what} options must be an object`);
  return options;
}

function topOf(options, fallback) {
  const { top = fallback } = options;
  if (!Number.isInteger(top) || top < 0 || top > MAX_TOP) {
    throw invalidOptions(`options.top must be an integer from 0 to ${MAX_TOP}, got ${top}`);
  }
  return top;
}

function pathIdsOf(options) {
  const { paths = [] } = options;
  const valid = Array.isArray(paths) && paths.every((id) => Number.isInteger(id) && id >= 0 && id <= 0xffffffff);
  if (!valid) throw invalidOptions('options.paths must be an array of node ids (integers from 0 to 4294967295)');
  return paths;
}

function onProgressOf(options) {
  const { onProgress } = options;
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw invalidOptions('options.onProgress must be a function');
  }
  return onProgress;
}

/**
 * A native rejection as a ModswapError with `error.file` set to the file it names (the engine
 * starts every message about a file with the file's path).
 */
function rejection(files) {
  return (error) => {
    const lifted = fromNative(error);
    lifted.file = files.find((file) => lifted.message.startsWith(`${file}:`)) ?? files[0];
    throw lifted;
  };
}

/**
 * Runs a native job, polling its progress handle for `onProgress` while it runs. Polling
 * (rather than a callback from the worker) keeps every JS call on the main thread.
 */
async function withProgress(files, onProgress, start) {
  if (!onProgress) return start(null).catch(rejection(files));
  const handle = new binding.HeapProgress(files.length);
  const report = () => {
    const event = handle.read();
    if (event.phase !== 'waiting') onProgress(event);
  };
  const timer = setInterval(report, PROGRESS_INTERVAL_MS);
  try {
    return await start(handle).catch(rejection(files));
  } finally {
    clearInterval(timer);
    report();
  }
}

const isChunkSource = (source) =>
  source !== null && typeof source === 'object' && typeof source[Symbol.asyncIterator] === 'function';

/** A chunk as a Buffer over the same memory (strings are encoded as UTF-8). */
function chunkBytes(chunk, name) {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (ArrayBuffer.isView(chunk)) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new ModswapError('ERR_MODSWAP_INVALID_ARG', `${name}: a chunk is not bytes (${typeof chunk})`);
}

/**
 * Hands every chunk of `source` to a parsing thread as it arrives (copied; the chunk may be
 * reused). Fails with the stream's own error, or on a chunk that is not bytes. Stops reading
 * as soon as the parser has failed: leaving the loop ends the iteration, which destroys a
 * Readable, so an endless or huge bad input is not read to its end.
 */
async function streamInto(stream, source, name) {
  for await (const chunk of source) {
    if (!stream.write(chunkBytes(chunk, name))) return;
  }
}

/**
 * Analyses a snapshot: totals, class aggregates, the largest retainers, leak suspects and
 * retainer paths, with DevTools' dominator rules. `source` is a `.heapsnapshot` file, or any
 * async iterable of its bytes (a Readable such as `fs.createReadStream(file)` or
 * `v8.getHeapSnapshot()`), parsed on a Rust thread as the chunks arrive.
 * @param {string | AsyncIterable<Uint8Array | string>} source
 * @param {{ top?: number, paths?: number[], onProgress?: (event: object) => void, name?: string }} [options]
 *   name: what results and errors call a streamed snapshot (default '(stream)')
 */
async function analyze(source, options) {
  const opts = optionsObject(options, 'heap.analyze()');
  const top = topOf(opts, DEFAULT_TOP);
  const pathIds = pathIdsOf(opts);
  const onProgress = onProgressOf(opts);
  if (isChunkSource(source)) {
    const name = typeof opts.name === 'string' && opts.name !== '' ? opts.name : '(stream)';
    const stream = new binding.HeapSnapshotStream(name);
    try {
      await streamInto(stream, source, name);
    } catch (error) {
      stream.abort();
      throw error;
    }
    return withProgress([name], onProgress, (handle) => stream.analyze(top, pathIds, handle));
  }
  const absolute = snapshotPath(source, 'heap.analyze()');
  return withProgress([absolute], onProgress, (handle) => binding.analyzeHeapSnapshot(absolute, top, pathIds, handle));
}

/**
 * Compares two snapshots of one process by node id: per class, objects allocated and freed.
 * @param {string} before
 * @param {string} after
 * @param {{ onProgress?: (event: object) => void }} [options]
 */
async function diff(before, after, options) {
  const files = [snapshotPath(before, 'heap.diff()'), snapshotPath(after, 'heap.diff()')];
  const onProgress = onProgressOf(optionsObject(options, 'heap.diff()'));
  return withProgress(files, onProgress, (handle) => binding.diffHeapSnapshots(files[0], files[1], handle));
}

/**
 * Three-snapshot leak search: objects allocated between `baseline` and `target` that are still
 * alive in `final`, grouped by class and retainer path shape (objects leaked into a container by
 * their own class, the container as `holder`), largest first; V8's own groups (`internal`) last.
 * @param {string} baseline
 * @param {string} target
 * @param {string} final
 * @param {{ top?: number, onProgress?: (event: object) => void }} [options] top: groups returned
 */
async function leaks(baseline, target, final, options) {
  const files = [baseline, target, final].map((file) => snapshotPath(file, 'heap.leaks()'));
  const opts = optionsObject(options, 'heap.leaks()');
  const top = topOf(opts, DEFAULT_LEAK_GROUPS);
  const onProgress = onProgressOf(opts);
  return withProgress(files, onProgress, (handle) => binding.findHeapLeaks(files[0], files[1], files[2], top, handle));
}

/** Writes a snapshot of this process (V8's `writeHeapSnapshot`) and returns its path. */
function snapshot(file) {
  if (file !== undefined && (typeof file !== 'string' || file.length === 0)) {
    throw new ModswapError('ERR_MODSWAP_INVALID_ARG', 'heap.snapshot() expects a file path or nothing');
  }
  const written = file === undefined ? v8.writeHeapSnapshot() : v8.writeHeapSnapshot(path.resolve(file));
  return path.resolve(written);
}

module.exports = { analyze, diff, leaks, snapshot };

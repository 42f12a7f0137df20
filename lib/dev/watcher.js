'use strict';
// The dev server's file watcher. Options are checked here; the watching (inotify, batching,
// net change per path) is Rust's (src/watch), and each batch arrives as one native call.
const path = require('node:path');
const { binding } = require('../native');
const { ModswapError, fromNative } = require('../errors');

const KIND_BY_LETTER = { a: 'add', c: 'change', r: 'remove' };
const MAX_DEBOUNCE_MS = 60_000;

function invalidOptions(message) {
  return new ModswapError('ERR_MODSWAP_INVALID_OPTIONS', message);
}

function rootsOf(root) {
  const roots = Array.isArray(root) ? root : [root];
  if (roots.length === 0 || !roots.every((r) => typeof r === 'string' && r.length > 0)) {
    throw new ModswapError('ERR_MODSWAP_INVALID_ARG', 'watch() expects a directory path or a non-empty array of them');
  }
  return roots.map((r) => path.resolve(r));
}

function stringListOf(value, name) {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((s) => typeof s === 'string' && s.length > 0)) {
    throw invalidOptions(`options.${name} must be an array of non-empty strings`);
  }
  return value;
}

function debounceOf(value) {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_DEBOUNCE_MS) {
    throw invalidOptions(`options.debounceMs must be a number from 0 to ${MAX_DEBOUNCE_MS}, got ${value}`);
  }
  return value;
}

/** A native watch failure as a ModswapError saying what could not be watched and why. */
function watchError(error) {
  const lifted = fromNative(error);
  return new ModswapError(lifted.code, `cannot watch ${lifted.message}`, { cause: error });
}

/** `{ paths, kinds: 'ca…' }` → `[{ path, kind: 'change' }, …]`. */
function changesOf(batch) {
  const { paths, kinds } = batch;
  const changes = new Array(paths.length);
  for (let i = 0; i < paths.length; i++) changes[i] = { path: paths[i], kind: KIND_BY_LETTER[kinds[i]] };
  return changes;
}

/**
 * Watches `root` (a directory or an array of them) recursively and calls
 * `onBatch(null, changes)` with each batch of net changes, `changes` being
 * `[{ path, kind: 'add' | 'change' | 'remove' }]` with each absolute path at most once, or
 * `onBatch(error)` when watching meets a problem (a new directory over the watch limit, …;
 * watching goes on). `node_modules` and `.git` are never watched. Throws a ModswapError at once
 * when a root is missing (`ERR_MODSWAP_NOT_FOUND`), the OS watch limit is reached
 * (`ERR_MODSWAP_WATCH_LIMIT`) or watching fails otherwise (`ERR_MODSWAP_WATCH`).
 *
 * Options: `ignore` (names such as `'dist'` or `'*.log'` match at any depth, paths such as
 * `'src/generated'` from the root), `extensions` (`['js', 'json']`: only those files),
 * `debounceMs` (quiet time that ends a batch, default 5), `persistent` (default true; false lets
 * the process exit while watching, like `unref()`).
 */
function watch(root, options, onBatch) {
  if (typeof options === 'function' && onBatch === undefined) return watch(root, {}, options);
  const roots = rootsOf(root);
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object') throw invalidOptions('watch() options must be an object');
  if (typeof onBatch !== 'function') {
    throw new ModswapError('ERR_MODSWAP_INVALID_ARG', 'watch() expects a callback (error, changes) => void');
  }
  const nativeOptions = {
    roots,
    ignore: stringListOf(options.ignore, 'ignore'),
    extensions: stringListOf(options.extensions, 'extensions'),
    debounceMs: debounceOf(options.debounceMs),
  };

  let closed = false;
  // Batches already queued when close() runs are dropped here, so none arrives after it.
  const deliver = (error, batch) => {
    if (closed) return;
    if (error) onBatch(watchError(error));
    else onBatch(null, changesOf(batch));
  };
  let native;
  try {
    native = new binding.FileWatcher(nativeOptions, deliver);
  } catch (error) {
    throw watchError(error);
  }
  if (options.persistent === false) native.unref();

  return {
    /** The watched directories, absolute with symlinks resolved (as Node names modules). */
    roots: native.roots,
    /** Stops watching; no callback runs after this. Calling it again does nothing. */
    close() {
      if (closed) return;
      closed = true;
      native.close();
    },
    /** Keeps the process alive while watching (the default). */
    ref() {
      if (!closed) native.ref();
      return this;
    },
    /** Lets the process exit while watching. */
    unref() {
      if (!closed) native.unref();
      return this;
    },
  };
}

module.exports = { watch };

'use strict';
// The clear-module API, without its leaks: every reference Node keeps to a removed instance is
// cut (all parents' `children`, `parent` pointers of kept children), not only `module.parent`.
const Module = require('node:module');
const { getTracker, entryModule } = require('./tracker');
const { Surgery } = require('./surgery');
const { callerFile, resolveQuietly } = require('./caller');
const { ModswapError } = require('./errors');

const tracker = getTracker();

function expectString(id) {
  if (typeof id !== 'string') {
    throw new TypeError(`Expected a \`string\`, got \`${typeof id}\``);
  }
}

function refuseDuringReload(operation) {
  if (tracker.openTransaction !== null) {
    throw new ModswapError(
      'ERR_MODSWAP_REENTRANT',
      `modswap.${operation}() was called while ${tracker.openTransaction} is being reloaded; ` +
        'call it after the reload returns',
      { file: tracker.openTransaction },
    );
  }
}

/**
 * Removes the cached instances of `filenames` and what `scope` adds (see ModuleGraph.planClear),
 * cutting every reference Node holds to them. Returns the surgery, already applied.
 */
function removeModules(filenames, scope) {
  const cache = Module._cache;
  const roots = filenames.map((file) => cache[file]).filter((mod) => mod !== undefined && mod !== null);
  if (roots.length === 0) return new Surgery(tracker);
  const rootIds = tracker.prepare(roots);
  return new Surgery(tracker).apply(tracker.planClear(rootIds, scope));
}

function clearFiles(filenames, scope) {
  refuseDuringReload('clear');
  removeModules(filenames, scope).commit();
}

/** Cache keys, without the entry module: only an explicit clear(id) may remove that one. */
function cachedFilesExceptEntry() {
  const entry = entryModule();
  return Object.keys(Module._cache).filter((file) => !entry || Module._cache[file] !== entry);
}

/** Clears `id` and, recursively, the modules it loaded (clear-module's `clearModule(id)`). */
function clear(id) {
  expectString(id);
  const filename = resolveQuietly(id, callerFile(clear));
  if (filename !== undefined) clearFiles([filename], 'descendants');
}

/** Clears every cached module except native addons and the entry module. */
clear.all = function all() {
  clearFiles(cachedFilesExceptEntry(), 'descendants');
};

/** Clears every cached module whose id matches `regex`, with its descendants. */
clear.match = function match(regex) {
  if (!(regex instanceof RegExp)) {
    throw new TypeError(`Expected a \`RegExp\`, got \`${typeof regex}\``);
  }
  const matching = cachedFilesExceptEntry().filter((file) => {
    regex.lastIndex = 0;
    return regex.test(file);
  });
  clearFiles(matching, 'descendants');
};

/** Clears `id` alone, without its descendants. */
clear.single = function single(id) {
  expectString(id);
  const filename = resolveQuietly(id, callerFile(single));
  if (filename !== undefined) clearFiles([filename], 'single');
};

module.exports = { clear, expectString, removeModules, refuseDuringReload, tracker };

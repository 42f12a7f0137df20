'use strict';
// `import.meta.hot` for the ES modules modswap versions: Vite's/webpack's API with the
// semantics of F's `module.hot` (lib/hot/api.js). The load hook (inject.js) prepends
//   import.meta.hot = globalThis[Symbol.for('modswap.esm.hot')]?.(import.meta);
// to each project module's source; that function (installed here, on the main thread where
// module bodies evaluate) makes one HotState per module instance, keyed by its URL (each
// version has its own). lib/esm/swap.js asks this file for the boundaries the declarations
// make, refuses declined swaps, runs the disposers and accept handlers, and commits or rolls
// back the states with the versions.
const { fileURLToPath, pathToFileURL } = require('node:url');
const { binding, callNative } = require('../native');
const { ModswapError } = require('../errors');
const { withVersion } = require('./resolve');
const { runDisposeHandlers, acceptFailed, messageOf } = require('../hot/handlers');

const GLOBAL_KEY = Symbol.for('modswap.esm.hot');

/** Declarations of one module instance (one version of one file). */
class EsmHotState {
  constructor(url, path, data) {
    this.url = url;
    this.path = path;
    this.data = data;
    /** False, true, or the callback of `accept(callback)` (called with the new namespace). */
    this.selfAccepted = false;
    this.declined = false;
    /** [{ files, single, callback }] of `accept(deps, callback)`. */
    this.acceptedDependencies = [];
    this.disposeHandlers = [];
    this.pruneHandlers = [];
  }
}

/** URL -> EsmHotState of every module instance evaluated with the prefix and still current (or being swapped in). */
const states = new Map();
/**
 * The states among those that accepted or set prune handlers: what a swap looks through (a
 * 2,000-module app has 2,000 states, a handful of which declare anything).
 */
const declaring = new Set();
/** path -> `data` handed from the disposed version to the next one, while a swap runs. */
const pendingData = new Map();
/** Set by swap.js: `invalidate()` swaps the module's file through it. */
const hooks = { requestSwap: null };

const urlOf = (path, version) => withVersion(pathToFileURL(path).href, version);

/** The state of the current version of `path`, if it evaluated with the prefix. */
const currentState = (path) => states.get(urlOf(path, callNative(() => binding.esmVersionOf(path))));

function invalidArg(state, message) {
  return new ModswapError('ERR_MODSWAP_INVALID_ARG', `${message} (in ${state.path})`, { file: state.path });
}

/** Absolute paths of `deps`, resolved from the module at `meta.url`. */
function resolveDependencies(state, meta, dependencies) {
  const single = typeof dependencies === 'string';
  const list = single ? [dependencies] : dependencies;
  if (!Array.isArray(list) || list.some((dep) => typeof dep !== 'string')) {
    throw invalidArg(state, 'import.meta.hot.accept() expects a specifier or an array of specifiers');
  }
  const files = list.map((dep) => {
    try {
      const relative = /^(?:\.{1,2}\/|\/|file:)/.test(dep);
      return fileURLToPath(relative ? new URL(dep, meta.url).href : meta.resolve(dep));
    } catch (error) {
      throw new ModswapError(
        'ERR_MODSWAP_NOT_FOUND',
        `import.meta.hot.accept('${dep}') in ${state.path}: ${dep} cannot be resolved`,
        { cause: error, file: state.path },
      );
    }
  });
  return { files, single };
}

/** `import.meta.hot` of the module instance `meta` belongs to. */
function makeApi(meta) {
  const url = meta.url;
  const path = fileURLToPath(url);
  const data = pendingData.has(path) ? pendingData.get(path) : {};
  pendingData.delete(path);
  const state = new EsmHotState(url, path, data);
  states.set(url, state);
  // A replaced version's code may still run (a timer, say): what it declares then is never used.
  const declare = () => {
    if (states.get(url) === state) declaring.add(state);
  };
  const expectFunction = (value, what) => {
    if (value !== undefined && typeof value !== 'function') throw invalidArg(state, `${what} must be a function`);
  };
  return Object.freeze({
    /**
     * Persists across versions: what this version and its disposers store, the next one reads.
     * A plain property (the object is never replaced): a getter closure per module instance
     * gave every instance's API object a hidden class of its own (~0.6 KB kept per swap).
     */
    data,
    /**
     * `accept()` / `accept(cb)`: this module takes its own updates (a boundary: its importers
     * are not evaluated again); `cb(newNamespace)` runs after the new version evaluated.
     * `accept(deps, cb)`: this module handles updates of `deps`; it stays, and `cb` gets the new
     * namespace (an array of them for an array of deps, undefined for those not updated).
     */
    accept(dependencies, callback) {
      declare();
      if (dependencies === undefined || typeof dependencies === 'function') {
        state.selfAccepted = dependencies ?? true;
        return;
      }
      expectFunction(callback, 'import.meta.hot.accept() callback');
      state.acceptedDependencies.push({ ...resolveDependencies(state, meta, dependencies), callback });
    },
    /** A swap that would replace this module is refused (the runner restarts instead). */
    decline() {
      state.declined = true;
    },
    /** Runs `handler(data)` before this version is replaced. */
    dispose(handler) {
      expectFunction(handler, 'import.meta.hot.dispose() handler');
      state.disposeHandlers.push(handler);
    },
    /** Runs `handler(data)` when a swap leaves this module imported by nothing. */
    prune(handler) {
      expectFunction(handler, 'import.meta.hot.prune() handler');
      declare();
      state.pruneHandlers.push(handler);
    },
    /** Swaps this module again as if its file had changed, bubbling to its importers (next turn). */
    invalidate() {
      if (hooks.requestSwap === null) return;
      setImmediate(() => hooks.requestSwap(path));
    },
  });
}

function install() {
  if (typeof globalThis[GLOBAL_KEY] === 'function') return;
  Object.defineProperty(globalThis, GLOBAL_KEY, { value: makeApi, configurable: true, writable: false, enumerable: false });
}

/** Boundaries the declarations of current versions make (skipping self-acceptance of `except`). */
function declaredBoundaries(except) {
  const found = new Set();
  const accepters = new Map(); // dep -> Set of importer paths accepting it
  for (const state of declaring) {
    // Cheap check first: currentState() costs a native call and a URL.
    if (!state.selfAccepted && state.acceptedDependencies.length === 0) continue;
    if (currentState(state.path) !== state) continue;
    if (state.selfAccepted && !except.has(state.path)) found.add(state.path);
    for (const { files } of state.acceptedDependencies) {
      for (const file of files) {
        if (!accepters.has(file)) accepters.set(file, new Set());
        accepters.get(file).add(state.path);
      }
    }
  }
  // A dependency stops the walk when every importer of its current version accepts it.
  for (const [file, by] of accepters) {
    const importers = callNative(() => binding.esmImportersOf(file));
    if (importers.length > 0 && importers.every((importer) => by.has(importer))) found.add(file);
  }
  return found;
}

/** Refuses a plan that replaces a module that declined. */
function refuseDeclined(paths) {
  for (const path of paths) {
    if (currentState(path)?.declined) {
      throw new ModswapError(
        'ERR_MODSWAP_DECLINED',
        `Cannot swap ${path}: it declines updates (import.meta.hot.decline()); restart to take it`,
        { file: path },
      );
    }
  }
}

/** Dispose handlers of the current versions of `paths`, in plan order (bottom-up). */
function runDisposers(paths) {
  for (const path of paths) {
    const state = currentState(path);
    if (state === undefined) continue;
    runDisposeHandlers(state.disposeHandlers, state.data, path);
    pendingData.set(path, state.data);
  }
}

/**
 * After the new versions evaluated (`fresh`: boundary path -> new namespace), before the swap
 * commits: the accept callbacks, top-down (boundaries found last in the walk first). `old`: path
 * -> state of the replaced version.
 */
function runAcceptHandlers(boundaryOrder, fresh, old) {
  for (const boundary of [...boundaryOrder].reverse()) {
    const namespace = fresh.get(boundary);
    const self = old.get(boundary);
    const calls = [];
    if (self !== undefined && typeof self.selfAccepted === 'function') {
      calls.push({ by: boundary, run: () => self.selfAccepted(namespace) });
    }
    for (const state of declaring) {
      if (state.acceptedDependencies.length === 0) continue;
      if (old.has(state.path) || currentState(state.path) !== state) continue;
      for (const { files, single, callback } of state.acceptedDependencies) {
        if (callback === undefined || !files.includes(boundary)) continue;
        const modules = files.map((file) => fresh.get(file));
        calls.push({ by: state.path, run: () => callback(single ? modules[0] : modules) });
      }
    }
    for (const { by, run } of calls) {
      try {
        run();
      } catch (error) {
        throw acceptFailed(by, boundary, error);
      }
    }
  }
}

/** The states of the versions a swap replaces, taken before the versions are bumped. */
function statesOf(paths) {
  const found = new Map();
  for (const path of paths) {
    const state = currentState(path);
    if (state !== undefined) found.set(path, state);
  }
  return found;
}

/**
 * Files with prune handlers that an importer among `paths` imports: after the swap commits, those
 * nothing imports any more are pruned.
 */
function pruneCandidates(paths) {
  const planned = new Set(paths);
  const found = [];
  for (const state of declaring) {
    if (state.pruneHandlers.length === 0 || planned.has(state.path) || currentState(state.path) !== state) continue;
    const importers = callNative(() => binding.esmImportersOf(state.path));
    if (importers.some((importer) => planned.has(importer))) found.push(state);
  }
  return found;
}

/** Runs the prune handlers of `candidates` nothing imports now; a throw is a warning (the swap is done). */
function runPruneHandlers(candidates) {
  for (const state of candidates) {
    if (callNative(() => binding.esmImportersOf(state.path)).length > 0) continue;
    for (const handler of state.pruneHandlers) {
      try {
        handler(state.data);
      } catch (error) {
        process.emitWarning(`modswap: a prune handler of ${state.path} threw: ${messageOf(error)}`, 'ModswapWarning');
      }
    }
  }
}

function forget(url) {
  declaring.delete(states.get(url));
  states.delete(url);
}

/** A committed swap: the replaced versions' states go. */
function commit(paths, old) {
  for (const path of paths) pendingData.delete(path);
  for (const state of old.values()) forget(state.url);
}

/** A rolled-back swap (versions restored): the states of the new versions go, the old ones stay. */
function rollback(paths, newUrls) {
  for (const path of paths) pendingData.delete(path);
  for (const url of newUrls) forget(url);
}

module.exports = {
  install,
  hooks,
  declaredBoundaries,
  refuseDeclined,
  runDisposers,
  runAcceptHandlers,
  statesOf,
  pruneCandidates,
  runPruneHandlers,
  commit,
  rollback,
  GLOBAL_KEY,
};

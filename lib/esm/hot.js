'use strict';
// `import.meta.hot` for the ES modules modswap versions: Vite's/webpack's API with the
// semantics of F's `module.hot` (lib/hot/api.js). The load hook (inject.js) prepends
//   import.meta.hot = globalThis[Symbol.for('modswap.esm.hot')]?.(import.meta);
// to each project module's source; that function (installed here, on the main thread where
// module bodies evaluate) makes one HotState per module instance, keyed by its URL (each
// version has its own). lib/esm/swap.js asks this file for the boundaries the declarations
// make, refuses declined swaps, runs the disposers and accept handlers, and commits or rolls
// back the states with the versions.
const { fileURLToPath } = require('node:url');
const { binding, callNative } = require('../native');
const { ModswapError } = require('../errors');
const { versionedUrl: urlOf } = require('./resolve');
const { runDisposeHandlers, acceptFailed, reportToSelfErrorHandler, messageOf } = require('../hot/handlers');
const { registry, setStatus } = require('../hot/api');
const versionContext = require('./version-context');
const { EMPTY, growable } = require('../lazy-list');

const GLOBAL_KEY = Symbol.for('modswap.esm.hot');

/** Declarations of one module instance (one version of one file). */
class EsmHotState {
  constructor(url, path, data) {
    this.url = url;
    this.path = path;
    this.data = data;
    /** False, true, or the callback of `accept(callback)` (called with the new namespace). */
    this.selfAccepted = false;
    /** The `errorHandler` of `accept(callback, errorHandler)`. */
    this.selfErrorHandler = undefined;
    this.declined = false;
    /** Paths of the dependencies `decline(deps)` declines (null: none). */
    this.declinedDependencies = null;
    /** [{ files, single, callback, errorHandler }] of `accept(deps, callback, errorHandler)`. */
    this.acceptedDependencies = EMPTY;
    this.disposeHandlers = EMPTY;
    this.pruneHandlers = EMPTY;
  }
}

/** URL -> EsmHotState of every module instance evaluated with the prefix and still current (or being swapped in). */
const states = new Map();
/**
 * The states among those that accepted, declined dependencies or set prune handlers: what a swap
 * looks through (a 2,000-module app has 2,000 states, a handful of which declare anything).
 */
const declaring = new Set();
/** path -> `data` handed from the disposed version to the next one, while a swap runs. */
const pendingData = new Map();
/** Set by swap.js: `invalidate()` swaps the module's file through it. */
const hooks = { requestSwap: null };

/** The state of the current version of `path`, if it evaluated with the prefix. */
const currentState = (path) => states.get(urlOf(path, callNative(() => binding.esmVersionOf(path))));

function invalidArg(state, message) {
  return new ModswapError('ERR_MODSWAP_INVALID_ARG', `${message} (in ${state.path})`, { file: state.path });
}

/** Absolute paths of `deps`, resolved from the module at `meta.url`. */
function resolveDependencies(state, meta, dependencies, method = 'accept') {
  const single = typeof dependencies === 'string';
  const list = single ? [dependencies] : dependencies;
  if (!Array.isArray(list) || list.some((dep) => typeof dep !== 'string')) {
    throw invalidArg(state, `import.meta.hot.${method}() expects a specifier or an array of specifiers`);
  }
  const files = list.map((dep) => {
    try {
      const relative = /^(?:\.{1,2}\/|\/|file:)/.test(dep);
      return fileURLToPath(relative ? new URL(dep, meta.url).href : meta.resolve(dep));
    } catch (error) {
      throw new ModswapError(
        'ERR_MODSWAP_NOT_FOUND',
        `import.meta.hot.${method}('${dep}') in ${state.path}: ${dep} cannot be resolved`,
        { cause: error, file: state.path },
      );
    }
  });
  return { files, single };
}

/**
 * `import.meta.hot` of one module instance. Methods live on the prototype, and the instance holds
 * its state in private fields: the loader keeps every version, and with it this object, so a
 * closure per method per version would be kept per swap. (As with Vite's, call the methods on
 * `import.meta.hot`; a method taken off it has no instance.)
 */
class ImportMetaHot {
  #state;
  #meta;

  constructor(state, meta) {
    this.#state = state;
    this.#meta = meta;
    /** Persists across versions: what this version and its disposers store, the next one reads. */
    this.data = state.data;
    Object.freeze(this);
  }

  /** What this version declares counts only while it is the current one (or being swapped in). */
  #declare() {
    if (states.get(this.#state.url) === this.#state) declaring.add(this.#state);
  }

  #expectFunction(value, what) {
    if (value !== undefined && typeof value !== 'function') throw invalidArg(this.#state, `${what} must be a function`);
  }

  /**
   * `accept()` / `accept(cb, errorHandler)`: this module takes its own updates (a boundary: its
   * importers are not evaluated again); `cb(newNamespace)` runs after the new version evaluated.
   * `accept(deps, cb, errorHandler)`: this module handles updates of `deps`; it stays, and `cb`
   * gets the new namespace (an array of them for an array of deps, undefined for those not
   * updated). `errorHandler(error, info)` takes a throw of `cb` (the swap goes on) and, for
   * self-acceptance, hears of a failed update of this module (rolled back all the same).
   */
  accept(dependencies, callback, errorHandler) {
    const state = this.#state;
    if (dependencies === undefined || typeof dependencies === 'function') {
      this.#expectFunction(callback, 'import.meta.hot.accept() error handler');
      state.selfAccepted = dependencies ?? true;
      state.selfErrorHandler = callback;
      this.#declare();
      return;
    }
    this.#expectFunction(callback, 'import.meta.hot.accept() callback');
    this.#expectFunction(errorHandler, 'import.meta.hot.accept() error handler');
    growable(state, 'acceptedDependencies').push({ ...resolveDependencies(state, this.#meta, dependencies), callback, errorHandler });
    this.#declare();
  }

  /**
   * `decline()`: a swap that would replace this module is refused (the runner restarts
   * instead); `decline(deps)`: so is a swap that would replace one of `deps`.
   */
  decline(dependencies) {
    const state = this.#state;
    if (dependencies === undefined) {
      state.declined = true;
      return;
    }
    state.declinedDependencies ??= new Set();
    for (const file of resolveDependencies(state, this.#meta, dependencies, 'decline').files) state.declinedDependencies.add(file);
    this.#declare();
  }

  /** Runs `handler(data)` before this version is replaced. */
  dispose(handler) {
    this.#expectFunction(handler, 'import.meta.hot.dispose() handler');
    growable(this.#state, 'disposeHandlers').push(handler);
  }

  addDisposeHandler(handler) {
    this.dispose(handler);
  }

  removeDisposeHandler(handler) {
    const handlers = this.#state.disposeHandlers;
    const index = handlers.indexOf(handler);
    if (index !== -1) handlers.splice(index, 1);
  }

  /** Runs `handler(data)` when a swap leaves this module imported by nothing. */
  prune(handler) {
    this.#expectFunction(handler, 'import.meta.hot.prune() handler');
    growable(this.#state, 'pruneHandlers').push(handler);
    this.#declare();
  }

  /** Swaps this module again as if its file had changed, bubbling to its importers (next turn). */
  invalidate() {
    if (hooks.requestSwap === null) return;
    const { path } = this.#state;
    setImmediate(() => hooks.requestSwap(path));
  }

  /** The process-wide swap status, shared with `module.hot`: 'idle', 'dispose', 'apply', 'abort', 'fail'. */
  status() {
    return registry.status;
  }

  addStatusHandler(handler) {
    this.#expectFunction(handler, 'import.meta.hot.addStatusHandler() handler');
    registry.statusHandlers.add(handler);
  }

  removeStatusHandler(handler) {
    registry.statusHandlers.delete(handler);
  }
}

/** `import.meta.hot` of the module instance `meta` belongs to (the injected prefix calls it). */
function makeApi(meta) {
  const url = meta.url;
  const path = fileURLToPath(url);
  const data = pendingData.has(path) ? pendingData.get(path) : {};
  pendingData.delete(path);
  const state = new EsmHotState(url, path, data);
  states.set(url, state);
  versionContext.enterVersion(meta, path);
  return new ImportMetaHot(state, meta);
}

function install() {
  versionContext.install();
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

function declinedError(path, by) {
  const reason = by === path ? 'it declines updates (import.meta.hot.decline())' : `${by} declines its updates`;
  return new ModswapError('ERR_MODSWAP_DECLINED', `Cannot swap ${path}: ${reason}; restart to take it`, { file: path });
}

/**
 * Refuses a plan that replaces a module that declined, or a dependency an importer of it
 * declines (even when that importer is replaced too, as module.hot does).
 */
function refuseDeclined(paths) {
  for (const path of paths) {
    if (currentState(path)?.declined) throw declinedError(path, path);
  }
  const planned = new Set(paths);
  for (const state of declaring) {
    if (state.declinedDependencies === null || currentState(state.path) !== state) continue;
    for (const file of state.declinedDependencies) {
      if (planned.has(file) && callNative(() => binding.esmImportersOf(file)).includes(state.path)) {
        throw declinedError(file, state.path);
      }
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
      const { selfAccepted, selfErrorHandler } = self;
      calls.push({ by: boundary, run: () => selfAccepted(namespace), errorHandler: selfErrorHandler });
    }
    for (const state of declaring) {
      if (state.acceptedDependencies.length === 0) continue;
      if (old.has(state.path) || currentState(state.path) !== state) continue;
      for (const { files, single, callback, errorHandler } of state.acceptedDependencies) {
        if (callback === undefined || !files.includes(boundary)) continue;
        const modules = files.map((file) => fresh.get(file));
        calls.push({ by: state.path, run: () => callback(single ? modules[0] : modules), errorHandler });
      }
    }
    for (const { by, run, errorHandler } of calls) {
      try {
        run();
      } catch (error) {
        // As module.hot: an error handler takes the throw and the swap goes on; its own throw fails it.
        if (errorHandler === undefined) throw acceptFailed(by, boundary, error);
        errorHandler(error, { moduleId: by, dependencyId: boundary });
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

/**
 * Drops the handlers of a version that will never be current again. The ESM loader keeps the
 * version, and with it its `import.meta.hot` and so this state: handlers left here would keep
 * alive what they close over that the module scope does not (a block's or a function's
 * variables).
 */
function retire(state) {
  states.delete(state.url);
  declaring.delete(state);
  state.selfAccepted = false;
  state.acceptedDependencies = EMPTY;
  state.disposeHandlers = EMPTY;
  state.pruneHandlers = EMPTY;
}

/**
 * After a failed swap was rolled back: the `accept(cb, errorHandler)` error handlers of the
 * self-accepting modules it would have replaced hear of `error` (a throw is a warning).
 */
function runSelfErrorHandlers(old, error) {
  for (const [path, state] of old) {
    if (state.selfAccepted !== false && state.selfErrorHandler !== undefined) {
      reportToSelfErrorHandler(state.selfErrorHandler, error, path);
    }
  }
}

/** A committed swap: the replaced versions' states go. */
function commit(paths, old) {
  for (const path of paths) pendingData.delete(path);
  for (const state of old.values()) retire(state);
}

/** A rolled-back swap (versions restored): the states of the new versions go, the old ones stay. */
function rollback(paths, newUrls) {
  for (const path of paths) pendingData.delete(path);
  for (const url of newUrls) {
    const state = states.get(url);
    if (state !== undefined) retire(state);
  }
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
  runSelfErrorHandlers,
  setStatus,
  commit,
  rollback,
  GLOBAL_KEY,
};

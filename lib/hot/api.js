'use strict';
// webpack's `module.hot` for CommonJS modules: what each generation declares (accept, decline,
// dispose) and the `data` it hands to the next one. The swap itself is lib/reload.js; this file
// only keeps the declarations and runs the handlers it is asked to run.
const Module = require('node:module');
const { ModswapError } = require('../errors');

const STATUSES = new Set(['idle', 'check', 'prepare', 'ready', 'dispose', 'apply', 'abort', 'fail']);

/** Declarations of one module instance (one generation). */
class HotState {
  constructor(mod, data) {
    this.module = mod;
    this.data = data;
    /** False, true, or the error handler given to `accept(errorHandler)`. */
    this.selfAccepted = false;
    this.selfDeclined = false;
    /** filename -> { callback, errorHandler } */
    this.acceptedDependencies = new Map();
    this.declinedDependencies = new Set();
    this.disposeHandlers = [];
  }
}

/** Process-wide: one status, its handlers, and the states of the modules that used `module.hot`. */
const registry = {
  status: 'idle',
  statusHandlers: new Set(),
  /** Module -> HotState, for modules whose code touched `module.hot` (or `hotApi(module)`). */
  states: new WeakMap(),
  /** WeakRefs of the modules in `states`, so a swap can list them without keeping them alive. */
  declaring: new Set(),
  /** filename -> `data` the disposers of the replaced generation filled, for the next one. */
  pendingData: new Map(),
  /** Set by lib/reload.js: `invalidate()` asks for a swap of the module's file through it. */
  requestSwap: null,
};

function setStatus(status) {
  if (!STATUSES.has(status) || registry.status === status) return;
  registry.status = status;
  for (const handler of [...registry.statusHandlers]) handler(status);
}

function stateOf(mod) {
  let state = registry.states.get(mod);
  if (state === undefined) {
    const file = mod.filename;
    const data = registry.pendingData.get(file);
    registry.pendingData.delete(file);
    state = new HotState(mod, data);
    registry.states.set(mod, state);
    registry.declaring.add(new WeakRef(mod));
  }
  return state;
}

/** The existing state of `mod`, without creating one. */
const existingStateOf = (mod) => registry.states.get(mod);

function resolveDependencies(mod, dependencies, method) {
  const list = typeof dependencies === 'string' ? [dependencies] : dependencies;
  if (!Array.isArray(list) || list.some((dep) => typeof dep !== 'string')) {
    throw new ModswapError(
      'ERR_MODSWAP_INVALID_ARG',
      `module.hot.${method}() expects a module id or an array of ids (in ${mod.filename})`,
      { file: mod.filename },
    );
  }
  return list.map((dep) => {
    try {
      return Module._resolveFilename(dep, mod);
    } catch (error) {
      throw new ModswapError(
        'ERR_MODSWAP_NOT_FOUND',
        `module.hot.${method}('${dep}') in ${mod.filename}: ${dep} cannot be resolved`,
        { cause: error, file: mod.filename },
      );
    }
  });
}

function expectFunction(value, what, mod) {
  if (value !== undefined && typeof value !== 'function') {
    throw new ModswapError('ERR_MODSWAP_INVALID_ARG', `${what} must be a function (in ${mod.filename})`, {
      file: mod.filename,
    });
  }
}

/** `module.hot` of one module instance: webpack's API. */
class HotApi {
  constructor(mod) {
    Object.defineProperty(this, 'module', { value: mod });
  }

  /** What the previous generation's dispose handlers stored; undefined for the first. */
  get data() {
    return stateOf(this.module).data;
  }

  /**
   * `accept()` / `accept(errorHandler)`: this module takes its own updates (it is re-evaluated,
   * its importers are not). `accept(deps, callback, errorHandler)`: this module handles updates
   * of `deps` (ids resolved from it) in `callback`; it stays, and is not re-evaluated for them.
   */
  accept(dependencies, callback, errorHandler) {
    const state = stateOf(this.module);
    if (dependencies === undefined || typeof dependencies === 'function') {
      state.selfAccepted = dependencies ?? true;
      return;
    }
    expectFunction(callback, 'module.hot.accept() callback', this.module);
    expectFunction(errorHandler, 'module.hot.accept() error handler', this.module);
    for (const file of resolveDependencies(this.module, dependencies, 'accept')) {
      state.acceptedDependencies.set(file, { callback, errorHandler });
    }
  }

  /** `decline()`: this module cannot be swapped; `decline(deps)`: nor can updates of `deps`. */
  decline(dependencies) {
    const state = stateOf(this.module);
    if (dependencies === undefined) {
      state.selfDeclined = true;
      return;
    }
    for (const file of resolveDependencies(this.module, dependencies, 'decline')) state.declinedDependencies.add(file);
  }

  /** Runs `handler(data)` before this generation is replaced; `data` goes to the next one. */
  dispose(handler) {
    expectFunction(handler, 'module.hot.dispose() handler', this.module);
    stateOf(this.module).disposeHandlers.push(handler);
  }

  addDisposeHandler(handler) {
    this.dispose(handler);
  }

  removeDisposeHandler(handler) {
    const handlers = stateOf(this.module).disposeHandlers;
    const index = handlers.indexOf(handler);
    if (index !== -1) handlers.splice(index, 1);
  }

  /** Replaces this module as if its file had changed (on the next turn of the event loop). */
  invalidate() {
    const file = this.module.filename;
    if (registry.requestSwap === null) return;
    setImmediate(() => registry.requestSwap(file));
  }

  /** `'idle'` between swaps; `'dispose'`, `'apply'` during one; `'fail'`/`'abort'` after a failed one. */
  status() {
    return registry.status;
  }

  addStatusHandler(handler) {
    expectFunction(handler, 'module.hot.addStatusHandler() handler', this.module);
    registry.statusHandlers.add(handler);
  }

  removeStatusHandler(handler) {
    registry.statusHandlers.delete(handler);
  }
}

const apis = new WeakMap();

/** `module.hot` of `mod`, made on first use. */
function hotApi(mod) {
  if (!(mod instanceof Module)) {
    throw new ModswapError('ERR_MODSWAP_INVALID_ARG', 'hotApi(module) expects a CommonJS module object');
  }
  let api = apis.get(mod);
  if (api === undefined) {
    api = new HotApi(mod);
    apis.set(mod, api);
    stateOf(mod);
  }
  return api;
}

/** Gives every CommonJS module a `module.hot` (a getter on Module.prototype, made once). */
function installModuleHot() {
  if (Object.getOwnPropertyDescriptor(Module.prototype, 'hot')) return;
  Object.defineProperty(Module.prototype, 'hot', {
    configurable: true,
    enumerable: false,
    get() {
      return hotApi(this);
    },
  });
}

/** Live modules that declared something through `module.hot`. */
function declaringModules() {
  const modules = [];
  for (const ref of registry.declaring) {
    const mod = ref.deref();
    if (mod === undefined) registry.declaring.delete(ref);
    else modules.push(mod);
  }
  return modules;
}

module.exports = { hotApi, installModuleHot, existingStateOf, declaringModules, registry, setStatus };

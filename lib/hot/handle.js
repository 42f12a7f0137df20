'use strict';
// modswap.hot(id): a stable stand-in for a module's exports that always reaches the current
// generation. `app.use(hot('./routes'))` keeps serving the newest routes without registering
// again; the module is a reload boundary (a change below it stops there).
const Module = require('node:module');
const { ModswapError } = require('../errors');
const { trackCall } = require('./in-flight');
const { forwardedKeyTraps } = require('../proxy-keys');

/** Files reached through hot(): reload boundaries. */
const boundaryFiles = new Set();

function currentModule(filename) {
  const mod = Module._cache[filename];
  if (mod === undefined) {
    throw new ModswapError(
      'ERR_MODSWAP_NOT_LOADED',
      `hot('${filename}'): the module is no longer loaded (it was cleared and not required again)`,
      { file: filename },
    );
  }
  return mod;
}

const currentExports = (filename) => currentModule(filename).exports;

/** Per function of an object export: the same tracked stand-in each time it is read. */
const trackedMethods = new WeakMap();

/** `fn` (a function the exports of `mod` hold) with its calls counted as calls into `mod`. */
function trackedMethod(mod, fn) {
  let tracked = trackedMethods.get(fn);
  if (tracked === undefined) {
    tracked = new Proxy(fn, {
      apply: (target, thisArg, args) => trackCall(mod, target.name, args, () => Reflect.apply(target, thisArg, args)),
    });
    trackedMethods.set(fn, tracked);
  }
  return tracked;
}

/**
 * A function target: calls go to the current exports (a call in flight keeps the version it
 * started on), and properties (`length`, `name`, fastify's and express's markers) are read from
 * them too.
 */
function functionHandle(filename) {
  const target = function hotHandler() {};
  return new Proxy(target, {
    apply: (_, thisArg, args) => {
      const mod = currentModule(filename);
      return trackCall(mod, mod.exports.name, args, () => Reflect.apply(mod.exports, thisArg, args));
    },
    construct: (_, args) => Reflect.construct(currentExports(filename), args),
    ...forwardedTraps(filename, target),
  });
}

/** An object target: every read, write and key listing goes to the current exports. */
function objectHandle(filename) {
  const target = {};
  return new Proxy(target, forwardedTraps(filename, target));
}

/**
 * Traps that forward to the current exports. A Proxy must report the target's own
 * non-configurable properties faithfully, so descriptors are handed out as configurable.
 */
function forwardedTraps(filename, target) {
  const current = () => currentExports(filename);
  return {
    // Methods called on the handle get the handle as `this`, whose reads reach the exports;
    // their calls are counted as calls into the generation they belong to.
    get: (_, key) => {
      const mod = currentModule(filename);
      const value = Reflect.get(mod.exports, key);
      const isMethod = typeof value === 'function' && key !== 'constructor' && typeof mod.exports === 'object';
      return isMethod ? trackedMethod(mod, value) : value;
    },
    set: (_, key, value) => Reflect.set(current(), key, value),
    has: (_, key) => Reflect.has(current(), key),
    deleteProperty: (_, key) => Reflect.deleteProperty(current(), key),
    ...forwardedKeyTraps(target, current),
    defineProperty: (_, key, descriptor) => Reflect.defineProperty(current(), key, descriptor),
    getPrototypeOf: () => Reflect.getPrototypeOf(current()),
  };
}

const handles = new Map();

/**
 * The handle of `filename`, loaded on behalf of `requirer` (so the edge is tracked and the
 * requirer is the boundary's importer). Function exports give a callable handle, others an
 * object handle; the kind is fixed by the version current at the first call.
 */
function hotHandle(filename, requirer) {
  const exports = requirer ? requirer.require(filename) : require(filename);
  boundaryFiles.add(filename);
  let handle = handles.get(filename);
  if (handle === undefined) {
    if (typeof exports === 'function') {
      handle = functionHandle(filename);
    } else if (exports !== null && typeof exports === 'object') {
      handle = objectHandle(filename);
    } else {
      throw new ModswapError(
        'ERR_MODSWAP_INVALID_ARG',
        `hot('${filename}'): its exports are ${exports === null ? 'null' : typeof exports}; hot() needs a function or an object`,
        { file: filename },
      );
    }
    handles.set(filename, handle);
  }
  return handle;
}

module.exports = { hotHandle, boundaryFiles };

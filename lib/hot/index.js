'use strict';
// The public hot-swap entry points: hot(id), hotApi(module), swap(files).
const Module = require('node:module');
const { callerFile, resolveOrThrow } = require('../caller');
const { ModswapError } = require('../errors');
const { swapFiles, completed, settle } = require('../swap');
const { hotApi, installModuleHot, registry } = require('./api');
const { hotHandle } = require('./handle');
const { installedWith } = require('../esm/register');
const { isEsmFile } = require('../esm/format');
const { reloaderListens, invalidationSwapped, invalidationFailed } = require('./invalidations');

/** lib/esm/swap.js, loaded once the ES module hooks are installed: most CommonJS apps never are. */
const esmSwap = () => require('../esm/swap');
const isKnownEsm = (file) => installedWith() !== undefined && esmSwap().isKnownEsm(file);
const { isTypeScriptFile, loadsTypeScript, typeScriptError, refuseUnloadableTypeScript } = require('../typescript');


const cachedModule = (file) => {
  const mod = file ? Module._cache[file] : undefined;
  return mod instanceof Module ? mod : undefined;
};

/**
 * A stand-in for the exports of `id` that always reaches the current generation; `id` becomes
 * a reload boundary. Loads `id` on behalf of the caller if needed.
 */
function hot(id) {
  const fromFile = callerFile(hot);
  const filename = resolveOrThrow(id, fromFile, 'hot()');
  // With modswap's ES module hooks installed, an ES module gets a Promise of its handle.
  // (A CommonJS file an ES module imported is known to the hooks too, and is in require.cache.)
  const esm = installedWith() !== undefined && (isEsmFile(filename) || (!Module._cache[filename] && isKnownEsm(filename)));
  if (esm) return isTypeScriptFile(filename) ? hotTypeScriptEsm(id, filename) : esmSwap().hotEsm(filename);
  refuseUnloadableTypeScript(filename, `hot('${id}') cannot load`);
  return hotHandle(filename, cachedModule(fromFile));
}

/**
 * hotEsm() of a TypeScript ES module. Not refused up front where Node does not strip types: a
 * loader's ES module hooks (which nothing shows) may load it; Node's own refusal is explained.
 */
function hotTypeScriptEsm(id, filename) {
  if (loadsTypeScript()) return esmSwap().hotEsm(filename);
  return esmSwap().hotEsm(filename).catch((error) => {
    throw error?.code === 'ERR_UNKNOWN_FILE_EXTENSION' ? typeScriptError(filename, `hot('${id}') cannot load`, error) : error;
  });
}

/**
 * Swaps the changed `files` in one atomic step (each with its importers up to their boundaries)
 * and returns what happened. Files that are not loaded are skipped: nothing runs them.
 */
function swap(files) {
  const list = typeof files === 'string' ? [files] : files;
  if (!Array.isArray(list)) {
    throw new ModswapError('ERR_MODSWAP_INVALID_ARG', `swap() expects a file or an array of files, got ${typeof files}`);
  }
  const fromFile = callerFile(swap);
  const filenames = list.map((file) => resolveOrThrow(file, fromFile, 'swap()'));
  const unique = [...new Set(filenames)];
  const loaded = unique.filter((file) => Module._cache[file] !== undefined);
  const esm = unique.filter((file) => Module._cache[file] === undefined && isKnownEsm(file));
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
  const cjs = loaded.length === 0 ? { evaluated: [] } : completed(swapFiles(loaded, {}));
  // ES modules are evaluated by import(), which is asynchronous: the result comes as a Promise.
  // So do the ES importers of swapped CommonJS files (a Promise from completed()).
  const esmSwapped = esm.length > 0 ? esmSwap().swapEsm(esm) : undefined;
  if (!(cjs instanceof Promise) && esmSwapped === undefined) return { files: loaded, evaluated: cjs.evaluated, ms: elapsed() };
  return Promise.all([cjs, esmSwapped]).then(([cjsSwapped, esmResult]) => ({
    files: [...loaded, ...(esmResult?.files ?? [])],
    evaluated: [...new Set([...cjsSwapped.evaluated, ...(esmResult?.evaluated ?? [])])],
    ms: elapsed(),
  }));
}

/**
 * `module.hot.invalidate()` swaps the module's file; a failure is a warning, or under the dev
 * server goes to its reloader (lib/hot/invalidations.js).
 */
function swapInvalidated(file) {
  const started = process.hrtime.bigint();
  settle(
    () => completed(swapFiles([file], { unaccepted: reloaderListens() ? 'refuse' : 'swap' })),
    ({ evaluated }) => invalidationSwapped([file], evaluated, Number(process.hrtime.bigint() - started) / 1e6),
    (error) => invalidationFailed(error, () => process.emitWarning(error)),
  );
}

const resourceTracker = require('../dev/resources');

/** What the current generation of `id` holds (timers, servers, sockets, listeners, …). */
function resources(id) {
  const filename = resolveOrThrow(id, callerFile(resources), 'resources()');
  return resourceTracker.resourcesOf(filename);
}

/**
 * `resourcePolicy(policy)`: what a swap does with what replaced generations started, for every
 * module ('dispose', 'warn' or 'off'); `resourcePolicy(id, policy)` for one module (null: back to
 * the default).
 */
function resourcePolicy(idOrPolicy, policy) {
  if (arguments.length < 2) return resourceTracker.setPolicy(idOrPolicy);
  const filename = resolveOrThrow(idOrPolicy, callerFile(resourcePolicy), 'resourcePolicy()');
  return resourceTracker.setPolicy(filename, policy);
}

/** Grace period and creation-stack mode of resource disposal; returns the options in force. */
function resourceOptions(options) {
  return resourceTracker.configure(options);
}

/** Runs `fn(...args)` outside every generation: what it starts survives any swap. */
function untracked(fn, ...args) {
  return resourceTracker.untracked(fn, ...args);
}

/** Resolves once every disposal started so far has finished (servers closed, processes exited). */
function resourcesSettled() {
  return resourceTracker.settled();
}

installModuleHot();
registry.requestSwap = swapInvalidated;

module.exports = { hot, hotApi, swap, resources, resourcePolicy, resourceOptions, untracked, resourcesSettled };

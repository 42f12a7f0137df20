'use strict';
// modswap: safe hot module swapping for Node.js. See index.d.ts for the documented API.
const { clear, expectString, tracker } = require('./lib/clear');
const { reload } = require('./lib/reload');
const { hot, hotApi, swap, resources, resourcePolicy, resourceOptions, untracked, resourcesSettled } = require('./lib/hot');
const { purgeNoteOf } = require('./lib/hot/service');
const { callerFile, resolveQuietly } = require('./lib/caller');
const { ModswapError } = require('./lib/errors');
const { installedWith: esmHooksInstalled } = require('./lib/esm/register');

/** lib/esm/generations.js: ES module versions exist only once the hooks are installed. */
const esmRows = () => (esmHooksInstalled() === undefined ? undefined : require('./lib/esm/generations'));

/**
 * The generation table of a module: one row per load of its file (CommonJS), or per version the
 * ESM loader loaded (ES modules).
 */
function generations(id) {
  expectString(id);
  const filename = resolveQuietly(id, callerFile(generations)) ?? id;
  const rows = tracker.generations(filename);
  return rows.length > 0 ? rows : (esmRows()?.esmGenerations(filename) ?? []);
}

/**
 * Old generations that are still alive, oldest retirement first: CommonJS ones (purged ones say
 * why they may be alive) and the ES module versions the ESM loader pins.
 */
function stale() {
  const cjs = tracker.stale().map(({ node, ...row }) => {
    const reason = purgeNoteOf(node);
    return reason === undefined ? row : { ...row, reason };
  });
  const esm = esmRows()?.esmStale(Date.now(), tracker.gcsSoFar()) ?? [];
  if (esm.length === 0) return cjs;
  // Both lists are oldest first: the older retirement is the larger age.
  return [...cjs, ...esm].sort((a, b) => b.ageMs - a.ageMs);
}

/**
 * Why each old generation (of module `id`, or of every module) is still alive: a heap snapshot
 * of this process, with the shortest retainer path of each generation, what holds it and what
 * to change. Loaded on first call: it is a debugging aid, not a start-up cost.
 */
async function explain(id, options) {
  if (id !== undefined) expectString(id);
  const filename = id === undefined ? undefined : (resolveQuietly(id, callerFile(explain)) ?? id);
  return require('./lib/explain').explainFile(filename, options ?? {});
}

/**
 * An enumerable export loaded on first read. memwatch and heap are: a process that preloads
 * modswap for hot swaps (`node -r modswap`) would otherwise load both at start-up.
 */
function lazyExport(name, load) {
  let value;
  Object.defineProperty(module.exports, name, {
    enumerable: true,
    get: () => (value ??= load()),
  });
}

module.exports.clear = clear;
module.exports.reload = reload;
module.exports.hot = hot;
module.exports.hotApi = hotApi;
module.exports.swap = swap;
module.exports.resources = resources;
module.exports.resourcePolicy = resourcePolicy;
module.exports.resourceOptions = resourceOptions;
module.exports.untracked = untracked;
module.exports.resourcesSettled = resourcesSettled;
module.exports.generations = generations;
module.exports.stale = stale;
module.exports.explain = explain;
lazyExport('memwatch', () => require('./lib/memwatch'));
lazyExport('heap', () => require('./lib/heap'));
module.exports.ModswapError = ModswapError;

'use strict';
// modswap: safe hot module swapping for Node.js. See index.d.ts for the documented API.
const { clear, expectString, tracker } = require('./lib/clear');
const { reload } = require('./lib/reload');
const { hot, hotApi, swap, resources, resourcePolicy, resourceOptions, untracked, resourcesSettled } = require('./lib/hot');
const { purgeNoteOf } = require('./lib/hot/service');
const { callerFile, resolveQuietly } = require('./lib/caller');
const { ModswapError } = require('./lib/errors');

/** The generation table of a module: one row per load of its file. */
function generations(id) {
  expectString(id);
  const filename = resolveQuietly(id, callerFile(generations)) ?? id;
  return tracker.generations(filename);
}

/** Old generations that are still alive, oldest first; purged ones say why they may be alive. */
function stale() {
  return tracker.stale().map(({ node, ...row }) => {
    const reason = purgeNoteOf(node);
    return reason === undefined ? row : { ...row, reason };
  });
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
lazyExport('memwatch', () => require('./lib/memwatch'));
lazyExport('heap', () => require('./lib/heap'));
module.exports.ModswapError = ModswapError;

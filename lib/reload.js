'use strict';
// reload(): clear a module and its importers, evaluate the new version, and either keep the
// result or put the cache back exactly as it was.
const Module = require('node:module');
const { refuseDuringReload } = require('./clear');
const { callerFile, resolveOrThrow } = require('./caller');
const { ModswapError } = require('./errors');
const { swapFiles } = require('./swap');
const { entryModule } = require('./tracker');

function normalizeOptions(options) {
  if (options === undefined || options === null) return { includeDependencies: false, allowFirstLoad: false };
  if (typeof options !== 'object') {
    throw new ModswapError(
      'ERR_MODSWAP_INVALID_OPTIONS',
      `reload options must be an object, got ${typeof options}`,
    );
  }
  const { includeDependencies = false, allowFirstLoad = false } = options;
  for (const [name, value] of [
    ['includeDependencies', includeDependencies],
    ['allowFirstLoad', allowFirstLoad],
  ]) {
    if (typeof value !== 'boolean') {
      throw new ModswapError('ERR_MODSWAP_INVALID_OPTIONS', `options.${name} must be a boolean, got ${typeof value}`);
    }
  }
  return { includeDependencies, allowFirstLoad };
}


function checkReloadable(filename) {
  // Builtins resolve to their own name; Node keeps one instance of each, outside require.cache.
  if (Module.isBuiltin(filename)) {
    throw new ModswapError(
      'ERR_MODSWAP_BUILTIN',
      `Cannot reload '${filename}': it is a Node.js builtin module (only files can be reloaded)`,
      { file: filename },
    );
  }
  if (entryModule()?.filename === filename) {
    throw new ModswapError(
      'ERR_MODSWAP_RELOAD_MAIN',
      `Cannot reload the entry module ${filename}: it is the root of the process (restart instead)`,
      { file: filename },
    );
  }
  if (filename.endsWith('.node')) {
    throw new ModswapError(
      'ERR_MODSWAP_NATIVE_ADDON',
      `Cannot reload the native addon ${filename}: Node cannot load a .node file twice`,
      { file: filename },
    );
  }
}

/**
 * A module whose first `require` has not returned (it reloads itself, or a module it is
 * requiring reloads it) would end up with two live instances: the one still evaluating, which
 * its importer then receives, and the reloaded one in the cache.
 */
function refuseWhileEvaluating(target, filename) {
  if (target && !target.loaded) {
    throw new ModswapError(
      'ERR_MODSWAP_REENTRANT',
      `Cannot reload ${filename}: it is still being evaluated (its require() has not returned); ` +
        'reload it after its first load completes',
      { file: filename },
    );
  }
}

/**
 * A file that was never loaded is not run by default: a watcher that sees an editor's temporary
 * files (or a stray script) would otherwise execute them.
 */
function notLoadedError(filename) {
  return new ModswapError(
    'ERR_MODSWAP_NOT_LOADED',
    `Cannot reload ${filename}: it is not loaded in this process, and reload() only swaps loaded ` +
      'modules (pass { allowFirstLoad: true } to load it)',
    { file: filename },
  );
}

/**
 * Replaces `id` and every module that imports it (transitively, up to the entry module or a
 * reload boundary), evaluating all of them inside the swap, and returns the new exports. On any
 * failure the cache is restored and an ERR_MODSWAP_RELOAD_FAILED error is thrown.
 */
function reload(id, options) {
  const { includeDependencies, allowFirstLoad } = normalizeOptions(options);
  const fromFile = callerFile(reload);
  const filename = resolveOrThrow(id, fromFile, 'reload()', `Cannot reload '${id}':`);
  checkReloadable(filename);
  refuseDuringReload('reload');
  const cached = fromFile ? Module._cache[fromFile] : undefined;
  const callerModule = cached instanceof Module ? cached : undefined;
  const target = Module._cache[filename];
  refuseWhileEvaluating(target, filename);
  if (!target && !allowFirstLoad) throw notLoadedError(filename);
  const scope = includeDependencies ? 'importers+dependencies' : 'importers';
  const swapped = swapFiles([filename], { scope, requirer: callerModule });
  // reload() returns the exports at once; ES importers of a CommonJS file follow asynchronously.
  swapped.esm?.catch(warnEsmFollowUp);
  return swapped.exports;
}

function warnEsmFollowUp(error) {
  process.emitWarning(error.message, { type: 'ModswapWarning', code: error.code });
}

module.exports = { reload };

'use strict';
// reload(): clear a module and its importers, evaluate the new version, and either keep the
// result or put the cache back exactly as it was.
const Module = require('node:module');
const path = require('node:path');
const { fileURLToPath } = require('node:url');
const { isModuleNamespaceObject } = require('node:util/types');
const { removeModules, refuseDuringReload, tracker } = require('./clear');
const { callerFile, resolveFrom } = require('./caller');
const { ModswapError } = require('./errors');
const resources = require('./dev/resources');

// What a replaced generation started (timers, servers, listeners…) is disposed when a reload
// commits: on by default, so tracking starts with require('modswap'); see lib/dev/resources.js.
resources.install();

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

function resolveTarget(id, fromFile) {
  if (typeof id !== 'string' || id === '') {
    throw new ModswapError('ERR_MODSWAP_INVALID_ID', `reload() expects a module id string, got ${typeof id}`);
  }
  try {
    return resolveFrom(id, fromFile);
  } catch (error) {
    const from = fromFile ? path.dirname(fromFile) : process.cwd();
    throw new ModswapError('ERR_MODSWAP_NOT_FOUND', `Cannot reload '${id}': not found from ${from}`, {
      cause: error,
      file: id,
    });
  }
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
  if (require.main && require.main.filename === filename) {
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
 * Node 20.19+ and 22+ load a `.js` file written in ESM syntax through require(esm), and its ESM
 * loader keeps the first evaluation of each URL: every later reload would return that first
 * version. Until modswap swaps ES modules, such a reload is refused (and rolled back).
 */
function refuseEsm(filename, exports) {
  if (!isModuleNamespaceObject(exports)) return;
  throw new ModswapError(
    'ERR_MODSWAP_ESM',
    `Cannot reload ${filename}: it is now an ES module (loaded through require(esm)), and modswap ` +
      "reloads CommonJS only for now; Node's ESM loader would keep serving its first version. " +
      'The previous version keeps serving.',
    { file: filename },
  );
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

/** Requires `filename` on behalf of the caller's module, so edges are tracked as usual. */
function requireFresh(filename, callerModule) {
  if (callerModule) return callerModule.require(filename);
  const exports = Module._load(filename, null, false);
  const loaded = Module._cache[filename];
  if (loaded) tracker.idOf(loaded);
  return exports;
}

/** Frames of modswap's own code (this package's index.js and lib/), never a user's location. */
const OWN_FILES = [path.join(__dirname, path.sep), path.join(__dirname, '..', 'index.js')];

/** `{ file, line, column }` of each stack frame that points into a file on disk. */
function stackFrames(stack) {
  const frames = [];
  for (const line of stack.split('\n')) {
    const match = /^\s+at (?:.*\()?(.+?):(\d+):(\d+)\)?$/.exec(line);
    if (!match) continue;
    const file = match[1].startsWith('file://') ? fileURLToPath(match[1]) : match[1];
    if (path.isAbsolute(file)) frames.push({ file, line: Number(match[2]), column: Number(match[3]) });
  }
  return frames;
}

const isUserFile = (file) => !OWN_FILES.some((own) => file === own || file.startsWith(own));

/**
 * Where the failed evaluation broke, in the user's code: the "file:line" header V8 puts on
 * SyntaxErrors raised while compiling a CommonJS module, the file Node names in a JSON parse
 * error, else the first stack frame in a user's file (Node's `node:` internals and modswap's own
 * frames skipped: a missing dependency points at the require() that asked for it).
 */
function locate(error) {
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : '';
  const header = /^(\/[^\n]*?|[A-Za-z]:\\[^\n]*?):(\d+)\n/.exec(stack);
  if (header) return { file: header[1], line: Number(header[2]) };
  const json = /^(?:SyntaxError: )?((?:\/|[A-Za-z]:\\)[^\n]*?\.json): /.exec(error instanceof Error ? error.message : '');
  if (json) return { file: json[1] };
  return stackFrames(stack).find((frame) => isUserFile(frame.file));
}

function failure(filename, error) {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const where = locate(error);
  const at = where ? ` (at ${where.file}:${where.line}${where.column ? `:${where.column}` : ''})` : '';
  const wrapped = new ModswapError('ERR_MODSWAP_RELOAD_FAILED', `Reloading ${filename} failed: ${reason}${at}`, {
    cause: error,
    file: filename,
  });
  if (where) wrapped.location = where;
  return wrapped;
}

/**
 * Clears `id` and every module that imports it (transitively, up to the entry module), then
 * requires it again and returns the new exports. On failure the cache is restored and an
 * ERR_MODSWAP_RELOAD_FAILED error is thrown.
 */
function reload(id, options) {
  const { includeDependencies, allowFirstLoad } = normalizeOptions(options);
  const fromFile = callerFile(reload);
  const filename = resolveTarget(id, fromFile);
  checkReloadable(filename);
  refuseDuringReload('reload');
  const cached = fromFile ? Module._cache[fromFile] : undefined;
  const callerModule = cached instanceof Module ? cached : undefined;
  const target = Module._cache[filename];
  refuseWhileEvaluating(target, filename);
  if (!target && !allowFirstLoad) throw notLoadedError(filename);
  tracker.prepare(target ? [target] : []);
  const mark = tracker.mark();
  const scope = includeDependencies ? 'importers+dependencies' : 'importers';
  const surgery = removeModules([filename], scope);
  tracker.openTransaction = filename;
  let exports;
  try {
    exports = requireFresh(filename, callerModule);
    refuseEsm(filename, exports);
    tracker.openTransaction = null;
    surgery.commit();
  } catch (error) {
    tracker.openTransaction = null;
    tracker.discardSince(mark);
    surgery.rollback();
    resources.afterRollback();
    throw error instanceof ModswapError && error.code === 'ERR_MODSWAP_ESM' ? error : failure(filename, error);
  }
  resources.afterCommit(surgery.retired);
  return exports;
}

module.exports = { reload };

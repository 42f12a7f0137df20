'use strict';
// ES module swaps. Node's ESM loader never evaluates a URL twice, so a swap gives the changed
// files and their importers up to the boundaries new versions (the hooks then resolve them to
// `?modswap=<version>` URLs) and imports each boundary again under its new URL:
//
//   plan (Rust, src/esm: walk up importers of the current versions, stop at boundaries)
//   -> refuse an unaccepted change                       nothing changed yet
//   -> bump the versions of every planned file           what the hooks resolve from now on
//   -> import each boundary's new URL                    evaluates the new versions; files
//                                                        outside the path resolve as before,
//                                                        so they keep their instances
//   -> commit: hot() handles serve the new namespaces
//      or roll back: versions restored (the next resolution gives the old URLs), handles keep
//      the old namespaces, the error names file and line
//
// Swaps run one at a time (a queue). Boundaries are the modules reached through hot().
const { spawnSync } = require('node:child_process');
const { fileURLToPath, pathToFileURL } = require('node:url');
const { binding, callNative } = require('../native');
const { ModswapError } = require('../errors');
const { failure, locate } = require('../failure');
const { versionedUrl: urlOf } = require('./resolve');
const { installedWith } = require('./register');
const hot = require('./hot');
const { forwardedKeyTraps } = require('../proxy-keys');
const resources = require('../dev/resources');
const { isTypeScriptFile } = require('../typescript');
const { tracker } = require('../clear');
const { invalidationSwapped, invalidationFailed } = require('../hot/invalidations');

/** Files reached through hot(): they stop the walk up to importers and are imported again. */
const boundaries = new Set();

/** The committed namespace of each boundary. */
const namespaces = new Map();

let queue = Promise.resolve();

/** Runs `task` after every swap queued before it. */
function enqueue(task) {
  const run = queue.then(task);
  queue = run.catch(() => {});
  return run;
}

function requireHooks(what) {
  if (installedWith() !== undefined) return;
  throw new ModswapError(
    'ERR_MODSWAP_ESM',
    `${what} needs modswap's ES module hooks, installed before the app's first import: ` +
      'start node with `--import modswap/register-esm.js` (or `-r modswap/register-esm`)',
  );
}

/**
 * Whether the hooks resolved `path`: as an ES module, or as a CommonJS file that an ES module
 * imports (that one is in require.cache too).
 */
const isKnownEsm = (path) => installedWith() !== undefined && callNative(() => binding.esmKnows(path));

/**
 * Imports the version of `path` the app is served: the plain URL, which the hooks resolve to the
 * committed version (a swap of `path` in flight may still roll back).
 */
const importCurrent = (path) => import(pathToFileURL(path).href);

/** Files `node --check`ed at most per failed swap (each check is a process: ~0.2 s). */
const MAX_SYNTAX_CHECKS = 8;

/**
 * `node --check` on each file until one fails: V8 keeps the location of an ES module's syntax
 * error in a private field, so the error caught from import() names neither file nor line.
 */
function locateSyntaxError(paths) {
  // `node --check` does not strip types: it would name a type annotation of a TypeScript file
  // (whose own syntax errors Node reports with file and line anyway).
  for (const path of paths.filter((file) => !isTypeScriptFile(file)).slice(0, MAX_SYNTAX_CHECKS)) {
    const checked = spawnSync(process.execPath, ['--check', path], { encoding: 'utf8', timeout: 10_000 });
    if (checked.status === 0 || typeof checked.stderr !== 'string') continue;
    const header = /^(.+?):(\d+)\n/.exec(checked.stderr);
    if (header) {
      return { file: header[1].startsWith('file:') ? fileURLToPath(header[1]) : header[1], line: Number(header[2]) };
    }
  }
  return undefined;
}

/** A SyntaxError raised while linking (a missing export): no file has bad syntax. */
const isLinkError = (error) => /does not provide an export named|ambiguous indirect export/.test(error.message);

/** The error of a failed swap: ERR_MODSWAP_RELOAD_FAILED naming the file and line. */
function esmFailure(changed, planned, error) {
  if (locate(error) === undefined && error instanceof SyntaxError && !isLinkError(error)) {
    const where = locateSyntaxError([...changed, ...planned.filter((p) => !changed.includes(p))]);
    if (where !== undefined) {
      const wrapped = new ModswapError(
        'ERR_MODSWAP_RELOAD_FAILED',
        `Reloading ${where.file} failed: ${error.name}: ${error.message} (at ${where.file}:${where.line})`,
        { cause: error, file: where.file },
      );
      wrapped.location = where;
      return wrapped;
    }
  }
  return failure(changed[0] ?? planned[0], error);
}

/** A failure import.meta.hot handlers raised: reported as it is, not as a failed evaluation. */
const isHandlerError = (error) =>
  error instanceof ModswapError && ['ERR_MODSWAP_DISPOSE_FAILED', 'ERR_MODSWAP_ACCEPT_FAILED'].includes(error.code);

/** The files a swap stops at: hot() boundaries and modules whose import.meta.hot accepts. */
const stopsOf = (notSelfAccepting) => [...new Set([...boundaries, ...hot.declaredBoundaries(notSelfAccepting)])];

/** The ERR_MODSWAP_UNACCEPTED of a plan whose walk ended without a boundary. */
function unacceptedError(plan) {
  const why =
    plan.reason === 'dependency'
      ? `reaches ${plan.root}, a package under node_modules that is never evaluated again`
      : require.cache[plan.root] !== undefined
        ? `reaches ${plan.root}, a CommonJS module that imports it and is no boundary`
        : `reaches ${plan.root}, which nothing imports, with no boundary on the way`;
  return new ModswapError(
    'ERR_MODSWAP_UNACCEPTED',
    `The change of ${plan.chain[0]} ${why} (${plan.chain.join(' <- ')}); reach it through modswap.hot() ` +
      'or accept it with import.meta.hot.accept() to swap it without a restart',
    { file: plan.chain[0] },
  );
}

/** The plan of a swap of `paths`; throws, changing nothing, when it cannot be applied. */
function acceptedPlan(paths, notSelfAccepting = new Set()) {
  const plan = callNative(() => binding.esmPlan(paths, stopsOf(notSelfAccepting)));
  if (!plan.accepted) throw unacceptedError(plan);
  hot.refuseDeclined(plan.paths);
  return plan;
}

async function runSwap(paths, { notSelfAccepting = new Set() } = {}) {
  const started = process.hrtime.bigint();
  const plan = acceptedPlan(paths, notSelfAccepting);
  if (plan.paths.length === 0) return { files: [], evaluated: [], ms: 0 };
  const changed = paths.filter((path) => plan.paths.includes(path));
  const previous = plan.paths.map((path) => callNative(() => binding.esmVersionOf(path)));
  const oldUrls = plan.paths.map((path, i) => urlOf(path, previous[i]));
  const oldStates = hot.statesOf(plan.paths);
  const pruneCandidates = hot.pruneCandidates(plan.paths);
  let versions = [];
  const fresh = new Map();
  try {
    // Disposers bottom-up (the plan lists changed files first, then their importers), before
    // the new versions evaluate; accept handlers top-down after.
    hot.setStatus('dispose');
    hot.runDisposers(plan.paths);
    resources.beforeEsmEvaluation(oldUrls);
    versions = callNative(() => binding.esmBump(plan.paths, tracker.gcsSoFar()));
    hot.setStatus('apply');
    for (const boundary of plan.boundaries) {
      fresh.set(boundary, await import(urlOf(boundary, versions[plan.paths.indexOf(boundary)])));
    }
    hot.runAcceptHandlers(plan.boundaries, fresh, oldStates);
  } catch (error) {
    callNative(() => binding.esmRestore(plan.paths, previous, tracker.gcsSoFar()));
    const failedUrls = versions.map((version, i) => urlOf(plan.paths[i], version));
    hot.rollback(plan.paths, failedUrls);
    resources.afterEsmRollback(oldUrls, failedUrls);
    const failed = isHandlerError(error) ? error : esmFailure(changed, plan.paths, error);
    // As module.hot: 'abort' when a disposer threw (nothing evaluated), 'fail' after.
    hot.setStatus(failed.code === 'ERR_MODSWAP_DISPOSE_FAILED' ? 'abort' : 'fail');
    if (failed.code !== 'ERR_MODSWAP_DISPOSE_FAILED') hot.runSelfErrorHandlers(oldStates, failed);
    throw failed;
  }
  // From here on every import resolves to the new versions, not only the swap's own.
  callNative(() => binding.esmCommit(plan.paths));
  hot.commit(plan.paths, oldStates);
  resources.afterEsmCommit(plan.paths.map((path, i) => ({ path, oldUrl: oldUrls[i], newUrl: urlOf(path, versions[i]) })));
  hot.setStatus('idle');
  hot.runPruneHandlers(pruneCandidates);
  for (const [boundary, namespace] of fresh) {
    if (boundaries.has(boundary)) namespaces.set(boundary, namespace);
  }
  return { files: changed, evaluated: plan.paths, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

/**
 * Swaps the ES modules `paths` (absolute) with their importers up to the hot() boundaries.
 * Resolves to `{ files, evaluated, ms }`; rejects with ERR_MODSWAP_UNACCEPTED (nothing changed)
 * or ERR_MODSWAP_RELOAD_FAILED (rolled back: the old versions keep serving).
 */
function swapEsm(paths) {
  requireHooks('Swapping ES modules');
  return enqueue(() => runSwap(paths));
}

/**
 * `import.meta.hot.invalidate()` of `path`: swaps it as if it had changed, bubbling to its
 * importers even when it accepts itself. A failure is a warning, or under the dev server goes to
 * its reloader (lib/hot/invalidations.js).
 */
hot.hooks.requestSwap = (path) =>
  enqueue(() => runSwap([path], { notSelfAccepting: new Set([path]) })).then(
    ({ files, evaluated, ms }) => invalidationSwapped(files, evaluated, ms),
    (error) =>
      invalidationFailed(error, () =>
        process.emitWarning(`modswap: import.meta.hot.invalidate() of ${path} failed: ${error.message}`, {
          type: 'ModswapWarning',
          code: error.code,
        }),
      ),
  );

/**
 * CommonJS files among `files` that ES modules import. The ESM loader keeps the exports it first
 * imported under each one's URL, whatever require.cache holds later: once the CommonJS engine
 * swapped such a file, its ES importers need new versions too (swapImportedCommonJs).
 */
function importedCommonJs(files) {
  if (installedWith() === undefined) return [];
  return callNative(() => binding.esmImported(files));
}

/**
 * Before the CommonJS engine swaps `files` (from importedCommonJs): throws, changing nothing,
 * when their ES importers would reach no boundary or a module that declines the change.
 */
function refuseUnswappableImporters(files) {
  acceptedPlan(files);
}

/**
 * After the CommonJS engine swapped `files` (from importedCommonJs): gives them and their ES
 * importers up to the boundaries new versions, so that every import sees the new exports.
 * Resolves like swapEsm. A failure rolls back the ES side only: the CommonJS swap is committed,
 * so the error says that the ES importers kept the exports of the previous version.
 */
function swapImportedCommonJs(files) {
  return enqueue(() => runSwap(files)).catch((error) => {
    error.message = `${files.join(', ')} swapped, but its ES importers kept the previous exports: ${error.message}`;
    throw error;
  });
}

/** ES module files the hooks resolved outside node_modules (none without the hooks). */
const knownEsmFiles = () => (installedWith() === undefined ? [] : callNative(() => binding.esmProjectFiles()));

/** The namespace hot() handles of `path` serve. */
function currentNamespace(path) {
  const namespace = namespaces.get(path);
  if (namespace === undefined) {
    throw new ModswapError('ERR_MODSWAP_NOT_LOADED', `hot('${path}'): the module is still loading`, { file: path });
  }
  return namespace;
}

/** What reads through a handle reach: a named export, else a property of the default export. */
function read(namespace, key) {
  if (Reflect.has(namespace, key)) return Reflect.get(namespace, key);
  const fallback = namespace.default;
  return fallback !== null && (typeof fallback === 'object' || typeof fallback === 'function')
    ? Reflect.get(fallback, key)
    : undefined;
}

function esmHandle(path, callable) {
  const target = callable ? function hotHandler() {} : {};
  const traps = {
    get: (_, key) => read(currentNamespace(path), key),
    has: (_, key) => Reflect.has(currentNamespace(path), key),
    ...forwardedKeyTraps(target, () => currentNamespace(path)),
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  };
  if (callable) {
    traps.apply = (_, thisArg, args) => Reflect.apply(currentNamespace(path).default, thisArg, args);
    traps.construct = (_, args) => Reflect.construct(currentNamespace(path).default, args);
  }
  return new Proxy(target, traps);
}

const handles = new Map();

/**
 * A stable handle on the ES module `path`: reads reach the current version's exports, and a
 * call calls its default export (callable when that is a function at the first hot()). `path`
 * becomes a boundary. Resolves once the module is imported.
 */
function hotEsm(path) {
  requireHooks(`hot('${path}') of an ES module`);
  boundaries.add(path);
  // Not queued behind swaps: a module evaluated by a swap may take hot() handles at its top
  // level, and the swap waits for that evaluation.
  return (async () => {
    const namespace = await importCurrent(path);
    if (!namespaces.has(path)) namespaces.set(path, namespace);
    let handle = handles.get(path);
    if (handle === undefined) {
      handle = esmHandle(path, typeof namespaces.get(path).default === 'function');
      handles.set(path, handle);
    }
    return handle;
  })();
}

module.exports = {
  swapEsm,
  hotEsm,
  isKnownEsm,
  knownEsmFiles,
  boundaries,
  importedCommonJs,
  refuseUnswappableImporters,
  swapImportedCommonJs,
};

'use strict';
// One atomic swap: replace changed files and every importer up to the reload boundaries, and
// either keep the whole result or put everything back.
//
//   plan (Rust, stopping at hot() modules, self-accepting modules and accepted edges)
//   -> refuse declined modules           nothing changed yet
//   -> dispose handlers, bottom-up       they fill `module.hot.data` for the next generation
//   -> cut the old instances out         (lib/surgery.js, every mutation recorded)
//   -> evaluate the new versions         the changed files, then each replaced module through
//                                        the importers that stay, so every importer up to the
//                                        boundary runs inside the swap
//   -> accept handlers, top-down
//   -> commit, then dispose what the replaced generations started (lib/dev/resources.js), or
//      roll back on any throw (cache, children, parents exactly as before)
const Module = require('node:module');
const { isModuleNamespaceObject } = require('node:util/types');
const { refuseDuringReload, tracker } = require('./clear');
const { Surgery, decodePlan } = require('./surgery');
const { ModswapError } = require('./errors');
const { failure } = require('./failure');
const { moduleFile, entryModule } = require('./tracker');
const { existingStateOf, declaringModules, registry, setStatus } = require('./hot/api');
const { boundaryFiles } = require('./hot/handle');
const { runDisposeHandlers, acceptFailed, reportToSelfErrorHandler } = require('./hot/handlers');
const resources = require('./dev/resources');
const { installedWith: esmHooksInstalled } = require('./esm/register');

/** lib/esm/swap.js, loaded when the ES module hooks are installed (it requires lib/esm/hot.js). */
const esmSwap = () => require('./esm/swap');
const { refuseUnloadableTypeScript } = require('./typescript');

// What a replaced generation started (timers, servers, listeners…) is disposed when a swap
// commits: on by default, so tracking starts with require('modswap'); see lib/dev/resources.js.
resources.install();

/** Listeners told of every committed swap (the resource tracker, the dev server's log). */
const committedListeners = new Set();

function currentId(filename) {
  const mod = Module._cache[filename];
  return mod !== undefined && mod !== null ? tracker.idOf(mod) : undefined;
}

/** hot() modules and self-accepting modules stop the walk; accepted edges are not crossed. */
function collectBoundaries() {
  const stopAt = [];
  const accepted = [];
  for (const file of boundaryFiles) {
    const id = currentId(file);
    if (id !== undefined) stopAt.push(id);
  }
  for (const mod of declaringModules()) {
    if (!tracker.isCurrentModule(mod)) continue;
    const state = existingStateOf(mod);
    if (state.selfAccepted) stopAt.push(tracker.idOf(mod));
    for (const file of state.acceptedDependencies.keys()) {
      const childId = currentId(file);
      if (childId !== undefined) accepted.push(tracker.idOf(mod), childId);
    }
  }
  return { stopAt, accepted };
}

function declinedError(file, by) {
  const reason = by === file ? 'it declines updates (module.hot.decline())' : `${by} declines its updates`;
  return new ModswapError('ERR_MODSWAP_DECLINED', `Cannot swap ${file}: ${reason}; restart to take it`, { file });
}

/** Whether any live module declared something through `module.hot` (most apps: none). */
const anyDeclarations = () => registry.declaring.size > 0;

/**
 * Refuses the plan when it replaces a declined module or crosses a declined edge. An importer
 * that declines a dependency refuses its update even when the importer is replaced in the same
 * swap (as webpack does): a hot() boundary that declines what it requires is one.
 */
function refuseDeclined(plan) {
  if (!anyDeclarations()) return;
  for (const id of plan.retire) {
    const mod = tracker.moduleOf(id);
    if (mod !== undefined && existingStateOf(mod)?.selfDeclined) throw declinedError(moduleFile(mod), moduleFile(mod));
  }
  for (let i = 0; i < plan.cuts.length; i += 2) {
    const parent = tracker.moduleOf(plan.cuts[i]);
    const child = tracker.moduleOf(plan.cuts[i + 1]);
    if (parent === undefined || child === undefined || !tracker.isCurrentModule(parent)) continue;
    if (existingStateOf(parent)?.declinedDependencies.has(moduleFile(child))) {
      throw declinedError(moduleFile(child), moduleFile(parent));
    }
  }
}

/**
 * Retired CommonJS modules that ES modules import. The ESM loader pinned the exports those
 * importers got: they are swapped to new versions after the commit (lib/esm/swap.js), and a
 * change they cannot take (no boundary, a declining module) is refused before anything runs.
 */
function esmImportedFiles(plan) {
  if (esmHooksInstalled() === undefined) return [];
  const files = [];
  for (const id of plan.retire) {
    const mod = tracker.moduleOf(id);
    if (mod !== undefined) files.push(moduleFile(mod));
  }
  const imported = esmSwap().importedCommonJs(files);
  if (imported.length > 0) esmSwap().refuseUnswappableImporters(imported);
  return imported;
}

/**
 * For the dev server: a change that reaches the entry module with no boundary on the way would
 * leave the entry running the old version, so it is refused (the runner restarts instead).
 */
function refuseUnaccepted(plan, boundaries) {
  const main = entryModule();
  if (!main) return;
  const mainId = tracker.idOf(main);
  const stopAt = new Set(boundaries.stopAt);
  const accepted = new Set();
  for (let i = 0; i < boundaries.accepted.length; i += 2) {
    if (boundaries.accepted[i] === mainId) accepted.add(boundaries.accepted[i + 1]);
  }
  for (let i = 0; i < plan.cuts.length; i += 2) {
    const child = plan.cuts[i + 1];
    if (plan.cuts[i] !== mainId || !plan.retired.has(child)) continue;
    // The entry reaches a boundary (a hot() handle, a self-accepting module) or handles it.
    if (stopAt.has(child) || accepted.has(child)) continue;
    const childModule = tracker.moduleOf(child);
    const file = childModule === undefined ? '?' : moduleFile(childModule);
    throw new ModswapError(
      'ERR_MODSWAP_UNACCEPTED',
      `The change reaches the entry module ${moduleFile(main)} through ${file} with no boundary on the way ` +
        '(use modswap.hot() or module.hot.accept() there to swap it without a restart)',
      { file },
    );
  }
}

/** Calls `fn(parent, child)` for every cut whose parent stays current. */
function forEachCut(plan, fn) {
  for (let i = 0; i < plan.cuts.length; i += 2) {
    if (plan.retired.has(plan.cuts[i])) continue;
    const parent = tracker.moduleOf(plan.cuts[i]);
    const child = tracker.moduleOf(plan.cuts[i + 1]);
    if (parent !== undefined && child !== undefined && tracker.isCurrentModule(parent)) fn(parent, child);
  }
}

/** Runs the dispose handlers of the replaced modules, bottom-up; `data` goes to the next ones. */
function runDisposers(plan) {
  if (!anyDeclarations()) return;
  for (const id of plan.retire) {
    const mod = tracker.moduleOf(id);
    const state = mod === undefined ? undefined : existingStateOf(mod);
    if (state === undefined) continue;
    const data = {};
    runDisposeHandlers(state.disposeHandlers, data, moduleFile(mod));
    registry.pendingData.set(moduleFile(mod), data);
  }
}

/** Requires `filename` on behalf of `requirer` (or as a top-level load), tracking the edge. */
function requireOnBehalf(filename, requirer) {
  if (requirer) return requirer.require(filename);
  const exports = Module._load(filename, null, false);
  const loaded = Module._cache[filename];
  if (loaded) tracker.idOf(loaded);
  return exports;
}

/**
 * Evaluates every replaced module that a staying module imported, through that module (which
 * re-establishes its edge to the new version), and collects the accept handlers to run.
 */
function evaluateImporters(plan) {
  const acceptCalls = [];
  forEachCut(plan, (parent, child) => {
    const file = moduleFile(child);
    requireOnBehalf(file, parent);
    const accepted = existingStateOf(parent)?.acceptedDependencies.get(file);
    if (accepted !== undefined) acceptCalls.push({ parent, file, ...accepted });
  });
  return acceptCalls;
}

/** Accept handlers, top-down: those of the importers found last in the walk run first. */
function runAcceptHandlers(acceptCalls) {
  for (const { parent, file, callback, errorHandler } of acceptCalls.reverse()) {
    if (callback === undefined) continue;
    try {
      callback([file]);
    } catch (error) {
      if (errorHandler === undefined) throw acceptFailed(moduleFile(parent), file, error);
      errorHandler(error, { moduleId: moduleFile(parent), dependencyId: file });
    }
  }
}

/**
 * Node 20.19+ and 22+ load a `.js` file written in ESM syntax through require(esm), and its ESM
 * loader keeps the first evaluation of each URL: every later reload would return that first
 * version. Until modswap swaps ES modules, such a swap is refused (and rolled back).
 */
function refuseEsm(filename, exports) {
  if (!isModuleNamespaceObject(exports)) return;
  throw new ModswapError(
    'ERR_MODSWAP_ESM',
    `Cannot reload ${filename}: it is now an ES module (loaded through require(esm)), and ${REQUIRED_ESM_IS_PINNED}. ` +
      'The previous version keeps serving.',
    { file: filename },
  );
}

const REQUIRED_ESM_IS_PINNED =
  "Node's loader keeps the first version of an ES module loaded with require() for the life of the process " +
  "(require() cannot load a new version); load it with import() behind modswap.hot() (`await modswap.hot('./x.mjs')`) " +
  'to swap it, or restart to take the change';

/** The first cached module whose `children` hold `mod` (who required it), if any. */
const requirerOf = (mod) =>
  Object.values(Module._cache).find((parent) => parent && Array.isArray(parent.children) && parent.children.includes(mod));

/**
 * A retired module that is an ES module loaded through require(esm) (Node 20.19+, 22.12+): its
 * file can never evaluate again under require(), so the swap is refused before anything runs.
 */
function refuseRequiredEsm(plan) {
  for (const id of plan.retire) {
    const mod = tracker.moduleOf(id);
    if (mod === undefined || !isModuleNamespaceObject(mod.exports)) continue;
    const file = moduleFile(mod);
    const requirer = requirerOf(mod);
    throw new ModswapError(
      'ERR_MODSWAP_ESM',
      `Cannot swap ${file}: ${requirer ? `${moduleFile(requirer)} loads it with require()` : 'it was loaded with require()'}, and ${REQUIRED_ESM_IS_PINNED}`,
      { file },
    );
  }
}

const isOwnError = (error) =>
  error instanceof ModswapError &&
  ['ERR_MODSWAP_ESM', 'ERR_MODSWAP_DISPOSE_FAILED', 'ERR_MODSWAP_ACCEPT_FAILED'].includes(error.code);

/**
 * Swaps `filenames` (absolute paths; the first is evaluated first, on behalf of `requirer`) and
 * returns `{ exports, retired, evaluated }`: the first file's new exports, the replaced
 * instances, and the files evaluated inside the swap. `unaccepted: 'refuse'` refuses a swap
 * that would reach the entry module (ERR_MODSWAP_UNACCEPTED) before anything changes.
 */
function swapFiles(filenames, { scope = 'importers', requirer, unaccepted = 'swap' } = {}) {
  refuseDuringReload('reload');
  for (const file of filenames) refuseUnloadableTypeScript(file, 'Cannot swap');
  const entry = entryModule();
  if (unaccepted === 'refuse' && entry && filenames.includes(entry.filename)) {
    throw new ModswapError('ERR_MODSWAP_UNACCEPTED', `${entry.filename} is the entry module: it cannot be swapped`, {
      file: entry.filename,
    });
  }
  const targets = filenames.map((file) => Module._cache[file]).filter((mod) => mod !== undefined && mod !== null);
  const rootIds = tracker.prepare(targets);
  const boundaries = collectBoundaries();
  const encoded = tracker.planClear(rootIds, scope, boundaries);
  const plan = decodePlan(encoded);
  plan.retired = new Set(plan.retire);
  refuseDeclined(plan);
  refuseRequiredEsm(plan);
  const esmImported = esmImportedFiles(plan);
  if (unaccepted === 'refuse') refuseUnaccepted(plan, boundaries);
  const mark = tracker.mark();
  setStatus('dispose');
  try {
    runDisposers(plan);
  } catch (error) {
    setStatus('abort');
    throw error;
  }
  const surgery = new Surgery(tracker).applyPlan(plan);
  tracker.openTransaction = filenames[0];
  setStatus('apply');
  try {
    const exports = requireOnBehalf(filenames[0], requirer);
    refuseEsm(filenames[0], exports);
    for (const file of filenames.slice(1)) if (!Module._cache[file]) requireOnBehalf(file, undefined);
    runAcceptHandlers(evaluateImporters(plan));
    tracker.openTransaction = null;
    const retired = surgery.retired.map(([, mod]) => mod);
    surgery.commit();
    setStatus('idle');
    resources.afterCommit(surgery.retired);
    notifyCommitted(retired);
    const evaluated = retired.map(moduleFile);
    if (esmImported.length === 0) return { exports, retired, evaluated };
    return { exports, retired, evaluated, esm: esmSwap().swapImportedCommonJs(esmImported) };
  } catch (error) {
    tracker.openTransaction = null;
    tracker.discardSince(mark);
    surgery.rollback();
    resources.afterRollback();
    for (const id of plan.retire) {
      const mod = tracker.moduleOf(id);
      if (mod !== undefined) registry.pendingData.delete(moduleFile(mod));
    }
    setStatus('fail');
    const failed = isOwnError(error) ? error : failure(filenames[0], error);
    runSelfErrorHandlers(plan, failed);
    throw failed;
  }
}

/** After a rolled-back swap: `accept(errorHandler)` of each self-accepting module it would have replaced. */
function runSelfErrorHandlers(plan, error) {
  if (!anyDeclarations()) return;
  for (const id of plan.retire) {
    const mod = tracker.moduleOf(id);
    const handler = mod === undefined ? undefined : existingStateOf(mod)?.selfAccepted;
    if (typeof handler === 'function') reportToSelfErrorHandler(handler, error, moduleFile(mod));
  }
}

function notifyCommitted(retired) {
  for (const listener of committedListeners) listener(retired);
}

/**
 * What swapFiles() did, once all of it is done: `swapped` itself, or when ES modules import some
 * of the swapped files, a Promise of it resolved once their ES importers took new versions too
 * (their files added to `evaluated`).
 */
function completed(swapped) {
  if (swapped.esm === undefined) return swapped;
  return swapped.esm.then((esm) => ({
    ...swapped,
    esm: undefined,
    evaluated: [...new Set([...swapped.evaluated, ...esm.evaluated])],
  }));
}

/**
 * Runs `swap()` (a swap's result, or a Promise of one) and hands the result to `done` or the
 * error to `failed`: at once when the swap was synchronous (a CommonJS one), else once it settles.
 */
function settle(swap, done, failed) {
  let result;
  try {
    result = swap();
  } catch (error) {
    return failed(error);
  }
  return result instanceof Promise ? result.then(done, failed) : done(result);
}

module.exports = { swapFiles, completed, settle, committedListeners };

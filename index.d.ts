// Type definitions for modswap (handwritten; the generated binding types live in binding.d.ts).
import type { EventEmitter } from 'node:events';

/** An error thrown by modswap. */
export declare class ModswapError extends Error {
  name: 'ModswapError';
  /**
   * Stable error code:
   * - `ERR_MODSWAP_RELOAD_FAILED`: evaluating the new version threw; `cause` holds the original
   *   error and the cache was restored as it was before the call.
   * - `ERR_MODSWAP_NOT_FOUND`: the id could not be resolved from the calling file.
   * - `ERR_MODSWAP_RELOAD_MAIN`: the entry module cannot be reloaded.
   * - `ERR_MODSWAP_NATIVE_ADDON`: `.node` addons cannot be reloaded.
   * - `ERR_MODSWAP_BUILTIN`: Node's builtin modules (`fs`, `node:fs`, …) cannot be reloaded.
   * - `ERR_MODSWAP_NOT_LOADED`: `reload` of a file this process has not loaded (nothing is run;
   *   see `allowFirstLoad`).
   * - `ERR_MODSWAP_ESM`: the file is (or now loads as) an ES module loaded through
   *   `require(esm)`, which Node never evaluates again under `require()`; load it with
   *   `import()` behind `hot()` to swap it. Nothing changed: the old version keeps serving.
   * - `ERR_MODSWAP_INVALID_ID`, `ERR_MODSWAP_INVALID_OPTIONS`: bad arguments; nothing changed.
   * - `ERR_MODSWAP_TYPESCRIPT`: a `.ts`/`.mts`/`.cts` file this Node cannot load (it does not
   *   strip types and no TypeScript loader is registered); nothing changed.
   * - `ERR_MODSWAP_REENTRANT`: `reload`/`clear` called while a reload evaluates new code, or
   *   `reload` of a module that is still being evaluated (its first `require` has not returned).
   * - `ERR_MODSWAP_NATIVE_MISSING`, thrown by `require('modswap')`: no native binary could be
   *   loaded for this machine: the platform has no prebuilt package, its package
   *   (`packageName`) was left out (`npm install --omit=optional`), or it failed to load; in a
   *   checkout of the sources, the addon is not built. The message says which, and how to build
   *   from source. `ERR_MODSWAP_NATIVE_MISMATCH`: the addon was built from other sources
   *   (rebuild with `npm run build`).
   * - `ERR_MODSWAP_INTERNAL`, `ERR_MODSWAP_BAD_EVENTS`: a bug in modswap; please report it.
   */
  code: string;
  /** The module concerned, when there is one (absolute path or the id as given). */
  file?: string;
  /**
   * For `ERR_MODSWAP_RELOAD_FAILED`: where evaluation broke, from the SyntaxError header or the
   * first stack frame (may be a dependency the new version loaded).
   */
  location?: { file: string; line: number; column?: number };
  /** For `ERR_MODSWAP_NATIVE_MISSING` outside a source checkout: `process.platform`. */
  platform?: string;
  /** For `ERR_MODSWAP_NATIVE_MISSING` outside a source checkout: `process.arch`. */
  arch?: string;
  /** For `ERR_MODSWAP_NATIVE_MISSING` on Linux: the C library Node runs on. */
  libc?: 'glibc' | 'musl' | null;
  /** For `ERR_MODSWAP_NATIVE_MISSING`: the platform package looked for, e.g. `modswap-linux-x64-musl`. */
  packageName?: string;
  cause?: unknown;
}

/** Options of {@link reload}. */
export interface ReloadOptions {
  /**
   * Also re-execute the module's dependencies (its whole `children` subtree, `node_modules`
   * included) and clear importers that live under `node_modules`. Default `false`: packages in
   * `node_modules` stay singletons across reloads, so a package that imports the file keeps its
   * version of it; a later reload with `includeDependencies: true` clears such a package too
   * (every current module still holding an older live version of the file) and repairs the split.
   */
  includeDependencies?: boolean;
  /**
   * Load the module if it is not loaded in this process yet. Default `false`: such a call throws
   * `ERR_MODSWAP_NOT_LOADED` and runs nothing.
   */
  allowFirstLoad?: boolean;
}

/**
 * One load of a file: of a CommonJS module, one instance in (or once in) `require.cache`; of an
 * ES module under modswap's hooks, one version the ESM loader loaded (version 0, the plain URL,
 * is generation 1; each swap that reached the file adds one).
 */
export interface Generation {
  /** 1 for the first load of the file, then 2, 3, … */
  generation: number;
  /**
   * When the instance was loaded, in ms since the Unix epoch. For modules loaded before
   * modswap was first required, when modswap first saw them. For an ES module version, when the
   * hooks first resolved it (the loader loads it right after).
   */
  loadedAt: number;
  /**
   * `'current'`: the instance in `require.cache`. `'old'`: removed from the cache but still
   * alive: its `Module` object, its exports or a function among its exports' own properties
   * (`app.use(require('./router'))` keeps the old router function, and through its closures what
   * it imported). `'collected'`: V8 garbage-collected all of these (observed with a
   * FinalizationRegistry, so the state changes shortly after the GC, once its callbacks have
   * run). Exports that are a dependency's exports (`module.exports = require('./config')`) do
   * not count: they are the dependency's.
   * `'pinned'` (ES modules only): a version a swap replaced, or the version of a failed swap.
   * Node's ESM loader keeps every module it loaded for the life of the process, so a pinned
   * version is never collected: its code and top-level variables stay, except what its
   * `import.meta.hot.dispose()` handler released (set to null, closed). The current version is
   * `'current'`; ES modules have no `'old'` or `'collected'` rows.
   */
  state: 'current' | 'old' | 'collected' | 'pinned';
  /**
   * How many generations the row stands for: 1, except for one row per file that folds the
   * collected generations older than the 100 newest collected ones (its `generation` and
   * `loadedAt` are the first's). So a file reloaded 60,000 times has about 102 rows, and the
   * sum of `count` over the rows is the number of loads. Always 1 for ES modules (pinned rows
   * are never folded).
   */
  count: number;
  /**
   * `true` on the version of a failed ES module swap (rolled back): the loader keeps it, with
   * whatever it evaluated before it failed. Absent otherwise.
   */
  failed?: true;
}

/** An old generation that is still alive: a CommonJS one not collected yet, or a pinned ES module version. */
export interface StaleGeneration {
  /** Absolute path of the module. */
  file: string;
  generation: number;
  /** Milliseconds since it left `require.cache` (ES module: since the swap that replaced it or failed). */
  ageMs: number;
  /** Garbage collections that ran since then. */
  gcsSurvived: number;
  /**
   * For a generation purged under the two-generations rule (a third generation of its file was
   * swapped in): what the purge found, e.g. `'purged when a third generation loaded; 1 call(s)
   * still running on it: GET /slow'`. For a pinned ES module version: that the ESM loader keeps
   * it for the life of the process, what stays and what a disposer can release (and, for a
   * failed swap's version, that it is one). Absent otherwise.
   */
  reason?: string;
  /**
   * `true` on an ES module version (state `'pinned'` in {@link generations}): it is never
   * collected, so it stays in this list for the life of the process. Absent otherwise.
   */
  pinned?: true;
}

/** The clear-module API, cutting every reference Node keeps to the removed modules. */
export interface Clear {
  /**
   * Removes `id` and, recursively, the modules it loaded from `require.cache`, and cuts them
   * from the `children` array of every module that required them and from the `parent` pointer
   * of kept children. `id` is an absolute path or a specifier resolved from the calling file.
   * An id that cannot be resolved or is not cached is a no-op. Native addons are never removed.
   * @throws TypeError when `id` is not a string.
   */
  (id: string): void;
  /** Clears every cached module except native addons and the entry module. */
  all(): void;
  /** Clears every cached module whose absolute path matches `regex`, with its subtree. */
  match(regex: RegExp): void;
  /** Clears `id` alone (not its children), still cutting every reference to it. */
  single(id: string): void;
}

export declare const clear: Clear;

/**
 * Reloads a CommonJS module and returns its new exports.
 *
 * Clears the module and every module that imports it, transitively, up to but not including the
 * entry module (importers under `node_modules` stay unless `includeDependencies`), then requires
 * it again on behalf of the calling module. Cleared importers are evaluated afresh on their next
 * `require`. Dependencies of the module stay cached unless `includeDependencies` is set.
 *
 * When the caller imports the module itself, the caller is cleared as an importer; the new
 * module's `module.parent` is the caller while it evaluates and `null` after the call returns
 * (the cleared caller must not be kept alive by it).
 *
 * A module that requires through `createRequire(__filename)` (or a helper given its
 * `__filename`) imports what it requires that way and is cleared with it. A `createRequire` for
 * a file that has no cached module is no module: its edges to what is reloaded are cut, and its
 * next `require` gets the new version.
 *
 * A module that is not loaded in this process is refused with `ERR_MODSWAP_NOT_LOADED` and not
 * run (a file watcher that sees an editor's temporary files would otherwise execute them);
 * `{ allowFirstLoad: true }` loads it as generation 1.
 *
 * Old versions become collectable when the current job ends: many reloads in one synchronous
 * loop keep their old versions alive until the loop's code returns (V8 keeps `WeakRef` targets
 * alive until the end of the job).
 *
 * @throws {ModswapError} `ERR_MODSWAP_RELOAD_FAILED` when the new version throws while loading
 *   (syntax error, exception); `require.cache`, every `children` array and `parent` pointer are
 *   then exactly as before the call. `ERR_MODSWAP_NOT_FOUND`, `ERR_MODSWAP_RELOAD_MAIN`,
 *   `ERR_MODSWAP_NATIVE_ADDON`, `ERR_MODSWAP_BUILTIN`, `ERR_MODSWAP_ESM` (rolled back), `ERR_MODSWAP_NOT_LOADED`, `ERR_MODSWAP_INVALID_ID`, `ERR_MODSWAP_INVALID_OPTIONS`,
 *   `ERR_MODSWAP_REENTRANT` before anything changed.
 */
export declare function reload<T = any>(id: string, options?: ReloadOptions): T;

/**
 * Every generation of a module, oldest first (`[]` for a file never loaded): the CommonJS
 * instances of the file or, for an ES module under modswap's hooks, every version the ESM loader
 * loaded. `id` is resolved like {@link clear}'s; an absolute path of a deleted file still works.
 */
export declare function generations(id: string): Generation[];

/**
 * A stand-in for the exports of `id` that always reaches the current generation: a function for
 * a function export (calls go to the current version; `length`, `name` and other properties are
 * read from it), an object proxy for an object export (reads, writes and key listings reach the
 * current exports). `app.use(modswap.hot('./routes'))` keeps serving the newest routes without
 * registering again; a call in flight finishes on the version it started with.
 *
 * `id` (resolved from the calling file, loaded on its behalf if needed) becomes a reload
 * boundary: a change below it replaces modules up to it and stops there; modules above it are
 * not evaluated again. One handle per file.
 *
 * @throws {ModswapError} `ERR_MODSWAP_NOT_FOUND` when `id` does not resolve (the message names
 *   the id and the calling file; `file` is the id as given), `ERR_MODSWAP_INVALID_ARG` when its
 *   exports are neither a function nor an object, `ERR_MODSWAP_TYPESCRIPT` for a TypeScript file
 *   this Node cannot load.
 *   Calling a handle whose module was cleared and not loaded again throws `ERR_MODSWAP_NOT_LOADED`.
 *
 * With modswap's ES module hooks installed (`node --import modswap/register-esm.js`), an ES
 * module (`.mjs`, or `.js` under `"type": "module"`; `.mts` and `.ts` likewise where Node
 * strips types) gives a **Promise** of its handle: reads reach the current version's named
 * exports (else its default export's properties), and the handle is callable when the default
 * export is a function.
 */
export declare function hot<T extends object = any>(id: string): T;

/** What a swap did. */
export interface SwapResult {
  /** The loaded files among those asked for (absolute paths); others were skipped, not run. */
  files: string[];
  /** Every file evaluated inside the swap: the changed ones and their importers up to the boundaries. */
  evaluated: string[];
  /** Wall time of the swap in milliseconds. */
  ms: number;
}

/**
 * Swaps changed files in one atomic step, as `reload()` does for one file: each file and its
 * importers up to their boundaries are evaluated inside the swap, and any throw (a syntax error,
 * an importer that throws, a dispose or accept handler) rolls all of it back. For deploy tools
 * that copy new code and then ask the process to take it. Files not loaded are skipped.
 *
 * @throws {ModswapError} `ERR_MODSWAP_RELOAD_FAILED`, `ERR_MODSWAP_DECLINED`,
 *   `ERR_MODSWAP_DISPOSE_FAILED`, `ERR_MODSWAP_ACCEPT_FAILED` (nothing changed),
 *   `ERR_MODSWAP_NOT_FOUND`, `ERR_MODSWAP_INVALID_ARG`, `ERR_MODSWAP_TYPESCRIPT` (a TypeScript
 *   file this Node cannot load).
 *
 * With modswap's ES module hooks installed, ES modules among `files` are swapped by importing
 * their boundaries again, and the result comes as a **Promise** (rejected with
 * `ERR_MODSWAP_RELOAD_FAILED` after a rollback, or `ERR_MODSWAP_UNACCEPTED`). So does a swap of a
 * CommonJS file that ES modules import: once the CommonJS side is swapped, the file and its ES
 * importers up to their boundaries get new versions (Node's ESM loader keeps the exports it
 * first imported under the plain URL). An ES module loaded with `require()` cannot be evaluated
 * again: its swap is refused with `ERR_MODSWAP_ESM`, naming the requirer.
 */
export declare function swap(files: string | string[]): SwapResult;

/** Something a module generation started and still holds. */
export interface HeldResource {
  kind: 'timeout' | 'interval' | 'immediate' | 'server' | 'socket' | 'watcher' | 'child-process' | 'worker' | 'listener';
  /** e.g. `'setInterval 1000ms'`, `'http server 127.0.0.1:3000'`, `"listener process 'SIGTERM'"`. */
  description: string;
  /** Creation stack: always for servers, watchers, child processes and workers; for timers, sockets and listeners under policy 'warn'. */
  stack?: string;
}

/**
 * What the current generation of `id` holds: what it started while it loaded or from any
 * callback descending from it (async context), still running. When a swap replaces a generation,
 * what it holds is disposed per `resourcePolicy`: timers cleared, servers stop accepting and close
 * once their requests end (5 s grace), sockets ended, watchers closed, child processes SIGTERMed,
 * workers terminated, listeners it added to `process` or to other generations' emitters removed.
 */
export declare function resources(id: string): HeldResource[];

/**
 * What a swap does with what a replaced generation holds: `'dispose'` (default), `'warn'` (leave
 * it running, `MODSWAP_RESOURCES_LEFT` warning with creation stacks) or `'off'`. With one argument,
 * for every module; with an id, for that module (`null` removes the override).
 * @throws {ModswapError} `ERR_MODSWAP_INVALID_OPTIONS` for another value.
 */
export declare function resourcePolicy(policy: 'dispose' | 'warn' | 'off'): void;
export declare function resourcePolicy(id: string, policy: 'dispose' | 'warn' | 'off' | null): void;

/** Options of resource disposal. */
export interface ResourceOptions {
  /**
   * How long a replaced generation's servers may drain, its ended sockets close and its SIGTERMed
   * child processes exit before they are destroyed or SIGKILLed, in ms (default 5000). Erlang's
   * purge (a third generation loads) does not wait for it.
   */
  gracePeriodMs?: number;
  /**
   * `'auto'` (default): creation stacks of timers, sockets and listeners only under policy
   * `'warn'`; `'always'`: for every one (a stack capture per timer, ~10 µs).
   */
  stacks?: 'auto' | 'always';
}

/**
 * Sets resource disposal options (omitted fields keep their value) and returns those in force.
 * @throws {ModswapError} `ERR_MODSWAP_INVALID_OPTIONS` for a negative or non-numeric
 *   `gracePeriodMs` or another `stacks` value; nothing is changed then.
 */
export declare function resourceOptions(options?: ResourceOptions): Required<ResourceOptions>;

/**
 * Runs `fn(...args)` outside every module generation: what it starts, and every callback
 * descending from it, belongs to no generation and survives every swap. For shared objects
 * created lazily (a connection pool first used by a module that is reloaded later).
 * @throws {ModswapError} `ERR_MODSWAP_INVALID_OPTIONS` when `fn` is not a function.
 */
export declare function untracked<Args extends unknown[], R>(fn: (...args: Args) => R, ...args: Args): R;

/** Resolves once every disposal started so far has finished (servers closed, processes exited, or the grace period ended). */
export declare function resourcesSettled(): Promise<void>;

/** Status of the hot-swap runtime, as in webpack. */
export type HotStatus = 'idle' | 'check' | 'prepare' | 'ready' | 'dispose' | 'apply' | 'abort' | 'fail';

/**
 * webpack's `module.hot` API for a CommonJS module (every module has it as `module.hot`).
 * Order of a swap: dispose handlers bottom-up (before the new code runs), new code evaluated,
 * accept handlers top-down. A throwing dispose or accept handler stops the swap with
 * `ERR_MODSWAP_DISPOSE_FAILED` / `ERR_MODSWAP_ACCEPT_FAILED`, the cache is rolled back and the
 * old version keeps serving (dispose handlers that already ran are not undone).
 */
/** What `module.hot` and `import.meta.hot` share: dispose-handler aliases and the swap status. */
export interface HotHandlers {
  /** `dispose(handler)`'s webpack name. */
  addDisposeHandler(handler: (data: Record<string, any>) => void): void;
  removeDisposeHandler(handler: (data: Record<string, any>) => void): void;
  /** The process-wide swap status, shared by `module.hot` and `import.meta.hot`. */
  status(): HotStatus;
  addStatusHandler(handler: (status: HotStatus) => void): void;
  removeStatusHandler(handler: (status: HotStatus) => void): void;
}

export interface HotApi extends HotHandlers {
  /** What the previous generation's dispose handlers stored; `undefined` in the first one. */
  readonly data: Record<string, any> | undefined;
  /**
   * Self-accept: this module is replaced on change, its importers are not (a boundary).
   * `errorHandler` hears of a failed update of this module, after the rollback (the version
   * still serving gets the swap's error; a throw is only a warning).
   */
  accept(errorHandler?: (error: unknown, info: { moduleId: string }) => void): void;
  /**
   * This module handles updates of `dependencies` (ids resolved from it) in `callback`, which
   * runs after they were replaced; this module stays. `errorHandler` receives a throw of
   * `callback` (the swap then goes on).
   */
  accept(
    dependencies: string | string[],
    callback?: (updated: string[]) => void,
    errorHandler?: (error: unknown, info: { moduleId: string; dependencyId: string }) => void,
  ): void;
  /**
   * This module (or updates of `dependencies`, also in a swap that replaces this module too)
   * cannot be swapped: `ERR_MODSWAP_DECLINED`, and `modswap run` restarts the app.
   */
  decline(dependencies?: string | string[]): void;
  /** Runs `handler(data)` before this generation is replaced; `data` is the next one's `module.hot.data`. */
  dispose(handler: (data: Record<string, any>) => void): void;
  /** Replaces this module as if its file had changed, on the next turn of the event loop. */
  invalidate(): void;
}

/** `module.hot` of a module, for code that does not want to touch `module`. */
export declare function hotApi(module: NodeModule | NodeJS.Module): HotApi;

/**
 * `import.meta.hot` of an ES module modswap versions (a project file, under modswap's ES module
 * hooks): Vite's/webpack's API, with the semantics and order of `module.hot`.
 */
export interface ImportMetaHot extends HotHandlers {
  /**
   * Persists across versions: what this version and its dispose handlers store, the next version
   * reads (`{}` for the first).
   */
  readonly data: Record<string, any>;
  /**
   * Self-accept: this module is a boundary (its importers are not evaluated again). `callback`
   * gets the new version's namespace after it evaluated; a throw rolls the swap back
   * (`ERR_MODSWAP_ACCEPT_FAILED`) unless `errorHandler` takes it (the swap then commits).
   * `errorHandler` also hears of a failed update of this module (evaluation, accept), after the
   * rollback: the version still serving gets the swap's error (a throw is only a warning).
   * Unlike webpack's `module.hot.accept(errorHandler)`, a lone function is Vite's `callback`.
   */
  accept(
    callback?: (newModule: Record<string, any>) => void,
    errorHandler?: (error: unknown, info: { moduleId: string }) => void,
  ): void;
  /**
   * Handles updates of `dependency` (a specifier resolved from this module): it stays.
   * `errorHandler` takes a throw of `callback` (the swap goes on; its own throw rolls it back).
   */
  accept(
    dependency: string,
    callback: (newModule: Record<string, any> | undefined) => void,
    errorHandler?: (error: unknown, info: { moduleId: string; dependencyId: string }) => void,
  ): void;
  /** Handles updates of `dependencies`; `callback` gets their namespaces (undefined: not updated). */
  accept(
    dependencies: readonly string[],
    callback: (newModules: Array<Record<string, any> | undefined>) => void,
    errorHandler?: (error: unknown, info: { moduleId: string; dependencyId: string }) => void,
  ): void;
  /**
   * A swap that would replace this module, or with `dependencies` one of those (specifiers
   * resolved from this module), is refused (`ERR_MODSWAP_DECLINED`; the runner restarts).
   */
  decline(dependencies?: string | readonly string[]): void;
  /**
   * Runs `handler(data)` before this version is replaced, bottom-up; a throw rolls the swap back
   * (`ERR_MODSWAP_DISPOSE_FAILED`).
   */
  dispose(handler: (data: Record<string, any>) => void): void;
  /** Runs `handler(data)` after a swap whose new versions no longer import this module. */
  prune(handler: (data: Record<string, any>) => void): void;
  /**
   * Swaps this module again on the next turn, bubbling to its importers even when it
   * self-accepts. A failure is a `ModswapWarning`; under `modswap run` it is handled as a saved
   * file's (a restart, or the old version kept and logged).
   */
  invalidate(): void;
}

declare global {
  interface ImportMeta {
    /** modswap's `import.meta.hot`; undefined without modswap's ES module hooks, and in node_modules. */
    hot?: ImportMetaHot;
  }
  interface NodeModule {
    /** modswap's `module.hot` (webpack's API); present once modswap is loaded. */
    hot?: HotApi;
  }
  namespace NodeJS {
    interface Module {
      /** modswap's `module.hot` (webpack's API); present once modswap is loaded. */
      hot?: HotApi;
    }
  }
}

/**
 * Old generations that are still alive, oldest retirement first: CommonJS generations not
 * collected yet and every pinned ES module version (`pinned: true`).
 */
export declare function stale(): StaleGeneration[];

/**
 * How an old generation is held, read off its retainer path (the most specific that applies):
 * `'timer'` a Timeout or Immediate on the path; `'process-listener'` / `'listener'` an
 * emitter's `_events` (process's or another's); `'children'` a Module modswap does not track
 * lists it in `children`; `'first-parent'` a module modswap did not re-point names it as its
 * parent; `'last-parent'` Node >= 22's record of the module that required it last; `'package'` something under node_modules; `'captured-exports'` a module that was not
 * reloaded keeps its exports; `'other'` none of these.
 */
export type HolderKind =
  | 'timer'
  | 'process-listener'
  | 'listener'
  | 'children'
  | 'first-parent'
  | 'last-parent'
  | 'package'
  | 'captured-exports'
  | 'other';

/** One old generation found alive in the snapshot, with what holds it. */
export interface ExplainedGeneration {
  /** Absolute path of the module. */
  file: string;
  /** Its generation number (as in {@link generations}); 0 when the snapshot's marker had none yet. */
  generation: number;
  /** Which of its values the path leads to: the Module object, its exports, or one exported function. */
  held: 'module' | 'exports' | 'export';
  /** The export's name when `held` is `'export'`. */
  exportName?: string;
  /** From a GC root to the held value (the shortest path to any of the generation's values). */
  path: ExplainedStep[];
  /** `path` on one line: `(GC roots) → … → Timeout._onTimeout → … → Module(/app/x.js #3)`. */
  pathText: string;
  /** The step of `path` that holds the generation, and what kind of holder it is. */
  holder: { kind: HolderKind; edge: string; node: string; step: number };
  /** What to change so that the generation can be collected. */
  fix: string;
  /** `false` when only weak references lead to it (it goes at the next GCs). Absent otherwise. */
  found?: false;
}

/** One step of an explained retainer path: the edge taken and the node it leads to. */
export interface ExplainedStep {
  /** The edge's name (an index as digits for `element` and `hidden` edges). */
  edge: string;
  edgeType: string;
  /** `name` reads `Module(/app/x.js)` for a Module, with ` #3` on a generation's own values. */
  node: { id: number; name: string; type: string; selfSize: number };
}

/** Generations held the same way (the same path but for the generation's own objects). */
export interface ExplainedGroup {
  kind: HolderKind;
  fix: string;
  /** The path of the group's first generation. */
  pathText: string;
  generations: Array<{ file: string; generation: number }>;
}

/** What {@link explain} found. */
export interface Explanation {
  generations: ExplainedGeneration[];
  groups: ExplainedGroup[];
  /** stale() rows the snapshot did not show: collected already, their finalizers not run yet. */
  notFound: Array<Omit<StaleGeneration, 'pinned'>>;
  /**
   * ES module versions Node's ESM loader pins (see {@link stale}): never collected, so there is
   * no holder to explain.
   */
  pinned: number;
  /** The snapshot: its path when kept (`keepSnapshot`), else null; null when none was taken. */
  snapshot: { file: string | null; bytes: number; nodes: number } | null;
  /** `snapshot`: V8 writing it (the main thread waits); `analysis`: the engine, off the main thread. */
  timingsMs: { snapshot: number; analysis: number; total: number };
}

/** Options of {@link explain}. */
export interface ExplainOptions {
  /** Directory for the snapshot (an existing one); default: a temporary directory, removed after. */
  snapshotDir?: string;
  /** Keep the snapshot file and report its path in `snapshot.file` (default false). */
  keepSnapshot?: boolean;
}

/**
 * Why is each old generation (of module `id`, or of every module) still alive? Writes a heap
 * snapshot of this process (V8 stops the main thread while it writes), reads it off the main
 * thread and gives, for each generation {@link stale} lists, the shortest retainer path from
 * the GC roots to its Module or its exports, the holder and the likely fix. Generations are
 * found exactly, by marker objects modswap attaches to what an old generation leaves alive. No
 * snapshot is taken when nothing is stale. Rejects with ERR_MODSWAP_INVALID_ARG for bad options.
 */
export declare function explain(id?: string, options?: ExplainOptions): Promise<Explanation>;

/** The payload of memwatch's `'stats'` event, emitted after every full (mark-sweep-compact) GC. */
export interface MemwatchStats {
  /** Full GCs observed while listened to. */
  num_full_gc: number;
  /** Other GCs (scavenges, incremental marking, weak callbacks). */
  num_inc_gc: number;
  /** Compactions used for the statistics (equals `num_full_gc`). */
  heap_compactions: number;
  /** Percentage by which the recent base exceeds the long-term base (negative when falling). */
  usage_trend: number;
  /** Moving average of the post-GC heap over the last ~10 full GCs, in bytes. */
  estimated_base: number;
  /** The exact used heap right after this GC, in bytes (from V8's GC profiler). */
  current_base: number;
  /** Smallest / largest `current_base` seen, from the 3rd full GC on (0 before). */
  min: number;
  max: number;
  /** @airbnb/node-memwatch fields: GC counts and times (ns) per kind, up to this GC. */
  gcScavengeCount: number;
  gcScavengeTime: number;
  gcMarkSweepCompactCount: number;
  gcMarkSweepCompactTime: number;
  gcIncrementalMarkingCount: number;
  gcIncrementalMarkingTime: number;
  gcProcessWeakCallbacksCount: number;
  gcProcessWeakCallbacksTime: number;
  /** V8 heap statistics right after this GC, in bytes. */
  total_heap_size: number;
  total_heap_size_executable: number;
  total_physical_size: number;
  total_available_size: number;
  used_heap_size: number;
  heap_size_limit: number;
  malloced_memory: number;
  peak_malloced_memory: number;
  /** Duration of this GC in ns. */
  gc_time: number;
  /** When this GC ended, in µs since the epoch. */
  gc_ts: number;
}

/** A `'leak'` event of the heap detectors (`kind: 'heap'`). */
export interface MemwatchHeapLeak {
  kind: 'heap';
  /** Start of the growth period. */
  start: Date;
  /** When the leak was declared. */
  end: Date;
  /** Bytes the heap (its retained floor, for 'adaptive' and 'robust') grew over the period. */
  growth: number;
  /**
   * E.g. "heap floor grew 40 mb over 11 full GCs (5s) - 480 mb/min; heap limit (4144 mb)
   * reached in ~8m 30s at this rate" (adaptive) or "heap growth over 5 consecutive GCs (20s) -
   * 68.66 mb/hr" (classic).
   */
  reason: string;
  /** Estimated growth rate, bytes per minute of wall-clock time (0 if the period took no time). */
  rate: number;
  /** V8's `heap_size_limit`, bytes. */
  heapLimit: number | null;
  /** Ms from `end` until the floor reaches `heapLimit` at `rate`; null when not growing toward it. */
  projectedMsToLimit: number | null;
}

/** Fields shared by the handle and listener `'leak'` events (see memwatch.configure()). */
export interface MemwatchCountLeak {
  /** First and last sample of the window in which the count kept growing. */
  start: Date;
  end: Date;
  /**
   * How many more there were at `end` than at `start` (listeners: how many were added over the
   * window to the emitters already noted).
   */
  growth: number;
  /** Alive now: handles of `type` (every site), or listeners of `event` on the noted emitters. */
  count: number;
  /** Growth per `unit` over the window, two significant digits. */
  perUnit: number;
  /** The work the count follows best: HTTP requests served, modswap reloads, full GCs, or time. */
  unit: 'request' | 'reload' | 'gc' | 'second';
  reason: string;
}

/** A handle or timer type whose live count grows with the work done. */
export interface MemwatchHandleLeak extends MemwatchCountLeak {
  kind: 'handles';
  /** As `process.getActiveResourcesInfo()` names it: 'Timeout', 'TCPServerWrap', 'TCPSocketWrap', … */
  type: string;
  /** Where most of the ones created since the growth was noticed come from: 'app/ssr.js:41'. */
  site: string;
  /**
   * How many of those created at `site` since then are alive, among the creations whose stack was
   * taken (at most 100 per sample interval, so a lower bound under heavy load).
   */
  siteCount: number;
  /** E.g. "Timeout created at app/ssr.js:41 — 1,204 alive, +1 per request". */
  reason: string;
}

/** An event whose listener count keeps growing on emitters of one class. */
export interface MemwatchListenerLeak extends MemwatchCountLeak {
  kind: 'listeners';
  /** The emitters' class: 'Socket', 'Server', 'EventEmitter', … */
  emitter: string;
  event: string;
  /** Where the listener that made an emitter's count reach 16 (32, 64, …) was added. */
  site: string;
  /** How many emitters the count is summed over. */
  emitters: number;
  /** E.g. "'error' listeners on Socket added at app/client.js:12 — 1,212 attached, +1 per request". */
  reason: string;
}

/** Handle and listener watching (on while memwatch has a `'leak'` listener). */
export interface MemwatchResourceOptions {
  /** Live handles and timers by type, and their creation sites once a type grows. Default true. */
  handles?: boolean;
  /** Listener counts per emitter class, event and site. Default true. */
  listeners?: boolean;
  /** How often both are sampled, 10 to 600,000 ms. Default 1000. */
  sampleIntervalMs?: number;
}

/** The payload of memwatch's `'leak'` event, emitted before the `'stats'` of the same GC (heap leaks). */
export type MemwatchLeak = MemwatchHeapLeak | MemwatchHandleLeak | MemwatchListenerLeak;

/** One side of a HeapDiff. */
export interface HeapDiffSide {
  /** Objects in the heap (modswap's own HeapDiff objects excluded). */
  nodes: number;
  size_bytes: number;
  /** `size_bytes` as memwatch prints it ("11.67 mb"). */
  size: string;
  time: Date;
}

/** A class whose instances were allocated or freed between the two snapshots. */
export interface HeapDiffDetail {
  /** Constructor name, or Array, String, Code, Closure, RegExp, Number, Native. */
  what: string;
  /** Bytes allocated minus bytes freed. */
  size_bytes: number;
  size: string;
  /** Instances allocated. */
  '+': number;
  /** Instances freed. */
  '-': number;
}

/** What `HeapDiff#end()` returns: node-memwatch's exact shape. */
export interface HeapDiffResult {
  before: HeapDiffSide;
  after: HeapDiffSide;
  change: {
    size_bytes: number;
    size: string;
    freed_nodes: number;
    allocated_nodes: number;
    /** Sorted by the byte order of `what`. */
    details: HeapDiffDetail[];
  };
}

/** node-memwatch's HeapDiff: a heap snapshot now, compared with another at `end()`. */
export declare class HeapDiff {
  /** Takes the first snapshot (a full GC that emits no `'stats'`). Requires `new`. */
  constructor();
  /**
   * Takes the second snapshot and returns the diff.
   * @throws Error "attempt to end() a HeapDiff that was already ended" on a second call.
   */
  end(): HeapDiffResult;
}

/** An allocation site of a sampling heap profile, with its live sampled bytes at each checkpoint. */
export interface HeapProfileSite {
  /**
   * `path:line function`, e.g. `lib/events.js:12 send`: the innermost function with a script
   * that allocated (builtins such as `push` count as their caller). The line is where the
   * function starts (V8 records functions, not lines); paths under the working directory are
   * relative to it. A function V8 inlined is counted as its caller.
   */
  site: string;
  functionName: string;
  /** Script path or URL as V8 gives it; empty for VM work (`(V8 API)`, `(GC)`). */
  url: string;
  /** 1-based line and column where the function starts; 0 when unknown. */
  line: number;
  column: number;
  /** The stack that grew most to this site, site first, callers after (32 frames at most). */
  stack: string[];
  /** Live sampled bytes (V8's estimate of live bytes) at each checkpoint. */
  bytes: number[];
  /** `bytes[0]`, `bytes[bytes.length - 1]`, and their difference. */
  bytesBefore: number;
  bytesAfter: number;
  growth: number;
}

/** Options of `memwatch.profile()`. */
export interface HeapProfileOptions {
  /** How long to sample, in ms (integer, 1 to 24 h). Required. */
  durationMs: number;
  /** Mean bytes between samples (V8's default 32768). Smaller: finer, costlier. */
  samplingInterval?: number;
  /** Profiles taken, evenly spaced over `durationMs` (2 to 60; default 4). Each costs one full GC. */
  checkpoints?: number;
  /** Least growth, first to last checkpoint, for a site to be named (default 8 × samplingInterval). */
  minGrowth?: number;
  /** Length of `largest` (default 10). */
  top?: number;
}

/** What `memwatch.profileDiff()` returns. */
export interface HeapProfileDiff {
  /** Live sampled bytes of all sites at each checkpoint. */
  totals: number[];
  /**
   * Sites whose live bytes kept growing: no step down by more than one sampling interval, up at
   * the last step, up by `minGrowth` overall; largest growth first.
   */
  sites: HeapProfileSite[];
  /** Sites holding the most live bytes at the last checkpoint. */
  largest: HeapProfileSite[];
}

/** What `memwatch.profile()` resolves to. */
export interface HeapProfileReport extends HeapProfileDiff {
  start: Date;
  end: Date;
  durationMs: number;
  samplingInterval: number;
  checkpoints: number;
  /** Longest time the JS thread spent in one checkpoint (mostly V8's forced full GC), in ms. */
  checkpointMs: number;
}

/** The memwatch emitter: drop-in for node-memwatch / memwatch-next / @airbnb/node-memwatch. */
export interface Memwatch extends EventEmitter {
  on(event: 'stats', listener: (stats: MemwatchStats) => void): this;
  on(event: 'leak', listener: (leak: MemwatchLeak) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'stats', listener: (stats: MemwatchStats) => void): this;
  once(event: 'leak', listener: (leak: MemwatchLeak) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
  /** Runs a full GC now, without --expose-gc; a `'stats'` event follows asynchronously. */
  gc(): void;
  /**
   * Chooses the heap leak detector. `'adaptive'` (default): retained memory (the heap's floor)
   * growing at a steady pace, judged over 7, 32 and 64 full GCs: a floor that grows by half
   * within ~8 full GCs is reported within 12, by half over 32 GCs within ~40, slower leaks after
   * ~70; one-off steps, caches and sawtooth patterns are not reported (growth of half the heap
   * at >= 6 % per full GC that lasts longer than ~8 GCs is, warm-up or not). `'robust'`: the
   * 64-GC rule alone (~70 full GCs to any first report).
   * `'classic'`: node-memwatch's rule (5 consecutive post-GC increases) with numbers that do not
   * wrap. Switching starts the new detector fresh.
   * `handles`, `listeners`, `sampleIntervalMs`: handle and listener watching (see
   * MemwatchResourceOptions). Returns every setting now in force.
   * @throws {ModswapError} ERR_MODSWAP_INVALID_OPTIONS for an unknown detector or a bad option;
   * nothing changes then.
   */
  configure(
    options?: { detector?: 'adaptive' | 'robust' | 'classic' } & MemwatchResourceOptions,
  ): { detector: 'adaptive' | 'robust' | 'classic' } & Required<MemwatchResourceOptions>;
  /**
   * Exposes `'stats'` and `'leak'` as observable OpenTelemetry metrics (heap floor, heap after
   * GC, heap limit, usage trend, leak rate, leaks by kind, GC counts and pause time by type),
   * read when the SDK collects. Starts watching GCs like a `'stats'` listener does.
   * Needs the optional peer dependency `@opentelemetry/api`.
   * @throws {ModswapError} ERR_MODSWAP_MISSING_PEER when `@opentelemetry/api` cannot be required;
   * ERR_MODSWAP_INVALID_OPTIONS for bad options (nothing is registered).
   */
  metrics(options?: MemwatchMetricsOptions): MemwatchMetrics;
  HeapDiff: typeof HeapDiff;
  /**
   * Samples allocations for `durationMs` with V8's sampling heap profiler (an in-process
   * node:inspector session; no snapshot) and names the allocation sites whose live bytes keep
   * growing, with their stacks. Each checkpoint costs one full GC (V8 forces it before reading
   * the profile); the folding and comparing run off the main thread.
   * @throws {ModswapError} (rejects) ERR_MODSWAP_INVALID_OPTIONS for bad options, before anything
   * starts; ERR_MODSWAP_BUSY while another profile() of this thread runs; ERR_MODSWAP_PROFILER when
   * V8's profiler fails (e.g. DevTools sampling at the same time).
   */
  profile(options: HeapProfileOptions): Promise<HeapProfileReport>;
  /**
   * Compares two V8 sampling heap profiles (objects or JSON texts, e.g. `.heapprofile` files) of
   * one sampling session and names the sites whose live bytes grew.
   * @throws {ModswapError} (rejects) ERR_MODSWAP_BAD_PROFILE naming the profile that is not one;
   * ERR_MODSWAP_INVALID_ARG / ERR_MODSWAP_INVALID_OPTIONS for bad arguments.
   */
  profileDiff(
    before: object | string,
    after: object | string,
    options?: { minGrowth?: number; tolerance?: number; top?: number },
  ): Promise<HeapProfileDiff>;
}

/** Options of `memwatch.metrics()`. Types are structural: modswap does not import @opentelemetry/api's. */
export interface MemwatchMetricsOptions {
  /** Where to create the instruments (meter 'modswap'); default: the global MeterProvider. */
  meterProvider?: { getMeter(name: string, version?: string): unknown };
  /** A meter to create the instruments on, instead of `meterProvider` (not both). */
  meter?: {
    createObservableGauge(name: string, options?: object): unknown;
    createObservableCounter(name: string, options?: object): unknown;
    addBatchObservableCallback(callback: (result: any) => void, observables: unknown[]): void;
    removeBatchObservableCallback(callback: (result: any) => void, observables: unknown[]): void;
  };
  /** Start of every instrument name; default `'modswap.memwatch'` (Prometheus: `modswap_memwatch_…`). */
  prefix?: string;
}

/** What `memwatch.metrics()` returns. */
export interface MemwatchMetrics {
  /** The instrument name prefix in use. */
  readonly prefix: string;
  /** Stops observing and listening (idempotent); the SDK keeps showing the last cumulative values. */
  stop(): void;
}

/** memwatch rebuilt on V8's statistics; also `require('modswap/memwatch')`. */
export declare const memwatch: Memwatch;

/** One node of a heap snapshot. */
export interface HeapNodeRef {
  /** V8's object id: stable across snapshots of one process. */
  id: number;
  /**
   * The name DevTools shows: the node's name, with a `Detached ` prefix for a detached DOM node
   * of a browser snapshot (`detachedness` 2, or reached from such a node and not from an
   * attached one): `Detached HTMLDivElement`, `Detached <div id="a">`.
   */
  name: string;
  /** V8's node type: `object`, `closure`, `array`, `string`, `native`, … */
  type: string;
  /** Bytes of the node itself (DevTools' shallow size, after its array/hidden reassignment). */
  selfSize: number;
  /** Bytes freed if the node were collected (DevTools' rules). */
  retainedSize: number;
}

/** One class of DevTools' Summary view. */
export interface HeapClassAggregate {
  /** The class: a constructor name, `{a, b}`, `(system)`, `Detached <div>` (detached DOM nodes are classes of their own), … */
  name: string;
  /**
   * The script (file path, URL, `node:internal/…`) defining the class's constructor. Objects
   * whose snapshot records their constructor's location are classed by name AND location, as
   * DevTools does, so two classes with one name (Node's `Module` and an app's `Module`) are two
   * rows told apart here. Absent without a location, or when the snapshot does not name the
   * script (then `scriptId` still says which script it is).
   */
  script?: string;
  /** V8's id of the constructor's script; present with `line`. */
  scriptId?: number;
  /** 1-based line of the constructor in `script`; absent for classes without a location. */
  line?: number;
  /** 1-based column of the constructor; present with `line`. */
  column?: number;
  /** Nodes of the class with a non-zero size. */
  count: number;
  selfSize: number;
  /** Retained size of the class, each dominator chain counted once. */
  retainedSize: number;
}

/** One step of a retainer path: the edge taken and the node it leads to. */
export interface RetainerStep {
  /** The edge's name; for `element` and `hidden` edges, the index as decimal digits. */
  edge: string;
  /** V8's edge type: `property`, `element`, `context`, `internal`, `hidden`, `shortcut`. */
  edgeType: string;
  node: HeapNodeRef;
}

/**
 * A node retaining at least 10 % of the heap. Its memory accumulates where its heavy chain
 * ends: follow the dominated child retaining the most while it holds ≥ 80 % of its parent.
 */
export interface LeakSuspect {
  node: HeapNodeRef;
  /** `node.retainedSize / totalSize`, from 0 to 1. */
  share: number;
  /** Where the memory spreads over many objects (often an array or a map's table); absent when that is the node itself. */
  accumulatedIn?: HeapNodeRef;
  /** Shortest retainer path from the GC roots (user roots first, weak edges skipped: DevTools' distances). */
  path: RetainerStep[];
}

/** The retainer path of a node asked for with `analyze(file, { paths })`. */
export interface RetainerPath {
  id: number;
  /** `false` when no node of the snapshot has this id. */
  found: boolean;
  /** From a GC root down to the node (its first edge leaves the synthetic root); empty when only weak edges lead to it. */
  path: RetainerStep[];
}

/** What `heap.analyze()` resolves to. */
export interface HeapAnalysis {
  /** Absolute path of the snapshot. */
  file: string;
  /** Bytes read: the file's size (for a pipe or a stream, what came through it). */
  fileBytes: number;
  nodeCount: number;
  edgeCount: number;
  /** Bytes retained by the root (DevTools' "Total"). */
  totalSize: number;
  /** Nodes not reachable from the root over essential edges (DevTools warns about them). */
  unreachableNodes: number;
  /** Every class, largest retained size first. */
  classes: HeapClassAggregate[];
  /** The `top` nodes that retain the most (root and synthetic nodes left out), largest first. */
  dominators: HeapNodeRef[];
  /** Leak suspects, largest first (at most 10). */
  suspects: LeakSuspect[];
  /** The retainer paths asked for with `options.paths`, in the same order. */
  paths: RetainerPath[];
  /** Milliseconds per phase; analysis phases run two at a time and overlap. */
  timingsMs: {
    read: number;
    parse: number;
    retainers: number;
    essentialEdges: number;
    dominators: number;
    retainedSizes: number;
    classes: number;
    aggregates: number;
    analysis: number;
    /** Suspects and retainer paths, after the analysis. */
    report: number;
  };
}

/** One snapshot of a diff or leak search. */
export interface HeapSnapshotInfo {
  file: string;
  fileBytes: number;
  nodeCount: number;
  edgeCount: number;
  /** DevTools' total size: every node's self size plus V8's extra native bytes. */
  totalSize: number;
}

/** One class's changes between two snapshots (DevTools' Comparison view). */
export interface HeapClassDiff {
  name: string;
  /** Objects whose id is only in the later snapshot. */
  addedCount: number;
  /** Objects whose id is only in the earlier snapshot. */
  removedCount: number;
  countDelta: number;
  addedSize: number;
  removedSize: number;
  sizeDelta: number;
}

/** What `heap.diff()` resolves to. */
export interface HeapSnapshotDiff {
  before: HeapSnapshotInfo;
  after: HeapSnapshotInfo;
  /** Classes that changed, largest absolute size change first. */
  classes: HeapClassDiff[];
  timingsMs: { load: number; compare: number };
}

/**
 * Leak roots with the same class and retainer path shape.
 *
 * Leak roots are the new objects heading new memory (their dominator is not new), with
 * containers looked through: when the new memory is a container's storage (a Map's, Set's or
 * WeakMap's table, an array's elements, a dictionary's properties), the objects it holds are
 * the roots, not the storage; closures, their contexts, arrays, Maps, Sets and dictionaries
 * that are new themselves are looked through the same way when they hold objects. So 5,000
 * `Leaky` objects put in a Map, a Set, an array, an object used as a dictionary, closures or
 * EventEmitter listeners make one group `5,000 × Leaky`.
 */
export interface HeapLeakGroup {
  className: string;
  /**
   * The path with indices (`[]`), WeakMap entry details (`[WeakMap entry]`) and the keys of
   * objects used as dictionaries (`[key]`: dictionary mode and 16 keys or more) left out, e.g.
   * `global.app → Object.cache → Map.table → (array)[] → Request` or
   * `global.app → Object.sessions → Object[key] → Session`.
   */
  pathShape: string;
  /**
   * What holds the roots, read off the sample path: the nearest container above them that is
   * not V8 storage: `Map`, `Set`, `WeakMap`, `Array`, `Object (dictionary)`, `closure onData()`,
   * `closure (anonymous)`, `EventEmitter listener onData()`, or the class of the object whose
   * property they are. Absent without a retainer path.
   */
  holder?: string;
  /**
   * `true` for objects V8 allocated itself: compiled code, shapes (maps), feedback, `system /`
   * objects other than closure contexts, `(system)` and synthetic nodes, and arrays, strings and
   * numbers such nodes hold. These groups come after all others.
   */
  internal: boolean;
  /** Leak roots in the group (each stands for its subtree). */
  count: number;
  /**
   * Leak roots of other groups folded into this one, not counted in `count`: their retainer
   * paths extend this group's path through leaked objects only, so they are the same leak
   * reached through its objects' own parts (`… → (concatenated string).first → (string)` under
   * a group of leaked concatenated strings). 0 when none was.
   */
  folded: number;
  /**
   * Their retained sizes, summed (the subtrees do not overlap), with the folded roots' and the
   * new containers looked through to reach them (a listener's closure and context, a new
   * array's storage).
   */
  retainedSize: number;
  /** The largest roots, up to 5. */
  examples: HeapNodeRef[];
  /** The retainer path of the largest root. */
  samplePath: RetainerStep[];
}

/** What `heap.leaks()` resolves to. */
export interface HeapLeaks {
  baseline: HeapSnapshotInfo;
  target: HeapSnapshotInfo;
  final: HeapSnapshotInfo;
  /** Objects of final whose ids are in target and not in baseline. */
  leakedNodes: number;
  /** Their self sizes, summed. */
  leakedSize: number;
  /** Groups found; `groups` holds the first `top`. */
  groupCount: number;
  /** How many of the groups found are `internal` (V8's own). */
  internalGroupCount: number;
  /** User groups first, then V8's own (`internal`), each largest retained size first. */
  groups: HeapLeakGroup[];
  timingsMs: { load: number; compare: number };
}

/** Progress of a heap job, polled about every 100 ms while it runs. */
export interface HeapProgressEvent {
  /**
   * `parse` (bytes); the analysis: `essential edges` (nodes walked and edges classified),
   * `dominators` (nodes numbered, then nodes given a dominator), `retained sizes` (nodes summed,
   * then nodes walked for the class aggregates); then `paths`, `compare` (a leak search or
   * diff) and `done`.
   */
  phase: 'parse' | 'essential edges' | 'dominators' | 'retained sizes' | 'paths' | 'compare' | 'done';
  /** The file being worked on (1-based) and how many the job has. */
  file: number;
  files: number;
  /** Work done and total in the phase; both 0 when the phase does not count its work. */
  done: number;
  total: number;
}

/** Options every heap job takes. */
export interface HeapJobOptions {
  /** Called on the main thread with the job's progress. */
  onProgress?: (event: HeapProgressEvent) => void;
}

/** V8 heap snapshot analysis in Rust (also `modswap heap …` on the command line). */
export interface Heap {
  /**
   * Analyses a snapshot off the main thread: totals, class aggregates, the largest retainers and
   * leak suspects with DevTools' dominator and retained-size rules, and the shortest retainer
   * paths of the nodes asked for. A file is memory-mapped, never a JS string; a path that is a
   * pipe, a FIFO or a device (`/dev/stdin`) and a stream (any async iterable of its bytes, e.g.
   * `fs.createReadStream(file)` or `v8.getHeapSnapshot()`) are parsed on a Rust thread as their
   * bytes arrive, holding the graph, never the text. Reading stops at the first bad byte.
   * @param options.top how many of the largest retainers to list (default 50).
   * @param options.paths node ids whose retainer paths to include.
   * @param options.name what results and errors call a streamed snapshot (default `(stream)`).
   * @throws {ModswapError} (rejects) ERR_MODSWAP_BAD_SNAPSHOT naming the file, the byte offset of
   *   the first error and the cause (the same message for a file, a pipe and a stream of the same
   *   bytes); ERR_MODSWAP_NOT_FOUND / ERR_MODSWAP_IO; ERR_MODSWAP_INVALID_ARG / _OPTIONS.
   *   `error.file` is the snapshot's absolute path.
   */
  analyze(
    source: string | AsyncIterable<Uint8Array | string>,
    options?: HeapJobOptions & { top?: number; paths?: number[]; name?: string },
  ): Promise<HeapAnalysis>;
  /**
   * Compares two snapshots of one process by node id: per class, the objects allocated and freed
   * between them. Rejects like `analyze()`; `error.file` is the file at fault.
   */
  diff(before: string, after: string, options?: HeapJobOptions): Promise<HeapSnapshotDiff>;
  /**
   * Three-snapshot leak search: objects allocated between `baseline` and `target` that are still
   * alive in `final`, grouped by class and retainer path shape (objects in containers by their
   * own class: see {@link HeapLeakGroup}); user groups first, largest first, then the groups of
   * objects V8 allocated itself. Baseline and target are read for their ids only, one at a time.
   * Rejects like `analyze()`.
   * @param options.top how many groups to return (default 100); `groupCount` tells how many exist.
   */
  leaks(baseline: string, target: string, final: string, options?: HeapJobOptions & { top?: number }): Promise<HeapLeaks>;
  /** Writes a snapshot of this process (`v8.writeHeapSnapshot`) and returns its absolute path. */
  snapshot(file?: string): string;
}

/** Heap snapshot analysis, diffs and 3-snapshot leak detection. */
export declare const heap: Heap;

'use strict';
// Resource tracking: what a module generation starts, so that replacing it leaves nothing of the
// old version running.
//
// Attribution. Each CommonJS module is evaluated inside an AsyncLocalStorage context whose store
// is its GenerationRecord (one per Module object, i.e. per load of a file). Async context follows
// every callback, timer, promise and I/O event created from there, so a resource is charged to
// the generation whose async chain created it: started while the module loaded, or from any
// callback descending from that load. The rule is the async context, not the code that calls
// setTimeout: a route handler exported by `routes.js` but called by a server that `app.js`
// created runs in `app.js`'s context (the server's), so what it starts is `app.js`'s, not
// `routes.js`'s; a server created by `routes.js` itself charges its requests to `routes.js`. The
// entry module (require.main) is never attributed (it cannot be reloaded): what it and its
// servers' requests start is untracked (one getStore() call per timer or listener).
//
// What is recorded: timers, intervals and immediates; servers (at listen()); outgoing sockets (at
// connect()); fs.watch and fs.watchFile; child processes; workers; listeners added to emitters
// that are not the generation's own: `process`, stdio, and emitters created outside it (by the
// entry module, another generation, Node's bootstrap). Emitters other than streams created inside
// a generation are its own; streams die with their connection or file and are never looked at.
// Listeners Node's own code adds (a tty's SIGWINCH on `process`) are never recorded.
//
// Shared objects opened lazily from a generation's context are charged to it: a connection pool
// whose first query runs in a reloaded module opens its sockets there, and disposal ends them.
// `untracked(fn)` runs code outside any generation (create such singletons there, or at start-up
// in the entry module). Sockets pooled by an http.Agent are never ended.
//
// Records never keep an old generation alive: a GenerationRecord holds no Module, WeakRefs to
// what it saw, and its timers strongly only while its generation is the current one (a WeakRef
// costs about half a timer; the tracker tells when a generation is retired, and from then on its
// timers are held weakly). Finished timers and closed handles are swept out as the lists grow
// (amortized: a list is swept when it doubles).
const { AsyncLocalStorage } = require('node:async_hooks');
const EventEmitter = require('node:events');
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const { createPatches, stdioFd } = require('./resource-patches');
const { getTracker, moduleFile, entryModule } = require('../tracker');

/** resource-kinds.js, loaded when a first resource is looked at: most processes never get there. */
let kindsModule;
const kinds = () => (kindsModule ??= require('./resource-kinds'));
const { ModswapError } = require('../errors');
const { EMPTY, growable } = require('../lazy-list');

const POLICIES = ['dispose', 'warn', 'off'];
const STACK_MODES = ['auto', 'always'];
const DEFAULT_GRACE_MS = 5000;
/** A record's lists are swept when they reach this length, then at twice what survived. */
const SWEEP_MIN = 64;
const kState = Symbol.for('modswap.resources.state');

/** Phases of a generation: running, being disposed (servers draining), done, or left running. */
const LIVE = 'live';
const DISPOSING = 'disposing';
const DISPOSED = 'disposed';
const LEFT = 'left';

const tracker = getTracker();
/** The shared state once installed (one per JS environment), else null: every hook is a no-op. */
let state = null;

class GenerationRecord {
  /**
   * @param {object} mod the Module object, or for an ES module version its `import.meta`
   * @param {string} [file] the file (default: the Module's)
   */
  constructor(mod, file = moduleFile(mod)) {
    this.file = file;
    this.moduleRef = new WeakRef(mod);
    /**
     * The Timeout and Immediate objects it created: the objects while current, then WeakRefs.
     * EMPTY (shared, frozen) until the first: most generations never start anything, and a
     * record is made for every module loaded.
     */
    this.timers = EMPTY;
    this.weakTimers = false;
    this.timerSweepAt = SWEEP_MIN;
    /** Everything else: { type, ref, detail, listenerRef, event, sockets, listenId }. */
    this.entries = EMPTY;
    this.entrySweepAt = SWEEP_MIN;
    this.phase = LIVE;
    this.stackVersion = -1;
    this.stacks = false;
  }

  /** Whether creation stacks are captured for its timers, sockets and listeners (see configure). */
  wantsStacks() {
    if (this.stackVersion !== state.policyVersion) {
      this.stackVersion = state.policyVersion;
      this.stacks = state.stacks === 'always' || policyOf(this.file) === 'warn';
    }
    return this.stacks;
  }
}

// ---------------------------------------------------------------------------------------------
// What a record holds

/**
 * Captures the stack frames above `api` (the patched function) for `key`, formatted only when
 * read. Unformatted frames may hold their functions and receivers, so a stack is kept in a
 * WeakMap keyed by what it describes (the timer, server, socket, or the listener function):
 * it never outlives its resource, and a record that outlives its generation holds no frames.
 */
function rememberStack(key, api) {
  const holder = {};
  Error.captureStackTrace(holder, api);
  state.stackHolders.set(key, holder);
}

function stackOf(key) {
  const holder = state.stackHolders.get(key);
  if (holder === undefined) return undefined;
  const text = String(holder.stack);
  const firstFrame = text.indexOf('\n');
  return firstFrame === -1 ? text : text.slice(firstFrame + 1);
}

const timerOf = (record, item) => (record.weakTimers ? item.deref() : item);

function sweepTimers(record) {
  const { timers } = record;
  if (timers === EMPTY) return;
  let kept = 0;
  for (const item of timers) {
    const timer = timerOf(record, item);
    if (timer !== undefined && kinds().isTimerLive(timer) && !state.serverTimers.has(timer)) timers[kept++] = item;
  }
  timers.length = kept;
  record.timerSweepAt = Math.max(SWEEP_MIN, kept * 2);
}

/** The generation is no longer current: what it created is held weakly from now on. */
function weakenTimers(record) {
  if (record.weakTimers) return;
  sweepTimers(record);
  record.timers = record.timers.map((timer) => new WeakRef(timer));
  record.weakTimers = true;
}

/** Tracker hook: a Module left the cache (reload, clear, failed load). */
function onModuleRetired(mod) {
  const record = state.records.get(mod);
  if (record !== undefined) weakenTimers(record);
}

function sweepEntries(record) {
  const { entries } = record;
  if (entries === EMPTY) return;
  let kept = 0;
  for (const entry of entries) if (liveTarget(entry) !== undefined) entries[kept++] = entry;
  entries.length = kept;
  record.entrySweepAt = Math.max(SWEEP_MIN, kept * 2);
}

function addEntry(record, entry) {
  growable(record, 'entries').push(entry);
  if (record.entries.length >= record.entrySweepAt) sweepEntries(record);
  return entry;
}

/**
 * How each recorded type is checked, described and stopped. `dispose` returns { action, done? };
 * `closeNow` (Erlang's purge; `dispose` where that is already immediate) returns { action, requests? }.
 */
const ENTRY_TYPES = {
  server: {
    kind: 'server',
    isLive: (entry, server) => kinds().isServerLive(server, entry.listenId),
    describe: (entry, server) => kinds().describeServer(server, entry.listenId),
    dispose: (entry, server) => kinds().drainServer(server, entry.sockets, entry.listenId, state.gracePeriodMs),
    closeNow: (entry, server) => kinds().closeServerNow(server, entry.sockets, entry.listenId),
  },
  socket: {
    kind: 'socket',
    isLive: (entry, socket) => !socket.destroyed,
    describe: (entry) => `socket ${entry.detail}`,
    dispose: (entry, socket) => kinds().endSocket(socket, state.gracePeriodMs),
    closeNow: (entry, socket) => kinds().destroySocket(socket),
  },
  watch: {
    kind: 'watcher',
    isLive: (entry, watcher) => kinds().isWatcherLive(watcher),
    describe: (entry) => `fs.watch ${entry.detail}`,
    dispose: (entry, watcher) => {
      watcher.close();
      return { action: 'closed' };
    },
  },
  watchFile: {
    kind: 'watcher',
    isLive: (entry, statWatcher) => liveListener(entry, statWatcher) !== undefined,
    describe: (entry) => `fs.watchFile ${entry.detail}`,
    dispose: (entry, statWatcher) => {
      state.originals.unwatchFile.call(fs, entry.detail, liveListener(entry, statWatcher));
      return { action: 'closed' };
    },
  },
  child: {
    kind: 'child-process',
    isLive: (entry, child) => kinds().isChildLive(child),
    describe: (entry, child) => `child process ${child.spawnfile} (pid ${child.pid})`,
    dispose: (entry, child) => kinds().killChild(child, state.gracePeriodMs),
    closeNow: (entry, child) => kinds().killChildNow(child),
  },
  worker: {
    kind: 'worker',
    isLive: (entry, worker) => kinds().isWorkerLive(worker),
    describe: (entry) => `worker ${entry.detail}`,
    dispose: (entry, worker) => kinds().terminateWorker(worker),
  },
  listener: {
    kind: 'listener',
    isLive: (entry, emitter) => liveListener(entry, emitter) !== undefined,
    describe: (entry, emitter) => kinds().describeListener(emitter, entry.event),
    dispose: (entry, emitter) => {
      emitter.removeListener(entry.event, liveListener(entry, emitter));
      return { action: 'removed' };
    },
  },
};

function liveListener(entry, emitter) {
  const listener = entry.listenerRef.deref();
  if (listener === undefined) return undefined;
  return kinds().isListenerAttached(emitter, entry.event, listener) ? listener : undefined;
}

function liveTarget(entry) {
  const target = entry.ref.deref();
  if (target === undefined) return undefined;
  return ENTRY_TYPES[entry.type].isLive(entry, target) ? target : undefined;
}

/**
 * What `record` holds right now: { kind, description, stack?, stop(), stopNow() }. Listeners it added to
 * its own servers, child processes, workers and watchers are left out: they go with those.
 */
function heldResources(record) {
  sweepTimers(record);
  sweepEntries(record);
  const held = [];
  for (const entry of record.entries) {
    const target = liveTarget(entry);
    if (target === undefined) continue;
    if (entry.type === 'listener' && state.owners.get(target) === record) continue;
    const type = ENTRY_TYPES[entry.type];
    held.push({
      kind: type.kind,
      description: type.describe(entry, target),
      stack: stackOf(entry.listenerRef?.deref() ?? target),
      isServer: entry.type === 'server',
      target,
      stop: () => type.dispose(entry, target),
      stopNow: () => (type.closeNow ?? type.dispose)(entry, target),
    });
  }
  for (const item of record.timers) {
    const timer = timerOf(record, item);
    if (timer === undefined) continue;
    held.push({
      kind: kinds().timerKind(timer),
      description: kinds().describeTimer(timer),
      stack: stackOf(timer),
      isServer: false,
      target: timer,
      stop: () => ({ action: kinds().stopTimer(timer) }),
      stopNow: () => ({ action: kinds().stopTimer(timer) }),
    });
  }
  return held;
}

const publicView = ({ kind, description, stack }) =>
  stack === undefined ? { kind, description } : { kind, description, stack };

// ---------------------------------------------------------------------------------------------
// Hooks called by the patches (resource-patches.js)

/** Runs `fn` with listener recording off: what modswap's wrappers do on the way is not user code. */
function unrecorded(fn, thisArg, args) {
  state.suppressed++;
  try {
    return Reflect.apply(fn, thisArg, args);
  } finally {
    state.suppressed--;
  }
}

/** The record a module evaluates under, created on first sight; undefined when not attributed. */
function generationFor(mod) {
  // The entry module is never swapped: what it starts is the process's, not a generation's.
  if (!state.tracking || mod === entryModule()) return undefined;
  let record = state.records.get(mod);
  if (record === undefined) {
    record = new GenerationRecord(mod);
    state.records.set(mod, record);
    // A module loaded while a reload evaluates new code is thrown away if the reload fails.
    if (tracker.openTransaction !== null) state.attempt.push(record);
  }
  return record;
}

function recordTimer(record, timer, api) {
  growable(record, 'timers').push(record.weakTimers ? new WeakRef(timer) : timer);
  if (record.timers.length >= record.timerSweepAt) sweepTimers(record);
  if (record.wantsStacks()) rememberStack(timer, api);
}

/** Records a resource that belongs to the generation as a whole (its listeners go with it). */
function recordOwned(record, type, target, api, extra) {
  if (state.recorded.get(target) === record) return;
  state.recorded.set(target, record);
  state.owners.set(target, record);
  rememberStack(target, api);
  addEntry(record, { type, ref: new WeakRef(target), ...extra });
}

/**
 * An http server starts its own interval when it starts listening (Node's check for timed-out
 * connections); it goes with the server, so it is not listed as one of the generation's timers.
 */
function rememberServerTimers(server) {
  for (const key of Object.getOwnPropertySymbols(server)) {
    const value = server[key];
    if (value !== null && typeof value === 'object' && kinds().isTimerLive(value)) state.serverTimers.add(value);
  }
}

function recordServer(record, server, args, api) {
  if (state.recorded.get(server) !== record) {
    state.suppressed++;
    try {
      recordOwned(record, 'server', server, api, { sockets: kinds().trackConnections(server), listenId: undefined });
      EventEmitter.prototype.once.call(server, 'listening', () => rememberServerTimers(server));
    } finally {
      state.suppressed--;
    }
    state.serverHolders.push(new WeakRef(record));
  }
  if (!addressHeldByRetiringGeneration(record, requestedAddress(args))) return undefined;
  state.deferredListens.push({ record, server, args: Array.from(args) });
  return 'defer';
}

/**
 * After listen() returned: each call bumps the server's `_listeningId`, which tells a listen
 * still waiting for its host lookup from one that was cancelled by close() (see resource-kinds).
 */
function noteListened(record, server) {
  const entry = record.entries.find((candidate) => candidate.type === 'server' && candidate.ref.deref() === server);
  if (entry !== undefined) entry.listenId = server._listeningId;
}

function recordSocket(record, socket, args, api) {
  if (record.wantsStacks()) rememberStack(socket, api);
  addEntry(record, { type: 'socket', ref: new WeakRef(socket), detail: kinds().connectTarget(args) });
}

/** Emitter hook: a non-stream EventEmitter created inside `record`'s context is its own. */
function recordEmitter(record, emitter) {
  state.owners.set(emitter, record);
}

/**
 * After a listener was added (see resource-patches.js): records it when the emitter is not the
 * generation's own (process, or created by the entry module, another generation, Node's
 * bootstrap). Listeners Node's own code adds to `process` and stdio are never recorded.
 */
function recordListener(record, emitter, event, listener, api) {
  if (state.suppressed > 0 || typeof listener !== 'function' || state.owners.get(emitter) === record) return;
  if ((emitter === process || stdioFd(emitter) !== undefined) && isNodeInternalCaller(api)) return;
  if (record.wantsStacks()) rememberStack(listener, api);
  addEntry(record, { type: 'listener', ref: new WeakRef(emitter), listenerRef: new WeakRef(listener), event });
}

/**
 * Whether the code that added the listener is Node's own (frames of `node:events` itself and
 * Node's listener methods on the way, `once` or `Readable#on`, are skipped). Node's modules run in whatever context first loads or calls
 * them: the first use of `process.stdout` in a module makes a tty add a SIGWINCH listener to
 * `process` there. Those belong to Node and must never be removed with a generation. (Objects
 * Node creates in that context, like the global http.Agent of a first `require('http')`, are the
 * generation's own emitters, whose listeners are not recorded anyway.) Only asked for listeners
 * on `process` and stdio, which are rare: a structured stack capture is some 10 timers' worth.
 */
function isNodeInternalCaller(api) {
  const savedLimit = Error.stackTraceLimit;
  const savedPrepare = Error.prepareStackTrace;
  Error.stackTraceLimit = 6;
  Error.prepareStackTrace = (_, sites) => sites;
  let sites;
  try {
    const holder = {};
    Error.captureStackTrace(holder, api);
    sites = holder.stack;
  } finally {
    Error.stackTraceLimit = savedLimit;
    Error.prepareStackTrace = savedPrepare;
  }
  if (!Array.isArray(sites)) return false;
  for (const site of sites) {
    const file = site.getFileName();
    if (!file || file === 'node:events' || isListenerMethodFrame(site, file)) continue;
    return file.startsWith('node:');
  }
  return false;
}

const LISTENER_METHODS = new Set(['on', 'addListener', 'prependListener', 'once', 'prependOnceListener']);

/** Node's own overrides on the way to EventEmitter's method (`Readable#on` for stdin). */
function isListenerMethodFrame(site, file) {
  return file.startsWith('node:') && LISTENER_METHODS.has(site.getMethodName() ?? site.getFunctionName());
}

/** A worker's script can be eval'd code: one line of at most 80 characters in descriptions. */
function shorten(text) {
  const line = text.replace(/\s+/g, ' ');
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}

function recordStatWatcher(record, statWatcher, filename, listener, api) {
  if (typeof listener !== 'function') return;
  rememberStack(listener, api);
  const ref = new WeakRef(statWatcher);
  addEntry(record, { type: 'watchFile', ref, listenerRef: new WeakRef(listener), event: 'change', detail: filename });
}

/**
 * A bug in tracking must not break the user's call: the patches catch what a hook throws and
 * report it here, once, as a warning; the resource is simply not tracked.
 */
function trackingFailed(error) {
  if (state.reportedFailure) return;
  state.reportedFailure = true;
  const message = `modswap resource tracking failed (a resource may not be disposed): ${error?.stack ?? error}`;
  process.emitWarning(message, { type: 'ModswapWarning', code: 'MODSWAP_RESOURCES_INTERNAL' });
}

/** What resource-patches.js calls; see the functions for what each records. */
const hooks = {
  failed: trackingFailed,
  generationFor,
  unrecorded,
  timer: recordTimer,
  server: recordServer,
  listened: noteListened,
  socket: recordSocket,
  watcher: (record, watcher, filename, api) => recordOwned(record, 'watch', watcher, api, { detail: filename }),
  statWatcher: recordStatWatcher,
  child: (record, child, api) => recordOwned(record, 'child', child, api, {}),
  worker: (record, worker, spec, api) => recordOwned(record, 'worker', worker, api, { detail: shorten(String(spec)) }),
  listener: recordListener,
  emitter: recordEmitter,
};

// ---------------------------------------------------------------------------------------------
// Port hand-over: a new generation that listens where its predecessor serves

/** The TCP port (> 0) or pipe path that listen() arguments name, else undefined. */
function requestedAddress(args) {
  let first = args[0];
  if (Array.isArray(first)) first = first[0];
  if (first !== null && typeof first === 'object') first = first.path ?? first.port;
  if (typeof first === 'string' && /^\d+$/.test(first)) first = Number(first);
  if (typeof first === 'string' && first !== '') return first;
  return Number.isInteger(first) && first > 0 ? first : undefined;
}

/**
 * While a reload evaluates new code, the old generation still listens: a new server that binds
 * the same port (or pipe) at once fails with EADDRINUSE. (`listen(port, host)` looks the host up
 * first and binds after the reload returned, by when the old server has closed.) When the old
 * server will be disposed at commit, the new `listen()` is deferred until then, after the old
 * server stopped accepting. Until the reload returns, the new server is not listening yet; if the
 * reload fails it never listens.
 */
function addressHeldByRetiringGeneration(record, address) {
  if (address === undefined || (tracker.openTransaction === null && !state.esmSwapOpen)) return false;
  let found = false;
  state.serverHolders = state.serverHolders.filter((ref) => {
    const holder = ref.deref();
    if (holder === undefined) return false;
    if (!found && holder !== record && isRetiringForDisposal(holder)) found = listensOn(holder, address);
    return true;
  });
  return found;
}

function isRetiringForDisposal(record) {
  if (record.phase !== LIVE || policyOf(record.file) !== 'dispose') return false;
  if (record.esmRetiring) return true;
  const mod = record.moduleRef.deref();
  return mod !== undefined && tracker.isRetired(mod);
}

function listensOn(record, address) {
  return record.entries.some((entry) => {
    if (entry.type !== 'server') return false;
    const server = liveTarget(entry);
    if (server === undefined || !server.listening) return false;
    const bound = server.address();
    return typeof address === 'string' ? bound === address : bound?.port === address;
  });
}

function startDeferredListens() {
  const deferred = state.deferredListens;
  state.deferredListens = [];
  for (const { record, server, args } of deferred) {
    try {
      state.als.run(record, () => unrecorded(state.originals.listen, server, args));
      noteListened(record, server);
    } catch (error) {
      process.nextTick(() => server.emit('error', error));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Disposal

function policyOf(file) {
  return state.overrides.get(file) ?? state.policy;
}

/** Keeps `promise` in the set `settled()` waits for until it ends. */
function trackPending(promise) {
  state.pending.add(promise);
  promise.then(() => state.pending.delete(promise));
  return promise;
}

function warnLeft(record, held) {
  if (held.length === 0) return;
  const list = held.map((resource) => resource.description).join(', ');
  const noStack = '    (no creation stack: started before the policy was warn)';
  const detail = held.map((resource) => `${resource.description}\n${resource.stack ?? noStack}`).join('\n');
  const count = `${held.length} resource${held.length === 1 ? '' : 's'}`;
  process.emitWarning(`${count} of a replaced generation of ${record.file} still running: ${list}`, {
    type: 'ModswapWarning',
    code: 'MODSWAP_RESOURCES_LEFT',
    detail,
  });
}

/** Stops one resource (`how`: 'stop' or 'stopNow'); a throw becomes a 'failed' line with the error. */
function stopResource(resource, lines, waits, how = 'stop') {
  let outcome;
  try {
    outcome = resource[how]();
  } catch (error) {
    outcome = { action: 'failed', error };
  }
  const line = { ...publicView(resource), action: outcome.action };
  if (outcome.error !== undefined) line.error = outcome.error;
  if (outcome.requests?.length > 0) line.requests = outcome.requests;
  lines.push(line);
  if (outcome.done !== undefined) waits.push(outcome.done);
}

/** Everything but servers: timers, listeners, watchers, sockets, child processes, workers. */
function stopAllButServers(record, lines, waits) {
  for (const resource of heldResources(record)) if (!resource.isServer) stopResource(resource, lines, waits);
}

/**
 * Servers first stop accepting. When one still serves requests, the rest of the generation
 * (the timers, sockets or child processes those requests may be waiting on) is stopped once
 * every server has drained or the grace period ended, so work in flight is not cut.
 */
function disposeNow(record) {
  const held = heldResources(record);
  const lines = [];
  const serverWaits = [];
  for (const resource of held) if (resource.isServer) stopResource(resource, lines, serverWaits);
  const draining = held.some((resource) => resource.isServer && kinds().openConnections(resource.target) > 0);
  let rest;
  if (draining) {
    for (const resource of held) if (!resource.isServer) lines.push({ ...publicView(resource), action: 'deferred' });
    rest = Promise.all(serverWaits).then(() => {
      const waits = [];
      state.als.run(undefined, () => stopAllButServers(record, [], waits));
      return Promise.all(waits);
    });
  } else {
    const waits = [];
    stopAllButServers(record, lines, waits);
    rest = Promise.all([...serverWaits, ...waits]);
  }
  const finish = () => {
    record.phase = DISPOSED;
  };
  // A stop that throws later (inside a grace timer) must not leave an unhandled rejection.
  const settled = trackPending(rest.then(finish, finish));
  return { policy: 'dispose', resources: lines, settled };
}

/**
 * Erlang's purge: what a replaced generation still holds is closed now, not drained. Servers
 * lose their open connections (the requests cut are listed), sockets are destroyed, child
 * processes get SIGKILL, and what waited for a server to drain stops at once.
 */
function purgeRecord(record) {
  const lines = [];
  for (const resource of heldResources(record)) stopResource(resource, lines, [], 'stopNow');
  record.phase = DISPOSED;
  return lines;
}

/**
 * Whether `record` may still hold something: false when it never recorded anything, or what it
 * recorded was swept out. Most generations (a route module, a helper) start nothing, and a swap
 * need not look at them further.
 */
function mayHoldAnything(record) {
  return record.timers.length > 0 || record.entries.length > 0;
}

/** What disposeRecord does to a generation that holds nothing, without a promise or a context. */
function closeEmptyRecord(record, policy) {
  record.phase = policy === 'dispose' ? DISPOSED : LEFT;
}

function disposeRecord(record, policy) {
  if (policy === 'off') {
    record.phase = LEFT;
    return { policy, resources: [], settled: Promise.resolve() };
  }
  if (policy === 'warn') {
    record.phase = LEFT;
    const held = heldResources(record);
    warnLeft(record, held);
    const resources = held.map((resource) => ({ ...publicView(resource), action: 'left' }));
    return { policy, resources, settled: Promise.resolve() };
  }
  record.phase = DISPOSING;
  // Outside any generation: what disposal starts (grace timers, listeners) is nobody's.
  return state.als.run(undefined, () => disposeNow(record));
}

// ---------------------------------------------------------------------------------------------
// Public (internal) API

/** How a bad value is shown in an error message: strings quoted, anything else by its type. */
function shown(value) {
  if (typeof value === 'string') return `'${value}'`;
  return value === null ? 'null' : typeof value;
}

function invalidOptions(message) {
  return new ModswapError('ERR_MODSWAP_INVALID_OPTIONS', message);
}

function expectPolicy(policy) {
  if (!POLICIES.includes(policy)) {
    throw invalidOptions(`policy must be one of 'dispose', 'warn', 'off', got ${shown(policy)}`);
  }
}

function expectInstalled() {
  if (state === null) install();
}

/** The record of a Module object, a tracker id, or the file name of a cached module. */
function recordOf(moduleOrId) {
  expectInstalled();
  let mod = moduleOrId;
  if (typeof moduleOrId === 'number') mod = tracker.moduleOf(moduleOrId);
  else if (typeof moduleOrId === 'string') {
    mod = Module._cache[moduleOrId];
    if (mod === undefined) return state.esmCurrent.get(moduleOrId);
  } else if (!(moduleOrId instanceof Module)) {
    throw invalidOptions(`expected a Module, a module id number or an absolute file name, got ${shown(moduleOrId)}`);
  }
  return mod === undefined ? undefined : state.records.get(mod);
}

function createState() {
  return {
    als: new AsyncLocalStorage(),
    policy: 'dispose',
    overrides: new Map(),
    /** Timers servers start for themselves (see rememberServerTimers). */
    serverTimers: new WeakSet(),
    /** Bumped on every policy or stack-mode change; records cache their stack decision by it. */
    policyVersion: 0,
    tracking: true,
    stacks: 'auto',
    gracePeriodMs: DEFAULT_GRACE_MS,
    records: new WeakMap(),
    /** ES modules (see enterEsmVersion): version URL -> record, for the versions not replaced yet. */
    esmRecords: new Map(),
    /** ES modules: file -> record of the version that serves. */
    esmCurrent: new Map(),
    /** ES modules: file -> record of the version replaced last (purged when the next swap commits). */
    esmReplaced: new Map(),
    /** True while an ES module swap evaluates new versions (see beforeEsmEvaluation). */
    esmSwapOpen: false,
    /** Server, child process, worker, watcher or non-stream emitter -> the generation it is of. */
    owners: new WeakMap(),
    /** Server, child process, worker or watcher -> the record that has an entry for it. */
    recorded: new WeakMap(),
    /** Resource (or listener function) -> its creation stack, unformatted (see rememberStack). */
    stackHolders: new WeakMap(),
    /** Records created while the current reload evaluates new code. */
    attempt: [],
    serverHolders: [],
    deferredListens: [],
    pending: new Set(),
    suppressed: 0,
    reportedFailure: false,
    patches: [],
    originals: {},
  };
}

/**
 * Starts resource tracking for modules evaluated from now on: patches timers, net servers and
 * sockets, fs watchers, child processes, workers, EventEmitter listeners and module evaluation.
 * Idempotent, and shared with any other copy of modswap in the same thread.
 */
function install() {
  if (state !== null) return api;
  const shared = Module.prototype._compile[kState];
  if (shared !== undefined) {
    state = shared;
    return api;
  }
  state = createState();
  state.originals.unwatchFile = fs.unwatchFile;
  state.patches = createPatches(state.als, hooks);
  state.originals.listen = state.patches.find((patch) => patch.key === 'listen').original;
  for (const patch of state.patches) patch.apply();
  Module.prototype._compile[kState] = state;
  tracker.onRetire = onModuleRetired;
  return api;
}

/**
 * Puts every patched function back (those still ours) and forgets all records. Modules evaluated
 * while tracking was on keep their async context, which nothing reads any more.
 */
function uninstall() {
  if (state === null) return;
  for (const patch of state.patches) patch.restore();
  if (tracker.onRetire === onModuleRetired) tracker.onRetire = null;
  state.als.disable();
  state = null;
}

/**
 * What the generation still holds: `[{ kind, description, stack? }]`. `kind` is one of
 * 'timeout', 'interval', 'immediate', 'server', 'socket', 'watcher', 'child-process', 'worker',
 * 'listener'. `stack` (creation stack, frames only) is always there for servers, watchers, child
 * processes and workers; for timers, sockets and listeners only when the generation's policy was
 * 'warn' when they were created, or with `configure({ stacks: 'always' })`.
 * @param {Module|number|string} moduleOrId a Module object, its tracker id, or the absolute file
 *   name of a cached module (its current generation)
 */
function resourcesOf(moduleOrId) {
  const record = recordOf(moduleOrId);
  if (record === undefined || !mayHoldAnything(record)) return [];
  return state.als.run(undefined, () => heldResources(record).map(publicView));
}

/**
 * Applies `policy` (default: the file's policy) to a generation now, and returns what it did:
 * `{ policy, resources: [{ kind, description, stack?, action }], settled }`. `action` is what
 * happened ('cleared', 'closing', 'closed', 'ended', 'kept' for a socket an http.Agent pools,
 * 'killed' (SIGTERM, SIGKILL after the grace period), 'exited', 'terminated', 'removed',
 * 'deferred' while its servers drain, 'left' for warn, 'failed' with `error`);
 * `settled` resolves when servers have closed and everything else has stopped (or the grace
 * period ended). Never throws for a resource that fails to stop.
 * @param {Module|number|string} moduleOrId see resourcesOf
 * @param {'dispose'|'warn'|'off'} [policy]
 */
function disposeGeneration(moduleOrId, policy) {
  if (policy !== undefined) expectPolicy(policy);
  const record = recordOf(moduleOrId);
  if (record === undefined) return { policy: policy ?? state.policy, resources: [], settled: Promise.resolve() };
  return disposeRecord(record, policy ?? policyOf(record.file));
}

/**
 * Erlang's purge of a replaced generation (when a third one loads): unless its policy left it
 * running ('warn', 'off'), closes at once what it still holds, servers still draining included.
 * Returns `[{ kind, description, action, requests? }]`: `action` as in disposeGeneration, plus
 * 'destroyed' (a server's open connections, a socket); `requests` the "GET /path" of requests a
 * destroyed server was still answering.
 * @param {Module|number|string} moduleOrId see resourcesOf
 */
function purgeGeneration(moduleOrId) {
  const record = recordOf(moduleOrId);
  if (record === undefined || record.phase === LEFT) return [];
  if (!mayHoldAnything(record)) {
    record.phase = DISPOSED;
    return [];
  }
  return state.als.run(undefined, () => purgeRecord(record));
}

/**
 * Runs `fn(...args)` outside any generation's async context: what it starts, and every callback
 * descending from it, is untracked. For shared objects created lazily (a connection pool, a
 * cache with an expiry timer) that must survive the reload of the module that first used them.
 */
function untracked(fn, ...args) {
  expectInstalled();
  if (typeof fn !== 'function') throw invalidOptions(`untracked() expects a function, got ${shown(fn)}`);
  return state.als.run(undefined, fn, ...args);
}

/**
 * `setPolicy(policy)` sets the default for every generation; `setPolicy(file, policy)` sets it
 * for the generations of one file (absolute path) and wins over the default; `setPolicy(file,
 * null)` removes that override. With 'off' as the default and no override other than 'off',
 * tracking stops altogether (modules evaluated from then on are not attributed, and async
 * context propagation is switched off, so it costs nothing).
 */
function setPolicy(fileOrPolicy, policy) {
  expectInstalled();
  if (arguments.length < 2) {
    expectPolicy(fileOrPolicy);
    state.policy = fileOrPolicy;
  } else {
    if (typeof fileOrPolicy !== 'string' || !path.isAbsolute(fileOrPolicy)) {
      throw invalidOptions(`setPolicy(file, policy) expects an absolute file name, got ${shown(fileOrPolicy)}`);
    }
    if (policy === null) state.overrides.delete(fileOrPolicy);
    else {
      expectPolicy(policy);
      state.overrides.set(fileOrPolicy, policy);
    }
  }
  state.policyVersion++;
  updateTracking();
}

function updateTracking() {
  const tracking = state.policy !== 'off' || [...state.overrides.values()].some((policy) => policy !== 'off');
  if (state.tracking && !tracking) state.als.disable();
  state.tracking = tracking;
}

/** The policy that applies to `file`'s generations. */
function policyFor(file) {
  expectInstalled();
  return policyOf(file);
}

/**
 * Global options: `gracePeriodMs` (default 5000): how long draining servers, ended sockets and
 * SIGTERMed child processes get before they are destroyed or SIGKILLed; `stacks`: 'auto'
 * (default: creation stacks of timers, sockets and listeners only under policy 'warn') or
 * 'always' (costs a stack capture per timer). Returns the options now in force.
 */
function configure(options = {}) {
  expectInstalled();
  if (options === null || typeof options !== 'object') {
    throw invalidOptions(`configure() expects an options object, got ${shown(options)}`);
  }
  const { gracePeriodMs = state.gracePeriodMs, stacks = state.stacks } = options;
  if (!Number.isFinite(gracePeriodMs) || gracePeriodMs < 0) {
    throw invalidOptions(`options.gracePeriodMs must be a number of milliseconds >= 0, got ${gracePeriodMs}`);
  }
  if (!STACK_MODES.includes(stacks)) {
    throw invalidOptions(`options.stacks must be 'auto' or 'always', got ${shown(stacks)}`);
  }
  state.gracePeriodMs = gracePeriodMs;
  state.stacks = stacks;
  state.policyVersion++;
  return { gracePeriodMs, stacks };
}

/** Resolves when every disposal started so far has finished (servers closed, processes exited). */
function settled() {
  if (state === null) return Promise.resolve();
  return Promise.all([...state.pending]).then(() => undefined);
}

/**
 * Reload hook, called by reload() after the surgery committed: the generations it retired
 * (`[id, Module]` pairs) are disposed by their policy, then listens deferred for a port they
 * held are started. No-op when tracking is not installed.
 */
function afterCommit(retired) {
  if (state === null) return;
  state.attempt = [];
  const replaced = [];
  for (const [, mod] of retired) {
    const record = state.records.get(mod);
    if (record !== undefined) replaced.push(record);
  }
  disposeReplaced(replaced);
}

/**
 * After a swap committed: the replaced generations' `records` still live are disposed by their
 * policy, then the listens deferred for an address they held start.
 */
function disposeReplaced(records) {
  const holding = [];
  for (const record of records) {
    if (record.phase !== LIVE) continue;
    if (mayHoldAnything(record)) holding.push(record);
    else closeEmptyRecord(record, policyOf(record.file));
  }
  if (holding.length === 0 && state.deferredListens.length === 0) return;
  state.als.run(undefined, () => {
    for (const record of holding) disposeRecord(record, policyOf(record.file));
    startDeferredListens();
  });
}

/**
 * Reload hook, called by reload() after a rollback: nothing that was live is disposed; what the
 * failed attempt started (the new instances are thrown away) is disposed by its policy.
 */
function afterRollback() {
  if (state === null) return;
  const attempt = state.attempt;
  state.attempt = [];
  state.deferredListens = [];
  state.als.run(undefined, () => {
    for (const record of attempt) if (record.phase === LIVE) disposeRecord(record, policyOf(record.file));
  });
}

// ---------------------------------------------------------------------------------------------
// ES modules. A module body cannot be wrapped in als.run() as CommonJS's _compile is: the load
// hook puts a call on the first line of each project module (lib/esm/inject.js) that enters its
// version's record with AsyncLocalStorage.enterWith, and one after the last line that goes back
// to the store that was active before. The body's own code and every async chain it starts are
// thus charged to the version, as a CommonJS module's are to its generation. A version whose
// body throws stays entered until the loader's synchronous work returns; nothing of the app
// runs there.

/**
 * Enters the record of the ES module version `url` (of file `path`, `meta` its import.meta) and
 * returns the store that was active, for leaveEsmVersion; undefined when tracking is off or for
 * the entry module (never swapped, as in CommonJS).
 */
function enterEsmVersion(meta, path, url) {
  if (state === null || !state.tracking || path === esmEntry()) return undefined;
  let record = state.esmRecords.get(url);
  if (record === undefined) {
    record = new GenerationRecord(meta, path);
    state.esmRecords.set(url, record);
    if (!state.esmCurrent.has(path)) state.esmCurrent.set(path, record);
  }
  const previous = { store: state.als.getStore() };
  state.als.enterWith(record);
  return previous;
}

/** Back to the store enterEsmVersion found (its return value), as the version's body ends. */
function leaveEsmVersion(previous) {
  if (state !== null && previous !== undefined) state.als.enterWith(previous.store);
}

let esmEntryPath;
/** The entry module's path when it is an ES module file (process.argv[1] as Node resolves it). */
function esmEntry() {
  if (esmEntryPath === undefined) {
    try {
      esmEntryPath = process.argv[1] ? fs.realpathSync(path.resolve(process.argv[1])) : '';
    } catch {
      esmEntryPath = '';
    }
  }
  return esmEntryPath;
}

/**
 * ES module swap hook, before the new versions evaluate: the versions at `oldUrls` are about to
 * be replaced, so a new version's listen() on an address one of their servers holds waits for
 * that server to close (as in a CommonJS swap) instead of failing with EADDRINUSE.
 */
function beforeEsmEvaluation(oldUrls) {
  if (state === null) return;
  for (const url of oldUrls) {
    const record = state.esmRecords.get(url);
    if (record !== undefined) record.esmRetiring = true;
  }
  state.esmSwapOpen = true;
}

/** Ends what beforeEsmEvaluation started; the records of `oldUrls` retire (commit) or stay. */
function endEsmEvaluation(oldUrls) {
  state.esmSwapOpen = false;
  for (const url of oldUrls) {
    const record = state.esmRecords.get(url);
    if (record !== undefined) record.esmRetiring = false;
  }
}

/**
 * ES module swap hook (lib/esm/swap.js), after the swap committed: for each file, `oldUrl` was
 * replaced by `newUrl`. The replaced versions are disposed by their policy, and the versions they
 * replaced in turn are purged (Erlang's rule, as for CommonJS: two versions at most).
 * @param {{ path: string, oldUrl: string, newUrl: string }[]} replaced
 */
function afterEsmCommit(replaced) {
  if (state === null) return;
  endEsmEvaluation(replaced.map(({ oldUrl }) => oldUrl));
  const records = [];
  for (const { path: file, oldUrl, newUrl } of replaced) {
    const current = state.esmRecords.get(newUrl);
    if (current !== undefined) state.esmCurrent.set(file, current);
    else state.esmCurrent.delete(file);
    const record = state.esmRecords.get(oldUrl);
    state.esmRecords.delete(oldUrl);
    const older = state.esmReplaced.get(file);
    if (older !== undefined && older !== record) purgeEsmRecord(older);
    if (record === undefined) {
      state.esmReplaced.delete(file);
      continue;
    }
    state.esmReplaced.set(file, record);
    weakenTimers(record);
    records.push(record);
  }
  disposeReplaced(records);
}

function purgeEsmRecord(record) {
  if (record.phase === LEFT) return;
  if (mayHoldAnything(record)) state.als.run(undefined, () => purgeRecord(record));
  else record.phase = DISPOSED;
}

/**
 * ES module swap hook, after a rollback: what the failed versions (`urls`) started is disposed
 * by its policy (their deferred listens never start); the versions at `oldUrls` keep serving.
 */
function afterEsmRollback(oldUrls, urls) {
  if (state === null) return;
  endEsmEvaluation(oldUrls);
  state.deferredListens = [];
  const failed = [];
  for (const url of urls) {
    const record = state.esmRecords.get(url);
    state.esmRecords.delete(url);
    if (record !== undefined && record.phase === LIVE) failed.push(record);
  }
  if (failed.length === 0) return;
  state.als.run(undefined, () => {
    for (const record of failed) disposeRecord(record, policyOf(record.file));
  });
}

const api = {
  install,
  uninstall,
  resourcesOf,
  disposeGeneration,
  purgeGeneration,
  setPolicy,
  policyFor,
  configure,
  settled,
  untracked,
  afterCommit,
  afterRollback,
  enterEsmVersion,
  leaveEsmVersion,
  beforeEsmEvaluation,
  afterEsmCommit,
  afterEsmRollback,
  isInstalled: () => state !== null,
};

module.exports = api;

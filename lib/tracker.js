'use strict';
// Observes Node's CommonJS bookkeeping and mirrors it into the Rust module graph.
//
// JS touches the Module objects (cheap here, ~100x dearer from Rust); what changed is appended to
// a flat event log and sent to Rust in one call (`flush`) only when a question is asked. Every
// module instance gets an integer id stored on it under a private symbol; the tracker keeps a
// WeakRef per id so it can reach old generations for surgery without keeping them alive.
const Module = require('node:module');
const { binding, callNative } = require('./native');
const { readParent, writeParent } = require('./module-parent');
const { markGeneration, numberMarkers } = require('./explain/markers');

const OP_LOAD = 1;
const OP_EDGE = 2;
const OP_UNEDGE = 3;
const OP_RETIRE = 4;
const OP_COLLECTED = 5;
const OP_PARENT = 6;
const OP_REQUIRER = 7;
/** "No node" in the native encodings. */
const NO_NODE = 0xffffffff;

const kNodeId = Symbol('modswap.nodeId');
const kRetired = Symbol('modswap.retired');
const kRequirer = Symbol('modswap.requirer');
const kTracker = Symbol.for('modswap.tracker');

/** Own function-valued properties looked at per exports object: enough for any real module. */
const EXPORTED_FUNCTIONS_WATCHED = 256;

const isReferenceValue = (value) => (typeof value === 'object' && value !== null) || typeof value === 'function';

/**
 * The values an old generation exported and that die with it, as [value, name] pairs: the
 * exports (name ''), unless they are a child's (a re-export), and their own function-valued data
 * properties (getters are not run).
 */
function exportedValues(mod) {
  const exported = mod.exports;
  if (!isReferenceValue(exported)) return [];
  const children = Array.isArray(mod.children) ? mod.children : [];
  if (children.some((child) => child !== null && typeof child === 'object' && child.exports === exported)) return [];
  const values = [[exported, '']];
  try {
    const keys = Object.keys(exported);
    for (let i = 0; i < keys.length && i < EXPORTED_FUNCTIONS_WATCHED; i++) {
      const value = Object.getOwnPropertyDescriptor(exported, keys[i])?.value;
      if (typeof value === 'function') values.push([value, keys[i]]);
    }
  } catch {
    // A Proxy whose traps throw: the exports object itself is still watched.
  }
  return values;
}

/**
 * The entry module. Not `require.main`: a module preloaded with `-r` (modswap/register) gets its
 * `require.main` before the entry exists, and it stays undefined.
 */
function entryModule() {
  return process.mainModule ?? require.main;
}

function moduleFile(mod) {
  return mod.filename || mod.id || '<anonymous>';
}

class Tracker {
  constructor() {
    this.graph = new binding.ModuleGraph();
    this.nextId = 0;
    /** Pending events: opcodes and operands, flushed to Rust as one Float64Array. */
    this.ops = [];
    /** File names of the pending LOAD events, in order. */
    this.files = [];
    /** id -> WeakRef<Module> for every instance not yet collected. */
    this.refs = new Map();
    this.collector = new FinalizationRegistry((id) => this.onCollected(id));
    /** id -> how many of the values watched for that old generation are still alive. */
    this.pendingCollections = new Map();
    /** id -> WeakRefs of the other Module objects standing for that cached module (aliases). */
    this.aliases = new Map();
    this.cacheAdopted = false;
    this.gcCount = 0;
    this.gcObserver = null;
    /** Set while a reload evaluates new code; see `transaction`. */
    this.openTransaction = null;
    /** Called with each Module retired (lib/dev/resources.js lets go of what it holds strongly). */
    this.onRetire = null;
    /** id -> snapshot markers (lib/explain/markers.js) made before the table had its generation number. */
    this.unnumbered = new Map();
  }

  /** The id of `mod`, adopting it (and any children it already lists) on first sight. */
  idOf(mod) {
    const id = mod[kNodeId];
    return id === undefined ? this.adopt(mod) : id;
  }

  /**
   * Tracks `root` and whatever it already lists in `children`, recursively, and records each
   * newly tracked object's `parent`. Only the first `rootChildLimit` children of the root are
   * taken: the require hook logs the rest. Returns the root's id.
   */
  adopt(root, rootChildLimit = Infinity) {
    const adopted = [root];
    const rootId = this.track(root);
    for (let next = 0; next < adopted.length; next++) {
      const mod = adopted[next];
      const children = mod.children;
      if (!Array.isArray(children)) continue;
      const parentId = mod[kNodeId];
      const limit = mod === root ? Math.min(rootChildLimit, children.length) : children.length;
      for (let i = 0; i < limit; i++) {
        const child = children[i];
        if (child === null || typeof child !== 'object') continue;
        let childId = child[kNodeId];
        if (childId === undefined) {
          childId = this.track(child);
          adopted.push(child);
        }
        this.ops.push(OP_EDGE, parentId, childId);
      }
    }
    // After every id is assigned, so a parent adopted in the same walk is known.
    for (const mod of adopted) {
      const parent = readParent(mod);
      if (parent !== null && typeof parent === 'object') this.logParent(mod[kNodeId], this.idOf(parent));
    }
    return rootId;
  }

  /**
   * Gives a Module object seen for the first time its id. A module of the cache (loaded, or
   * being loaded: Node caches it before running it) gets a new one. A Module object that was
   * never loaded stands in for its file: createRequire(file) makes one. When the cache holds a
   * module for that file, it is an alias that shares that module's id (what it requires, the
   * module requires); otherwise it is a requirer, which imports but is no generation of a file.
   */
  track(mod) {
    const file = moduleFile(mod);
    const cached = Module._cache[file];
    if (mod.loaded === true || cached === mod) return this.assignId(mod, OP_LOAD);
    if (cached !== null && typeof cached === 'object') return this.addAlias(mod, this.idOf(cached));
    const id = this.assignId(mod, OP_REQUIRER);
    mod[kRequirer] = true;
    // Watched from the start: a requirer is dropped from the graph once it is collected.
    this.watchCollection(id, mod, []);
    return id;
  }

  addAlias(mod, ownerId) {
    mod[kNodeId] = ownerId;
    const aliases = this.aliases.get(ownerId);
    if (aliases === undefined) this.aliases.set(ownerId, [new WeakRef(mod)]);
    else aliases.push(new WeakRef(mod));
    return ownerId;
  }

  /** The live aliases of `id` (see `track`), dead ones dropped. */
  aliasesOf(id) {
    const refs = this.aliases.get(id);
    if (refs === undefined) return [];
    const live = [];
    for (const ref of refs) {
      const alias = ref.deref();
      if (alias !== undefined) live.push(alias);
    }
    if (live.length < refs.length) this.aliases.set(id, live.map((alias) => new WeakRef(alias)));
    return live;
  }

  /** The Module object of `id` and its aliases: every object Node may list for that module. */
  objectsOf(id) {
    const mod = this.moduleOf(id);
    const aliases = this.aliasesOf(id);
    return mod === undefined ? aliases : [mod, ...aliases];
  }

  assignId(mod, opcode) {
    const id = this.nextId++;
    mod[kNodeId] = id;
    this.refs.set(id, new WeakRef(mod));
    this.ops.push(opcode, id, Date.now());
    this.files.push(moduleFile(mod));
    return id;
  }

  /** Records that `module.parent` of `childId` now names `parentId` (NO_NODE: nothing). */
  logParent(childId, parentId) {
    this.ops.push(OP_PARENT, childId, parentId);
  }

  /** The live Module object of `id`, or undefined once it was collected. */
  moduleOf(id) {
    const ref = this.refs.get(id);
    return ref === undefined ? undefined : ref.deref();
  }

  /**
   * Records the entries `parent.require()` appended to `parent.children` from index `from`.
   * `mark` is the first id that may have been assigned during that call. A module created by
   * an old (retired) parent would keep that parent alive through its `parent` pointer, so the
   * pointer is reset.
   */
  noteNewChildren(parent, children, from, mark) {
    const known = parent[kNodeId];
    const parentId = known === undefined ? this.adopt(parent, from) : known;
    for (let i = from; i < children.length; i++) {
      const child = children[i];
      if (child === null || typeof child !== 'object') continue;
      const known = child[kNodeId];
      const fresh = known === undefined || known >= mark;
      const childId = known === undefined ? this.idOf(child) : known;
      this.ops.push(OP_EDGE, parentId, childId);
      // Asked only for a child this call created: most requires find their child cached.
      if (fresh && this.isRetiredParent(parent, parentId) && readParent(child) === parent) {
        writeParent(child, null);
        this.logParent(childId, NO_NODE);
      }
    }
  }

  /** Whether `parent` is an old generation; an alias (see `track`) is as old as its module. */
  isRetiredParent(parent, parentId) {
    return parent[kRetired] === true || this.moduleOf(parentId)?.[kRetired] === true;
  }

  /**
   * A require() threw: Node took the instances it was creating out of `require.cache` and out of
   * their parents' `children`, but those the hook had already adopted (they required something
   * before failing) are in the graph. They are old generations from now on, watched for
   * collection, and the `parent` pointers their cached children keep to them (Node leaves those)
   * are cut, so a half-written file leaves nothing alive behind.
   */
  noteFailedLoads(mark) {
    const cache = Module._cache;
    for (let id = mark; id < this.nextId; id++) {
      const mod = this.moduleOf(id);
      if (mod === undefined || mod[kRetired] === true || mod[kRequirer] === true) continue;
      if (cache[moduleFile(mod)] === mod) continue;
      for (const child of Array.isArray(mod.children) ? mod.children : []) {
        if (child === null || typeof child !== 'object' || readParent(child) !== mod) continue;
        writeParent(child, null);
        this.logParent(this.idOf(child), NO_NODE);
      }
      this.retire(id, mod);
      this.watchRetired([[id, mod]]);
    }
  }

  /** Adopts everything in `require.cache` once, then sends pending events to Rust. */
  sync() {
    if (!this.cacheAdopted) {
      const cache = Module._cache;
      for (const key of Object.keys(cache)) {
        const mod = cache[key];
        if (mod !== null && typeof mod === 'object') this.idOf(mod);
      }
      this.cacheAdopted = true;
    }
    this.flush();
  }

  flush() {
    // Events logged while a reload evaluates new code may still be rolled back.
    if (this.ops.length === 0 || this.openTransaction !== null) return;
    const ops = Float64Array.from(this.ops);
    const files = this.files.length === 0 ? '' : this.files.join('\0') + '\0';
    this.ops.length = 0;
    this.files.length = 0;
    callNative(() => this.graph.ingest(ops, files));
    if (this.unnumbered.size > 0) this.numberUnnumbered();
  }

  /** Gives the markers made before their generation was ingested their number. */
  numberUnnumbered() {
    const ids = [...this.unnumbered.keys()];
    const numbers = callNative(() => this.graph.generationsOf(Uint32Array.from(ids)));
    ids.forEach((id, i) => {
      if (numbers[i] === 0) return;
      numberMarkers(this.unnumbered.get(id), numbers[i]);
      this.unnumbered.delete(id);
    });
  }

  /** Ids of the given modules, with the graph up to date. */
  prepare(modules) {
    const ids = modules.map((mod) => this.idOf(mod));
    this.sync();
    return ids;
  }

  mainId() {
    const main = entryModule();
    return main ? this.idOf(main) : NO_NODE;
  }

  isRetired(mod) {
    return mod[kRetired] === true;
  }

  logUnedge(parentId, childId) {
    this.ops.push(OP_UNEDGE, parentId, childId);
  }

  /** Marks `mod` as an old generation and starts watching for its collection. */
  retire(id, mod) {
    mod[kRetired] = true;
    this.ops.push(OP_RETIRE, id, Date.now(), this.gcsSoFar());
    if (this.onRetire !== null) this.onRetire(mod);
  }

  unretire(mod) {
    delete mod[kRetired];
  }

  /**
   * Watches an old generation until it is really gone: its Module object, and what it exported
   * (the exports and their own function-valued properties). Old code stays alive without its
   * Module: `app.use(require('./router'))` keeps the router function, and through its closures
   * the old versions of what it imported. A re-export of a child's exports is not the old
   * generation's own and is not watched.
   */
  watchCollection(id, mod, exported) {
    const token = this.refs.get(id);
    const watched = new Set([mod, ...exported.map(([value]) => value)]);
    this.pendingCollections.set(id, watched.size);
    for (const target of watched) this.collector.register(target, id, token);
  }

  /**
   * Watches the old generations `retired` ([id, Module] pairs) for collection and marks what
   * each leaves alive for heap snapshots (`modswap.explain()`, `modswap why`).
   */
  watchRetired(retired) {
    const numbers = callNative(() => this.graph.generationsOf(Uint32Array.from(retired, ([id]) => id)));
    retired.forEach(([id, mod], i) => {
      const exported = exportedValues(mod);
      this.watchCollection(id, mod, exported);
      const made = markGeneration(moduleFile(mod), numbers[i], mod, exported);
      if (numbers[i] === 0 && made.length > 0) this.unnumbered.set(id, made);
    });
  }

  onCollected(id) {
    const left = (this.pendingCollections.get(id) ?? 1) - 1;
    if (left > 0) {
      this.pendingCollections.set(id, left);
      return;
    }
    this.pendingCollections.delete(id);
    this.unnumbered.delete(id);
    this.refs.delete(id);
    this.aliases.delete(id);
    this.ops.push(OP_COLLECTED, id);
  }

  /** A position in the event log and id sequence that `discardSince` can return to. */
  mark() {
    return { ops: this.ops.length, files: this.files.length, id: this.nextId };
  }

  /**
   * Undoes what happened since `mark`: instances created since then leave `require.cache` and
   * are forgotten, and their events are dropped before Rust ever sees them.
   */
  discardSince(mark) {
    const cache = Module._cache;
    for (let id = mark.id; id < this.nextId; id++) {
      const mod = this.moduleOf(id);
      // Its id is handed out again: a collection reported later must not name the new owner.
      const ref = this.refs.get(id);
      if (ref !== undefined) this.collector.unregister(ref);
      this.refs.delete(id);
      this.pendingCollections.delete(id);
      for (const alias of this.aliasesOf(id)) if (alias[kNodeId] === id) delete alias[kNodeId];
      this.aliases.delete(id);
      if (mod === undefined) continue;
      if (cache[moduleFile(mod)] === mod) delete cache[moduleFile(mod)];
      if (mod[kNodeId] === id) delete mod[kNodeId];
    }
    this.nextId = mark.id;
    this.ops.length = mark.ops;
    this.files.length = mark.files;
  }

  /**
   * Garbage collections observed so far. The observer starts with the first retirement, so
   * counts are relative to that point, which is all `stale()` needs.
   */
  gcsSoFar() {
    if (this.gcObserver === null) {
      // node:perf_hooks is loaded here, not at start-up: most processes never retire a module.
      const { PerformanceObserver } = require('node:perf_hooks');
      this.gcObserver = new PerformanceObserver((list) => {
        this.gcCount += list.getEntries().length;
      });
      this.gcObserver.observe({ entryTypes: ['gc'] });
    }
    this.gcCount += this.gcObserver.takeRecords().length;
    return this.gcCount;
  }

  generations(file) {
    this.sync();
    return callNative(() => this.graph.generations(file));
  }

  stale() {
    this.sync();
    const gcs = this.gcsSoFar();
    return callNative(() => this.graph.stale(Date.now(), gcs));
  }

  /**
   * The encoded plan (see ModuleGraph.planClear). A reload's walk up to importers stops at
   * `boundaries.stopAt` (ids) and does not cross `boundaries.accepted` ((parent, child) id pairs).
   */
  planClear(rootIds, scope, boundaries = { stopAt: [], accepted: [] }) {
    const mainId = this.mainId();
    this.flush();
    const stopAt = Uint32Array.from(boundaries.stopAt);
    const accepted = Uint32Array.from(boundaries.accepted);
    return callNative(() => this.graph.planClear(Uint32Array.from(rootIds), scope, mainId, stopAt, accepted));
  }

  /** Whether `mod` is the module `require.cache` holds for its file (not old, not a requirer). */
  isCurrentModule(mod) {
    return mod[kRetired] !== true && mod[kRequirer] !== true && Module._cache[moduleFile(mod)] === mod;
  }
}

/**
 * Wraps `Module.prototype.require` so every edge Node adds to a `children` array is logged.
 * Cost per call: two length reads; a few pushes when the call added a child.
 */
function installRequireHook(tracker) {
  const proto = Module.prototype;
  const originalRequire = proto.require;
  function require(id) {
    const children = this.children;
    if (!Array.isArray(children)) return originalRequire.call(this, id);
    const before = children.length;
    const mark = tracker.nextId;
    let result;
    try {
      result = originalRequire.call(this, id);
    } catch (error) {
      tracker.noteFailedLoads(mark);
      throw error;
    }
    if (children.length > before) tracker.noteNewChildren(this, children, before, mark);
    return result;
  }
  require[kTracker] = tracker;
  proto.require = require;
}

/** The process-wide tracker (one per JS environment: each worker thread has its own). */
function getTracker() {
  const installed = Module.prototype.require[kTracker];
  if (installed) return installed;
  const tracker = new Tracker();
  installRequireHook(tracker);
  return tracker;
}

module.exports = { getTracker, moduleFile, entryModule, NO_NODE };

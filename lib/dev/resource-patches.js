'use strict';
// The patch points of resource tracking: Node's public functions that start something that
// outlives the call (timers, servers, sockets, watchers, child processes, workers, listeners)
// and the function that evaluates a CommonJS module. Each wrapper calls the original with the
// same `this` and arguments and returns its result unchanged; it only tells `hooks` what was
// started, and only when the current async context names a module generation. Outside one, a
// wrapper costs one `AsyncLocalStorage#getStore()` call.
const Module = require('node:module');
const EventEmitter = require('node:events');
const Stream = require('node:stream');
const net = require('node:net');
const fs = require('node:fs');
const path = require('node:path');
const timers = require('node:timers');
const childProcess = require('node:child_process');
const workerThreads = require('node:worker_threads');

const kPatched = Symbol.for('modswap.resources.patched');

/**
 * Gives `wrapper` the name, length and own properties of `original` (setTimeout's
 * `util.promisify.custom`, for one), so code that inspects the function sees no difference.
 */
function impersonate(wrapper, original) {
  for (const key of Reflect.ownKeys(original)) {
    if (key === 'prototype' || key === 'caller' || key === 'arguments') continue;
    const descriptor = Object.getOwnPropertyDescriptor(original, key);
    if (descriptor.configurable || !(key in wrapper)) Object.defineProperty(wrapper, key, descriptor);
  }
  Object.defineProperty(wrapper, kPatched, { value: original, configurable: true });
  return wrapper;
}

/** Calls a hook; what it throws is reported (hooks.failed), never thrown into the user's call. */
function safely(hooks, hook, ...args) {
  try {
    return hook(...args);
  } catch (error) {
    hooks.failed(error);
    return undefined;
  }
}

/** The timer path, kept small: it runs for every timer created inside a generation. */
function noteTimer(hooks, record, timer, api) {
  try {
    hooks.timer(record, timer, api);
  } catch (error) {
    hooks.failed(error);
  }
}

/** A property replaced on an object, restorable as long as nobody replaced it after us. */
class Patch {
  constructor(owner, key, replacement) {
    this.owner = owner;
    this.key = key;
    this.original = owner[key];
    this.replacement = replacement;
  }

  apply() {
    this.owner[this.key] = this.replacement;
  }

  restore() {
    if (this.owner[this.key] === this.replacement) this.owner[this.key] = this.original;
  }
}

/**
 * The file descriptor of a stdio stream (0, 1, 2) or undefined. Streams are I/O plumbing that
 * closes with its connection or file, except the process's own stdio, which lives forever.
 */
function stdioFd(stream) {
  const fd = typeof stream.fd === 'number' ? stream.fd : stream._handle?.fd;
  return typeof fd === 'number' && fd >= 0 && fd <= 2 ? fd : undefined;
}

/** Emitters whose listeners are worth recording: not streams, except stdio. */
function isLongLivedEmitter(emitter) {
  if (emitter === null || (typeof emitter !== 'object' && typeof emitter !== 'function')) return false;
  return !(emitter instanceof Stream) || stdioFd(emitter) !== undefined;
}

/**
 * Builds every patch. `als` names the current generation; `hooks` records what is started
 * (see resources.js): each hook runs after the original call returned, except `listen`, which
 * may ask to defer the call (`hooks.listen` returns true) while a reload hands a port over.
 */
function createPatches(als, hooks) {
  const patches = [];
  const replace = (owner, key, makeWrapper) => {
    const original = owner[key];
    if (typeof original !== 'function') return undefined;
    const wrapper = impersonate(makeWrapper(original), original);
    patches.push(new Patch(owner, key, wrapper));
    return wrapper;
  };

  compilePatch(als, hooks, replace);
  timerPatches(als, hooks, replace, patches);
  serverAndSocketPatches(als, hooks, replace);
  watcherPatches(als, hooks, replace);
  processPatches(als, hooks, replace, patches);
  emitterInitPatch(als, hooks, replace);
  listenerPatches(als, hooks, replace, patches);
  return patches;
}

/** The generation `mod` evaluates under, kept small (no rest arguments): it runs per module load. */
function generationOf(hooks, mod) {
  try {
    return hooks.generationFor(mod);
  } catch (error) {
    hooks.failed(error);
    return undefined;
  }
}

/** Module evaluation runs inside the async context of its generation (see resources.js). */
function compilePatch(als, hooks, replace) {
  replace(Module.prototype, '_compile', (original) =>
    function _compile(content, filename) {
      const record = generationOf(hooks, this);
      if (record === undefined && als.getStore() === undefined) return Reflect.apply(original, this, arguments);
      return als.run(record, Reflect.apply, original, this, arguments);
    },
  );
}

/**
 * The global timer functions and `node:timers`' exports are the same function objects; both
 * holders get the same wrapper so `require('timers').setTimeout === setTimeout` stays true.
 */
function timerPatches(als, hooks, replace, patches) {
  for (const name of ['setTimeout', 'setInterval', 'setImmediate']) {
    const wrapper = replace(globalThis, name, (original) => {
      const wrappers = {
        setTimeout: function setTimeout(callback, delay) {
          const timer = Reflect.apply(original, this, arguments);
          const record = als.getStore();
          if (record !== undefined) noteTimer(hooks, record, timer, wrappers.setTimeout);
          return timer;
        },
        setInterval: function setInterval(callback, delay) {
          const timer = Reflect.apply(original, this, arguments);
          const record = als.getStore();
          if (record !== undefined) noteTimer(hooks, record, timer, wrappers.setInterval);
          return timer;
        },
        setImmediate: function setImmediate(callback) {
          const immediate = Reflect.apply(original, this, arguments);
          const record = als.getStore();
          if (record !== undefined) noteTimer(hooks, record, immediate, wrappers.setImmediate);
          return immediate;
        },
      };
      return wrappers[name];
    });
    if (wrapper !== undefined && timers[name] === wrapper[kPatched]) {
      const patch = new Patch(timers, name, wrapper);
      patches.push(patch);
    }
  }
}

function serverAndSocketPatches(als, hooks, replace) {
  // Every net-based server (http, https, tls, net) listens through net.Server.prototype.listen.
  replace(net.Server.prototype, 'listen', (original) =>
    function listen() {
      const record = als.getStore();
      if (record === undefined) return Reflect.apply(original, this, arguments);
      if (safely(hooks, hooks.server, record, this, arguments, listen) === 'defer') return this;
      const result = hooks.unrecorded(original, this, arguments);
      safely(hooks, hooks.listened, record, this);
      return result;
    },
  );
  // net.connect, net.createConnection, tls.connect and http.Agent all end in Socket#connect.
  replace(net.Socket.prototype, 'connect', (original) =>
    function connect() {
      const record = als.getStore();
      if (record === undefined) return Reflect.apply(original, this, arguments);
      const result = hooks.unrecorded(original, this, arguments);
      safely(hooks, hooks.socket, record, this, arguments, connect);
      return result;
    },
  );
}

function watcherPatches(als, hooks, replace) {
  replace(fs, 'watch', (original) =>
    function watch(filename) {
      const record = als.getStore();
      if (record === undefined) return Reflect.apply(original, this, arguments);
      const watcher = hooks.unrecorded(original, this, arguments);
      safely(hooks, hooks.watcher, record, watcher, String(filename), watch);
      return watcher;
    },
  );
  // fs.watchFile shares one StatWatcher per file between callers: what a generation holds is
  // its listener on it, removed with fs.unwatchFile(file, listener).
  replace(fs, 'watchFile', (original) =>
    function watchFile(filename, options, listener) {
      const record = als.getStore();
      if (record === undefined) return Reflect.apply(original, this, arguments);
      const statWatcher = hooks.unrecorded(original, this, arguments);
      const added = typeof options === 'function' ? options : listener;
      safely(hooks, hooks.statWatcher, record, statWatcher, path.resolve(String(filename)), added, watchFile);
      return statWatcher;
    },
  );
}

function processPatches(als, hooks, replace, patches) {
  // spawn, fork, exec and execFile (and cluster) all start their process with ChildProcess#spawn.
  replace(childProcess.ChildProcess.prototype, 'spawn', (original) =>
    function spawn() {
      const record = als.getStore();
      if (record === undefined) return Reflect.apply(original, this, arguments);
      const result = hooks.unrecorded(original, this, arguments);
      safely(hooks, hooks.child, record, this, spawn);
      return result;
    },
  );
  // A Proxy keeps `new Worker()`, subclassing, `instanceof` and static members as they were.
  const OriginalWorker = workerThreads.Worker;
  const TrackedWorker = new Proxy(OriginalWorker, {
    construct(target, args, newTarget) {
      const record = als.getStore();
      if (record === undefined) return Reflect.construct(target, args, newTarget);
      const worker = hooks.unrecorded(Reflect.construct, undefined, [target, args, newTarget]);
      safely(hooks, hooks.worker, record, worker, args[0], TrackedWorker);
      return worker;
    },
  });
  patches.push(new Patch(workerThreads, 'Worker', TrackedWorker));
}

/**
 * A listener for a signal makes `process` open a signal handle in the async context of the
 * first such listener: later handlers would run in that generation's context long after it was
 * replaced. Listeners are added to `process` outside any context: its handlers run unattributed.
 */
function addListenerTo(als, original, emitter, type, listener) {
  if (emitter === process) return als.run(undefined, Reflect.apply, original, emitter, [type, listener]);
  return original.call(emitter, type, listener);
}

/**
 * Every EventEmitter is set up by `EventEmitter.init` (its constructor calls it at call time).
 * Emitters other than streams created inside a generation are tagged as its own: listeners it
 * adds to them go with it and are not recorded.
 */
function emitterInitPatch(als, hooks, replace) {
  replace(EventEmitter, 'init', (original) =>
    function init(opts) {
      const result = Reflect.apply(original, this, arguments);
      const record = als.getStore();
      if (record !== undefined && !(this instanceof Stream)) safely(hooks, hooks.emitter, record, this);
      return result;
    },
  );
}

/**
 * `on`/`addListener` (one function) and `prependListener`; `once` and `prependOnceListener` call
 * them with their wrapper, which is what gets recorded (and removed). Streams are skipped before
 * anything else: they are the bulk of all listener calls and die with their connection or file.
 */
function listenerPatches(als, hooks, replace, patches) {
  const proto = EventEmitter.prototype;
  const sameFunction = proto.on === proto.addListener;
  for (const name of sameFunction ? ['on', 'prependListener'] : ['on', 'addListener', 'prependListener']) {
    const wrapper = replace(proto, name, (original) => {
      const wrappers = {
        addListener(type, listener) {
          const record = als.getStore();
          if (record === undefined || !isLongLivedEmitter(this)) return original.call(this, type, listener);
          const result = addListenerTo(als, original, this, type, listener);
          safely(hooks, hooks.listener, record, this, type, listener, wrappers.addListener);
          return result;
        },
        prependListener(type, listener) {
          const record = als.getStore();
          if (record === undefined || !isLongLivedEmitter(this)) return original.call(this, type, listener);
          const result = addListenerTo(als, original, this, type, listener);
          safely(hooks, hooks.listener, record, this, type, listener, wrappers.prependListener);
          return result;
        },
      };
      return name === 'prependListener' ? wrappers.prependListener : wrappers.addListener;
    });
    if (name === 'on' && sameFunction && wrapper !== undefined) patches.push(new Patch(proto, 'addListener', wrapper));
  }
}

module.exports = { createPatches, kPatched, stdioFd };

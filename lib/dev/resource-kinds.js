'use strict';
// What modswap knows about each kind of resource a module generation can hold: whether it is
// still running, a one-line description, and how to stop it. Nothing here decides *whose* a
// resource is (see resources.js); these functions only read and stop the objects.
//
// Node's Timeout and Immediate objects have no public "is it pending" state; the fields read here
// (`_idleNext`, `_repeat`, `_destroyed`, `_idleTimeout`) are the ones `util.inspect` shows and have
// not changed since Node 11. A test asserts them, so a Node that changes them fails loudly.
const { clearTimeout, clearImmediate, setTimeout: startTimer, setInterval: startInterval } = require('node:timers');
const EventEmitter = require('node:events');

/** How often a draining HTTP server is asked to drop connections that went idle, in ms. */
const IDLE_SWEEP_MS = 50;

function isImmediate(timer) {
  return '_onImmediate' in timer;
}

/**
 * A Timeout is pending while it is linked in one of Node's timer lists. An interval whose
 * callback is running right now is unlinked until the callback returns, but not destroyed: it
 * counts as pending, or clearing it from inside its own callback would be skipped.
 */
function isTimerLive(timer) {
  if (isImmediate(timer)) return timer._destroyed !== true;
  if (timer._onTimeout == null) return false;
  if (timer._idleNext != null) return true;
  return timer._repeat != null && timer._destroyed !== true;
}

function timerKind(timer) {
  if (isImmediate(timer)) return 'immediate';
  return timer._repeat != null ? 'interval' : 'timeout';
}

function describeTimer(timer) {
  if (isImmediate(timer)) return 'setImmediate';
  const api = timer._repeat != null ? 'setInterval' : 'setTimeout';
  const unref = typeof timer.hasRef === 'function' && !timer.hasRef() ? ' (unref)' : '';
  return `${api} ${timer._idleTimeout}ms${unref}`;
}

function stopTimer(timer) {
  if (isImmediate(timer)) clearImmediate(timer);
  else clearTimeout(timer);
  return 'cleared';
}

/** Runs `fn` and turns a throw into a 'failed' action, so one resource never stops the others. */
function attempt(fn) {
  try {
    return { action: fn() };
  } catch (error) {
    return { action: 'failed', error };
  }
}

/**
 * Resolves true when `emitter` emits `event`, false after `ms`. The timer is unref'd: a pending
 * disposal never keeps the process alive.
 */
function eventOrTimeout(emitter, event, ms) {
  return new Promise((resolve) => {
    const timer = startTimer(() => {
      emitter.removeListener(event, onEvent);
      resolve(false);
    }, ms).unref();
    function onEvent() {
      clearTimeout(timer);
      resolve(true);
    }
    EventEmitter.prototype.once.call(emitter, event, onEvent);
  });
}

// ---------------------------------------------------------------------------------------------
// Servers

/** `http server`, `https server`, `tls server` or `net server` (all their classes are "Server"). */
function serverType(server) {
  const http = typeof server.closeAllConnections === 'function';
  const tls = typeof server.setSecureContext === 'function';
  if (http) return tls ? 'https server' : 'http server';
  return tls ? 'tls server' : 'net server';
}

function addressText(address) {
  if (address === null || address === undefined) return '(not listening)';
  if (typeof address === 'string') return address;
  const host = address.family === 'IPv6' || address.family === 6 ? `[${address.address}]` : address.address;
  return `${host}:${address.port}`;
}

/** Address of each server modswap closed, so a server still draining is named by it. */
const addressBeforeClose = new WeakMap();

function addressOf(server) {
  try {
    return server.address() ?? addressBeforeClose.get(server) ?? null;
  } catch {
    // A server whose handle is gone has no address.
    return addressBeforeClose.get(server) ?? null;
  }
}

/** `close()`, remembering the address the server had for later descriptions. */
function closeServer(server) {
  const address = addressOf(server);
  if (address !== null) addressBeforeClose.set(server, address);
  server.close();
}

function describeServer(server, listenId) {
  if (isListenPending(server, listenId)) return `${serverType(server)} (listen pending)`;
  const address = addressOf(server);
  const closing = !server.listening && server._connections > 0 ? ` (closing, ${server._connections} open)` : '';
  return `${serverType(server)} ${addressText(address)}${closing}`;
}

/**
 * `listen(port, host)` looks the host up before binding: until then the server is not
 * listening, yet it will be. Node's close() bumps `_listeningId`, which cancels that lookup, so
 * a server whose id is still the one it had when listen() was called has a listen pending.
 */
function isListenPending(server, listenId) {
  return server.listening !== true && listenId !== undefined && server._listeningId === listenId;
}

/** Listening, about to listen, or closed to new connections but still serving the ones it has. */
function isServerLive(server, listenId) {
  return server.listening === true || server._connections > 0 || isListenPending(server, listenId);
}

function openConnections(server) {
  return typeof server._connections === 'number' ? server._connections : 0;
}

/**
 * Connections of a server: a net or tls server that will be drained needs them to destroy what
 * is left after the grace period, and a purge names the requests it cuts. Registered when the
 * server is recorded, through the original `on`, so it is never recorded as a listener itself;
 * one Set entry per connection, nothing per request.
 */
function trackConnections(server) {
  const sockets = new Set();
  EventEmitter.prototype.on.call(server, 'connection', (socket) => {
    sockets.add(socket);
    EventEmitter.prototype.once.call(socket, 'close', () => sockets.delete(socket));
  });
  return sockets;
}

/** Destroys every connection the server still has (all of them are tracked since listen()). */
function destroyConnections(sockets) {
  for (const socket of sockets) socket.destroy();
}

/**
 * Stops accepting and lets open requests finish: `close()` (an http server also drops its idle
 * keep-alive connections), then connections that become idle are dropped as they do, and
 * requests that arrive on them are answered with `Connection: close`. After `graceMs` what is
 * still open is destroyed. Returns the action and a promise of the server's 'close'.
 */
function drainServer(server, sockets, listenId, graceMs) {
  if (!isServerLive(server, listenId)) return { action: 'closed', done: Promise.resolve() };
  const closed = new Promise((resolve) => EventEmitter.prototype.once.call(server, 'close', resolve));
  closeServer(server);
  const isHttp = typeof server.closeIdleConnections === 'function';
  let idleSweep;
  if (isHttp) {
    EventEmitter.prototype.prependListener.call(server, 'request', closeAfterResponse);
    idleSweep = startInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS).unref();
  }
  const grace = startTimer(() => destroyConnections(sockets), graceMs).unref();
  const done = closed.then(() => {
    clearTimeout(grace);
    clearTimeout(idleSweep);
    if (isHttp) server.removeListener('request', closeAfterResponse);
  });
  return { action: openConnections(server) > 0 ? 'closing' : 'closed', done };
}

function closeAfterResponse(request, response) {
  response.shouldKeepAlive = false;
}

/**
 * "GET /path" of each request an http server is still answering on `sockets`: Node links a
 * connection to the response in progress (`_httpMessage`) until that response finishes.
 */
function requestsInProgress(sockets) {
  const routes = [];
  for (const socket of sockets) {
    const request = socket._httpMessage?.req;
    if (request !== undefined && !socket.destroyed) routes.push(`${request.method} ${request.url}`);
  }
  return routes;
}

/**
 * Erlang's purge of a server: stops accepting and destroys every open connection now, requests
 * in progress included (named in `requests`), instead of letting them drain.
 */
function closeServerNow(server, sockets, listenId) {
  if (!isServerLive(server, listenId)) return { action: 'closed' };
  const requests = requestsInProgress(sockets);
  const open = openConnections(server);
  if (server.listening || isListenPending(server, listenId)) closeServer(server);
  destroyConnections(sockets);
  return { action: open > 0 ? 'destroyed' : 'closed', requests };
}

// ---------------------------------------------------------------------------------------------
// Sockets, watchers, child processes, workers

/** `host:port` or a pipe path, from the arguments given to `socket.connect()`. */
function connectTarget(args) {
  let first = args[0];
  if (Array.isArray(first)) first = first[0];
  if (first !== null && typeof first === 'object') {
    if (typeof first.path === 'string') return first.path;
    return `${first.host ?? 'localhost'}:${first.port}`;
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return first;
  return `${typeof args[1] === 'string' ? args[1] : 'localhost'}:${first}`;
}

/**
 * An http.Agent keeps its pooled sockets for every caller and closes them itself when idle: such
 * a socket is 'kept' (a generation's request may have opened it, another's may be using it).
 */
function isPooledByAgent(socket) {
  return socket.listenerCount('free') > 0;
}

/** Ends the socket (pending writes are flushed) and destroys it if still open after `graceMs`. */
function endSocket(socket, graceMs) {
  if (socket.destroyed) return { action: 'closed', done: Promise.resolve() };
  if (isPooledByAgent(socket)) return { action: 'kept', done: Promise.resolve() };
  const done = eventOrTimeout(socket, 'close', graceMs).then((closed) => {
    if (!closed) socket.destroy();
  });
  socket.end();
  return { action: 'ended', done };
}

/** Erlang's purge of a socket: destroyed now, unless an http.Agent pools it for other callers. */
function destroySocket(socket) {
  if (socket.destroyed) return { action: 'closed' };
  if (isPooledByAgent(socket)) return { action: 'kept' };
  socket.destroy();
  return { action: 'destroyed' };
}

/** fs.watch's FSWatcher drops its handle on close; other watchers (recursive on Linux) hide it. */
function isWatcherLive(watcher) {
  return !('_handle' in watcher) || watcher._handle !== null;
}

function isChildLive(child) {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/** SIGTERM now, SIGKILL if the process has not exited after `graceMs`. */
function killChild(child, graceMs) {
  if (!isChildLive(child)) return { action: 'exited', done: Promise.resolve() };
  const done = eventOrTimeout(child, 'exit', graceMs).then((exited) => {
    if (!exited && isChildLive(child)) child.kill('SIGKILL');
  });
  child.kill('SIGTERM');
  return { action: 'killed', done };
}

/** Erlang's purge of a child process: SIGKILL now. */
function killChildNow(child) {
  if (!isChildLive(child)) return { action: 'exited' };
  child.kill('SIGKILL');
  return { action: 'killed' };
}

function isWorkerLive(worker) {
  return worker.threadId !== -1;
}

function terminateWorker(worker) {
  if (!isWorkerLive(worker)) return { action: 'exited', done: Promise.resolve() };
  const ignore = () => undefined;
  return { action: 'terminated', done: Promise.resolve(worker.terminate()).then(ignore, ignore) };
}

// ---------------------------------------------------------------------------------------------
// Listeners

function emitterName(emitter) {
  if (emitter === process) return 'process';
  const name = typeof emitter === 'function' ? emitter.name : emitter.constructor?.name;
  return name || typeof emitter;
}

function describeListener(emitter, event) {
  const label = typeof event === 'symbol' ? event.toString() : `'${event}'`;
  return `listener ${emitterName(emitter)} ${label}`;
}

/** Whether `listener` (as added: a once-wrapper for `once`) is still attached. */
function isListenerAttached(emitter, event, listener) {
  if (typeof emitter.rawListeners !== 'function') return true;
  return emitter.rawListeners(event).includes(listener);
}

module.exports = {
  isTimerLive,
  timerKind,
  describeTimer,
  stopTimer,
  attempt,
  describeServer,
  isServerLive,
  trackConnections,
  drainServer,
  closeServerNow,
  openConnections,
  connectTarget,
  endSocket,
  destroySocket,
  isWatcherLive,
  isChildLive,
  killChild,
  killChildNow,
  isWorkerLive,
  terminateWorker,
  describeListener,
  isListenerAttached,
};

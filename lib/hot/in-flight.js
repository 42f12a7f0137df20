'use strict';
// Calls in progress on each generation, as seen through hot() handles: what a purge of an old
// generation cuts short is reported by name and route.

/** Module -> Set of calls in progress ({ route }). */
const callsByModule = new WeakMap();

/** "GET /users" for a request-like first argument (node http, express, koa ctx, fastify). */
function describeCall(args, name) {
  const request = args[0];
  if (request !== null && typeof request === 'object' && typeof request.method === 'string' && typeof request.url === 'string') {
    return `${request.method} ${request.url}`;
  }
  return `${name || 'anonymous'}()`;
}

const isPendingResponse = (value) =>
  value !== null && typeof value === 'object' && typeof value.once === 'function' && value.writableEnded === false;

/**
 * Runs `call()` as a call into `mod`'s generation, counted until it ends: when a returned promise
 * settles, or, for `(req, res)` handlers that return at once, when the response closes.
 */
function trackCall(mod, name, args, call) {
  let calls = callsByModule.get(mod);
  if (calls === undefined) {
    calls = new Set();
    callsByModule.set(mod, calls);
  }
  const entry = { route: describeCall(args, name) };
  calls.add(entry);
  const leave = () => calls.delete(entry);
  let result;
  try {
    result = call();
  } catch (error) {
    leave();
    throw error;
  }
  if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
    result.then(leave, leave);
  } else if (isPendingResponse(args[1])) {
    args[1].once('close', leave);
  } else {
    leave();
  }
  return result;
}

/** Routes (or function names) of the calls still running on `mod`'s generation. */
function callsInProgress(mod) {
  const calls = callsByModule.get(mod);
  return calls === undefined ? [] : [...calls].map((entry) => entry.route);
}

module.exports = { trackCall, callsInProgress };

'use strict';
// Worker thread of bench/dev-server.bench.js: autocannon against the app until the main thread
// says 'stop' (or the hard time cap ends it). Running the load on its own thread keeps the save
// loop's timers and poll requests on the main thread from queueing behind autocannon's sockets.
//
// workerData: { url, connections, maxSeconds }
// Messages out: { type: 'started' }, then { type: 'result', result, errorCodes }.
const { parentPort, workerData } = require('node:worker_threads');
const autocannon = require('autocannon');

const { url, connections, maxSeconds } = workerData;

/** Failed requests by cause: ECONNREFUSED, ECONNRESET, 'timeout', … (autocannon only counts them). */
const errorCodes = {};

const instance = autocannon({ url, connections, duration: maxSeconds }, (error, result) => {
  if (error) throw error;
  parentPort.postMessage({ type: 'result', result: summarize(result), errorCodes });
});
instance.on('start', () => parentPort.postMessage({ type: 'started' }));
instance.on('reqError', (error) => {
  const cause = error.code ?? (error.message === 'request timed out' ? 'timeout' : error.message);
  errorCodes[cause] = (errorCodes[cause] ?? 0) + 1;
});
parentPort.on('message', (message) => {
  if (message === 'stop') instance.stop();
});

/**
 * The counters of autocannon's raw result (inside a worker it skips its own aggregation).
 * `resets` counts restarts of a request sequence, not TCP resets: those are ECONNRESET errors.
 */
function summarize(result) {
  return {
    durationS: result.duration,
    sent: result.totalRequests,
    completed: result.totalCompletedRequests,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    mismatches: result.mismatches,
    resets: result.resets,
  };
}

'use strict';
// Each worker thread has its own module cache, so it gets its own graph and generation table;
// a worker that exits must not take the process down with it.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Worker } = require('node:worker_threads');
const modswap = require('..');
const { makeFixture } = require('./helpers');

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const modswap = require(workerData.modswap);
require(workerData.file);
for (let i = 0; i < 5; i++) modswap.reload(workerData.file);
parentPort.postMessage(modswap.generations(workerData.file).map((row) => row.generation));
`;

function runWorker(file) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: { file, modswap: require.resolve('..') } });
    let generations;
    worker.once('message', (message) => {
      generations = message;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? resolve(generations) : reject(new Error(`worker exited ${code}`))));
  });
}

test('workers keep separate generation tables and exit cleanly', async () => {
  const fixture = makeFixture({ 'shared.js': 'module.exports = {};' });
  const file = fixture.path('shared.js');
  require(file);
  modswap.reload(file);
  const results = await Promise.all([runWorker(file), runWorker(file)]);
  assert.deepEqual(results, [
    [1, 2, 3, 4, 5, 6],
    [1, 2, 3, 4, 5, 6],
  ]);
  assert.deepEqual(
    modswap.generations(file).map((row) => row.generation),
    [1, 2],
    "the workers' reloads did not touch the main thread's table",
  );
  fixture.remove();
});

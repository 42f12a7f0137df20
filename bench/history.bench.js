'use strict';
// Does a long reload history cost anything? Reloads one small module N times and reports the
// median reload time and the time of generations()/stale() at the start and after N reloads.
//   node --expose-gc bench/history.bench.js [reloads=60000]
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const modswap = require('..');
const { setImmediate: nextTurn } = require('node:timers/promises');
const { median, msSince } = require('./lib/stats');

const RELOADS = Number(process.argv[2] ?? 60000);
const SAMPLE = 2000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modswap-history-'));
const file = path.join(dir, 'small.js');
fs.writeFileSync(file, 'exports.at = Date.now();\n');
require(file);

async function timeEach(count, fn) {
  const samples = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    fn();
    samples.push(msSince(start));
    if (i % 100 === 99) await nextTurn();
  }
  return median(samples);
}

/**
 * Reloads in batches with a turn of the event loop between them, as a watcher's reloads come:
 * WeakRefs keep their targets until the current job ends and finalizers run as tasks.
 */
async function reloadMany(count) {
  for (let done = 0; done < count; done += 100) {
    for (let i = 0; i < Math.min(100, count - done); i++) modswap.reload(file);
    await nextTurn();
  }
}

async function snapshot(label) {
  if (global.gc) global.gc();
  await nextTurn();
  const reloadMs = await timeEach(SAMPLE, () => modswap.reload(file));
  if (global.gc) global.gc();
  await nextTurn();
  const generationsMs = await timeEach(50, () => modswap.generations(file));
  const staleMs = await timeEach(50, () => modswap.stale());
  const rows = modswap.generations(file);
  const loads = rows.reduce((sum, row) => sum + row.count, 0);
  return { label, loads, rows: rows.length, reloadMs, generationsMs, staleMs, heapMb: process.memoryUsage().heapUsed / 2 ** 20 };
}

async function main() {
  const results = [await snapshot('start')];
  await reloadMany(RELOADS);
  results.push(await snapshot(`after ${RELOADS} reloads`));
  print(results);
}

function print(results) {
  fs.rmSync(dir, { recursive: true, force: true });
console.log(`node ${process.version}, ${os.cpus()[0].model}, ${new Date().toISOString().slice(0, 10)}`);
for (const r of results) {
  console.log(
    `${r.label.padEnd(22)} loads ${String(r.loads).padStart(6)}  rows ${String(r.rows).padStart(4)}  ` +
      `reload p50 ${r.reloadMs.toFixed(3)} ms  generations() ${r.generationsMs.toFixed(3)} ms  ` +
      `stale() ${r.staleMs.toFixed(3)} ms  heap ${r.heapMb.toFixed(1)} MB`,
  );
}
}

main();

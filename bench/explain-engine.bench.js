#!/usr/bin/env node
'use strict';
// Time of the native explain engine against V8's own snapshot writing, on the 2,000-module
// app of gen-app.js plus `--ballast` objects (to reach a 50–100 MB snapshot) and 5 stale
// generations (old modules/mN.js marked by hand as modswap's tracker marks them, each kept by a
// timer of its own):
//
//   node bench/explain-engine.bench.js [--ballast N] [--runs R]
//
// A child writes the snapshot and reports v8.writeHeapSnapshot's time; this process then runs
// explainHeapSnapshot on it R times. Prints the median of each, and explain / write.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const STALE = 5;

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

/** The child: loads the app, grows the heap, retires STALE modules, writes the snapshot. */
function child(appDir, file, ballast) {
  const v8 = require('node:v8');
  const { markGeneration } = require('../lib/explain/markers');
  require(path.join(appDir, 'router.js'));
  globalThis.ballast = Array.from({ length: ballast }, (_, i) => ({ i, label: `item-${i}`, list: [i, i + 1] }));
  const timers = [];
  for (let i = 0; i < STALE; i++) {
    const name = path.join(appDir, 'modules', `m${i * 100}.js`);
    const old = require.cache[name];
    delete require.cache[name];
    require(name);
    markGeneration(name, 1, old, [[old.exports, '']]);
    timers.push(setInterval(() => old.exports, 1e6));
  }
  const started = process.hrtime.bigint();
  v8.writeHeapSnapshot(file);
  const writeMs = Number(process.hrtime.bigint() - started) / 1e6;
  for (const timer of timers) clearInterval(timer);
  process.stdout.write(JSON.stringify({ writeMs }));
}

async function main() {
  const ballast = option('ballast', 400000);
  const runs = option('runs', 3);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modswap-explain-bench-'));
  try {
    const appDir = path.join(dir, 'app');
    require('./gen-app').generateApp(appDir);
    const writes = [];
    const explains = [];
    const file = path.join(dir, 'app.heapsnapshot');
    const { binding } = require('../lib/native');
    let result;
    for (let run = 0; run < runs; run++) {
      const out = execFileSync(process.execPath, [__filename, '--child', appDir, file, String(ballast)]);
      writes.push(JSON.parse(out).writeMs);
      const started = process.hrtime.bigint();
      result = await binding.explainHeapSnapshot(file);
      explains.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    const found = result.generations.filter((g) => g.found).length;
    const kinds = [...new Set(result.generations.map((g) => g.holder && g.holder.kind))].join(',');
    const write = median(writes);
    const explain = median(explains);
    console.log(
      `node ${process.version}: snapshot ${(result.fileBytes / 1e6).toFixed(1)} MB, ${result.nodeCount} nodes, ` +
        `${result.generations.length} stale generations (${found} found, holders ${kinds})`,
    );
    console.log(`v8.writeHeapSnapshot: median ${write.toFixed(0)} ms of [${writes.map((t) => t.toFixed(0))}]`);
    console.log(
      `explainHeapSnapshot: median ${explain.toFixed(0)} ms of [${explains.map((t) => t.toFixed(0))}] ` +
        `(last: load ${result.timingsMs.load.toFixed(0)} ms, explain ${result.timingsMs.explain.toFixed(0)} ms)`,
    );
    console.log(`explain / write: ${(explain / write).toFixed(2)}; write + explain / write: ${((write + explain) / write).toFixed(2)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') child(process.argv[3], process.argv[4], Number(process.argv[5]));
else main();

#!/usr/bin/env node
'use strict';
// modswap.explain() on the 2,000-module app (bench/gen-app.js) after 50 reloads, 5 of which
// leave their old generation alive (the app keeps its old exports in a list), against V8 alone
// writing a snapshot of the same heap (v8.writeHeapSnapshot): time, and peak RSS added.
//
//   node bench/explain.bench.js [--runs=5] [--ballast=N]
//
// Each run is a fresh child process per measure: it loads the app, does the reloads, then
// either writes a snapshot (V8 alone) or calls explain() (snapshot + analysis on the libuv
// pool), timing it and reading the peak RSS before and after (VmHWM, reset through
// /proc/self/clear_refs first). --ballast adds N small objects to grow the heap. Goal (issue H):
// explain() <= 1.5x the time V8 alone takes to write the snapshot.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { peakRss, resetPeakRss } = require('./lib/peak-rss');

const RELOADS = 50;
const STALE = 5;
const GOAL = 1.5;

const option = (name, fallback) => {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? fallback : Number(arg.slice(name.length + 3));
};
const median = (values) => [...values].sort((a, b) => a - b)[(values.length - 1) >> 1];
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** The child: app, reloads, then the measure `what` ('write' or 'explain'). */
async function child(appDir, what, ballast, dir) {
  const v8 = require('node:v8');
  const modswap = require('..');
  modswap.resourcePolicy('off');
  require(path.join(appDir, 'router.js'));
  globalThis.ballast = Array.from({ length: ballast }, (_, i) => ({ i, label: `item-${i}` }));
  globalThis.keptExports = [];
  for (let i = 0; i < RELOADS; i++) {
    const file = path.join(appDir, 'modules', `m${1999 - i * 7}.js`);
    if (i % (RELOADS / STALE) === 0) globalThis.keptExports.push(require(file));
    modswap.reload(file);
  }
  for (let i = 0; i < 4; i++) {
    global.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  resetPeakRss();
  const rssBefore = process.memoryUsage().rss;
  const started = nowMs();
  let out;
  if (what === 'write') {
    const file = v8.writeHeapSnapshot(path.join(dir, `write-${process.pid}.heapsnapshot`));
    out = { ms: nowMs() - started, bytes: fs.statSync(file).size };
    fs.rmSync(file);
  } else {
    const x = await modswap.explain(undefined, { snapshotDir: dir });
    out = {
      ms: nowMs() - started,
      snapshotMs: x.timingsMs.snapshot,
      analysisMs: x.timingsMs.analysis,
      bytes: x.snapshot.bytes,
      explained: x.generations.length,
      kinds: [...new Set(x.generations.map((g) => g.holder.kind))],
      stale: modswap.stale().length,
    };
  }
  out.peakAddedBytes = peakRss() - rssBefore;
  process.stdout.write(JSON.stringify(out));
}

function main() {
  const runs = option('runs', 5);
  const ballast = option('ballast', 0);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modswap-explain-bench-'));
  try {
    const appDir = path.join(dir, 'app');
    require('./gen-app').generateApp(appDir);
    const results = { write: [], explain: [] };
    for (let run = 0; run < runs; run++) {
      for (const what of ['write', 'explain']) {
        const out = execFileSync(process.execPath, ['--expose-gc', __filename, '--child', appDir, what, String(ballast), dir]);
        results[what].push(JSON.parse(out));
        process.stderr.write(`  run ${run + 1}/${runs} ${what}: ${JSON.parse(out).ms.toFixed(0)} ms\n`);
      }
    }
    report(results, runs, ballast);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function report({ write, explain }, runs, ballast) {
  const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
  const w = median(write.map((r) => r.ms));
  const e = median(explain.map((r) => r.ms));
  const last = explain[explain.length - 1];
  console.log(`modswap explain() benchmark: ${os.cpus()[0].model.trim()}, ${os.cpus().length} cores; node ${process.version}; ${new Date().toISOString()}`);
  console.log(
    `2,000-module app after ${RELOADS} reloads, ${STALE} old generations kept${ballast ? `, ballast ${ballast}` : ''}: ` +
      `snapshot ${mb(last.bytes)}; stale() ${last.stale}, explained ${last.explained} (holders ${last.kinds.join(', ')})`,
  );
  console.log(`V8 alone (v8.writeHeapSnapshot): median ${w.toFixed(0)} ms of [${write.map((r) => r.ms.toFixed(0)).join(', ')}]; peak RSS +${mb(median(write.map((r) => r.peakAddedBytes)))}`);
  console.log(
    `explain():                       median ${e.toFixed(0)} ms of [${explain.map((r) => r.ms.toFixed(0)).join(', ')}] ` +
      `(snapshot ${median(explain.map((r) => r.snapshotMs)).toFixed(0)} ms + analysis ${median(explain.map((r) => r.analysisMs)).toFixed(0)} ms); ` +
      `peak RSS +${mb(median(explain.map((r) => r.peakAddedBytes)))}`,
  );
  console.log(`explain() / V8 alone: ${(e / w).toFixed(2)}x (goal <= ${GOAL}x: ${e / w <= GOAL ? 'PASS' : 'MISS'}); medians of ${runs} fresh processes each`);
}

if (process.argv[2] === '--child') {
  child(process.argv[3], process.argv[4], Number(process.argv[5]), process.argv[6]).catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main();
}

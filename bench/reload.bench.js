#!/usr/bin/env node
'use strict';
// modswap reload benchmark. Run: node bench/reload.bench.js [--quick]
//
// Measures, in one run: router hot swap, mid-graph reload, server restart, startup overhead of
// the require hook, and heap growth of 1,000 reloads of an 8 MB module with two parents for
// modswap, clear-module and decache. Prints a table and writes .bench-tmp/reload-results.json.
//
// modswap is required first: its require hook only tracks modules loaded after it.
const modswap = require('..');

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { spawn, spawnSync } = require('node:child_process');
const { once } = require('node:events');
const { generateApp } = require('./gen-app');
const { percentile, median, msSince, formatMs, formatMB, renderTable } = require('./lib/stats');

const ROOT = path.join(__dirname, '..');
const TMP = path.join(ROOT, '.bench-tmp');
const APP_DIR = path.join(TMP, 'app');
const HEAP_DIR = path.join(TMP, 'heap');
const RESULTS_FILE = path.join(TMP, 'reload-results.json');
const MB = 1 << 20;

const FULL = {
  swap: { warmup: 20, runs: 200 },
  midGraph: { warmup: 10, runs: 200, target: 1000 },
  restart: { warmup: 1, runs: 7 },
  startup: { warmup: 1, runs: 15 },
  heap: { maxReloads: 1000, capBytes: 1536 * MB },
};
const QUICK = {
  swap: { warmup: 5, runs: 20 },
  midGraph: { warmup: 2, runs: 10, target: 1000 },
  restart: { warmup: 0, runs: 2 },
  startup: { warmup: 0, runs: 3 },
  heap: { maxReloads: 30, capBytes: 128 * MB },
};

const GOALS = {
  swapP50Ms: 0.5,
  midGraphP50Ms: 15,
  restartOverSwap: 1000,
  startupRatio: 1.1,
};

/** Lets the event loop turn between reloads, as between two file-change events. Without it,
 * every version created in one synchronous job stays alive until the job ends (V8 keeps WeakRef
 * targets created during a job alive for that job), which no real dev server does. */
function nextTurn() {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Runs `fn` warmup + runs times, one event-loop turn apart; returns the timed samples (ms). */
async function sample({ warmup, runs }, fn) {
  const samples = [];
  for (let i = 0; i < warmup + runs; i++) {
    const ms = await fn(i);
    if (i >= warmup) samples.push(ms);
    await nextTurn();
  }
  return samples;
}

function summarize(samples) {
  return { n: samples.length, p50: percentile(samples, 50), p95: percentile(samples, 95), samples };
}

// ---------------------------------------------------------------------------------------------
// In-process: router swap and mid-graph reload (entry = this script).

async function benchRouterSwap(app, counts) {
  const samples = await sample(counts, () => {
    const start = process.hrtime.bigint();
    const handler = modswap.reload(app.files.router);
    const ms = msSince(start);
    if (typeof handler !== 'function') throw new Error('reload(router) did not return the handler');
    return ms;
  });
  return { ...summarize(samples), generations: modswap.generations(app.files.router).length };
}

/** The app's cached Module objects by file, to tell afterwards which ones were re-evaluated. */
function appInstances(app) {
  const prefix = app.dir + path.sep;
  const instances = new Map();
  for (const [file, mod] of Object.entries(require.cache)) {
    if (file.startsWith(prefix)) instances.set(file, mod);
  }
  return instances;
}

function countReplaced(before) {
  let replaced = 0;
  for (const [file, mod] of before) if (require.cache[file] !== mod) replaced++;
  return replaced;
}

/** Files that must be re-evaluated when module `target` changes: its importers up to the router. */
function staticImporterClosure(app, target) {
  const importers = app.graph.map(() => []);
  app.graph.forEach((deps, index) => deps.forEach((dep) => importers[dep].push(index)));
  const seen = new Set([target]);
  const pending = [target];
  while (pending.length > 0) {
    for (const importer of importers[pending.pop()]) {
      if (!seen.has(importer)) {
        seen.add(importer);
        pending.push(importer);
      }
    }
  }
  return seen.size + 2; // + barrel.js and router.js
}

async function benchMidGraph(app, counts) {
  const target = app.modulePath(counts.target);
  const reloadMs = [];
  const requireMs = [];
  const reEvaluated = [];
  const samples = await sample(counts, () => {
    const before = appInstances(app);
    const start = process.hrtime.bigint();
    modswap.reload(target);
    const reloaded = process.hrtime.bigint();
    require(app.files.router);
    const end = process.hrtime.bigint();
    reloadMs.push(Number(reloaded - start) / 1e6);
    requireMs.push(Number(end - reloaded) / 1e6);
    reEvaluated.push(countReplaced(before));
    return Number(end - start) / 1e6;
  });
  const timed = (values) => values.slice(counts.warmup);
  return {
    ...summarize(samples),
    target: path.relative(app.dir, target),
    reloadP50: percentile(timed(reloadMs), 50),
    requireRouterP50: percentile(timed(requireMs), 50),
    reEvaluatedMedian: median(timed(reEvaluated)),
    reEvaluatedRange: [Math.min(...reEvaluated), Math.max(...reEvaluated)],
    expectedFromGraph: staticImporterClosure(app, counts.target),
    generations: modswap.generations(target).length,
  };
}

// ---------------------------------------------------------------------------------------------
// Child processes: restart and startup.

/** GETs / until the server answers 200; connection errors mean "not up yet". */
async function firstOkResponse(port) {
  for (;;) {
    try {
      const status = await new Promise((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode));
        });
        req.on('error', reject);
      });
      if (status === 200) return;
    } catch (error) {
      if (error.code !== 'ECONNREFUSED' && error.code !== 'ECONNRESET') throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** The port the server prints once it listens. */
function announcedPort(child) {
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /listening on (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening`)));
  });
}

/** Spawn → first successful HTTP response, in ms of wall time. */
async function timeRestart(app) {
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [app.files.server], {
    cwd: app.dir,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await firstOkResponse(await announcedPort(child));
    return msSince(start);
  } finally {
    const exited = once(child, 'exit');
    child.kill();
    await exited;
  }
}

async function benchRestart(app, counts) {
  const samples = await sample(counts, () => timeRestart(app));
  return { n: samples.length, median: median(samples), samples };
}

/** One `node [preload] app.js`: performance.now() at the end of app.js, and spawn wall time. */
function timeStartup(app, preload) {
  const args = preload ? ['-r', preload, app.files.app] : [app.files.app];
  const start = process.hrtime.bigint();
  const child = spawnSync(process.execPath, args, {
    cwd: app.dir,
    env: { ...process.env, MODSWAP_BENCH_REPORT_STARTUP: '1' },
    encoding: 'utf8',
  });
  const wallMs = msSince(start);
  if (child.status !== 0) throw new Error(`app.js failed: ${child.stderr}`);
  return { inChildMs: JSON.parse(child.stdout.trim().split('\n').pop()).loadedAtMs, wallMs };
}

function benchStartup(app, counts) {
  const plain = [];
  const tracked = [];
  // Alternating runs, so drift (page cache, CPU clock) hits both variants alike.
  for (let i = 0; i < counts.warmup + counts.runs; i++) {
    const a = timeStartup(app, null);
    const b = timeStartup(app, ROOT);
    if (i < counts.warmup) continue;
    plain.push(a);
    tracked.push(b);
  }
  const med = (runs, key) => median(runs.map((run) => run[key]));
  const plainMs = med(plain, 'inChildMs');
  const trackedMs = med(tracked, 'inChildMs');
  return {
    n: plain.length,
    plainMs,
    trackedMs,
    ratio: trackedMs / plainMs,
    plainWallMs: med(plain, 'wallMs'),
    trackedWallMs: med(tracked, 'wallMs'),
    wallRatio: med(tracked, 'wallMs') / med(plain, 'wallMs'),
    plain,
    tracked,
  };
}

// ---------------------------------------------------------------------------------------------
// Heap growth: one child process per tool.

function writeHeapFixture(dir) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'big.js'),
    "'use strict';\n// 2^20 small integers: 8 MB of JS heap per loaded version.\n" +
      'module.exports = { data: new Array(1 << 20).fill(0).map((_, i) => i) };\n',
  );
  fs.writeFileSync(
    path.join(dir, 'holder.js'),
    "'use strict';\n// Second parent of big.js: requires it again after every reload.\n" +
      "module.exports.touch = function touch() {\n  return require('./big.js').data.length;\n};\n",
  );
}

function runHeapChild(tool, counts) {
  const args = [
    '--expose-gc',
    '--max-old-space-size=4096',
    path.join(__dirname, 'heap-child.js'),
    tool,
    HEAP_DIR,
    String(counts.maxReloads),
    String(counts.capBytes),
  ];
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 16 * MB });
  if (child.status !== 0) throw new Error(`heap child for ${tool} failed (${child.status}): ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop());
}

function benchHeap(counts) {
  writeHeapFixture(HEAP_DIR);
  return ['modswap', 'clear-module', 'decache'].map((tool) => runHeapChild(tool, counts));
}

// ---------------------------------------------------------------------------------------------
// Report.

function machineInfo() {
  const binary = path.join(ROOT, 'modswap.linux-x64-gnu.node');
  const stat = fs.existsSync(binary) ? fs.statSync(binary) : null;
  return {
    cpu: os.cpus()[0].model,
    cores: os.cpus().length,
    totalMemGB: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    date: new Date().toISOString(),
    binary: stat ? { file: path.basename(binary), bytes: stat.size, mtime: stat.mtime.toISOString() } : null,
  };
}

function printHeader(machine, quick) {
  console.log(`modswap reload benchmark${quick ? ' (--quick: reduced counts, not for comparison)' : ''}`);
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.totalMemGB} GB RAM (${machine.platform})`);
  console.log(`node:    ${machine.node}`);
  console.log(`date:    ${machine.date}`);
  if (machine.binary) {
    const { file, bytes, mtime } = machine.binary;
    console.log(`addon:   ${file}, ${formatMB(bytes)}, built ${mtime}`);
  }
  console.log('');
}

const verdict = (ok) => (ok ? 'PASS' : 'MISS');

function mainRows(r) {
  const restartRatio = r.restart.median / r.swap.p50;
  return [
    [
      'router hot swap: reload(router.js)',
      `p50 ${formatMs(r.swap.p50)}, p95 ${formatMs(r.swap.p95)} (n=${r.swap.n})`,
      `p50 <= ${GOALS.swapP50Ms} ms`,
      verdict(r.swap.p50 <= GOALS.swapP50Ms),
    ],
    [
      `mid-graph: reload(${r.midGraph.target}) + require(router)`,
      `p50 ${formatMs(r.midGraph.p50)}, p95 ${formatMs(r.midGraph.p95)} (n=${r.midGraph.n}), ` +
        `${r.midGraph.reEvaluatedMedian} modules re-evaluated`,
      `p50 <= ${GOALS.midGraphP50Ms} ms`,
      verdict(r.midGraph.p50 <= GOALS.midGraphP50Ms),
    ],
    [
      'restart: spawn server.js -> first HTTP 200',
      `median ${formatMs(r.restart.median)} (n=${r.restart.n})`,
      '',
      '',
    ],
    [
      'restart / router swap p50',
      `${Math.round(restartRatio)}x`,
      `>= ${GOALS.restartOverSwap}x`,
      verdict(restartRatio >= GOALS.restartOverSwap),
    ],
    [
      'startup app.js: plain node (in-child performance.now())',
      `median ${formatMs(r.startup.plainMs)} (wall ${formatMs(r.startup.plainWallMs)}, n=${r.startup.n})`,
      '',
      '',
    ],
    [
      'startup app.js: node -r modswap',
      `median ${formatMs(r.startup.trackedMs)} (wall ${formatMs(r.startup.trackedWallMs)}, n=${r.startup.n})`,
      '',
      '',
    ],
    [
      'startup ratio modswap / plain',
      `${r.startup.ratio.toFixed(3)}x (wall ${r.startup.wallRatio.toFixed(3)}x)`,
      `<= ${GOALS.startupRatio}x`,
      verdict(r.startup.ratio <= GOALS.startupRatio),
    ],
  ];
}

function heapRows(heap) {
  return heap.map((h) => [
    h.tool,
    String(h.reloads),
    h.stoppedBy === 'heap-cap' ? 'heap cap' : 'done',
    formatMB(h.heapBefore),
    formatMB(h.heapAfter),
    `${h.growth >= 0 ? '+' : ''}${formatMB(h.growth)}`,
    `${h.maxVersionsInChildren}${h.maxVersionsParent ? ` (${h.maxVersionsParent})` : ''}`,
  ]);
}

function printReport(r) {
  console.log(renderTable(['measurement', 'result', 'goal', ''], mainRows(r)));
  console.log('');
  console.log(
    `mid-graph detail: reload() p50 ${formatMs(r.midGraph.reloadP50)}, require(router) p50 ` +
      `${formatMs(r.midGraph.requireRouterP50)}; re-evaluated per reload ${r.midGraph.reEvaluatedRange.join('..')} ` +
      `(static importer closure incl. barrel+router: ${r.midGraph.expectedFromGraph})`,
  );
  console.log('');
  console.log(
    `heap growth, 8 MB module with two parents (entry + holder.js), heapUsed after forced GC, ` +
      `cap ${formatMB(r.options.heap.capBytes)} growth / ${r.options.heap.maxReloads} reloads:`,
  );
  console.log(
    renderTable(
      ['tool', 'reloads', 'stopped', 'heap before', 'heap after', 'growth', 'max versions in one children[]'],
      heapRows(r.heap),
    ),
  );
}

function writeResults(results) {
  fs.mkdirSync(TMP, { recursive: true });
  fs.writeFileSync(RESULTS_FILE, JSON.stringify(results, null, 2) + '\n');
  console.log(`\nresults written to ${path.relative(process.cwd(), RESULTS_FILE) || RESULTS_FILE}`);
}

async function main() {
  const quick = process.argv.includes('--quick');
  const options = quick ? QUICK : FULL;
  const machine = machineInfo();
  printHeader(machine, quick);

  const app = generateApp(APP_DIR);
  const step = (name) => process.stderr.write(`  ${name}...\n`);

  step('loading app in-process');
  require(app.files.router);
  step('router hot swap');
  const swap = await benchRouterSwap(app, options.swap);
  step('mid-graph reload');
  const midGraph = await benchMidGraph(app, options.midGraph);
  step('restart');
  const restart = await benchRestart(app, options.restart);
  step('startup');
  const startup = benchStartup(app, options.startup);
  step('heap growth (3 child processes)');
  const heap = benchHeap(options.heap);

  const results = { machine, quick, options, goals: GOALS, app: { modules: app.modules, seed: app.seed }, swap, midGraph, restart, startup, heap };
  console.log('');
  printReport(results);
  writeResults(results);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

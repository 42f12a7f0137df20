#!/usr/bin/env node
'use strict';
// modswap reload benchmark.
//
//   node bench/reload.bench.js [--quick] [--only=swap,mid,floor,restart,startup,heap]
//
// Router hot swap and mid-graph reload run in fresh processes of this very script (`--worker`),
// so the entry module is this script, which requires modswap and then the router. Several such
// processes are pooled: on small VMs one process can be ~1.6x slower than the next for its
// whole life (Node's own module loading included), so one process decides nothing. Restart,
// startup overhead of the require hook and heap growth of repeated reloads (modswap vs
// clear-module vs decache) run in child processes too. Prints a table and writes
// .bench-tmp/reload-results.json.
//
// `--worker [--only=swap,mid] [--quick]` runs the in-process part once and prints it as JSON;
// run it under --cpu-prof to profile a reload loop.

// First: the require hook only tracks modules loaded after modswap.
const modswap = require('..');

const fs = require('node:fs');
const path = require('node:path');
const { generateApp } = require('./gen-app');
const { percentile, median, msSince } = require('./lib/stats');
const { runJsonChild, benchRestart, benchStartup, benchMidGraphFloor, benchHeap } = require('./lib/processes');
const { header, report } = require('./lib/report');
const { environment } = require('./lib/environment');
const cpuNoise = require('./lib/cpu-noise');

const ROOT = path.join(__dirname, '..');
const TMP = path.join(ROOT, '.bench-tmp');
const APP_DIR = path.join(TMP, 'app');
const HEAP_DIR = path.join(TMP, 'heap');
const RESULTS_FILE = path.join(TMP, 'reload-results.json');
const MB = 1 << 20;

const SECTIONS = ['swap', 'mid', 'floor', 'restart', 'startup', 'heap'];

const FULL = {
  swap: { warmup: 20, runs: 200 },
  midGraph: { warmup: 10, runs: 200, target: 1000 },
  /** Fresh processes for the swap, mid-graph and floor measurements, pooled. */
  processes: 5,
  restart: { warmup: 1, runs: 7 },
  startup: { warmup: 1, runs: 15 },
  heap: { maxReloads: 1000, capBytes: 1536 * MB },
};
const QUICK = {
  swap: { warmup: 5, runs: 20 },
  midGraph: { warmup: 2, runs: 10, target: 1000 },
  processes: 2,
  restart: { warmup: 0, runs: 2 },
  startup: { warmup: 0, runs: 3 },
  heap: { maxReloads: 30, capBytes: 128 * MB },
};

/** Loads of `file` so far: the generation table folds old collected rows, each with its count. */
const loadsOf = (file) => modswap.generations(file).reduce((sum, row) => sum + row.count, 0);

const GOALS = { swapP50Ms: 0.5, midGraphP50Ms: 15, restartOverSwap: 1000, startupRatio: 1.1 };

function parseArgs(argv) {
  let only = SECTIONS;
  for (const arg of argv) {
    if (arg.startsWith('--only=')) only = arg.slice('--only='.length).split(',');
    else if (arg !== '--quick' && arg !== '--worker') throw new Error(`unknown option ${arg}`);
  }
  const unknown = only.filter((name) => !SECTIONS.includes(name));
  if (unknown.length > 0) throw new Error(`unknown section(s) ${unknown.join(', ')}; known: ${SECTIONS.join(', ')}`);
  return { quick: argv.includes('--quick'), worker: argv.includes('--worker'), only: new Set(only) };
}

/**
 * Lets the event loop turn between reloads, as between two file-change events. It matters: V8
 * keeps every WeakRef target created during one synchronous job alive until the job ends, so
 * back-to-back reloads in one job would keep every old version (and make GC slower) until then.
 */
function nextTurn() {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Runs `fn` warmup + runs times, one event-loop turn apart; returns the timed samples (ms). */
async function sample({ warmup, runs }, fn) {
  const samples = [];
  for (let i = 0; i < warmup + runs; i++) {
    const ms = fn();
    if (i >= warmup) samples.push(ms);
    await nextTurn();
  }
  return samples;
}

// --- worker: router swap -----------------------------------------------------------------------

async function benchRouterSwap(app, counts) {
  const samples = await sample(counts, () => {
    const start = process.hrtime.bigint();
    const handler = modswap.reload(app.files.router);
    const ms = msSince(start);
    if (typeof handler !== 'function') throw new Error('reload(router) did not return the handler');
    return ms;
  });
  return { samples, generations: loadsOf(app.files.router) };
}

// --- worker: mid-graph reload ------------------------------------------------------------------

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

/** Files a change to module `target` must re-evaluate: its importers, the barrel, the router. */
function importerClosure(app, target) {
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
  return [...[...seen].map(app.modulePath), app.files.barrel, app.files.router];
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
    samples,
    reloadMs: timed(reloadMs),
    requireMs: timed(requireMs),
    reEvaluated: timed(reEvaluated),
    generations: loadsOf(target),
  };
}

async function runWorker(options, only) {
  // Unchanged files are not rewritten; generating here lets a worker run on its own (profiling).
  const app = generateApp(APP_DIR);
  require(app.files.router);
  const result = {};
  if (only.has('swap')) result.swap = await benchRouterSwap(app, options.swap);
  if (only.has('mid')) result.midGraph = await benchMidGraph(app, options.midGraph);
  process.stdout.write(JSON.stringify(result) + '\n');
}

// --- pooling the workers -----------------------------------------------------------------------

function spawnWorkers(count, only, quick) {
  const args = [__filename, '--worker', `--only=${only.join(',')}`, ...(quick ? ['--quick'] : [])];
  return Array.from({ length: count }, (_, i) => runJsonChild(args, `worker ${i + 1}`));
}

/** p50/p95 over every process's samples, and each process's own p50 to show the spread. */
function pooled(runs) {
  const all = runs.flat();
  return {
    n: all.length,
    p50: percentile(all, 50),
    p95: percentile(all, 95),
    processP50s: runs.map((samples) => percentile(samples, 50)),
  };
}

function aggregateSwap(workers) {
  const runs = workers.map((w) => w.swap);
  return {
    ...pooled(runs.map((run) => run.samples)),
    generations: runs.map((run) => run.generations),
    samples: runs.map((run) => run.samples),
  };
}

function aggregateMidGraph(app, counts, workers) {
  const runs = workers.map((w) => w.midGraph);
  const reEvaluated = runs.flatMap((run) => run.reEvaluated);
  return {
    ...pooled(runs.map((run) => run.samples)),
    target: path.relative(app.dir, app.modulePath(counts.target)),
    reload: pooled(runs.map((run) => run.reloadMs)),
    requireRouter: pooled(runs.map((run) => run.requireMs)),
    reEvaluatedMedian: median(reEvaluated),
    reEvaluatedRange: [Math.min(...reEvaluated), Math.max(...reEvaluated)],
    expectedFromGraph: importerClosure(app, counts.target).length,
    generations: runs.map((run) => run.generations),
    samples: runs.map((run) => run.samples),
  };
}

async function benchInProcess(app, options, only, quick) {
  const wanted = ['swap', 'mid'].filter((name) => only.has(name));
  const workers = spawnWorkers(options.processes, wanted, quick);
  return {
    swap: only.has('swap') ? aggregateSwap(workers) : undefined,
    midGraph: only.has('mid') ? aggregateMidGraph(app, options.midGraph, workers) : undefined,
  };
}

function benchFloor(app, options) {
  const files = importerClosure(app, options.midGraph.target);
  const runs = Array.from({ length: options.processes }, () =>
    benchMidGraphFloor(app, files, options.midGraph, TMP).samples,
  );
  return { ...pooled(runs), samples: runs };
}

// --- orchestration -----------------------------------------------------------------------------

/**
 * Runs the selected sections in order. Results go in `results`, with the cores other processes
 * kept busy during each section (`otherCores`), to tell a slow result from a busy machine.
 */
async function runSections(app, options, only, quick, results) {
  const sections = [
    ['swap+mid', 'router swap and mid-graph reload (worker processes)', async () => {
      Object.assign(results, await benchInProcess(app, options, only, quick));
    }],
    ['floor', 'mid-graph floor (child processes)', () => {
      results.midGraphFloor = benchFloor(app, options);
    }],
    ['restart', 'restart (child processes)', async () => {
      results.restart = await benchRestart(app, options.restart);
    }],
    ['startup', 'startup (child processes)', () => {
      results.startup = benchStartup(app, options.startup);
    }],
    ['heap', 'heap growth (one child process per tool)', () => {
      results.heap = benchHeap(HEAP_DIR, options.heap);
    }],
  ];
  for (const [name, title, run] of sections) {
    if (!name.split('+').some((part) => only.has(part))) continue;
    process.stderr.write(`  ${title}...\n`);
    const before = cpuNoise.snapshot();
    await run();
    results.otherCores[name] = cpuNoise.otherCores(before, cpuNoise.snapshot());
  }
}

async function main() {
  const { quick, worker, only } = parseArgs(process.argv.slice(2));
  const options = quick ? QUICK : FULL;
  if (worker) return runWorker(options, only);

  const machine = environment();
  console.log(header('modswap reload benchmark', machine, quick));
  console.log('');
  fs.mkdirSync(TMP, { recursive: true });
  const app = generateApp(APP_DIR);
  const results = {
    machine,
    quick,
    options,
    goals: GOALS,
    app: { modules: app.modules, seed: app.seed },
    otherCores: {},
  };
  await runSections(app, options, only, quick, results);

  console.log(report(results, GOALS));
  fs.writeFileSync(RESULTS_FILE, JSON.stringify(results, null, 2) + '\n');
  console.log(`\nresults written to ${path.relative(process.cwd(), RESULTS_FILE)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

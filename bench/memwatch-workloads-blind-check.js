#!/usr/bin/env node
'use strict';
// Runs the blind workloads (bench/lib/memwatch-workloads-blind.js, or with --set=blind2 the second
// blind set, memwatch-workloads-blind2.js) WITHOUT any leak detector and prints the post-GC heap
// series' shape, so the set can be checked against its own description
// (leaks grow at about bytesPerStep, look-alikes level off or come back down) without anyone
// seeing what a detector makes of it.
//
//   node bench/memwatch-workloads-blind-check.js [--set=blind|blind2] [--steps=150] [--paced] [--only=<name>,…]
//
// Each workload runs in its own process, as the detector bench runs them (--max-semi-space-size=1,
// the same ~20 MB application state first), with a full GC after every step. --paced waits out
// each step's stepMs, so real time matches the intended MB/min (150 steps take 75 s each).
const { spawnSync } = require('node:child_process');

/** The blind sets this driver can check: each module's workload list and rate helper. */
const SETS = {
  blind: () => {
    const { BLIND_WORKLOADS, mbPerMinute } = require('./lib/memwatch-workloads-blind');
    return { workloads: BLIND_WORKLOADS, mbPerMinute };
  },
  blind2: () => {
    const { BLIND2_WORKLOADS, mbPerMinute } = require('./lib/memwatch-workloads-blind2');
    return { workloads: BLIND2_WORKLOADS, mbPerMinute };
  },
};

function loadSet(name) {
  if (!SETS[name]) throw new Error(`unknown set ${name} (one of ${Object.keys(SETS).join(', ')})`);
  return SETS[name]();
}

const MB = 1 << 20;
const MARKS = [1, 3, 5, 10, 15, 25, 40, 50, 75, 100, 125, 150];

/** In the child: runs workload `index` for `steps` steps and prints its heap series as JSON. */
async function child(set, index, steps, paced) {
  const v8 = require('node:v8');
  const { PerformanceObserver, constants } = require('node:perf_hooks');
  const { applicationState } = require('./lib/memwatch-workloads');
  const workload = loadSet(set).workloads[index];
  globalThis.applicationState = applicationState();
  let majorGcs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorGcs += 1;
  });
  observer.observe({ entryTypes: ['gc'] });
  globalThis.gc();
  const heap = [];
  const step = workload.make();
  const start = Date.now();
  for (let i = 0; i < steps; i++) {
    const began = Date.now();
    step(i);
    globalThis.gc();
    heap.push(v8.getHeapStatistics().used_heap_size);
    const rest = paced ? workload.stepMs - (Date.now() - began) : 0;
    await new Promise((resolve) => (rest > 0 ? setTimeout(resolve, rest) : setImmediate(resolve)));
  }
  const ms = Date.now() - start;
  observer.disconnect();
  const stats = v8.getHeapStatistics();
  process.stdout.write(JSON.stringify({ heap, ms, majorGcs, heapLimit: stats.heap_size_limit, rss: process.memoryUsage().rss }) + '\n');
}

function mb(bytes) {
  return (bytes / MB).toFixed(1);
}

/** One workload in a fresh process; returns its series or `{ error }`. */
function runOne(set, index, steps, paced) {
  const args = ['--expose-gc', '--max-semi-space-size=1', __filename, '--child', set, String(index), String(steps)];
  if (paced) args.push('--paced');
  const out = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 15 * 60 * 1000, maxBuffer: 64 * MB });
  if (out.status !== 0) return { error: (out.stderr || out.error?.message || `exit ${out.status}`).trim().slice(0, 300) };
  return JSON.parse(out.stdout.trim().split('\n').pop());
}

/** A row of the summary: floors at MARKS, min/max, measured growth rates. */
function describe(workload, run, steps, mbPerMinute) {
  if (run.error) return `${workload.name}: FAILED ${run.error}`;
  const at = MARKS.filter((m) => m <= steps).map((m) => `${m}:${mb(run.heap[m - 1])}`).join(' ');
  const msPerStep = run.ms / steps;
  const growth = run.heap[steps - 1] - run.heap[0];
  const perStep = growth / (steps - 1);
  return [
    workload.leaking
      ? `${workload.name} [leak; intended ${(workload.bytesPerStep / 1024).toFixed(1)} KB/step = ${mbPerMinute(workload).toFixed(2)} MB/min at ${workload.stepMs} ms/step]`
      : `${workload.name} [no leak; grows ${((workload.transientBytesPerStep ?? 0) / 1024).toFixed(1)} KB/step while growing]`,
    `  post-GC heap MB at step ${at}; min ${mb(Math.min(...run.heap))} max ${mb(Math.max(...run.heap))}`,
    `  first->last ${mb(growth)} MB = ${(perStep / 1024).toFixed(1)} KB/step; ${msPerStep.toFixed(0)} ms/step real ` +
      `(${((perStep / msPerStep) * 60000 / MB).toFixed(1)} MB/min real-time); major GCs (forced ones included) ${run.majorGcs}; rss ${mb(run.rss)} MB`,
  ].join('\n');
}

function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') return child(argv[1], Number(argv[2]), Number(argv[3]), argv.includes('--paced'));
  let steps = 150;
  let set = 'blind';
  let only = null;
  const paced = argv.includes('--paced');
  for (const arg of argv) {
    const [key, value] = arg.split('=');
    if (key === '--steps') steps = Number(value);
    else if (key === '--only') only = value.split(',');
    else if (key === '--set') set = value;
    else if (key !== '--paced') throw new Error(`unknown option ${arg}`);
  }
  const { workloads, mbPerMinute } = loadSet(set);
  console.log(`${set} workloads, ${steps} steps each, node ${process.version}${paced ? ', paced' : ''}`);
  workloads.forEach((workload, index) => {
    if (only && !only.some((part) => workload.name.includes(part))) return;
    console.log(describe(workload, runOne(set, index, steps, paced), steps, mbPerMinute));
  });
}

const result = main();
if (result instanceof Promise) {
  result.catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

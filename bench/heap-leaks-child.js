'use strict';
// One leak search or one diff by one tool, in a fresh process (started by heap-leaks.bench.js):
//
//   node [--max-old-space-size=N] bench/heap-leaks-child.js leaks <tool> <baseline> <target> <final> [modswapDir]
//   node [--max-old-space-size=N] bench/heap-leaks-child.js diff <tool> <before> <after> [modswapDir]
//
// leaks memlab   @memlab/api's findLeaksBySnapshotFilePaths(baseline, target, final, { workDir })
//                with memlab's defaults; workDir is a new empty directory per run (memlab writes
//                its traces there and would otherwise load the clusters of earlier runs from the
//                shared default, <tmpdir>/memlab). It reads baseline and target for their node
//                ids, parses final in full, keeps the objects of final whose ids are in target and
//                not in baseline, runs its leak filters, computes retainer traces and clusters
//                them. To read the check numbers afterwards, analysis.diffSnapshots and
//                analysis.findLeakTraces of @memlab/core (the same instance the API uses) are
//                wrapped to keep a reference to their arguments and results; they do the same work.
//       modswap  await require(modswapDir).heap.leaks(baseline, target, final)
// diff  devtools heap-snapshot-toolkit's diff(await parse(before), await parse(after)): the DevTools
//                worker's loader + JSHeapSnapshot.initialize() for each file (both held at once),
//                then the Comparison view's aggregatesForDiff + calculateSnapshotDiff.
//       modswap  await require(modswapDir).heap.diff(before, after)
//
// Prints one JSON line (the last line of stdout): wall time of the call, peak RSS
// (process.resourceUsage().maxRSS) right after it and at the end, and, read after the timing,
// the check: how many LeakyRequest objects the tool reports as leaked (leaks) or added (diff).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { msSince } = require('./lib/stats');
const { runChildMain, MEMLAB_API, MEMLAB_CORE } = require('./lib/heap-bench');

const TOOLS = { leaks: ['memlab', 'modswap'], diff: ['devtools', 'modswap'] };
const FILES = { leaks: 3, diff: 2 };
/** The class the generator leaks 20,000 of per phase. */
const LEAKED_CLASS = 'LeakyRequest';

function maxRss() {
  return process.resourceUsage().maxRSS * 1024;
}

/** Times `fn()` (a Promise) and takes peak RSS right after it. */
async function timed(fn) {
  const start = process.hrtime.bigint();
  const value = await fn();
  const ms = msSince(start);
  return { value, ms, peakRss: maxRss() };
}

function loadModswap(modswapDir, method) {
  const modswap = require(modswapDir);
  if (typeof modswap.heap?.[method] !== 'function') throw new Error(`${modswapDir}: modswap.heap.${method} is not a function`);
  return modswap;
}

// --- memlab ------------------------------------------------------------------------------------

/** Wraps `object[method]` (async) to keep its last arguments and result in `seen[method]`. */
function observe(object, method, seen) {
  const original = object[method];
  object[method] = async function (...args) {
    const value = await original.apply(this, args);
    seen[method] = { args, value };
    return value;
  };
}

async function memlabLeaks([baseline, target, final]) {
  const requireStart = process.hrtime.bigint();
  const { findLeaksBySnapshotFilePaths } = require(MEMLAB_API);
  const { analysis, utils } = require(MEMLAB_CORE);
  const requireMs = msSince(requireStart);
  const seen = {};
  observe(analysis, 'diffSnapshots', seen);
  observe(analysis, 'findLeakTraces', seen);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'memlab-bench-'));
  try {
    const run = await timed(() => findLeaksBySnapshotFilePaths(baseline, target, final, { workDir }));
    return { requireMs, ms: run.ms, steps: {}, peakRss: run.peakRss, check: memlabCheck(run.value, seen, utils) };
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

const isLeaked = (node) => node && node.name === LEAKED_CLASS && node.type === 'object';

/**
 * leakedRaw: objects of final with ids in target and not in baseline (memlab's own parse: the id
 * sets it kept per snapshot); leakedFiltered: what is left of them after memlab's leak filters
 * (the set is filtered in place); traces: what findLeaksBySnapshotFilePaths returned (one per
 * cluster), and how many of the clusters' traces end at a LeakyRequest.
 */
function memlabCheck(traces, seen, utils) {
  const diff = seen.diffSnapshots?.value;
  const found = seen.findLeakTraces;
  const check = { traces: traces.length };
  if (diff) {
    const [baselineIds, targetIds] = diff.listOfLeakedHeapNodeIdSet;
    let leakedRaw = 0;
    let leakedRawClass = 0;
    diff.snapshot.nodes.forEach((node) => {
      if (!targetIds.has(node.id) || baselineIds.has(node.id)) return;
      leakedRaw++;
      if (isLeaked(node)) leakedRawClass++;
    });
    let leakedFilteredClass = 0;
    for (const id of diff.leakedHeapNodeIdSet) if (isLeaked(diff.snapshot.getNodeById(id))) leakedFilteredClass++;
    Object.assign(check, { leakedRaw, leakedRawClass, leakedFiltered: diff.leakedHeapNodeIdSet.size, leakedFilteredClass });
  }
  if (found) {
    const snapshot = found.args[1];
    check.tracesEndingAtClass = found.value.filter((trace) => isLeaked(snapshot.getNodeById(utils.getLastNodeId(trace)))).length;
  }
  check.leakedClass = check.leakedFilteredClass ?? null;
  return check;
}

// --- modswap -----------------------------------------------------------------------------------

async function modswapLeaks([baseline, target, final], modswapDir) {
  const requireStart = process.hrtime.bigint();
  const modswap = loadModswap(modswapDir, 'leaks');
  const requireMs = msSince(requireStart);
  const run = await timed(() => modswap.heap.leaks(baseline, target, final));
  return { requireMs, ms: run.ms, steps: run.value.timingsMs, peakRss: run.peakRss, check: modswapLeaksCheck(run.value) };
}

/** leakedClass: leak roots of LeakyRequest groups (each LeakyRequest is one; see index.d.ts). */
function modswapLeaksCheck(result) {
  const groups = result.groups.filter((group) => group.className === LEAKED_CLASS);
  return {
    leakedNodes: result.leakedNodes,
    leakedSize: result.leakedSize,
    groupCount: result.groupCount,
    groupsReturned: result.groups.length,
    classGroups: groups.length,
    leakedClass: groups.reduce((sum, group) => sum + group.count, 0),
    classPath: groups[0]?.pathShape ?? null,
  };
}

async function modswapDiff([before, after], modswapDir) {
  const requireStart = process.hrtime.bigint();
  const modswap = loadModswap(modswapDir, 'diff');
  const requireMs = msSince(requireStart);
  const run = await timed(() => modswap.heap.diff(before, after));
  return { requireMs, ms: run.ms, steps: run.value.timingsMs, peakRss: run.peakRss, check: diffCheck(run.value.classes) };
}

/** The LeakyRequest rows of a diff (DevTools keys classes by location and name: summed by name). */
function diffCheck(rows) {
  const mine = rows.filter((row) => row.name === LEAKED_CLASS);
  const sum = (field) => mine.reduce((total, row) => total + row[field], 0);
  return { addedClass: sum('addedCount'), removedClass: sum('removedCount'), classRows: mine.length, classes: rows.length };
}

// --- heap-snapshot-toolkit (the DevTools worker) -------------------------------------------

async function devtoolsDiff([before, after]) {
  const requireStart = process.hrtime.bigint();
  // An ES module; import() from CommonJS.
  const toolkit = await import('heap-snapshot-toolkit');
  const requireMs = msSince(requireStart);
  const steps = {};
  const step = async (name, fn) => {
    const start = process.hrtime.bigint();
    const value = await fn();
    steps[name] = msSince(start);
    return value;
  };
  const run = await timed(async () => {
    const a = await step('parseBefore', () => toolkit.parse(fs.createReadStream(before, 'utf-8')));
    const b = await step('parseAfter', () => toolkit.parse(fs.createReadStream(after, 'utf-8')));
    return step('diff', () => toolkit.diff(a, b));
  });
  return { requireMs, ms: run.ms, steps, peakRss: run.peakRss, check: diffCheck(Object.values(run.value)) };
}

// --- main --------------------------------------------------------------------------------------

const RUNNERS = {
  leaks: { memlab: memlabLeaks, modswap: modswapLeaks },
  diff: { devtools: devtoolsDiff, modswap: modswapDiff },
};

function parseArgs(argv) {
  const [task, tool, ...rest] = argv;
  if (!TOOLS[task]) throw new Error(`unknown task ${task}; known: ${Object.keys(TOOLS).join(', ')}`);
  if (!TOOLS[task].includes(tool)) throw new Error(`unknown tool ${tool} for ${task}; known: ${TOOLS[task].join(', ')}`);
  const files = rest.slice(0, FILES[task]);
  const modswapDir = rest[FILES[task]] ?? path.join(__dirname, '..');
  for (const file of files) if (!fs.existsSync(file)) throw new Error(`no such file: ${file}`);
  if (files.length !== FILES[task]) throw new Error(`${task} takes ${FILES[task]} files`);
  return { task, tool, files, modswapDir };
}

async function main() {
  const { task, tool, files, modswapDir } = parseArgs(process.argv.slice(2));
  const rssBefore = maxRss();
  const run = await RUNNERS[task][tool](files, modswapDir);
  return {
    task,
    tool,
    files: files.map((file) => path.basename(file)),
    heapLimitMB: Math.round(require('node:v8').getHeapStatistics().heap_size_limit / 2 ** 20),
    rssBefore,
    ...run,
    peakRssEnd: maxRss(),
    processMs: performance.now(),
  };
}

runChildMain(main);

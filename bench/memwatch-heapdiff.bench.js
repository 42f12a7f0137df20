#!/usr/bin/env node
'use strict';
// HeapDiff benchmark: modswap's memwatch.HeapDiff vs @airbnb/node-memwatch 3.0, and V8's own
// floor for anything built on heap snapshots.
//
//   node bench/memwatch-heapdiff.bench.js [--quick] [--runs=3] [--runs-large=N] [--sizes=200000,1000000]
//       [--tools=modswap,airbnb,floor-stream,floor-sync,floor-file] [--before=DIR]
//   --before=DIR also runs modswap from another (built) checkout in the same rounds, e.g. the
//   commit before a change to the snapshot reader (issue J: no size slower than before).
//
// Every measurement is a fresh process (memwatch-heapdiff-child.js) that builds a heap of N live
// BenchItem objects, then either diffs (new HeapDiff(), +10% BenchAdded objects, end()) or takes
// ONE snapshot with V8 alone: v8.getHeapSnapshot() with every chunk read and dropped
// (floor-stream, the floor the goals refer to), the same with each chunk dropped the moment V8
// writes it (floor-sync: how modswap consumes the stream, so the tightest floor for it), or
// v8.writeHeapSnapshot('/dev/null') (floor-file: serialized straight to a file, no JS buffers). Runs go round-robin over the
// tools, so drift on this shared machine hits all of them alike. Prints a table and writes
// .bench-tmp/memwatch-heapdiff-results.json with every sample.
//
// @airbnb/node-memwatch is used from .bench-tmp/airbnb (npm install there; see bench/README.md).
const path = require('node:path');
const { median, formatMB, renderTable } = require('./lib/stats');
const { environment } = require('./lib/environment');
const {
  header,
  airbnbInstall,
  runChild,
  measuringLoad,
  environmentNotes,
  resultsFile,
  writeResults,
  formatRatio,
} = require('./lib/memwatch-bench');

const CHILD = path.join(__dirname, 'memwatch-heapdiff-child.js');
const RESULTS_FILE = resultsFile('heapdiff', process.argv.slice(2));
const TOOLS = ['modswap', 'airbnb', 'floor-stream', 'floor-sync', 'floor-file'];
const DIFF_TOOLS = ['modswap', 'airbnb', 'before'];

const FULL = { sizes: [200000, 1000000], runs: 3, runsLarge: 3, largeFrom: 500000, addedFraction: 0.1 };
const QUICK = { sizes: [20000, 50000], runs: 1, runsLarge: 1, largeFrom: 500000, addedFraction: 0.1 };

const GOALS = { endVsAirbnb: 0.6, peakRssVsAirbnb: 0.8, peakRssVsFloor: 1.15 };

function parseArgs(argv) {
  const options = { ...(argv.includes('--quick') ? QUICK : FULL), tools: TOOLS, quick: argv.includes('--quick') };
  for (const arg of argv) {
    const [key, value] = arg.split('=');
    if (key === '--quick') continue;
    else if (key === '--runs') options.runs = Number(value);
    else if (key === '--runs-large') options.runsLarge = Number(value);
    else if (key === '--sizes') options.sizes = value.split(',').map(Number);
    else if (key === '--tools') options.tools = value.split(',');
    else if (key === '--before') options.beforeDir = path.resolve(value);
    else throw new Error(`unknown option ${arg}`);
  }
  const unknown = options.tools.filter((tool) => !TOOLS.includes(tool));
  if (unknown.length > 0) throw new Error(`unknown tool(s) ${unknown.join(', ')}; known: ${TOOLS.join(', ')}`);
  if (options.beforeDir) options.tools = [...options.tools, 'before'];
  return options;
}

/** Runs for one heap size: fewer for the large heap, where one airbnb run takes about a minute. */
function runsFor(options, objects) {
  return objects >= options.largeFrom ? options.runsLarge : options.runs;
}

function runOne(tool, objects, options, airbnb) {
  const args = ['--expose-gc', CHILD, tool === 'before' ? 'modswap' : tool, String(objects), String(options.addedFraction)];
  if (tool === 'airbnb') args.push(airbnb.dir);
  if (tool === 'before') args.push(path.join(options.beforeDir, 'memwatch.js'));
  const started = Date.now();
  const outcome = runChild(args, `${tool} at ${objects} objects`);
  process.stderr.write(`    ${tool} ${objects}: ${outcome.error ? 'FAILED' : 'ok'} (${((Date.now() - started) / 1000).toFixed(1)} s wall)\n`);
  return outcome.error ? { tool, objects, error: outcome.error } : outcome.result;
}

/** Round-robin over the tools, starting one later each round. */
function measureSize(objects, tools, options, airbnb) {
  const runs = runsFor(options, objects);
  const samples = Object.fromEntries(tools.map((tool) => [tool, []]));
  for (let round = 0; round < runs; round++) {
    for (let k = 0; k < tools.length; k++) {
      const tool = tools[(round + k) % tools.length];
      samples[tool].push(runOne(tool, objects, options, airbnb));
    }
  }
  return { objects, added: Math.round(objects * options.addedFraction), runs, samples };
}

/** Medians over the successful runs of one tool at one size. */
function summarize(runs) {
  const ok = runs.filter((run) => !run.error);
  const med = (pick) => (ok.length > 0 && ok.every((run) => Number.isFinite(pick(run))) ? median(ok.map(pick)) : NaN);
  return {
    n: ok.length,
    errors: runs.filter((run) => run.error).map((run) => run.error),
    firstMs: med((run) => run.constructorMs ?? run.snapshotMs),
    secondMs: med((run) => run.endMs ?? run.drainMs),
    baselineRss: med((run) => run.baseline.rss),
    peakRss: med((run) => run.peakRss),
    nodes: med((run) => run.before?.nodes ?? run.snapshotNodes),
    afterNodes: med((run) => run.after?.nodes),
    // The sanity check needs every run to pass, not the median.
    addedPlus: ok.length > 0 && ok[0].benchAdded !== undefined ? ok.map((run) => run.benchAdded?.plus ?? 0) : null,
    allocatedNodes: med((run) => run.change?.allocatedNodes),
  };
}

const formatS = (ms) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '-');
const formatNodes = (n) => (Number.isFinite(n) ? `${(n / 1e6).toFixed(2)} M` : '-');

const FIRST_LABEL = {
  modswap: 'new HeapDiff()',
  before: 'new HeapDiff()',
  airbnb: 'new HeapDiff()',
  'floor-stream': 'getHeapSnapshot()',
  'floor-sync': 'getHeapSnapshot()',
  'floor-file': 'writeHeapSnapshot()',
};
const SECOND_LABEL = {
  modswap: 'end()',
  before: 'end()',
  airbnb: 'end()',
  'floor-stream': 'read all chunks',
  'floor-sync': 'serialize',
  'floor-file': '',
};

function toolLabel(tool, airbnb) {
  if (tool === 'airbnb') return `@airbnb/node-memwatch ${airbnb.version ?? ''}`.trim();
  if (tool === 'floor-stream') return 'V8 floor: 1 snapshot, streamed';
  if (tool === 'floor-sync') return 'V8 floor: 1 snapshot, chunks dropped as written';
  if (tool === 'floor-file') return 'V8 floor: 1 snapshot, to /dev/null';
  if (tool === 'before') return 'modswap, before (--before)';
  return 'modswap';
}

function resultsTable(sizes, airbnb) {
  const rows = [];
  for (const size of sizes) {
    for (const [tool, s] of Object.entries(size.summary)) {
      if (s.n === 0) {
        rows.push([String(size.objects), toolLabel(tool, airbnb), 'FAILED', s.errors[0]?.slice(0, 140) ?? '', '', '', '', '', '']);
        continue;
      }
      const second = SECOND_LABEL[tool] ? `${SECOND_LABEL[tool]} ${formatS(s.secondMs)}` : '-';
      rows.push([
        String(size.objects),
        toolLabel(tool, airbnb),
        formatNodes(s.nodes),
        `${FIRST_LABEL[tool]} ${formatS(s.firstMs)}`,
        second,
        formatS(s.firstMs + (Number.isFinite(s.secondMs) ? s.secondMs : 0)),
        formatMB(s.baselineRss),
        formatMB(s.peakRss),
        `${s.n}${s.errors.length > 0 ? ` (+${s.errors.length} failed)` : ''}`,
      ]);
    }
  }
  return renderTable(
    ['objects', 'tool', 'snapshot nodes', 'first call (median)', 'second call (median)', 'total', 'RSS before', 'peak RSS', 'runs'],
    rows,
  );
}

const verdict = (ok) => (ok ? 'PASS' : 'MISS');

function goalRows(size) {
  const m = size.summary.modswap;
  const a = size.summary.airbnb;
  const f = size.summary['floor-stream'];
  const rows = [];
  const usable = (s) => s && s.n > 0;
  if (usable(m) && usable(a)) {
    const endRatio = m.secondMs / a.secondMs;
    rows.push([`${size.objects}: modswap end() / airbnb end()`, formatRatio(endRatio), `<= ${GOALS.endVsAirbnb}x`, verdict(endRatio <= GOALS.endVsAirbnb)]);
    const rssRatio = m.peakRss / a.peakRss;
    rows.push([`${size.objects}: modswap peak RSS / airbnb peak RSS`, formatRatio(rssRatio), `<= ${GOALS.peakRssVsAirbnb}x`, verdict(rssRatio <= GOALS.peakRssVsAirbnb)]);
  }
  if (usable(m) && usable(f)) {
    const floorRatio = m.peakRss / f.peakRss;
    rows.push([
      `${size.objects}: modswap peak RSS / V8 floor (streamed) peak RSS`,
      formatRatio(floorRatio),
      `<= ${GOALS.peakRssVsFloor}x`,
      verdict(floorRatio <= GOALS.peakRssVsFloor),
    ]);
  }
  const before = size.summary.before;
  if (usable(m) && usable(before)) {
    const ratio = before.secondMs / m.secondMs;
    rows.push([`${size.objects}: before end() / modswap end()`, formatRatio(ratio), '>= 1x', verdict(ratio >= 1)]);
    rows.push([`${size.objects}: before peak RSS / modswap peak RSS`, formatRatio(before.peakRss / m.peakRss), '', '']);
  }
  const sync = size.summary['floor-sync'];
  if (usable(m) && usable(sync)) {
    // Not a goal: how far end() is from one snapshot consumed the same way with nothing kept.
    const floorTime = sync.firstMs + sync.secondMs;
    rows.push([`${size.objects}: modswap end() / V8 floor (chunks dropped as written)`, formatRatio(m.secondMs / floorTime), '', '']);
    rows.push([`${size.objects}: modswap peak RSS / same floor`, formatRatio(m.peakRss / sync.peakRss), '', '']);
  }
  return rows;
}

/** Does each diff report at least the BenchAdded objects allocated between its two snapshots? */
function sanityRows(size, airbnb) {
  return DIFF_TOOLS.filter((tool) => size.summary[tool]?.addedPlus).map((tool) => {
    const s = size.summary[tool];
    const ok = s.addedPlus.every((plus) => plus >= size.added);
    return [
      `${size.objects}: ${toolLabel(tool, airbnb)} details BenchAdded '+'`,
      `${s.addedPlus.join(', ')} (allocated ${size.added}; allocated_nodes ${s.allocatedNodes})`,
      `>= ${size.added}`,
      ok ? 'OK' : 'WRONG',
    ];
  });
}

function report(results) {
  const out = [
    `HeapDiff on a heap of N live BenchItem objects (4 snapshot nodes each); between new HeapDiff() and end() ` +
      `${Math.round(results.options.addedFraction * 100)}% more objects (BenchAdded) are allocated and kept; ` +
      'every run a fresh process; medians',
    resultsTable(results.sizes, results.airbnb),
    '',
  ];
  const checks = results.sizes.flatMap((size) => [...goalRows(size), ...sanityRows(size, results.airbnb)]);
  if (checks.length > 0) out.push(renderTable(['check', 'result', 'goal', ''], checks), '');
  if (results.airbnb.error) out.push(`@airbnb/node-memwatch: ${results.airbnb.error}`);
  out.push(
    'first/second call: new HeapDiff() and end() for the diffs; for the floors the snapshot call and reading its stream',
    'RSS before = RSS after building the heap and one forced GC; peak RSS = process.resourceUsage().maxRSS at the end',
    ...environmentNotes(results),
  );
  return out.join('\n');
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const machine = environment();
  console.log(header('modswap memwatch HeapDiff benchmark', machine, options.quick));
  console.log('');
  const airbnb = options.tools.includes('airbnb') ? airbnbInstall() : { error: 'not selected' };
  const tools = options.tools.filter((tool) => tool !== 'airbnb' || !airbnb.error);
  const results = { machine, options, goals: GOALS, airbnb, otherCores: {}, sizes: [] };
  for (const objects of options.sizes) {
    process.stderr.write(`  ${objects} objects, ${runsFor(options, objects)} run(s) per tool...\n`);
    const size = await measuringLoad(results.otherCores, String(objects), () => measureSize(objects, tools, options, airbnb));
    size.summary = Object.fromEntries(tools.map((tool) => [tool, summarize(size.samples[tool])]));
    results.sizes.push(size);
    writeResults(RESULTS_FILE, results);
  }
  console.log(report(results));
  console.log(`\nresults written to ${path.relative(process.cwd(), RESULTS_FILE)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

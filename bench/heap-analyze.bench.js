#!/usr/bin/env node
'use strict';
// Heap snapshot analysis benchmark (issue C): full analysis of one .heapsnapshot file (parse,
// dominators, retained sizes) by memlab, by the DevTools heap snapshot worker
// (heap-snapshot-toolkit) and, once it exists, by modswap.heap.analyze().
//
//   node bench/gen-heap-snapshots.js                  # the snapshots first (.bench-tmp/heap/)
//   node bench/heap-analyze.bench.js [--quick] [--runs=3] [--runs-large=N] [--sizes=95,390,655]
//       [--tools=memlab,devtools,modswap] [--heap-mb=8192] [--timeout-s=900] [--modswap=DIR]
//       [--before=DIR]   # also modswap from another checkout (built), e.g. the commit before a change
//
// Every run is a fresh process (heap-analyze-child.js); runs go round-robin over the tools, so
// drift on this shared machine hits all of them alike. Wall time is the analysis call alone
// (after Node started and the tool was loaded); peak RSS is process.resourceUsage().maxRSS
// right after it. modswap is included when require(DIR).heap.analyze is a function (DIR = this
// checkout unless --modswap=DIR), and left out with a note otherwise. A failed run (out of
// memory, time limit, exception) is a result too. Prints a table and writes every sample to
// .bench-tmp/heap-analyze-results.json (…-partial.json for --quick or any other option).
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { memlabInstall } = require('./lib/heap-bench');
const { median, renderTable } = require('./lib/stats');
const { environment } = require('./lib/environment');
const { ROOT, TMP, header, runChild, measuringLoad, environmentNotes, writeResults, formatRatio } = require('./lib/memwatch-bench');
const { OUT_DIR: HEAP_DIR, fileName, headerCounts } = require('./gen-heap-snapshots');

const CHILD = path.join(__dirname, 'heap-analyze-child.js');
const TOOLS = ['memlab', 'devtools', 'modswap'];
/** `--before=DIR`: modswap from another checkout, run as one more tool in the same rounds. */
const BEFORE = 'before';
/** JS tools get a larger V8 heap limit (a margin: memlab at ~655 MB also passes under the default ~4 GB). */
const JS_TOOLS = ['memlab', 'devtools'];

/** The three analysis sizes of issue C and the generator's file for each. */
const SIZES = {
  95: { label: '~95 MB', file: fileName(1, 3), gen: 's1' },
  390: { label: '~390 MB', file: fileName(6, 1), gen: 's6' },
  655: { label: '~655 MB', file: fileName(10, 1), gen: 's10' },
};

/** ../shared/notes/heapsnapshot-format.md, section 6: Node 20.20.2 on a 2-core machine, ±20 %. */
const REFERENCE = {
  memlab: { 95: '9.5 s (531 MB)', 390: '35.9 s (1.55 GB)', 655: '53.7 s (2.29 GB)' },
  devtools: { 95: '5.6 s (427 MB)', 390: '23.6 s (1.37 GB)', 655: '31.9 s (2.23 GB)' },
};

/** MB and GB in this report are 2^20 and 2^30 bytes, as in the other benchmarks. */
const GB = 2 ** 30;
const GOALS = {
  largestMs: 2000, // ~655 MB in <= 2 s (issue J; issue C: 3 s)
  largestPeakRss: 1.1 * GB, // and <= 1.1 GB (issue J; issue C: 1.3 GB)
  smallestMs: 600, // ~95 MB in <= 0.6 s
  vsMemlab: 15, // >= 15x faster than memlab at every size
  vsDevtools: 10, // >= 10x faster than the DevTools processor at every size (issue C)
  vsDevtoolsSmallest: 15, // >= 15x at ~95 MB (issue J)
  vsBefore: 1, // no size slower than before (issue J, with --before)
};

const FULL = { sizes: ['95', '390', '655'], runs: 3, runsLarge: 3, largeFrom: 390 };
const QUICK = { sizes: ['95'], runs: 1, runsLarge: 1, largeFrom: 390 };

function parseArgs(argv) {
  const quick = argv.includes('--quick');
  const options = {
    ...(quick ? QUICK : FULL),
    quick,
    tools: TOOLS,
    heapMb: 8192,
    timeoutS: 900,
    modswapDir: ROOT,
    beforeDir: null,
  };
  let runsLargeSet = false;
  for (const arg of argv) {
    const [key, value] = arg.split('=');
    if (key === '--quick') continue;
    else if (key === '--runs') options.runs = Number(value);
    else if (key === '--runs-large') (options.runsLarge = Number(value)), (runsLargeSet = true);
    else if (key === '--sizes') options.sizes = value.split(',');
    else if (key === '--tools') options.tools = value.split(',');
    else if (key === '--heap-mb') options.heapMb = Number(value);
    else if (key === '--timeout-s') options.timeoutS = Number(value);
    else if (key === '--modswap') options.modswapDir = path.resolve(value);
    else if (key === '--before') options.beforeDir = path.resolve(value);
    else throw new Error(`unknown option ${arg}`);
  }
  if (!runsLargeSet) options.runsLarge = Math.min(options.runsLarge, options.runs);
  const unknownTools = options.tools.filter((tool) => !TOOLS.includes(tool));
  if (unknownTools.length > 0) throw new Error(`unknown tool(s) ${unknownTools.join(', ')}; known: ${TOOLS.join(', ')}`);
  const unknownSizes = options.sizes.filter((size) => !SIZES[size]);
  if (unknownSizes.length > 0) throw new Error(`unknown size(s) ${unknownSizes.join(', ')}; known: ${Object.keys(SIZES).join(', ')}`);
  return options;
}

function runsFor(options, size) {
  return Number(size) >= options.largeFrom ? options.runsLarge : options.runs;
}

function packageVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

/**
 * Is modswap's engine there? `{ ok: true }` when require(dir).heap.analyze is a function,
 * else `{ ok: false, why }`. Checked in a child: loading the addon must not load it here.
 */
function probeModswap(dir) {
  const probe = spawnSync(
    process.execPath,
    ['-e', `const m = require(${JSON.stringify(dir)}); process.stdout.write(typeof m.heap?.analyze);`],
    { encoding: 'utf8' },
  );
  if (probe.status !== 0) {
    const line = (probe.stderr || '').split('\n').find((l) => /Error/.test(l)) ?? `exit ${probe.status}`;
    return { ok: false, why: `require(${JSON.stringify(dir)}) failed: ${line.trim()}` };
  }
  if (probe.stdout !== 'function') {
    return { ok: false, why: `require(${JSON.stringify(dir)}).heap?.analyze is ${probe.stdout}, not a function: no heap engine in this checkout` };
  }
  return { ok: true };
}

/** The V8 heap limit a plain `node` gets on this machine, in MB. */
function defaultHeapLimitMb() {
  const probe = spawnSync(process.execPath, ['-p', "Math.round(require('v8').getHeapStatistics().heap_size_limit / 2 ** 20)"], {
    encoding: 'utf8',
  });
  return Number(probe.stdout.trim());
}

/** The commit a checkout is at (short hash), or its path when it is not a git checkout. */
function gitDescribe(dir) {
  const probe = spawnSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : dir;
}

function runOne(tool, size, file, options) {
  const args = [];
  if (JS_TOOLS.includes(tool)) args.push(`--max-old-space-size=${options.heapMb}`);
  args.push(CHILD, tool === BEFORE ? 'modswap' : tool, file);
  if (tool === 'modswap') args.push(options.modswapDir);
  if (tool === BEFORE) args.push(options.beforeDir);
  const started = process.hrtime.bigint();
  const outcome = runChild(args, `${tool} on ${SIZES[size].label}`, { timeoutMs: options.timeoutS * 1000 });
  const spawnMs = Number(process.hrtime.bigint() - started) / 1e6;
  let error = outcome.error;
  if (error && /ETIMEDOUT|SIGTERM/.test(error)) error = `timed out after ${options.timeoutS} s (${error})`;
  if (error && /heap out of memory|Allocation failed/.test(outcome.stderr || '')) error = `out of memory (${error})`;
  process.stderr.write(
    `    ${tool} ${SIZES[size].label}: ${error ? 'FAILED' : `${(outcome.result.analyzeMs / 1000).toFixed(2)} s`} ` +
      `(${(spawnMs / 1000).toFixed(1)} s process wall)\n`,
  );
  return error ? { tool, size, error: error.slice(0, 400), spawnMs } : { ...outcome.result, size, spawnMs };
}

/** Round-robin over the tools, starting one later each round. */
function measureSize(size, tools, options) {
  const file = path.join(HEAP_DIR, SIZES[size].file);
  const bytes = fs.statSync(file).size;
  const counts = headerCounts(file);
  const runs = runsFor(options, size);
  const samples = Object.fromEntries(tools.map((tool) => [tool, []]));
  for (let round = 0; round < runs; round++) {
    for (let k = 0; k < tools.length; k++) {
      const tool = tools[(round + k) % tools.length];
      samples[tool].push(runOne(tool, size, file, options));
    }
  }
  return { size, label: SIZES[size].label, file: path.relative(ROOT, file), bytes, ...counts, runs, samples };
}

function summarize(runs) {
  const ok = runs.filter((run) => !run.error);
  const pick = (fn) => ok.map(fn).filter(Number.isFinite);
  const ms = pick((run) => run.analyzeMs);
  const rss = pick((run) => run.peakRss);
  const stepNames = ok.length > 0 ? Object.keys(ok[0].steps) : [];
  return {
    n: ok.length,
    errors: runs.filter((run) => run.error).map((run) => run.error),
    ms: { median: median(ms), min: Math.min(...ms), max: Math.max(...ms) },
    peakRss: { median: median(rss), min: Math.min(...rss), max: Math.max(...rss) },
    steps: Object.fromEntries(stepNames.map((name) => [name, median(pick((run) => run.steps[name]))])),
    spawnMs: median(pick((run) => run.spawnMs)),
    check: ok[0]?.check ?? null,
  };
}

// --- report ------------------------------------------------------------------------------------

const formatS = (ms) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '-');
const formatBytes = (bytes) =>
  !Number.isFinite(bytes) ? '-' : bytes >= GB ? `${(bytes / GB).toFixed(2)} GB` : `${Math.round(bytes / 2 ** 20)} MB`;
const formatCount = (n) => (Number.isFinite(n) ? `${(n / 1e6).toFixed(2)} M` : '?');
const fmtInt = (n) => (Number.isFinite(n) ? Number(n).toLocaleString('en-US') : '-');
const verdict = (ok) => (ok ? 'PASS' : 'MISS');

function toolLabel(tool, versions) {
  if (tool === 'memlab') return `memlab ${versions.memlab ?? '?'} getFullHeapFromFile`;
  if (tool === 'devtools') return `DevTools (heap-snapshot-toolkit ${versions.toolkit ?? '?'}) parse`;
  if (tool === BEFORE) return `modswap heap.analyze, before (${versions.before ?? '?'})`;
  return 'modswap heap.analyze';
}

function stepsCell(tool, s) {
  if (tool === 'memlab') return `parse ${formatS(s.steps.parseMs)} + paths/dominators ${formatS(s.steps.pathFinderMs)}`;
  if (tool === 'devtools') return `then class aggregates ${formatS(s.steps.aggregatesMs)}`;
  return '';
}

function referenceCell(tool, size) {
  return REFERENCE[tool]?.[size] ?? '';
}

function resultsTable(sizes, versions) {
  const rows = [];
  for (const size of sizes) {
    const sizeCell = `${size.label}: ${(size.bytes / 1e6).toFixed(0)} MB, ${formatCount(size.nodes)} nodes, ${formatCount(size.edges)} edges`;
    for (const [tool, s] of Object.entries(size.summary)) {
      const runsCell = `${s.n}${s.errors.length > 0 ? ` (+${s.errors.length} failed)` : ''}`;
      if (s.n === 0) {
        rows.push([sizeCell, toolLabel(tool, versions), 'FAILED', '', '', '', runsCell, s.errors[0]?.slice(0, 120) ?? '']);
        continue;
      }
      rows.push([
        sizeCell,
        toolLabel(tool, versions),
        formatS(s.ms.median),
        `${formatS(s.ms.min)}..${formatS(s.ms.max)}`,
        formatBytes(s.peakRss.median),
        `${formatBytes(s.peakRss.min)}..${formatBytes(s.peakRss.max)}`,
        runsCell,
        [stepsCell(tool, s), referenceCell(tool, size.size) && `notes: ${referenceCell(tool, size.size)}`].filter(Boolean).join('; '),
      ]);
    }
  }
  return renderTable(['file', 'tool', 'wall (median)', 'min..max', 'peak RSS (median)', 'min..max', 'runs', 'detail'], rows);
}

function checkTable(sizes, versions) {
  const rows = [];
  for (const size of sizes) {
    for (const [tool, s] of Object.entries(size.summary)) {
      if (!s.check) continue;
      const c = s.check;
      if (tool === 'modswap' || tool === BEFORE) {
        const numbers = Object.entries(c)
          .filter(([key]) => key !== 'keys')
          .map(([key, value]) => `${key} ${fmtInt(value)}`);
        rows.push([size.label, toolLabel(tool, versions), numbers.join(', ') || `fields: ${[].concat(c.keys).join(', ')}`, '', '', '']);
        continue;
      }
      rows.push([size.label, toolLabel(tool, versions), fmtInt(c.nodes), fmtInt(c.edges), fmtInt(c.rootRetained), fmtInt(c.keepRetained)]);
    }
  }
  return renderTable(['file', 'tool', 'nodes', 'edges', 'root retained B', '__keep retained B'], rows);
}

function goalRows(results) {
  const rows = [];
  const sizes = results.sizes;
  for (const size of sizes) {
    const m = size.summary.modswap;
    if (!m || m.n === 0) continue;
    for (const [tool, goal] of [
      ['memlab', GOALS.vsMemlab],
      ['devtools', GOALS.vsDevtools],
    ]) {
      const other = size.summary[tool];
      if (!other || other.n === 0) continue;
      const speedup = other.ms.median / m.ms.median;
      rows.push([`${size.label}: ${tool} wall / modswap wall`, formatRatio(speedup, 1), `>= ${goal}x`, verdict(speedup >= goal)]);
      rows.push([`${size.label}: ${tool} peak RSS / modswap peak RSS`, formatRatio(other.peakRss.median / m.peakRss.median, 2), '', '']);
    }
    const devtools = size.summary.devtools;
    if (size.size === '95' && devtools && devtools.n > 0) {
      const speedup = devtools.ms.median / m.ms.median;
      rows.push([`${size.label}: devtools wall / modswap wall (issue J)`, formatRatio(speedup, 1), `>= ${GOALS.vsDevtoolsSmallest}x`, verdict(speedup >= GOALS.vsDevtoolsSmallest)]);
    }
    const before = size.summary[BEFORE];
    if (before && before.n > 0) {
      const ratio = before.ms.median / m.ms.median;
      rows.push([`${size.label}: before wall / modswap wall`, formatRatio(ratio, 2), `>= ${GOALS.vsBefore}x`, verdict(ratio >= GOALS.vsBefore)]);
      rows.push([`${size.label}: before peak RSS / modswap peak RSS`, formatRatio(before.peakRss.median / m.peakRss.median, 2), '', '']);
    }
    if (size.size === '655') {
      rows.push([`${size.label}: modswap wall`, formatS(m.ms.median), `<= ${formatS(GOALS.largestMs)}`, verdict(m.ms.median <= GOALS.largestMs)]);
      rows.push([
        `${size.label}: modswap peak RSS`,
        formatBytes(m.peakRss.median),
        `<= ${formatBytes(GOALS.largestPeakRss)}`,
        verdict(m.peakRss.median <= GOALS.largestPeakRss),
      ]);
    }
    if (size.size === '95') {
      rows.push([`${size.label}: modswap wall`, formatS(m.ms.median), `<= ${formatS(GOALS.smallestMs)}`, verdict(m.ms.median <= GOALS.smallestMs)]);
    }
  }
  return rows;
}

function report(results) {
  const { options } = results;
  const out = [
    'full analysis of one .heapsnapshot per run (fresh process each; round-robin over the tools); ' +
      'wall = the analysis call only, after Node started and the tool was loaded; ' +
      'peak RSS = process.resourceUsage().maxRSS right after it',
    resultsTable(results.sizes, results.versions),
    '',
    'same graph? (numbers from the first successful run; retained sizes should equal DevTools\', the oracle. memlab ' +
      'differs where objects are reachable from both __keep and the stack roots: it does not apply DevTools\' page-owned ' +
      'rule, notes sections 2 and 3)',
    checkTable(results.sizes, results.versions),
    '',
  ];
  const goals = goalRows(results);
  if (goals.length > 0) out.push(renderTable(['goal (issues C, J)', 'result', 'goal', ''], goals), '');
  if (!results.modswap.ok) out.push(`modswap: skipped, ${results.modswap.why}; goals not evaluated`);
  for (const missing of results.missing) out.push(`${missing.label}: ${missing.file} missing: run \`node bench/gen-heap-snapshots.js --only=${missing.gen}\``);
  out.push(
    `memlab and DevTools children run with --max-old-space-size=${options.heapMb} (default heap limit here: ${results.defaultHeapLimitMb} MB); ` +
      `time limit ${options.timeoutS} s per run`,
    'DevTools detail: aggregatesWithFilter({}) (the Summary view) after parse(), not in its wall time or peak RSS',
    `runs: ${options.runs} per tool at ~95 MB, ${options.runsLarge} at ~390 MB and ~655 MB`,
    ...environmentNotes(results),
  );
  return out.join('\n');
}

async function main() {
  const argv = process.argv.slice(2);
  const options = parseArgs(argv);
  const resultsFile = path.join(TMP, `heap-analyze-results${argv.length > 0 ? '-partial' : ''}.json`);
  const machine = environment();
  console.log(header('modswap heap snapshot analysis benchmark (issue C)', machine, options.quick));
  console.log('');
  const memlab = memlabInstall();
  const versions = { memlab: memlab.version ?? null, toolkit: packageVersion('heap-snapshot-toolkit') };
  if (memlab.error && options.tools.includes('memlab')) {
    console.error(`memlab skipped: ${memlab.error}`);
    options.tools = options.tools.filter((tool) => tool !== 'memlab');
  }
  const modswap = options.tools.includes('modswap') ? probeModswap(options.modswapDir) : { ok: false, why: 'not selected (--tools)' };
  const tools = options.tools.filter((tool) => tool !== 'modswap' || modswap.ok);
  if (options.beforeDir) {
    const before = probeModswap(options.beforeDir);
    if (before.ok) tools.push(BEFORE);
    else console.error(`--before: ${options.beforeDir} skipped: ${before.why}`);
    versions.before = gitDescribe(options.beforeDir);
  }
  const results = {
    machine,
    options,
    goals: GOALS,
    versions,
    modswap,
    defaultHeapLimitMb: defaultHeapLimitMb(),
    otherCores: {},
    missing: [],
    sizes: [],
  };
  if (!modswap.ok) process.stderr.write(`  modswap: skipped, ${modswap.why}\n`);
  for (const size of options.sizes) {
    const file = path.join(HEAP_DIR, SIZES[size].file);
    if (!fs.existsSync(file)) {
      results.missing.push({ ...SIZES[size], file: path.relative(ROOT, file) });
      process.stderr.write(`  ${SIZES[size].label}: ${SIZES[size].file} missing, skipped\n`);
      continue;
    }
    process.stderr.write(`  ${SIZES[size].label}: ${runsFor(options, size)} run(s) per tool (${tools.join(', ')})...\n`);
    const measured = await measuringLoad(results.otherCores, SIZES[size].label, () => measureSize(size, tools, options));
    measured.summary = Object.fromEntries(tools.map((tool) => [tool, summarize(measured.samples[tool])]));
    results.sizes.push(measured);
    writeResults(resultsFile, results);
  }
  writeResults(resultsFile, results);
  console.log(report(results));
  console.log(`\nresults written to ${path.relative(process.cwd(), resultsFile)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

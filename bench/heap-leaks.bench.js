#!/usr/bin/env node
'use strict';
// Heap snapshot leak search and diff benchmark (issue C): memlab's three-snapshot leak detection
// against modswap.heap.leaks(), and the DevTools Comparison view (heap-snapshot-toolkit) against
// modswap.heap.diff(), on the generator's scale-1 phases.
//
//   node bench/gen-heap-snapshots.js --only=s1     # the snapshots first (.bench-tmp/heap/)
//   node bench/heap-leaks.bench.js [--quick] [--runs=3] [--tools=memlab,devtools,modswap]
//       [--dir=.bench-tmp/heap] [--heap-mb=8192] [--timeout-s=900] [--modswap=DIR]
//
// Two tasks, each run in a fresh process (heap-leaks-child.js), round-robin over the task's tools:
//   leaks  heap-s1-p1, -p2, -p3 as baseline, target, final: @memlab/api's
//          findLeaksBySnapshotFilePaths (memlab's defaults) vs modswap.heap.leaks().
//   diff   heap-s1-p1 -> -p2: heap-snapshot-toolkit's diff(await parse(a), await parse(b)) vs
//          modswap.heap.diff().
// Wall time is the call alone (after Node started and the tool was loaded); peak RSS is
// process.resourceUsage().maxRSS right after it. The check, read after the timing: LeakyRequest
// objects each tool reports as leaked (leaks) or added (diff); the generator leaks 20,000 per
// phase, so 20,000 is right for both. modswap is included when require(DIR).heap.leaks and .diff
// are functions (DIR = this checkout unless --modswap=DIR). A failed run is a result too.
// Prints a table and writes every sample to .bench-tmp/heap-leaks-results.json
// (…-partial.json for --quick or any option other than --dir and --modswap).
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { memlabInstall } = require('./lib/heap-bench');
const { median, renderTable } = require('./lib/stats');
const { environment, addonInfo } = require('./lib/environment');
const { ROOT, TMP, header, runChild, measuringLoad, environmentNotes, writeResults, formatRatio } = require('./lib/memwatch-bench');
const { OUT_DIR: HEAP_DIR, fileName, headerCounts } = require('./gen-heap-snapshots');

const CHILD = path.join(__dirname, 'heap-leaks-child.js');
const TOOLS = ['memlab', 'devtools', 'modswap'];
/** JS tools get a larger V8 heap limit, as in heap-analyze.bench.js. */
const JS_TOOLS = ['memlab', 'devtools'];
/** What the generator leaks per phase, and so what every tool should report. */
const EXPECTED = 20000;

const TASKS = {
  leaks: {
    label: '3-snapshot leaks p1/p2/p3',
    files: [fileName(1, 1), fileName(1, 2), fileName(1, 3)],
    tools: ['memlab', 'modswap'],
  },
  diff: {
    label: 'diff p1 -> p2',
    files: [fileName(1, 1), fileName(1, 2)],
    tools: ['devtools', 'modswap'],
  },
};

/** ../shared/notes/heapsnapshot-format.md, section 6: Node 20.20.2 on a 2-core machine, ±20 %. */
const REFERENCE = { leaks: { memlab: '16.2 s (688 MB), 0 clusters with the default filters' } };

const FULL = { runs: 3 };
const QUICK = { runs: 1 };
/** Options that say where things are, not what is measured: they keep the main results file. */
const LOCATION_OPTIONS = ['--dir', '--modswap'];

function parseArgs(argv) {
  const quick = argv.includes('--quick');
  const options = {
    ...(quick ? QUICK : FULL),
    quick,
    tools: TOOLS,
    dir: HEAP_DIR,
    heapMb: 8192,
    timeoutS: 900,
    modswapDir: ROOT,
  };
  for (const arg of argv) {
    const [key, value] = arg.split('=');
    if (key === '--quick') continue;
    else if (key === '--runs') options.runs = Number(value);
    else if (key === '--tools') options.tools = value.split(',');
    else if (key === '--dir') options.dir = path.resolve(value);
    else if (key === '--heap-mb') options.heapMb = Number(value);
    else if (key === '--timeout-s') options.timeoutS = Number(value);
    else if (key === '--modswap') options.modswapDir = path.resolve(value);
    else throw new Error(`unknown option ${arg}`);
  }
  const unknownTools = options.tools.filter((tool) => !TOOLS.includes(tool));
  if (unknownTools.length > 0) throw new Error(`unknown tool(s) ${unknownTools.join(', ')}; known: ${TOOLS.join(', ')}`);
  return options;
}

function isPartial(argv) {
  return argv.some((arg) => !LOCATION_OPTIONS.includes(arg.split('=')[0]));
}

function packageVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

/**
 * Is modswap's engine there? `{ ok: true }` when require(dir).heap.leaks and .diff are functions,
 * else `{ ok: false, why }`. Checked in a child: loading the addon must not load it here.
 */
function probeModswap(dir) {
  const probe = spawnSync(
    process.execPath,
    ['-e', `const m = require(${JSON.stringify(dir)}); process.stdout.write(typeof m.heap?.leaks + ' ' + typeof m.heap?.diff);`],
    { encoding: 'utf8' },
  );
  if (probe.status !== 0) {
    const line = (probe.stderr || '').split('\n').find((l) => /Error/.test(l)) ?? `exit ${probe.status}`;
    return { ok: false, why: `require(${JSON.stringify(dir)}) failed: ${line.trim()}` };
  }
  if (probe.stdout !== 'function function') {
    return { ok: false, why: `require(${JSON.stringify(dir)}).heap?.leaks / .diff are ${probe.stdout}, not functions` };
  }
  return { ok: true };
}

function runOne(taskName, tool, files, options) {
  const args = [];
  if (JS_TOOLS.includes(tool)) args.push(`--max-old-space-size=${options.heapMb}`);
  args.push(CHILD, taskName, tool, ...files);
  if (tool === 'modswap') args.push(options.modswapDir);
  const what = `${tool} ${TASKS[taskName].label}`;
  const started = process.hrtime.bigint();
  const outcome = runChild(args, what, { timeoutMs: options.timeoutS * 1000 });
  const spawnMs = Number(process.hrtime.bigint() - started) / 1e6;
  let error = outcome.error;
  if (error && /ETIMEDOUT|SIGTERM/.test(error)) error = `timed out after ${options.timeoutS} s (${error})`;
  if (error && /heap out of memory|Allocation failed/.test(outcome.stderr || '')) error = `out of memory (${error})`;
  process.stderr.write(
    `    ${what}: ${error ? 'FAILED' : `${(outcome.result.ms / 1000).toFixed(2)} s`} (${(spawnMs / 1000).toFixed(1)} s process wall)\n`,
  );
  return error ? { task: taskName, tool, error: error.slice(0, 400), spawnMs } : { ...outcome.result, spawnMs };
}

/** Round-robin over the task's tools, starting one later each round. */
function measureTask(taskName, tools, options) {
  const files = TASKS[taskName].files.map((file) => path.join(options.dir, file));
  const samples = Object.fromEntries(tools.map((tool) => [tool, []]));
  for (let round = 0; round < options.runs; round++) {
    for (let k = 0; k < tools.length; k++) {
      const tool = tools[(round + k) % tools.length];
      samples[tool].push(runOne(taskName, tool, files, options));
    }
  }
  const described = files.map((file) => ({ file, bytes: fs.statSync(file).size, ...headerCounts(file) }));
  return { task: taskName, label: TASKS[taskName].label, files: described, runs: options.runs, samples };
}

function summarize(runs) {
  const ok = runs.filter((run) => !run.error);
  const pick = (fn) => ok.map(fn).filter(Number.isFinite);
  const ms = pick((run) => run.ms);
  const rss = pick((run) => run.peakRss);
  const stepNames = ok.length > 0 ? Object.keys(ok[0].steps) : [];
  return {
    n: ok.length,
    errors: runs.filter((run) => run.error).map((run) => run.error),
    ms: { median: median(ms), min: Math.min(...ms), max: Math.max(...ms) },
    peakRss: { median: median(rss), min: Math.min(...rss), max: Math.max(...rss) },
    steps: Object.fromEntries(stepNames.map((name) => [name, median(pick((run) => run.steps[name]))])),
    requireMs: median(pick((run) => run.requireMs)),
    spawnMs: median(pick((run) => run.spawnMs)),
    // The check is the same every run unless a tool is nondeterministic: keep each distinct one.
    checks: [...new Set(ok.map((run) => JSON.stringify(run.check)))].map((json) => JSON.parse(json)),
  };
}

// --- report ------------------------------------------------------------------------------------

const GB = 2 ** 30;
const formatS = (ms) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '-');
const formatBytes = (bytes) =>
  !Number.isFinite(bytes) ? '-' : bytes >= GB ? `${(bytes / GB).toFixed(2)} GB` : `${Math.round(bytes / 2 ** 20)} MB`;
const fmtInt = (n) => (Number.isFinite(n) ? Number(n).toLocaleString('en-US') : '-');

function toolLabel(taskName, tool, versions) {
  if (tool === 'memlab') return `memlab ${versions.memlabApi ?? '?'} findLeaksBySnapshotFilePaths`;
  if (tool === 'devtools') return `DevTools (heap-snapshot-toolkit ${versions.toolkit ?? '?'}) diff(parse, parse)`;
  return `modswap heap.${taskName}`;
}

/** "20,000 (ok)" from the task's check; several values if the runs disagreed; memlab's count before its filters. */
function checkCell(taskName, s) {
  const field = taskName === 'leaks' ? 'leakedClass' : 'addedClass';
  const values = [...new Set(s.checks.map((check) => check[field]))];
  const ok = values.length === 1 && values[0] === EXPECTED;
  const raw = [...new Set(s.checks.map((check) => check.leakedRawClass).filter(Number.isFinite))];
  const before = raw.length > 0 && !ok ? `, ${raw.map(fmtInt).join(' / ')} before its leak filters` : '';
  return `${values.map(fmtInt).join(' / ')} ${ok ? '(ok)' : `(expected ${fmtInt(EXPECTED)}${before})`}`;
}

function stepsCell(s) {
  return Object.entries(s.steps)
    .map(([name, ms]) => `${name} ${formatS(ms)}`)
    .join(', ');
}

function resultsTable(tasks, versions) {
  const rows = [];
  for (const task of tasks) {
    const m = task.summary.modswap;
    for (const [tool, s] of Object.entries(task.summary)) {
      const label = toolLabel(task.task, tool, versions);
      const runsCell = `${s.n}${s.errors.length > 0 ? ` (+${s.errors.length} failed)` : ''}`;
      if (s.n === 0) {
        rows.push([task.label, label, 'FAILED', '', '', '', '', runsCell, '', s.errors[0]?.slice(0, 120) ?? '']);
        continue;
      }
      const vs = (field) => (m && m.n > 0 ? formatRatio(s[field].median / m[field].median, 1) : '-');
      rows.push([
        task.label,
        label,
        formatS(s.ms.median),
        `${formatS(s.ms.min)}..${formatS(s.ms.max)}`,
        formatBytes(s.peakRss.median),
        vs('ms'),
        vs('peakRss'),
        runsCell,
        checkCell(task.task, s),
        [stepsCell(s), REFERENCE[task.task]?.[tool] && `notes: ${REFERENCE[task.task][tool]}`].filter(Boolean).join('; '),
      ]);
    }
  }
  return renderTable(
    ['task', 'tool', 'wall (median)', 'min..max', 'peak RSS (median)', 'wall / modswap', 'RSS / modswap', 'runs', 'LeakyRequest', 'detail'],
    rows,
  );
}

/** Every number of the checks, from each distinct check seen (normally one per tool). */
function checkRows(tasks, versions) {
  const rows = [];
  for (const task of tasks) {
    for (const [tool, s] of Object.entries(task.summary)) {
      const label = toolLabel(task.task, tool, versions);
      for (const check of s.checks) {
        const numbers = Object.entries(check).map(([key, value]) => `${key} ${typeof value === 'number' ? fmtInt(value) : value}`);
        rows.push([task.label, label, numbers.join(', ')]);
      }
    }
  }
  return rows;
}

function filesLine(task) {
  return `${task.label}: ${task.files
    .map((f) => `${path.basename(f.file)} ${(f.bytes / 1e6).toFixed(0)} MB, ${(f.nodes / 1e6).toFixed(2)} M nodes`)
    .join('; ')}`;
}

function report(results) {
  const { options } = results;
  const out = [
    'one call per run (fresh process each; round-robin over the tools of a task); wall = the call only, after Node ' +
      'started and the tool was loaded; peak RSS = process.resourceUsage().maxRSS right after it; ratios = tool median / modswap median',
    resultsTable(results.tasks, results.versions),
    '',
    `LeakyRequest: objects of that class each tool reports (expected ${fmtInt(EXPECTED)}): leaks = memlab's leaked objects after its ` +
      "leak filters (leakedFilteredClass), modswap's leak roots in LeakyRequest groups; diff = addedCount of the LeakyRequest row",
    'checks in full (memlab: leakedRaw* = final objects allocated between baseline and target, before its leak filters; ' +
      'traces = leak clusters it returned; modswap: leakedNodes before grouping, groups, the LeakyRequest path shape):',
    renderTable(['task', 'tool', 'check'], checkRows(results.tasks, results.versions)),
    '',
    ...results.tasks.map(filesLine),
  ];
  if (!results.modswap.ok) out.push(`modswap: skipped, ${results.modswap.why}`);
  else if (options.modswapDir !== ROOT) out.push(`modswap from ${options.modswapDir}: ${addonLine(results.modswapAddon)}`);
  for (const missing of results.missing) out.push(`${missing}: missing; run \`node bench/gen-heap-snapshots.js --only=s1\` or pass --dir=`);
  out.push(
    `memlab and DevTools children run with --max-old-space-size=${options.heapMb}; time limit ${options.timeoutS} s per run; ` +
      `runs: ${options.runs} per tool`,
    'memlab: a new empty workDir per run (its default, <tmpdir>/memlab, keeps clusters across runs); no --expose-gc, so its ' +
      'gc() calls between snapshots are skipped',
    ...environmentNotes(results),
  );
  return out.join('\n');
}

function addonLine(addon) {
  if (!addon) return 'no addon file found there';
  const warning = addon.profile === 'release' ? '' : '; WARNING: measure the release build (see bench/README.md)';
  return `${addon.file}, ${addon.profile} build, built ${addon.mtime}${warning}`;
}

function selectTools(options, versions) {
  const memlab = memlabInstall({ api: true });
  Object.assign(versions, { memlab: memlab.version ?? null, memlabApi: memlab.apiVersion ?? null });
  if (memlab.error && options.tools.includes('memlab')) {
    console.error(`memlab skipped: ${memlab.error}`);
    options.tools = options.tools.filter((tool) => tool !== 'memlab');
  }
  const modswap = options.tools.includes('modswap') ? probeModswap(options.modswapDir) : { ok: false, why: 'not selected (--tools)' };
  if (!modswap.ok) process.stderr.write(`  modswap: skipped, ${modswap.why}\n`);
  return { modswap, tools: options.tools.filter((tool) => tool !== 'modswap' || modswap.ok) };
}

async function main() {
  const argv = process.argv.slice(2);
  const options = parseArgs(argv);
  const resultsFile = path.join(TMP, `heap-leaks-results${isPartial(argv) ? '-partial' : ''}.json`);
  const machine = environment();
  console.log(header('modswap heap leak search and diff benchmark (issue C)', machine, options.quick));
  console.log('');
  const versions = { toolkit: packageVersion('heap-snapshot-toolkit') };
  const { modswap, tools } = selectTools(options, versions);
  const modswapAddon = addonInfo(options.modswapDir);
  const results = { machine, options, versions, modswap, modswapAddon, otherCores: {}, missing: [], tasks: [] };
  for (const [taskName, task] of Object.entries(TASKS)) {
    const taskTools = task.tools.filter((tool) => tools.includes(tool));
    const missing = task.files.map((file) => path.join(options.dir, file)).filter((file) => !fs.existsSync(file));
    if (taskTools.length === 0) continue;
    if (missing.length > 0) {
      results.missing.push(...missing.filter((file) => !results.missing.includes(file)));
      process.stderr.write(`  ${task.label}: ${missing.map((file) => path.basename(file)).join(', ')} missing, skipped\n`);
      continue;
    }
    process.stderr.write(`  ${task.label}: ${options.runs} run(s) per tool (${taskTools.join(', ')})...\n`);
    const measured = await measuringLoad(results.otherCores, task.label, () => measureTask(taskName, taskTools, options));
    measured.summary = Object.fromEntries(taskTools.map((tool) => [tool, summarize(measured.samples[tool])]));
    results.tasks.push(measured);
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

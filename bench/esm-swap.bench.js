#!/usr/bin/env node
'use strict';
// ES module swap benchmark: modswap against hot-hook (and plain Node's floor) on the ES module
// copy of the 2,000-module app (bench/gen-app.js --esm), each run in its own fresh process
// (bench/esm-swap-child.mjs), all in one run of this script.
//
//   node bench/esm-swap.bench.js [--node=PATH …] [--runs=3] [--swaps=40] [--only=api,watch,memory]
//                                [--tools=modswap,modswap-untracked,hot-hook,floor] [--quick]
//
// --node may be given several times (default: this node): modswap uses module.registerHooks
// where Node has it (22.15+, 24+) and module.register on Node 20; hot-hook always uses
// module.register. What is measured:
//
//   api     leaf swap asked for in-process: `await modswap.swap([router])` then a call through
//           the hot() handle; for hot-hook the 'hot-hook:file-changed' message its runner sends,
//           its invalidation, then the app's `import(router, import.meta.hot.boundary)`. Timed
//           from the request to the new version serving. The floor: plain Node importing
//           router.mjs?floor=N (no hooks), Node's own cost of evaluating a new version.
//           modswap-untracked: modswap with resourcePolicy('off') (no AsyncLocalStorage).
//   watch   the same change made by writing router.mjs: timed from the write, through the tool's
//           own watcher (modswap's dev-server HotReloader; hot-hook's chokidar), to the new
//           version serving.
//   memory  heapUsed after forced GC, before and after N swaps, divided by N: the router; an
//           8 MB module (top-level `let`) whose import.meta.hot.dispose handler sets it to null;
//           the same without the disposer.
//
// Prints a table with ratios and the goals of issue G; writes .bench-tmp/esm-swap-results.json.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { generateApp } = require('./gen-app');
const { percentile, median, formatMs, renderTable } = require('./lib/stats');
const { environment } = require('./lib/environment');
const { header, NOISY_CORES } = require('./lib/report');
const cpuNoise = require('./lib/cpu-noise');

const ROOT = path.join(__dirname, '..');
const CHILD = path.join(__dirname, 'esm-swap-child.mjs');
const HOT_HOOK_PRELOAD = path.join(__dirname, 'esm-swap-hot-hook.mjs');
const RESULTS_FILE = path.join(ROOT, '.bench-tmp', 'esm-swap-results.json');
const KB = 1024;
const MB = 1 << 20;

const GOALS = { swapP50Ms: 5, codeSizeFactor: 2 };
const FULL = { runs: 3, warmup: 5, swaps: 40, small: 200, big: 100, kept: 15 };
const QUICK = { runs: 1, warmup: 2, swaps: 10, small: 30, big: 8, kept: 4 };
const MODES = ['api', 'watch', 'memory'];
const TOOLS = ['modswap', 'modswap-untracked', 'hot-hook', 'floor'];

function parseArgs(argv) {
  const args = { nodes: [], quick: false, only: MODES, tools: TOOLS };
  for (const arg of argv) {
    const [key, value] = arg.replace(/^--/, '').split('=');
    if (key === 'node') args.nodes.push(path.resolve(value));
    else if (key === 'quick') args.quick = true;
    else if (key === 'only') args.only = value.split(',');
    else if (key === 'tools') args.tools = value.split(',');
    else if (['runs', 'swaps', 'warmup', 'small', 'big', 'kept'].includes(key)) args[key] = Number(value);
    else throw new Error(`unknown option ${arg}`);
  }
  if (args.nodes.length === 0) args.nodes.push(process.execPath);
  const counts = args.quick ? QUICK : FULL;
  for (const key of Object.keys(counts)) args[key] ??= counts[key];
  return args;
}

/**
 * Which (tool, mode) pairs run: the floor has no watcher; modswap without resource tracking is
 * a diagnostic of the in-process latency only.
 */
function applies(tool, mode) {
  if (tool === 'floor') return mode !== 'watch';
  if (tool === 'modswap-untracked') return mode !== 'watch';
  return true;
}

/** The node command line of one child. */
function childCommand(node, tool, mode, appDir, args) {
  const flags = ['--expose-gc'];
  if (tool.startsWith('modswap')) flags.push('-r', path.join(ROOT, 'register-esm.js'));
  if (tool === 'hot-hook') flags.push('--import', HOT_HOOK_PRELOAD);
  const counts = [`--warmup=${args.warmup}`, `--swaps=${args.swaps}`, `--small=${args.small}`, `--big=${args.big}`, `--kept=${args.kept}`];
  if (tool === 'floor' && mode === 'memory') counts.push('--cases=router');
  return [node, [...flags, CHILD, tool, mode, appDir, ...counts]];
}

function runChild(node, tool, mode, appDir, args) {
  const [command, argv] = childCommand(node, tool, mode, appDir, args);
  const env = { ...process.env, HOT_HOOK_WATCH: String(mode === 'watch') };
  const child = spawnSync(command, argv, { env, encoding: 'utf8', timeout: 15 * 60 * 1000, maxBuffer: 16 * MB });
  if (child.status !== 0) {
    throw new Error(`${tool} ${mode} on ${node} failed (${child.status ?? child.signal}):\n${child.stderr}`);
  }
  return JSON.parse(child.stdout.trim().split('\n').pop());
}

/** Per target: p50/p95 of each run, their medians across runs, and the pooled samples. */
function latencySummaries(runs) {
  const summaries = {};
  for (const target of Object.keys(runs[0].targets)) {
    summaries[target] = latencySummary(runs.map((run) => ({ ...run.targets[target], load: run.load })));
  }
  return summaries;
}

/** Per memory case, the run whose per-swap figure is the median (heaps move by ~0.5 KB per swap between runs). */
function memorySummary(runs) {
  const summary = { loadMs: median(runs.map((run) => run.load.ms)) };
  for (const name of Object.keys(runs[0].cases)) {
    const ordered = runs.map((run) => run.cases[name]).sort((a, b) => a.perSwap - b.perSwap);
    summary[name] = { ...ordered[(ordered.length - 1) >> 1], runPerSwap: runs.map((run) => run.cases[name].perSwap) };
  }
  return summary;
}

function latencySummary(runs) {
  const perRun = runs.map((run) => ({ p50: percentile(run.samples, 50), p95: percentile(run.samples, 95) }));
  const pooled = runs.flatMap((run) => run.samples);
  const reported = runs.flatMap((run) => run.reportedMs ?? []);
  return {
    p50: median(perRun.map((r) => r.p50)),
    p95: median(perRun.map((r) => r.p95)),
    runP50s: perRun.map((r) => r.p50),
    pooledP50: percentile(pooled, 50),
    n: pooled.length,
    reportedP50: reported.length > 0 ? percentile(reported, 50) : null,
    loadMs: median(runs.map((run) => run.load.ms)),
  };
}

function nodeVersion(node) {
  return spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
}

function measure(args, appDir) {
  const results = { nodes: {}, otherCores: {} };
  for (const node of args.nodes) {
    const version = nodeVersion(node);
    const perNode = (results.nodes[version] = { path: node, latency: {}, memory: {}, hooks: {} });
    for (const mode of args.only) {
      const before = cpuNoise.snapshot();
      const runs = args.runs;
      const collected = {};
      // Runs interleave the tools, so a busy spell of the machine hits them alike.
      for (let run = 0; run < runs; run++) {
        for (const tool of args.tools.filter((t) => applies(t, mode))) {
          process.stderr.write(`  ${version} ${mode} ${tool} run ${run + 1}/${runs}\n`);
          const result = runChild(node, tool, mode, appDir, args);
          perNode.hooks[tool] = result.hooks;
          (collected[tool] ??= []).push(result);
        }
      }
      for (const [tool, list] of Object.entries(collected)) {
        if (mode === 'memory') perNode.memory[tool] = memorySummary(list);
        else (perNode.latency[mode] ??= {})[tool] = latencySummaries(list);
      }
      results.otherCores[`${version} ${mode}`] = cpuNoise.otherCores(before, cpuNoise.snapshot());
    }
  }
  return results;
}

// --- report ------------------------------------------------------------------------------------

const verdict = (ok) => (ok ? 'PASS' : 'MISS');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}x` : 'n/a');

function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return 'n/a';
  if (Math.abs(bytes) >= MB) return `${(bytes / MB).toFixed(2)} MB`;
  if (Math.abs(bytes) >= 10 * KB) return `${(bytes / KB).toFixed(1)} KB`;
  return `${Math.round(bytes)} B`;
}

const latencyCell = (s) => (s ? `${formatMs(s.p50)} / ${formatMs(s.p95)}` : 'n/a');

const MODE_LABELS = { api: 'in-process request', watch: 'file write -> watcher' };
const TARGET_LABELS = { router: 'router swap (imports all 2,002 modules)', leaf: 'leaf swap (a handler, no imports)' };

function latencyRow(label, m, byTool, target) {
  const h = byTool['hot-hook']?.[target];
  return [
    label,
    latencyCell(m),
    latencyCell(h),
    latencyCell(byTool.floor?.[target]),
    ratio(m?.p50, h?.p50),
    `p50 <= ${GOALS.swapP50Ms} ms: ${m ? verdict(m.p50 <= GOALS.swapP50Ms) : 'n/a'}`,
  ];
}

function latencyRows(perNode) {
  const rows = [];
  for (const [target, targetLabel] of Object.entries(TARGET_LABELS)) {
    for (const [mode, modeLabel] of Object.entries(MODE_LABELS)) {
      const byTool = perNode.latency[mode];
      if (!byTool) continue;
      rows.push(latencyRow(`${targetLabel}, ${modeLabel} (p50 / p95)`, byTool.modswap?.[target], byTool, target));
      const untracked = byTool['modswap-untracked']?.[target];
      if (untracked) rows.push(latencyRow("  same, modswap with resourcePolicy('off')", untracked, byTool, target));
    }
  }
  return rows;
}

const MEMORY_LABELS = {
  router: 'retained per swap: router',
  bigDisposed: 'retained per swap: 8 MB module, disposer releases it',
  bigKept: 'retained per swap: 8 MB module, no disposer',
};

/** Goals for the cases whose disposers release their state (the router has none to release). */
function memoryGoal(name, m, h) {
  if (name === 'bigKept' || !m) return 'no goal (nothing released)';
  const limit = GOALS.codeSizeFactor * m.codeBytes;
  const vsHotHook = h ? verdict(m.perSwap <= h.perSwap) : 'n/a';
  return `<= hot-hook: ${vsHotHook}; <= ${GOALS.codeSizeFactor}x code (${formatBytes(limit)}): ${verdict(m.perSwap <= limit)}`;
}

function memoryRows(perNode) {
  const rows = [];
  const { memory } = perNode;
  if (!memory.modswap && !memory['hot-hook']) return rows;
  for (const [name, label] of Object.entries(MEMORY_LABELS)) {
    const m = memory.modswap?.[name];
    const h = memory['hot-hook']?.[name];
    const f = memory.floor?.[name];
    const code = (m ?? h)?.codeBytes;
    rows.push([
      `${label} (${code} B source)`,
      formatBytes(m?.perSwap),
      formatBytes(h?.perSwap),
      formatBytes(f?.perSwap),
      ratio(m?.perSwap, h?.perSwap),
      memoryGoal(name, m, h),
    ]);
    const u = memory['modswap-untracked']?.[name];
    if (u) rows.push(["  same, modswap with resourcePolicy('off')", formatBytes(u.perSwap), '', '', ratio(u.perSwap, h?.perSwap), '']);
  }
  return rows;
}

/** Per tool and case: each run's bytes per swap, and the hooks thread's share in the median run. */
function memoryDetails(perNode) {
  const out = [];
  for (const [tool, cases] of Object.entries(perNode.memory)) {
    for (const name of Object.keys(MEMORY_LABELS)) {
      const c = cases[name];
      if (!c) continue;
      out.push(
        `${tool} ${name}: runs ${c.runPerSwap.map(formatBytes).join(', ')}; median run: main thread ` +
          `${formatBytes(c.mainPerSwap)} + hooks thread ${formatBytes(c.hooksPerSwap)}`,
      );
    }
  }
  return out;
}

function loadRow(perNode) {
  const loads = {};
  for (const tool of TOOLS) {
    const fromLatency = perNode.latency.api?.[tool]?.router.loadMs ?? perNode.latency.watch?.[tool]?.router.loadMs;
    loads[tool] = fromLatency ?? perNode.memory[tool]?.loadMs;
  }
  return [
    'first import of router.mjs (2,002 modules)',
    formatMs(loads.modswap),
    formatMs(loads['hot-hook']),
    formatMs(loads.floor),
    ratio(loads.modswap, loads['hot-hook']),
    'no goal',
  ];
}

function report(results, args) {
  const out = [];
  for (const [version, perNode] of Object.entries(results.nodes)) {
    const hooks = Object.entries(perNode.hooks)
      .map(([tool, hook]) => `${tool}: ${hook}`)
      .join(', ');
    out.push(`Node ${version} (${perNode.path}); hooks ${hooks}`);
    const rows = [...latencyRows(perNode), ...memoryRows(perNode), loadRow(perNode)];
    out.push(renderTable(['measurement', 'modswap', 'hot-hook', 'floor (plain Node)', 'modswap/hot-hook', 'goal'], rows));
    out.push(...memoryDetails(perNode));
    for (const target of Object.keys(TARGET_LABELS)) {
      const api = perNode.latency.api?.modswap?.[target];
      if (!api) continue;
      const hotHook = perNode.latency.api['hot-hook']?.[target];
      out.push(
        `${target}: modswap swap() internal time (its own 'ms') p50 ${formatMs(api.reportedP50)}; ` +
          `per-run p50s modswap ${api.runP50s.map(formatMs).join(', ')}` +
          (hotHook ? `; hot-hook ${hotHook.runP50s.map(formatMs).join(', ')}` : ''),
      );
    }
    out.push('');
  }
  out.push(
    `latency: medians over ${args.runs} run(s) of each run's p50/p95 over ${args.swaps} swaps (after ${args.warmup} warm-up), ` +
      'one fresh process per run, tools interleaved',
    'memory: (heap used after 6 forced GCs after N swaps - before) / N, after 3 warm-up swaps, main thread plus ' +
      "the module.register hooks thread where the tool's hooks run there; " +
      `N = ${args.small} (router), ${args.big} (8 MB, disposer), ${args.kept} (8 MB, none); ` +
      `median of ${args.runs} run(s), one fresh process per run`,
    'floor: plain Node importing router.mjs?floor=N (no hooks, no watcher): what any swap through the ESM loader costs',
  );
  const busy = Object.entries(results.otherCores).filter(([, cores]) => cores !== null);
  if (busy.length > 0) {
    out.push(`cores kept busy by other processes: ${busy.map(([name, c]) => `${name} ${c.toFixed(2)}`).join(', ')}`);
    const noisy = busy.filter(([, c]) => c > NOISY_CORES).map(([name]) => name);
    if (noisy.length > 0) out.push(`WARNING: other load above ${NOISY_CORES} cores during ${noisy.join(', ')}; timings inflated`);
  }
  return out.join('\n');
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const app = generateApp(undefined, { esm: true });
  const machine = environment();
  process.stderr.write(`generated ${app.modules} ES modules in ${app.dir}\n`);
  const results = measure(args, app.dir);
  console.log(header('modswap ESM swap benchmark (vs hot-hook)', machine, args.quick));
  console.log('');
  console.log(report(results, args));
  fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  fs.writeFileSync(RESULTS_FILE, `${JSON.stringify({ machine, args, results }, null, 2)}\n`);
}

main();

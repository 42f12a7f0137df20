#!/usr/bin/env node
'use strict';
// 'stats' listener overhead: a fixed amount of GC-heavy work (memwatch-stats-child.js) timed
// with and without a memwatch.on('stats', …) listener, for modswap and @airbnb/node-memwatch.
//
//   node bench/memwatch-stats.bench.js [--quick] [--runs=9] [--ab-runs=7] [--rounds=500]
//
// Each run is a fresh process; the variants alternate (round-robin, starting one later each
// round), so drift on this shared machine hits all of them alike. The overhead is the ratio of
// median throughputs with / without the listener, and the median of the per-round ratios (the
// two runs of one round are seconds apart). One process can be much faster than the next on
// this VM for its whole life, so the same work is also compared inside single processes: blocks
// with and without the listener in ABBA order (`-ab` variants), median over --ab-runs processes.
// A last run under --trace-gc checks that modswap reported every full GC V8 did. Prints a table
// and writes .bench-tmp/memwatch-stats-results.json.
const path = require('node:path');
const { median, formatMs, renderTable } = require('./lib/stats');
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

const CHILD = path.join(__dirname, 'memwatch-stats-child.js');
const RESULTS_FILE = resultsFile('stats', process.argv.slice(2));
const MODSWAP_VARIANTS = ['plain', 'modswap-off', 'modswap-on'];
const AIRBNB_VARIANTS = ['airbnb-off', 'airbnb-on'];

const FULL = { runs: 9, abRuns: 7, rounds: 500 };
const QUICK = { runs: 3, abRuns: 2, rounds: 100 };
const GOALS = { throughputRatio: 0.98 };

function parseArgs(argv) {
  const quick = argv.includes('--quick');
  const options = { ...(quick ? QUICK : FULL), quick };
  for (const arg of argv) {
    const [key, value] = arg.split('=');
    if (key === '--quick') continue;
    else if (key === '--runs') options.runs = Number(value);
    else if (key === '--rounds') options.rounds = Number(value);
    else if (key === '--ab-runs') options.abRuns = Number(value);
    else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

function childArgs(variant, options, airbnb, nodeFlags = []) {
  const args = [...nodeFlags, CHILD, variant, String(options.rounds)];
  if (variant.startsWith('airbnb')) args.push(airbnb.dir);
  return args;
}

function runVariant(variant, options, airbnb) {
  const outcome = runChild(childArgs(variant, options, airbnb), `stats child ${variant}`);
  return outcome.error ? { variant, error: outcome.error } : outcome.result;
}

/** runs × variants, round-robin; returns samples[variant] = [run, …] in round order. */
function measure(variants, options, airbnb) {
  const samples = Object.fromEntries(variants.map((variant) => [variant, []]));
  for (let round = 0; round < options.runs; round++) {
    process.stderr.write(`    round ${round + 1}/${options.runs}\n`);
    for (let k = 0; k < variants.length; k++) {
      const variant = variants[(round + k) % variants.length];
      samples[variant].push(runVariant(variant, options, airbnb));
    }
  }
  return samples;
}

/** In-process A/B runs, alternating between the tools; throughput ratio with / without per run. */
function measureAb(tools, options, airbnb) {
  const runs = Object.fromEntries(tools.map((tool) => [tool, []]));
  for (let round = 0; round < options.abRuns; round++) {
    process.stderr.write(`    A/B round ${round + 1}/${options.abRuns}\n`);
    for (let k = 0; k < tools.length; k++) {
      const tool = tools[(round + k) % tools.length];
      const run = runVariant(`${tool}-ab`, options, airbnb);
      runs[tool].push(run.error ? run : { ...run, ratio: run.ms.off / run.ms.on });
    }
  }
  return runs;
}

/**
 * Runs modswap-on once under --trace-gc and counts the collections V8 itself printed, to compare
 * with what modswap reported. V8 prints one line per GC to stdout; the last line is our JSON.
 */
function traceCheck(options) {
  const outcome = runChild(childArgs('modswap-on', options, null, ['--trace-gc']), 'stats child under --trace-gc');
  if (outcome.error) return { error: outcome.error };
  const lines = outcome.stdout.split('\n');
  const count = (pattern) => lines.filter((line) => pattern.test(line)).length;
  return {
    v8MarkCompact: count(/: Mark-Compact/),
    v8Scavenge: count(/: Scavenge/),
    v8Other: count(/^\[\d+:0x[0-9a-f]+\]\s+\d+ ms: /) - count(/: Mark-Compact/) - count(/: Scavenge/),
    statsEvents: outcome.result.seen.events,
    feed: outcome.result.gcs,
  };
}

function summarize(runs) {
  const ok = runs.filter((run) => !run.error);
  const ms = ok.map((run) => run.workMs);
  return {
    n: ok.length,
    errors: runs.filter((run) => run.error).map((run) => run.error),
    medianMs: median(ms),
    minMs: Math.min(...ms),
    maxMs: Math.max(...ms),
    events: ok[0]?.seen ? ok.map((run) => run.seen.events) : null,
    fullGcs: ok[0]?.gcs ? ok.map((run) => run.gcs.markSweepCompact) : null,
    scavenges: ok[0]?.gcs ? ok.map((run) => run.gcs.scavenge) : null,
    handlerMs: ok[0]?.handler ? median(ok.map((run) => run.handler.ms)) : null,
    handlerShare: ok[0]?.handler ? median(ok.map((run) => run.handler.ms / run.workMs)) : null,
    batches: ok[0]?.handler ? ok.map((run) => run.handler.batches) : null,
  };
}

/** Throughput with / without: median-of-medians and the median of the per-round ratios. */
function overhead(samples, on, off) {
  const a = summarize(samples[on]);
  const b = summarize(samples[off]);
  const paired = samples[on]
    .map((run, i) => [run, samples[off][i]])
    .filter(([x, y]) => !x.error && !y.error)
    .map(([x, y]) => y.workMs / x.workMs);
  return { on, off, ratio: b.medianMs / a.medianMs, pairedRatio: median(paired), paired };
}

const LABELS = {
  plain: 'plain node (no memwatch loaded)',
  'modswap-off': 'modswap memwatch, no listener',
  'modswap-on': "modswap memwatch, 'stats' listener",
  'airbnb-off': '@airbnb/node-memwatch, no listener',
  'airbnb-on': "@airbnb/node-memwatch, 'stats' listener",
};

const range = (values) => (values ? `${Math.min(...values)}..${Math.max(...values)}` : '-');

function variantTable(summaries) {
  const rows = Object.entries(summaries).map(([variant, s]) =>
    s.n === 0
      ? [LABELS[variant], 'FAILED', s.errors[0]?.slice(0, 140) ?? '', '', '', '']
      : [
          LABELS[variant],
          formatMs(s.medianMs),
          `${formatMs(s.minMs)}..${formatMs(s.maxMs)}`,
          String(s.n),
          range(s.events),
          s.fullGcs ? `${range(s.fullGcs)} full, ${range(s.scavenges)} scavenges` : '-',
        ],
  );
  return renderTable(['variant', 'work (median)', 'min..max', 'runs', "'stats' events", 'GCs seen by the listener side'], rows);
}

function overheadRows(overheads) {
  return overheads.map((o) => [
    `${o.on.split('-')[0]}: throughput with / without 'stats' listener`,
    `${formatRatio(o.ratio, 3)} (median of per-round ratios ${formatRatio(o.pairedRatio, 3)}, ` +
      `range ${formatRatio(Math.min(...o.paired), 3)}..${formatRatio(Math.max(...o.paired), 3)})`,
    `>= ${GOALS.throughputRatio}x`,
    o.ratio >= GOALS.throughputRatio ? 'PASS' : 'MISS',
  ]);
}

function abRows(abRuns) {
  return Object.entries(abRuns).map(([tool, runs]) => {
    const ok = runs.filter((run) => !run.error);
    if (ok.length === 0) return [`${tool}: same, inside one process (ABBA blocks)`, `FAILED: ${runs[0]?.error.slice(0, 140)}`, '', ''];
    const ratios = ok.map((run) => run.ratio);
    const ratio = median(ratios);
    const events = ok.map((run) => run.events.on);
    return [
      `${tool}: same, inside one process (ABBA blocks)`,
      `${formatRatio(ratio, 3)} (median of ${ok.length} processes, range ${formatRatio(Math.min(...ratios), 3)}..` +
        `${formatRatio(Math.max(...ratios), 3)}; ${range(events)} 'stats' events per process)`,
      `>= ${GOALS.throughputRatio}x`,
      ratio >= GOALS.throughputRatio ? 'PASS' : 'MISS',
    ];
  });
}

/** Time modswap spent handling GC batches itself, measured inside the modswap-on runs. */
function handlerRows(summaries) {
  const s = summaries['modswap-on'];
  if (!s || s.handlerMs === null || s.n === 0) return [];
  return [
    [
      "modswap: own handling of GC batches in 'stats' runs (drain + detector + emit)",
      `${formatMs(s.handlerMs)} per run, ${(s.handlerShare * 100).toFixed(2)}% of the work time (median; ${range(s.batches)} batches)`,
      '',
      '',
    ],
  ];
}

function traceRows(trace) {
  if (trace.error) return [['--trace-gc check', `FAILED: ${trace.error.slice(0, 160)}`, '', '']];
  const fullOk = trace.statsEvents === trace.v8MarkCompact && trace.feed.markSweepCompact === trace.v8MarkCompact;
  return [
    [
      "--trace-gc check: modswap 'stats' events vs V8's Mark-Compact lines",
      `${trace.statsEvents} events, feed counted ${trace.feed.markSweepCompact} full / ${trace.feed.scavenge} scavenges; ` +
        `V8 printed ${trace.v8MarkCompact} Mark-Compact / ${trace.v8Scavenge} Scavenge (+${trace.v8Other} other)`,
      'equal',
      fullOk ? 'OK' : 'DIFFERS',
    ],
  ];
}

function report(results) {
  const out = [
    `'stats' listener overhead: ${results.options.rounds} rounds x 20,000 short-lived objects, every 2nd kept in a list ` +
      'dropped at 100,000 (promotion -> full GCs); rounds one event-loop turn apart; each run a fresh process',
    variantTable(results.summaries),
    '',
    renderTable(
      ['check', 'result', 'goal', ''],
      [
        ...overheadRows(results.overheads),
        ...abRows(results.abRuns),
        ...handlerRows(results.summaries),
        ...traceRows(results.trace),
      ],
    ),
    '',
  ];
  if (results.airbnb.error) out.push(`@airbnb/node-memwatch: ${results.airbnb.error}`);
  out.push(
    "@airbnb/node-memwatch's GC hooks run whether or not anyone listens; 'no listener' there still pays for them",
    ...environmentNotes(results),
  );
  return out.join('\n');
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const machine = environment();
  console.log(header("modswap memwatch 'stats' overhead benchmark", machine, options.quick));
  console.log('');
  const airbnb = airbnbInstall();
  const variants = [...MODSWAP_VARIANTS, ...(airbnb.error ? [] : AIRBNB_VARIANTS)];
  const results = { machine, options, goals: GOALS, airbnb, otherCores: {} };
  process.stderr.write(`  ${variants.length} variants x ${options.runs} runs...\n`);
  results.samples = await measuringLoad(results.otherCores, 'runs', () => measure(variants, options, airbnb));
  const abTools = ['modswap', ...(airbnb.error ? [] : ['airbnb'])];
  process.stderr.write(`  A/B inside one process: ${abTools.length} tools x ${options.abRuns} runs...\n`);
  results.abRuns = await measuringLoad(results.otherCores, 'A/B runs', () => measureAb(abTools, options, airbnb));
  process.stderr.write('  --trace-gc check...\n');
  results.trace = traceCheck(options);
  results.summaries = Object.fromEntries(variants.map((variant) => [variant, summarize(results.samples[variant])]));
  results.overheads = [overhead(results.samples, 'modswap-on', 'modswap-off')];
  if (!airbnb.error) results.overheads.push(overhead(results.samples, 'airbnb-on', 'airbnb-off'));
  writeResults(RESULTS_FILE, results);
  console.log(report(results));
  console.log(`\nresults written to ${path.relative(process.cwd(), RESULTS_FILE)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

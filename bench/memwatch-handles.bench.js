#!/usr/bin/env node
'use strict';
// Handle and listener watching under HTTP load: a server (memwatch-handles-child.js) in its own
// process per run, loaded by autocannon from this one, variants interleaved round by round
// (each round starts one variant later). Throughput is the median over rounds of autocannon's
// average req/s; the ratio 'on' / 'heap' is the cost of watching handles and listeners on top
// of a 'leak' listener, 'on' / 'off' the cost of a 'leak' listener at all. The async_hooks
// variants are the alternative design, measured to choose.
//
//   node bench/memwatch-handles.bench.js [--quick] [--rounds=7] [--seconds=6] [--connections=10]
//     [--variants=off,heap,on,attributing,hooks,hooks-stacks]
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { fork } = require('node:child_process');
const { once } = require('node:events');
const autocannon = require('autocannon');
const { median, renderTable } = require('./lib/stats');
const { environment } = require('./lib/environment');
const cpuNoise = require('./lib/cpu-noise');
const { header, resultsFile, writeResults, formatRatio } = require('./lib/memwatch-bench');

const CHILD = path.join(__dirname, 'memwatch-handles-child.js');
const VARIANTS = ['off', 'heap', 'on', 'attributing', 'hooks', 'hooks-stacks'];
const FULL = { rounds: 7, seconds: 6, connections: 10, warmupSeconds: 1 };
const QUICK = { rounds: 2, seconds: 2, connections: 10, warmupSeconds: 1 };
const GOAL = 0.98;
/** /proc/<pid>/stat counts CPU time in clock ticks: 100 per second on Linux (getconf CLK_TCK). */
const TICK_US = 10_000;
/** The in-process A/B: blocks of this many seconds, off-on-on-off, repeated. */
const AB_BLOCK_SECONDS = 2;
const AB_CYCLES = 3;

const LABELS = {
  off: "no 'leak' listener",
  heap: "'leak' listener, handles and listeners off",
  on: "'leak' listener, handles and listeners on (default)",
  attributing: "'on' + Timeout site tracker forced on",
  hooks: 'alternative: async_hooks init/destroy always on, count by type',
  'hooks-stacks': 'alternative: same + creation site per handle/timer',
};

function parseArgs(argv) {
  const quick = argv.includes('--quick');
  const options = { ...(quick ? QUICK : FULL), quick, variants: VARIANTS, ab: true };
  for (const arg of argv) {
    const [key, value] = arg.split('=');
    if (key === '--quick') continue;
    else if (key === '--rounds') options.rounds = Number(value);
    else if (key === '--seconds') options.seconds = Number(value);
    else if (key === '--connections') options.connections = Number(value);
    else if (key === '--variants') options.variants = value.split(',');
    else if (key === '--no-ab') options.ab = false;
    else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

/** CPU ticks (user + system) of a live process: the server is not reaped until the run ends. */
function processTicks(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/**
 * Cores kept busy by processes other than this one (autocannon) and the server: cpu-noise counts
 * an unreaped child as other load, so the server's own ticks are taken out.
 */
function foreignCores(before, after, serverTicks) {
  const others = cpuNoise.otherCores(before, after);
  if (others === null || serverTicks === null || after.total === before.total) return others;
  return Math.max(0, others - (serverTicks / (after.total - before.total)) * os.cpus().length);
}

/** One run: a fresh server, a warm-up, the measured load, the server's own report. */
async function runOnce(variant, options) {
  const child = fork(CHILD, [variant], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const [{ port }] = await once(child, 'message');
    const url = `http://127.0.0.1:${port}/`;
    await autocannon({ url, connections: options.connections, duration: options.warmupSeconds });
    const before = cpuNoise.snapshot();
    const serverBefore = processTicks(child.pid);
    const result = await autocannon({ url, connections: options.connections, duration: options.seconds });
    const serverAfter = processTicks(child.pid);
    const serverTicks = serverBefore === null || serverAfter === null ? null : serverAfter - serverBefore;
    const otherCores = foreignCores(before, cpuNoise.snapshot(), serverTicks);
    child.send('report');
    const [report] = await once(child, 'message');
    return {
      variant,
      reqPerSec: result.requests.average,
      cpuUsPerRequest: serverTicks === null ? null : (serverTicks * TICK_US) / result.requests.total,
      p99Ms: result.latency.p99,
      errors: result.errors + result.non2xx + result.timeouts,
      otherCores,
      ...report,
    };
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

/**
 * One server process, a 'leak' listener throughout, handle and listener watching switched off
 * and on between autocannon blocks in ABBA order: drift on a shared machine hits both alike.
 * Returns the ratio of summed throughputs on / off and of CPU per request.
 */
async function runAb(options) {
  const child = fork(CHILD, ['ab'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const [{ port }] = await once(child, 'message');
    const url = `http://127.0.0.1:${port}/`;
    await autocannon({ url, connections: options.connections, duration: options.warmupSeconds });
    const totals = { off: { requests: 0, seconds: 0, ticks: 0 }, on: { requests: 0, seconds: 0, ticks: 0 } };
    for (let cycle = 0; cycle < AB_CYCLES; cycle++) {
      for (const mode of ['off', 'on', 'on', 'off']) {
        child.send(mode);
        await once(child, 'message');
        const ticks = processTicks(child.pid);
        const result = await autocannon({ url, connections: options.connections, duration: AB_BLOCK_SECONDS });
        totals[mode].ticks += processTicks(child.pid) - ticks;
        totals[mode].requests += result.requests.total;
        totals[mode].seconds += result.duration;
      }
    }
    const rate = (mode) => totals[mode].requests / totals[mode].seconds;
    const cpu = (mode) => (totals[mode].ticks * TICK_US) / totals[mode].requests;
    return { ratio: rate('on') / rate('off'), cpuRatio: cpu('on') / cpu('off'), totals };
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

async function measure(options) {
  const runs = Object.fromEntries(options.variants.map((variant) => [variant, []]));
  const ab = [];
  for (let round = 0; round < options.rounds; round++) {
    process.stderr.write(`    round ${round + 1}/${options.rounds}\n`);
    for (let k = 0; k < options.variants.length; k++) {
      const variant = options.variants[(round + k) % options.variants.length];
      runs[variant].push(await runOnce(variant, options));
    }
    if (options.ab) ab.push(await runAb(options));
  }
  return { runs, ab };
}

/** Median throughput ratio a / b and the median of the per-round ratios. */
function ratio(runs, a, b) {
  if (!runs[a] || !runs[b]) return undefined;
  const rate = (variant) => median(runs[variant].map((run) => run.reqPerSec));
  const paired = runs[a].map((run, i) => run.reqPerSec / runs[b][i].reqPerSec);
  return { ratio: rate(a) / rate(b), paired: median(paired), min: Math.min(...paired), max: Math.max(...paired) };
}

function abRows(ab) {
  if (ab.length === 0) return [];
  const ratios = ab.map((run) => run.ratio);
  const cpu = ab.map((run) => run.cpuRatio);
  return [
    [
      'same server, watching off/on/on/off in 2 s blocks (on / off)',
      `${formatRatio(median(ratios), 3)} (median of ${ab.length} processes, ` +
        `${formatRatio(Math.min(...ratios), 3)}..${formatRatio(Math.max(...ratios), 3)}); ` +
        `server CPU per request ${formatRatio(median(cpu), 3)}`,
      `>= ${GOAL}x`,
      median(ratios) >= GOAL ? 'PASS' : 'MISS',
    ],
  ];
}

function report({ runs, ab }) {
  const rows = Object.entries(runs).map(([variant, list]) => {
    const rates = list.map((run) => run.reqPerSec);
    const sampling = list.filter((run) => run.sampling?.samples > 0);
    const perSample = sampling.length > 0 ? median(sampling.map((run) => (run.sampling.ms * 1000) / run.sampling.samples)) : null;
    return [
      LABELS[variant] ?? variant,
      Math.round(median(rates)).toLocaleString('en-US'),
      `${Math.round(Math.min(...rates))}..${Math.round(Math.max(...rates))}`,
      String(median(list.map((run) => run.p99Ms))),
      String(list.reduce((sum, run) => sum + run.errors, 0)),
      perSample === null ? '-' : `${perSample.toFixed(0)} µs`,
      list.every((run) => run.cpuUsPerRequest !== null)
        ? `${median(list.map((run) => run.cpuUsPerRequest)).toFixed(0)} µs`
        : '-',
      median(list.map((run) => run.otherCores ?? 0)).toFixed(2),
    ];
  });
  const table = renderTable(
    ['variant', 'req/s (median)', 'min..max', 'p99 ms', 'errors', 'per sample', 'server CPU/req', 'other cores'],
    rows,
  );
  const ratios = [
    ['on', 'heap', "handle + listener watching (on / heap)", true],
    ['on', 'off', "a 'leak' listener with everything (on / off)", false],
    ['attributing', 'on', 'while a type is suspected (attributing / on)', false],
    ['hooks', 'off', 'always-on async_hooks (hooks / off)', false],
    ['hooks-stacks', 'off', 'always-on async_hooks with sites (hooks-stacks / off)', false],
  ]
    .map(([a, b, label, goal]) => {
      const r = ratio(runs, a, b);
      if (r === undefined) return undefined;
      const cells = [
        label,
        `${formatRatio(r.ratio, 3)} (per-round median ${formatRatio(r.paired, 3)}, ` +
          `${formatRatio(r.min, 3)}..${formatRatio(r.max, 3)})`,
      ];
      return [...cells, goal ? `>= ${GOAL}x` : '', goal ? (r.ratio >= GOAL ? 'PASS' : 'MISS') : ''];
    })
    .filter(Boolean)
    .concat(abRows(ab));
  return `${table}\n\n${renderTable(['throughput ratio', 'value', 'goal', ''], ratios)}`;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const machine = environment();
  console.log(header('memwatch: handle and listener watching under HTTP load', machine, options.quick));
  console.log(
    `autocannon: ${options.connections} connections, ${options.warmupSeconds} s warm-up + ${options.seconds} s ` +
      `measured per run, ${options.rounds} rounds, variants interleaved\n`,
  );
  const measured = await measure(options);
  console.log(report(measured));
  writeResults(resultsFile('handles', process.argv.slice(2)), { machine, options, ...measured });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

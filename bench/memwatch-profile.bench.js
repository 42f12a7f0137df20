#!/usr/bin/env node
'use strict';
// memwatch.profile() against a heap snapshot (v8.writeHeapSnapshot) on a service under load
// whose event library keeps every id it sent (bench/lib/profile-events.js): longest event-loop
// pause (monitorEventLoopDelay max), peak RSS growth, throughput while sampling against the
// same service not sampling, and whether the growing allocation site is named.
//
//   node bench/memwatch-profile.bench.js [--runs=5] [--window=8] [--connections=10]
//
// Each run and each contender is a fresh service (child process, HTTP on 127.0.0.1) loaded by
// autocannon from this process for warm-up + two windows: the first without anything (the
// baseline), the second with the contender: nothing ('none', the control: what the second
// window does anyway, the leak growing), profile({ durationMs: window }), or one snapshot written
// at the window's start. Throughput is counted by the service per window; a contender's
// throughput is its window ratio (second / first) over the control's, its RSS growth the peak
// RSS growth of its second window minus the control's. Goals (issue I): no pause above 50 ms,
// RSS growth <= 5 %, throughput >= 0.97x while sampling.
//
// SERVICE_NODE_FLAGS="--no-turbo-inlining --no-maglev-inlining" runs the services with V8's
// inlining off (see README: a function V8 inlined is charged to its caller).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { fork } = require('node:child_process');
const { snapshot: cpuSnapshot, otherCores } = require('./lib/cpu-noise');
const { peakRss, resetPeakRss } = require('./lib/peak-rss');

const WARM_UP_S = 3;
const GOALS = { pauseMs: 50, rssGrowth: 0.05, throughput: 0.97 };

const option = (name, fallback) => {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? fallback : Number(arg.slice(name.length + 3));
};
const median = (values) => [...values].sort((a, b) => a - b)[(values.length - 1) >> 1];

/** The service: measures its own windows on the parent's orders. */
function child() {
  const http = require('node:http');
  const { monitorEventLoopDelay } = require('node:perf_hooks');
  const v8 = require('node:v8');
  const { EventBus } = require('./lib/profile-events');
  const memwatch = require('../memwatch');
  const bus = new EventBus();
  bus.on('request', () => {});
  let served = 0;
  const server = http.createServer((req, res) => {
    bus.send('request', req.url);
    served += 1;
    res.end('ok');
  });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();

  /** One window: throughput, longest pause and peak RSS growth while `work` runs. */
  async function measure(windowMs, work) {
    resetPeakRss();
    delay.reset();
    const rssStart = process.memoryUsage().rss;
    const servedStart = served;
    const cpuStart = process.cpuUsage();
    const started = Date.now();
    // The delay histogram drops its first reading after reset(): let it take one before the
    // contender may block the loop.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const [result] = await Promise.all([work(), new Promise((resolve) => setTimeout(resolve, windowMs - 20))]);
    const seconds = (Date.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    return {
      rps: (served - servedStart) / seconds,
      // CPU time per request (µs): what sampling costs the service, less sensitive than
      // req/s to other processes taking the cores.
      cpuPerRequest: (cpu.user + cpu.system) / (served - servedStart),
      maxPauseMs: delay.max / 1e6,
      rssStart,
      rssGrowth: (peakRss() - rssStart) / rssStart,
      result,
    };
  }

  process.on('message', async ({ what, windowMs }) => {
    const baseline = await measure(windowMs, async () => null);
    const contender = await measure(windowMs, async () => {
      if (what === 'none') return null;
      if (what === 'profile') {
        const report = await memwatch.profile({ durationMs: windowMs });
        return {
          checkpointMs: report.checkpointMs,
          sites: report.sites.map((s) => ({ site: s.site, url: s.url, functionName: s.functionName, growth: s.growth, stack: s.stack.slice(0, 3) })),
        };
      }
      const started = Date.now();
      const file = v8.writeHeapSnapshot(path.join(os.tmpdir(), `modswap-profile-bench-${process.pid}.heapsnapshot`));
      const bytes = fs.statSync(file).size;
      fs.rmSync(file);
      return { writeMs: Date.now() - started, bytes };
    });
    process.send({ baseline, contender, heapUsed: process.memoryUsage().heapUsed, ids: bus.sent.length });
    server.close();
    process.exit(0);
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
}

/** One fresh service under autocannon for warm-up + 2 windows; returns the child's readings. */
async function runOne(what, windowS, connections) {
  const autocannon = require('autocannon');
  const execArgv = process.env.SERVICE_NODE_FLAGS ? process.env.SERVICE_NODE_FLAGS.split(' ') : [];
  const service = fork(__filename, ['--child'], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await new Promise((resolve) => service.once('message', resolve));
  const load = autocannon({ url: `http://127.0.0.1:${port}/`, connections, duration: WARM_UP_S + 2 * windowS + 2 });
  await new Promise((resolve) => setTimeout(resolve, WARM_UP_S * 1000));
  const cpu = cpuSnapshot();
  service.send({ what, windowMs: windowS * 1000 });
  const readings = await new Promise((resolve) => service.once('message', resolve));
  readings.otherCores = otherCores(cpu, cpuSnapshot());
  if (process.env.BENCH_DEBUG) process.stderr.write(`${JSON.stringify(readings)}\n`);
  load.stop();
  await new Promise((resolve) => service.once('exit', resolve));
  return readings;
}

/** The top growing site is the event library's send (not its caller, not another site). */
function named(readings) {
  const [top] = readings.contender.result.sites;
  return top !== undefined && top.url.endsWith(path.join('lib', 'profile-events.js')) && top.functionName === 'send';
}

/** What the top growing site was, when it was not send. */
function namedInstead(runs) {
  const other = runs.map((r) => r.contender.result.sites[0]).filter((site) => site && site.functionName !== 'send');
  return other.length === 0 ? '' : `; named instead: ${[...new Set(other.map((site) => site.site))].join(', ')}`;
}

const windowRatio = (r) => r.contender.rps / r.baseline.rps;

function summarize(what, runs, control) {
  const pct = (x) => `${(x * 100).toFixed(1)} %`;
  // Per run against the control of the same run: the machine's load drifts between runs.
  const ratio = runs.map((r, i) => windowRatio(r) / windowRatio(control[i]));
  const addedRss = runs.map((r, i) => r.contender.rssGrowth - control[i].contender.rssGrowth);
  const cpuRatio = (r) => r.contender.cpuPerRequest / r.baseline.cpuPerRequest;
  const cpu = runs.map((r, i) => cpuRatio(r) / cpuRatio(control[i]));
  const row = {
    what,
    pauseMs: median(runs.map((r) => r.contender.maxPauseMs)),
    pauses: runs.map((r) => r.contender.maxPauseMs.toFixed(0)),
    basePauseMs: median(runs.map((r) => r.baseline.maxPauseMs)),
    rssGrowth: median(addedRss),
    rssGrowths: addedRss.map(pct),
    ownRssGrowth: median(runs.map((r) => r.contender.rssGrowth)),
    throughput: median(ratio),
    ratios: ratio.map((x) => x.toFixed(3)),
    cpu: median(cpu),
    cpus: cpu.map((x) => x.toFixed(3)),
    baseRps: median(runs.map((r) => r.baseline.rps)),
    otherCores: median(runs.map((r) => r.otherCores ?? NaN)),
    heapMB: median(runs.map((r) => r.heapUsed)) / 1e6,
  };
  console.log(
    `${what.padEnd(9)} max pause median ${row.pauseMs.toFixed(0)} ms [${row.pauses.join(', ')}] (baseline window ${row.basePauseMs.toFixed(0)} ms); ` +
      `peak RSS growth over the control's ${pct(row.rssGrowth)} [${row.rssGrowths.join(', ')}] (own ${pct(row.ownRssGrowth)}); ` +
      `throughput ${row.throughput.toFixed(3)}x of the control [${row.ratios.join(', ')}], first window ${row.baseRps.toFixed(0)} req/s; ` +
      `CPU per request ${row.cpu.toFixed(3)}x of the control [${row.cpus.join(', ')}] (throughput ${(1 / row.cpu).toFixed(3)}x at equal CPU); ` +
      `heap ${row.heapMB.toFixed(0)} MB; other load ${row.otherCores.toFixed(2)} cores`,
  );
  return row;
}

async function main() {
  const runs = option('runs', 5);
  const windowS = option('window', 8);
  const connections = option('connections', 10);
  const results = { none: [], profile: [], snapshot: [] };
  const orders = [
    ['none', 'profile', 'snapshot'],
    ['profile', 'snapshot', 'none'],
    ['snapshot', 'none', 'profile'],
  ];
  for (let run = 0; run < runs; run++) {
    // Rotating order: the machine's other load drifts.
    for (const what of orders[run % orders.length]) {
      const readings = await runOne(what, windowS, connections);
      results[what].push(readings);
      const extra =
        what === 'none'
          ? `window ratio ${windowRatio(readings).toFixed(3)}`
          : what === 'profile'
            ? `named ${named(readings)}, checkpoint ${readings.contender.result.checkpointMs.toFixed(0)} ms`
            : `write ${readings.contender.result.writeMs} ms`;
      process.stderr.write(`  run ${run + 1}/${runs} ${what}: pause ${readings.contender.maxPauseMs.toFixed(0)} ms, ${extra}\n`);
    }
  }
  console.log(`memwatch.profile() vs heap snapshot: ${os.cpus()[0].model.trim()}, ${os.cpus().length} cores; node ${process.version}; ${new Date().toISOString()}`);
  console.log(`service under autocannon (${connections} connections, 127.0.0.1), warm-up ${WARM_UP_S} s, windows of ${windowS} s, ${runs} runs`);
  const c = results.none;
  console.log(
    `control   second window: max pause median ${median(c.map((r) => r.contender.maxPauseMs)).toFixed(0)} ms [${c.map((r) => r.contender.maxPauseMs.toFixed(0)).join(', ')}], ` +
      `peak RSS growth ${(median(c.map((r) => r.contender.rssGrowth)) * 100).toFixed(1)} %, window ratio ${median(c.map(windowRatio)).toFixed(3)}`,
  );
  const p = summarize('profile', results.profile, c);
  const s = summarize('snapshot', results.snapshot, c);
  const namedRuns = results.profile.filter(named).length;
  const first = results.profile.find(named);
  console.log(
    `profile named the growing site in ${namedRuns}/${runs} runs${first ? `: ${first.contender.result.sites[0].site} <- ${first.contender.result.sites[0].stack.slice(1).join(' <- ')}` : ''}` +
      namedInstead(results.profile),
  );
  if (process.env.SERVICE_NODE_FLAGS) console.log(`service flags: ${process.env.SERVICE_NODE_FLAGS}`);
  console.log(`profile checkpoints (JS thread, incl. V8's forced full GC): median of max ${median(results.profile.map((r) => r.contender.result.checkpointMs)).toFixed(0)} ms`);
  console.log(`snapshot: write ${median(results.snapshot.map((r) => r.contender.result.writeMs))} ms, ${(median(results.snapshot.map((r) => r.contender.result.bytes)) / 1e6).toFixed(1)} MB; names no allocation site (one snapshot shows what holds the ids, not where they are allocated)`);
  const verdict = (ok) => (ok ? 'met' : 'MISSED');
  console.log(
    `goals (profile): pause <= ${GOALS.pauseMs} ms ${verdict(p.pauseMs <= GOALS.pauseMs)}; RSS growth <= 5 % ${verdict(p.rssGrowth <= GOALS.rssGrowth)}; ` +
      `throughput >= ${GOALS.throughput}x ${verdict(p.throughput >= GOALS.throughput)} (at equal CPU ${verdict(1 / p.cpu >= GOALS.throughput)}); named ${verdict(namedRuns === runs)}`,
  );
  return s;
}

if (process.argv.includes('--child')) child();
else main();

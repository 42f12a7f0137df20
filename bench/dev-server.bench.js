#!/usr/bin/env node
'use strict';
// Dev server under load (issue F): save → first response that shows the new code, with
// autocannon hammering the app, for `modswap run` against nodemon and `node --watch`
// restarting the same app, side by side in one run.
//
//   node bench/dev-server.bench.js [--quick] [--duration=20] [--saves=60] [--saves-large=30]
//        [--runs=1] [--apps=express,app2000] [--contenders=baseline,modswap,nodemon,node-watch,glue]
//        [--modules=2000] [--connections=10] [--delay=MS]
//
// Each app is a scratch copy in .bench-tmp/dev-server/ (lib/dev-server-apps.js), served on one
// fixed free port on 127.0.0.1. Per contender: start the runner, wait for the first response,
// put autocannon on it (10 connections, on a worker thread), and after a 1 s warm-up rewrite
// the hot file N times spread over the load window, each time polling GET / (its own keep-alive
// socket) until the body shows the new version (5 s limit: a timeout). The load runs for
// --duration seconds, or longer when the saves need it. Then the app process's RSS (the runner's
// child: its pid is printed by the app) after 1 s of quiet, compared with the same runner
// serving the same load with no rewrites ("baseline"; load alone grows a process, so compare).
// The "glue" contender is the issue's hand-written reference (dev-server-glue.js: fs.watch and
// modswap.swap in the app, nothing else). --connections=0 runs the saves with no load at all
// (to tell the load's share of a latency); --delay=MS is passed to modswap run as its --delay.
const fs = require('node:fs');
const net = require('node:net');
const http = require('node:http');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { once } = require('node:events');
const { performance } = require('node:perf_hooks');
const { environment } = require('./lib/environment');
const { header } = require('./lib/report');
const { percentile, median, formatMs, formatMB, renderTable } = require('./lib/stats');
const { prepareExpress, prepareLargeApp } = require('./lib/dev-server-apps');
const { Contender } = require('./lib/contender');
const cpuNoise = require('./lib/cpu-noise');

const ROOT = path.join(__dirname, '..');
const TMP = path.join(ROOT, '.bench-tmp', 'dev-server');
const RESULTS_FILE = path.join(ROOT, '.bench-tmp', 'dev-server-results.json');
const NODEMON_BIN = path.join(ROOT, 'node_modules', 'nodemon', 'bin', 'nodemon.js');
const MODSWAP_BIN = path.join(ROOT, 'bin', 'modswap.js');
const MB = 1 << 20;

const WARM_UP_MS = 1000;
/** Load after the last save's slot, so late failures of a restart are counted. */
const TAIL_MS = 1000;
const SAVE_TIMEOUT_MS = 5000;
/** Pause after a new version was seen before the next save. */
const MIN_GAP_MS = 100;
const SETTLE_MS = 1000;
/** Load time allowed per save beyond --duration (a restart of the 2,000-module app under load takes ~3 s). */
const SAVE_ROOM_MS = 4000;
const READY_TIMEOUT_MS = 30_000;
const STOP_LOAD_TIMEOUT_MS = 10_000;

const GOALS = { failed: 0, p50Ms: 15, p95Ms: 50, rssDeltaBytes: 10 * MB };

/** `modswap run` with the bench's --delay, if given (else the runner's default). */
const modswapRun = (entry, settings) => [
  MODSWAP_BIN,
  'run',
  ...(settings.delayMs === undefined ? [] : ['--delay', String(settings.delayMs)]),
  entry,
];

/** The runners, each as node arguments for the entry file. `saves: false` is the RSS baseline. */
const CONTENDERS = {
  baseline: { label: 'modswap run, no rewrites', saves: false, nodeArgs: (entry, s) => modswapRun(entry, s) },
  modswap: { label: 'modswap run', saves: true, nodeArgs: (entry, s) => modswapRun(entry, s) },
  nodemon: { label: 'nodemon (defaults)', saves: true, nodeArgs: (entry) => [NODEMON_BIN, entry] },
  'node-watch': { label: 'node --watch', saves: true, nodeArgs: (entry) => ['--watch', entry] },
  glue: {
    label: 'reference: fs.watch + modswap.swap glue',
    saves: true,
    nodeArgs: (entry) => ['-r', path.join(__dirname, 'dev-server-glue.js'), entry],
  },
};

const OPTIONS = [
  ...['quick', 'duration', 'saves', 'saves-large', 'runs'],
  ...['apps', 'contenders', 'modules', 'connections', 'delay'],
];

function parseArgs(argv) {
  const options = Object.fromEntries(
    argv.map((arg) => {
      const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
      if (!match) throw new Error(`unknown argument ${arg}`);
      return [match[1], match[2] ?? true];
    }),
  );
  for (const key of Object.keys(options)) if (!OPTIONS.includes(key)) throw new Error(`unknown option --${key}`);
  const quick = options.quick === true;
  const settings = {
    quick,
    durationS: Number(options.duration ?? (quick ? 5 : 20)),
    saves: Number(options.saves ?? (quick ? 8 : 60)),
    savesLarge: Number(options['saves-large'] ?? (quick ? 4 : 30)),
    runs: Number(options.runs ?? 1),
    apps: String(options.apps ?? 'express,app2000').split(','),
    contenders: String(options.contenders ?? Object.keys(CONTENDERS).join(',')).split(','),
    modules: Number(options.modules ?? 2000),
    connections: Number(options.connections ?? 10),
    delayMs: options.delay === undefined ? undefined : Number(options.delay),
  };
  for (const name of settings.contenders) if (!CONTENDERS[name]) throw new Error(`unknown contender ${name}`);
  return settings;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

async function freePort() {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/** Refuses to start when something still answers on the port (a runner left over). */
async function assertPortFree(port) {
  const socket = net.connect(port, '127.0.0.1');
  const connected = await new Promise((resolve) => {
    socket.once('connect', () => resolve(true)).once('error', () => resolve(false));
    socket.setTimeout(1000, () => resolve(false));
  });
  socket.destroy();
  if (connected) throw new Error(`port ${port} is still in use`);
}

/**
 * The poller's own agent: one keep-alive socket, so a poll under load costs one request, not a
 * TCP handshake and an accept() queued behind the load. A restarted server resets it and the
 * next poll connects again.
 */
const pollAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** GET / through the poll agent: `{ status, body }`; rejects on any socket trouble. */
function getRoot(port, timeoutMs) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: pollAgent, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('close', () => {
        if (!res.complete) reject(new Error('response cut off'));
      });
    });
    req.on('timeout', () => req.destroy(new Error('poll timed out')));
    req.on('error', reject);
  });
}

/** performance.now() at the end of the first 200 whose body shows `label`, or null at `deadline`. */
async function firstResponseWith(port, app, label, deadline) {
  while (performance.now() < deadline) {
    try {
      const { status, body } = await getRoot(port, Math.max(1, deadline - performance.now()));
      if (status === 200 && app.showsVersion(body, label)) return performance.now();
    } catch {
      await sleep(1); // refused or reset: the app is restarting
    }
  }
  return null;
}

async function waitUntilServing(contender, port, app, label) {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  while (performance.now() < deadline) {
    if (contender.hasExited()) break;
    const seen = await firstResponseWith(port, app, label, Math.min(deadline, performance.now() + 500));
    if (seen !== null && contender.appPid !== undefined) return;
  }
  const output = contender.recentOutput.join('\n');
  throw new Error(`the app did not serve ${label} within ${READY_TIMEOUT_MS} ms; its last output:\n${output}`);
}

/** autocannon's counters for --connections=0. */
const NO_LOAD = { sent: 0, completed: 0, ok: 0, non2xx: 0, errors: 0, timeouts: 0, mismatches: 0, resets: 0 };

/** autocannon on a worker thread; `stop()` resolves with its counters. */
function startLoad(port, connections, maxSeconds) {
  if (connections === 0) {
    const started = performance.now();
    return {
      started: Promise.resolve(),
      stop: async () => ({ result: { ...NO_LOAD, durationS: (performance.now() - started) / 1000 }, errorCodes: {} }),
    };
  }
  const worker = new Worker(path.join(__dirname, 'dev-server-load.js'), {
    workerData: { url: `http://127.0.0.1:${port}/`, connections, maxSeconds },
  });
  const messages = [];
  const waiters = [];
  worker.on('message', (message) => {
    messages.push(message);
    for (const waiter of waiters.splice(0)) waiter();
  });
  const failed = new Promise((_, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`load worker exited (${code}) early`)));
  });
  failed.catch(() => {}); // observed through the races below
  const next = (type, timeoutMs) => {
    const found = () => messages.find((message) => message.type === type);
    const arrived = new Promise((resolve) => {
      const check = () => (found() ? resolve(found()) : waiters.push(check));
      check();
    });
    const timer = sleep(timeoutMs).then(() => {
      throw new Error(`load worker: no '${type}' within ${timeoutMs} ms`);
    });
    return Promise.race([arrived, failed, timer]);
  };
  return {
    started: next('started', 10_000),
    async stop() {
      worker.postMessage('stop');
      try {
        return await next('result', STOP_LOAD_TIMEOUT_MS);
      } finally {
        await worker.terminate();
      }
    },
  };
}

let labelCounter = 0;
/** Version strings unique over the whole bench, so no earlier run's body can match. */
const nextLabel = () => `v${++labelCounter}`;

/**
 * Rewrites the hot file `count` times, save i no earlier than slot i of the window and no
 * earlier than MIN_GAP_MS after the previous version was seen; stops starting saves at
 * `lastStart`. Returns one sample per save.
 */
async function saveLoop(app, port, contender, { count, windowMs, lastStart }) {
  const samples = [];
  const loopStart = performance.now();
  let previousDone = loopStart;
  for (let i = 0; i < count; i++) {
    await sleep(Math.max(loopStart + (i * windowMs) / count, previousDone + MIN_GAP_MS) - performance.now());
    if (performance.now() > lastStart) break;
    const label = nextLabel();
    const stderrFrom = contender.stderrLines.length;
    const start = performance.now();
    app.writeVersion(label);
    const seenAt = await firstResponseWith(port, app, label, start + SAVE_TIMEOUT_MS);
    samples.push({ label, start, stderrFrom, ms: seenAt === null ? null : seenAt - start });
    previousDone = performance.now();
  }
  return samples;
}

const PROBE_POLLS = 50;

/**
 * Round trips of back-to-back polls under load before any save (at most PROBE_POLLS, at most
 * 1 s): a save is seen at most about one round trip after the app can show it.
 */
async function pollRoundTrips(port) {
  const roundTrips = [];
  const deadline = performance.now() + 1000;
  while (roundTrips.length < PROBE_POLLS && performance.now() < deadline) {
    const sent = performance.now();
    try {
      await getRoot(port, 1000);
      roundTrips.push(performance.now() - sent);
    } catch {
      await sleep(1); // the keep-alive socket of an earlier contender was closed: poll again
    }
  }
  return roundTrips;
}

const SWAP_LOG = /\] swapped .* in ([\d.]+) ms/;

/** For modswap: the in-app swap time its log line states, and when that line reached the bench. */
function attachSwapLogs(samples, stderrLines) {
  samples.forEach((sample, i) => {
    const end = i + 1 < samples.length ? samples[i + 1].stderrFrom : stderrLines.length;
    const logged = stderrLines.slice(sample.stderrFrom, end).find(({ line }) => SWAP_LOG.test(line));
    if (logged) {
      sample.swapMs = Number(SWAP_LOG.exec(logged.line)[1]);
      sample.logSeenMs = logged.at - sample.start;
    }
  });
}

/** One contender on one app: start it, measure, stop it; the CPU other processes used meanwhile. */
async function runContender(app, name, port, settings, saveCount) {
  const spec = CONTENDERS[name];
  const startLabel = nextLabel();
  app.writeVersion(startLabel);
  await assertPortFree(port);
  const noiseBefore = cpuNoise.snapshot();
  const contender = new Contender(process.execPath, spec.nodeArgs('server.js', settings), {
    cwd: app.dir,
    env: { ...process.env, PORT: String(port), FORCE_COLOR: '0' },
  });
  let result;
  try {
    await waitUntilServing(contender, port, app, startLabel);
    result = await measureUnderLoad(app, port, contender, settings, spec.saves ? saveCount : 0);
  } finally {
    await contender.stop();
  }
  // After the stop the runner and its app were reaped, so their CPU time counts as ours.
  return { name, ...result, otherCores: cpuNoise.otherCores(noiseBefore, cpuNoise.snapshot()) };
}

/** Load for the duration, `saveCount` saves during it, the app's RSS after. */
async function measureUnderLoad(app, port, contender, settings, saveCount) {
  const rssIdle = contender.appRss();
  const durationMs = settings.durationS * 1000;
  // Room for slow restarters to finish their saves; the save loop stops starting saves before it.
  const maxLoadMs = durationMs + saveCount * SAVE_ROOM_MS;
  const load = startLoad(port, settings.connections, Math.ceil(maxLoadMs / 1000) + 5);
  await load.started;
  const loadStart = performance.now();
  await sleep(WARM_UP_MS);
  const roundTrips = await pollRoundTrips(port);
  const saves = await saveLoop(app, port, contender, {
    count: saveCount,
    windowMs: loadStart + durationMs - TAIL_MS - performance.now(),
    lastStart: loadStart + maxLoadMs - TAIL_MS - SAVE_TIMEOUT_MS,
  });
  await sleep(Math.max(loadStart + durationMs, performance.now() + TAIL_MS) - performance.now());
  const { result, errorCodes } = await load.stop();
  await sleep(SETTLE_MS);
  const rssAfter = contender.appRss();
  attachSwapLogs(saves, contender.stderrLines);
  return {
    saves,
    savesPlanned: saveCount,
    connections: settings.connections,
    pollMs: median(roundTrips),
    load: result,
    errorCodes,
    rssIdle,
    rssAfter,
    appStarts: contender.appPids.length,
  };
}

const failedOf = (load) => load.errors + load.non2xx + load.mismatches;
/**
 * Requests written that got neither a response nor an error: a server that closed with them in
 * flight. Each connection has one request in flight when the load stops; those are not counted.
 */
const droppedOf = (load, connections) => Math.max(0, load.sent - load.completed - load.errors - connections);

/** One row's numbers over the runs: save latencies pooled, everything else the median per run. */
function summarize(runs) {
  const latencies = runs.flatMap((run) => run.saves.filter((s) => s.ms !== null).map((s) => s.ms));
  const perRun = (f) => median(runs.map(f));
  const swapMs = runs.flatMap((run) => run.saves.filter((s) => s.swapMs !== undefined).map((s) => s.swapMs));
  const logSeenMs = runs.flatMap((run) => run.saves.filter((s) => s.logSeenMs !== undefined).map((s) => s.logSeenMs));
  const errorCodes = {};
  for (const run of runs) {
    for (const [code, n] of Object.entries(run.errorCodes)) errorCodes[code] = (errorCodes[code] ?? 0) + n;
  }
  return {
    runs: runs.length,
    saves: runs.reduce((sum, run) => sum + run.saves.length, 0),
    savesPlanned: runs.reduce((sum, run) => sum + run.savesPlanned, 0),
    timeouts: runs.reduce((sum, run) => sum + run.saves.filter((s) => s.ms === null).length, 0),
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    max: latencies.length > 0 ? Math.max(...latencies) : NaN,
    loadS: perRun((run) => run.load.durationS),
    served: perRun((run) => run.load.ok),
    failed: perRun((run) => failedOf(run.load)),
    failedMax: Math.max(...runs.map((run) => failedOf(run.load))),
    dropped: perRun((run) => droppedOf(run.load, run.connections)),
    rssIdle: perRun((run) => run.rssIdle),
    rssAfter: perRun((run) => run.rssAfter),
    appStarts: perRun((run) => run.appStarts),
    swapMsP50: percentile(swapMs, 50),
    pollMs: perRun((run) => run.pollMs),
    logSeenMsP50: percentile(logSeenMs, 50),
    logSeenMsP95: percentile(logSeenMs, 95),
    errorCodes,
  };
}

const count = (n) => Math.round(n).toLocaleString('en-US');
const signedMB = (bytes) => `${bytes >= 0 ? '+' : ''}${formatMB(bytes)}`;

const TABLE_HEADER = [
  'contender',
  'saves seen',
  'p50',
  'p95',
  'max',
  'served (2xx)',
  'failed',
  'dropped',
  'app starts',
  'app RSS idle -> after',
  'RSS vs no-rewrite',
];

function appTable(rows) {
  const baseline = rows.baseline;
  const lines = Object.entries(rows).map(([name, r]) => {
    const saving = r.savesPlanned > 0;
    const timedOut = r.timeouts > 0 ? ` (${r.timeouts} timed out)` : '';
    return [
      CONTENDERS[name].label,
      saving ? `${r.saves - r.timeouts}/${r.savesPlanned}${timedOut}` : '-',
      saving ? formatMs(r.p50) : '-',
      saving ? formatMs(r.p95) : '-',
      saving ? formatMs(r.max) : '-',
      `${count(r.served)} in ${r.loadS.toFixed(1)} s`,
      count(r.failed),
      count(r.dropped),
      String(r.appStarts),
      `${formatMB(r.rssIdle)} -> ${formatMB(r.rssAfter)}`,
      baseline && name !== 'baseline' ? signedMB(r.rssAfter - baseline.rssAfter) : '',
    ];
  });
  return renderTable(TABLE_HEADER, lines);
}

function detailLines(rows) {
  return Object.entries(rows).map(([name, r]) => {
    const causes = Object.entries(r.errorCodes).map(([code, n]) => `${code} ${count(n)}`);
    const parts = [
      `failed requests by cause: ${causes.join(', ') || 'none'}`,
      `a poll's round trip under load before the saves p50 ${formatMs(r.pollMs)}`,
    ];
    if (Number.isFinite(r.swapMsP50)) {
      parts.push(
        `in-app swap (its log line) p50 ${formatMs(r.swapMsP50)}, log line at the bench ` +
          `p50 ${formatMs(r.logSeenMsP50)} / p95 ${formatMs(r.logSeenMsP95)} after the save`,
      );
    }
    return `  ${CONTENDERS[name].label}: ${parts.join('; ')}`;
  });
}

const verdict = (ok) => (ok ? 'PASS' : 'MISS');

function goalRows(appName, rows) {
  const r = rows.modswap;
  if (!r) return [];
  const goal = (what, result, target, ok) => [`${appName}: ${what}`, result, target, verdict(ok)];
  const out = [
    goal('failed requests (every run)', count(r.failedMax), `= ${GOALS.failed}`, r.failedMax === GOALS.failed),
    goal('save -> new response p50', formatMs(r.p50), `<= ${GOALS.p50Ms} ms`, r.p50 <= GOALS.p50Ms),
    goal('save -> new response p95', formatMs(r.p95), `<= ${GOALS.p95Ms} ms`, r.p95 <= GOALS.p95Ms),
    goal('saves that timed out', String(r.timeouts), '= 0', r.timeouts === 0),
  ];
  if (rows.baseline) {
    const delta = r.rssAfter - rows.baseline.rssAfter;
    const within = Math.abs(delta) <= GOALS.rssDeltaBytes;
    out.push(goal('RSS after vs no-rewrite run', signedMB(delta), `within ${formatMB(GOALS.rssDeltaBytes)}`, within));
  }
  return out;
}

function packageVersion(name) {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
}

function prepareApps(settings) {
  return settings.apps.map((name) => {
    if (name === 'express') return { app: prepareExpress(path.join(TMP, 'express')), saves: settings.saves };
    if (name === 'app2000') {
      const dir = path.join(TMP, `app${settings.modules}`);
      return { app: prepareLargeApp(dir, settings.modules), saves: settings.savesLarge };
    }
    throw new Error(`unknown app ${name} (express, app2000)`);
  });
}

async function benchApp({ app, saves }, port, settings) {
  console.log(`\n${app.title}: ${saves} saves, ${settings.runs} run(s) per contender`);
  const runsByContender = Object.fromEntries(settings.contenders.map((name) => [name, []]));
  for (let run = 0; run < settings.runs; run++) {
    // Rotating the order spreads drift (page cache, clock, other load) over the contenders.
    const order = settings.contenders.map((_, i) => settings.contenders[(i + run) % settings.contenders.length]);
    for (const name of order) {
      const result = await runContender(app, name, port, settings, saves);
      runsByContender[name].push(result);
      console.log(`  ${progressLine(result)}`);
    }
  }
  const rows = Object.fromEntries(Object.entries(runsByContender).map(([name, runs]) => [name, summarize(runs)]));
  return { app: app.name, title: app.title, saves, rows, runs: runsByContender };
}

function progressLine(result) {
  const one = summarize([result]);
  const latency = one.savesPlanned > 0 ? `p50 ${formatMs(one.p50)}, p95 ${formatMs(one.p95)}, ` : '';
  const others = result.otherCores === null ? 'n/a' : `${result.otherCores.toFixed(2)} cores`;
  return (
    `${CONTENDERS[result.name].label}: ${latency}served ${count(one.served)}, failed ${count(one.failed)}, ` +
    `RSS ${formatMB(one.rssIdle)} -> ${formatMB(one.rssAfter)}, other processes ${others}`
  );
}

function printSettings(settings, port) {
  console.log(
    `load:    autocannon ${packageVersion('autocannon')}, ${settings.connections} connections on ` +
      `http://127.0.0.1:${port}/, ${settings.durationS} s (longer when the saves need it), worker thread`,
  );
  console.log(
    `saves:   writeFileSync of the hot file, spread over the load window, >= ${MIN_GAP_MS} ms after the last ` +
      `new response; polled with GET / (one keep-alive socket of its own), ${SAVE_TIMEOUT_MS} ms limit`,
  );
  console.log(
    `runners: modswap run (bin/modswap.js, delay ${settings.delayMs ?? `${require('../lib/dev/config').DEFAULTS.delay} (default)`} ms), ` +
      `nodemon ${packageVersion('nodemon')} (defaults: no --delay), node --watch`,
  );
}

const LEGEND = `
failed = autocannon errors (refused, reset, timeouts) + non-2xx; dropped = requests sent that got neither a
response nor an error (a server that closed with them in flight; autocannon reconnects silently, so they are
not in "failed"); autocannon's own "resets" counts request-sequence restarts, not TCP resets (those are the
ECONNRESET errors above). RSS: the app process serving at the end (for restarters: the last one started)`;

function printReport(results) {
  const goals = [];
  for (const result of results) {
    const pooled = result.rows.modswap?.runs > 1;
    console.log(`\n${result.title}${pooled ? ' (latencies pooled over the runs, other columns medians per run)' : ''}`);
    console.log(appTable(result.rows));
    for (const line of detailLines(result.rows)) console.log(line);
    goals.push(...goalRows(result.app, result.rows));
  }
  console.log(LEGEND);
  if (goals.length > 0) console.log(`\n${renderTable(['goal (issue F, modswap run)', 'result', 'goal', ''], goals)}`);
  const noise = results
    .flatMap((result) => Object.values(result.runs).flat())
    .map((run) => run.otherCores)
    .filter((cores) => cores !== null);
  if (noise.length > 0) {
    const summary = `median ${median(noise).toFixed(2)}, max ${Math.max(...noise).toFixed(2)}`;
    console.log(`\ncores kept busy by other processes: ${summary} per contender run`);
  }
}

async function main() {
  const settings = parseArgs(process.argv.slice(2));
  const machine = environment();
  console.log(header('modswap dev server: save -> first new response under load (issue F)', machine, settings.quick));
  const port = await freePort();
  printSettings(settings, port);
  const results = [];
  for (const entry of prepareApps(settings)) results.push(await benchApp(entry, port, settings));
  printReport(results);
  fs.writeFileSync(RESULTS_FILE, JSON.stringify({ machine, settings, port, results }, null, 2));
  console.log(`\nresults written to ${path.relative(ROOT, RESULTS_FILE)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

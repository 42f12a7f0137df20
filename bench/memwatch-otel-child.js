'use strict';
// One process of memwatch-otel.bench.js:
//
//   node bench/memwatch-otel-child.js <rounds> <scrapeMs>
//
// The same GC-heavy work as memwatch-stats-child.js (short-lived objects, every 2nd kept in a
// list dropped at 100,000: frequent scavenges and regular full GCs), in blocks alternately
// (ABBA) with a plain 'stats' listener (what a hand-written metrics hook costs) and with
// memwatch.metrics() wired to the SDK's PrometheusExporter, scraped every `scrapeMs` (collect
// and serialize, as an HTTP scrape does, minus the socket). Then times single scrapes. Prints
// one JSON line.
const { MeterProvider } = require('@opentelemetry/sdk-metrics');
const { PrometheusExporter } = require('@opentelemetry/exporter-prometheus');
const memwatch = require('..').memwatch;
const { msSince, median } = require('./lib/stats');

const AB_BLOCKS = [false, true, true, false, false, true, true, false];
const SCRAPES_TIMED = 200;
const EVENTS_TIMED = 200_000;

const { work } = require('./lib/gc-work');

/** What the exporter's HTTP handler does for GET /metrics, into a string. */
function scrape(exporter) {
  return new Promise((resolve) => {
    const response = { statusCode: 0, setHeader() {}, end: (body) => resolve(body) };
    exporter.getMetricsRequestHandler({ url: '/metrics' }, response);
  });
}

/** Scrapes every `ms` (never for 0) while `work` runs; returns the number of scrapes. */
async function scrapingDuring(exporter, ms, run) {
  let scrapes = 0;
  if (ms === 0) {
    await run();
    return scrapes;
  }
  const timer = setInterval(() => {
    scrapes += 1;
    scrape(exporter);
  }, ms);
  try {
    await run();
  } finally {
    clearInterval(timer);
  }
  return scrapes;
}

/**
 * What metrics() adds to each 'stats' and 'leak' event: emits recorded payloads with and
 * without a metrics() handle (memwatch's own listener-less emit as the baseline), ns per event.
 */
function listenerCost() {
  const stats = { num_full_gc: 1, estimated_base: 1e7, current_base: 1e7, heap_size_limit: 4e9, usage_trend: 0 };
  const leak = { kind: 'heap', start: new Date(0), end: new Date(60_000), growth: 1e6, rate: 1e6, reason: '' };
  const timeEmits = () => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < EVENTS_TIMED; i++) memwatch.emit(i % 64 === 0 ? 'leak' : 'stats', i % 64 === 0 ? leak : stats);
    return Number(process.hrtime.bigint() - start) / EVENTS_TIMED;
  };
  const provider = new MeterProvider({ readers: [new PrometheusExporter({ preventServerStart: true })] });
  const samples = { without: [], with: [] };
  for (let round = 0; round < 5; round++) {
    samples.without.push(timeEmits());
    const handle = memwatch.metrics({ meterProvider: provider });
    samples.with.push(timeEmits());
    handle.stop();
  }
  return { without: median(samples.without), with: median(samples.with) };
}

async function main() {
  const [rounds, scrapeMs] = process.argv.slice(2).map(Number);
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  const blockRounds = Math.max(1, Math.round(rounds / AB_BLOCKS.length));
  const ms = { stats: 0, otel: 0 };
  // CPU time of the whole process (all threads): less sensitive than wall time to other load.
  const cpuMs = { stats: 0, otel: 0 };
  let statsEvents = 0;
  let scrapes = 0;
  const listener = () => (statsEvents += 1);
  memwatch.on('stats', listener);
  await work(blockRounds); // untimed: JIT warm-up and heap sizing
  for (const otel of AB_BLOCKS) {
    // One watcher at a time: the listener or metrics(), never both.
    const handle = otel ? memwatch.metrics({ meterProvider: provider }) : null;
    if (otel) memwatch.removeListener('stats', listener);
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    if (otel) scrapes += await scrapingDuring(exporter, scrapeMs, () => work(blockRounds));
    else await work(blockRounds);
    ms[otel ? 'otel' : 'stats'] += msSince(start);
    const cpu = process.cpuUsage(cpuStart);
    cpuMs[otel ? 'otel' : 'stats'] += (cpu.user + cpu.system) / 1000;
    if (otel) {
      memwatch.on('stats', listener);
      handle.stop();
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const handle = memwatch.metrics({ meterProvider: provider });
  // A full GC first, so that the scrapes carry every series (the gauges start with one).
  const stats = new Promise((resolve) => memwatch.once('stats', resolve));
  memwatch.gc();
  await stats;
  const scrapeTimes = [];
  let body = '';
  for (let i = 0; i < SCRAPES_TIMED; i++) {
    const start = process.hrtime.bigint();
    body = await scrape(exporter);
    scrapeTimes.push(msSince(start));
  }
  handle.stop();
  memwatch.removeListener('stats', listener);
  const eventNs = listenerCost();
  const series = body.split('\n').filter((line) => line.startsWith('modswap_')).length;
  const out = { blockRounds, ms, cpuMs, eventNs, statsEvents, scrapes, scrapeMs: median(scrapeTimes), scrapeBytes: body.length, series };
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

'use strict';
// memwatch.metrics(): memwatch's statistics and 'leak' events as OpenTelemetry metrics, scraped
// over HTTP from the SDK's Prometheus exporter; and modswap without the optional peer dependency.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { fork, spawnSync } = require('node:child_process');
const { once } = require('node:events');
const { makeFixture } = require('./helpers');
const memwatch = require('..').memwatch;

const ROOT = path.join(__dirname, '..');
const CHILD = path.join(__dirname, 'fixtures', 'otel', 'prometheus-child.js');
const GC_TYPES = ['scavenge', 'mark_sweep_compact', 'incremental_marking', 'process_weak_callbacks'];

/** Prometheus text format: `name{label="value",...} number` lines, comments skipped. */
function parsePrometheus(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `unparsable line ${JSON.stringify(line)}`);
    const labels = Object.fromEntries([...(match[2] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** The one sample of `name` whose labels include `labels`. */
function sample(samples, name, labels = {}) {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  );
  assert.equal(found.length, 1, `${name} ${JSON.stringify(labels)}: ${found.length} samples`);
  return found[0].value;
}

async function scrape(port) {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(response.status, 200);
  return parsePrometheus(await response.text());
}

/** The child's next message; fails at once if it exits first. */
function nextMessage(child) {
  return new Promise((resolve, reject) => {
    const onExit = (code, signal) => reject(new Error(`the child exited (${code ?? signal}) before answering`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message);
    });
  });
}

test('the Prometheus exporter serves heap floor, leaks by kind and GC totals, until stop()', async (t) => {
  const child = fork(CHILD, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  // Bounds the test whatever happens in the child.
  const watchdog = setTimeout(() => child.kill(), 60_000);
  t.after(() => {
    clearTimeout(watchdog);
    child.kill();
  });
  const ready = await nextMessage(child);
  assert.ok(ready.realLeaks >= 1, `the classic detector reported the growing heap (${ready.forced} GCs)`);
  assert.ok(ready.forced >= 5);

  const samples = await scrape(ready.port);
  const m = (name, labels) => sample(samples, `modswap_memwatch_${name}`, labels);

  // Each forced GC is one full GC at least (gc() may run more).
  const fullGcs = m('gc_full_total');
  assert.ok(fullGcs >= ready.forced, `${fullGcs} full GCs >= ${ready.forced} forced`);
  assert.ok(m('gc_collections_total', { type: 'mark_sweep_compact' }) >= fullGcs);
  for (const type of GC_TYPES) {
    assert.ok(m('gc_collections_total', { type }) >= 0, type);
    assert.ok(m('gc_pause_seconds_total', { type }) >= 0, type);
  }
  const pause = m('gc_pause_seconds_total', { type: 'mark_sweep_compact' });
  assert.ok(pause > 0 && pause < fullGcs * 10, `mark-sweep-compact time ${pause} s`);

  // The real reports plus the synthetic heap one; the other kinds only from the emitter.
  assert.equal(m('leaks_total', { kind: 'heap' }), ready.realLeaks + 1);
  assert.equal(m('leaks_total', { kind: 'listeners' }), 2);
  assert.equal(m('leaks_total', { kind: 'handles' }), 1);
  assert.equal(m('heap_leak_rate_bytes_per_minute'), 1_500_000);
  assert.equal(m('heap_leak_time_to_limit_seconds'), 90);

  const limit = m('heap_limit_bytes');
  assert.equal(limit, ready.lastStats.heap_size_limit);
  const used = m('heap_used_after_gc_bytes');
  const floor = m('heap_floor_bytes');
  if (fullGcs === ready.fullGcs) {
    // No GC since the child's last 'stats': the exporter shows exactly that payload.
    assert.equal(used, ready.lastStats.current_base);
    assert.equal(floor, ready.lastStats.estimated_base);
    assert.equal(m('heap_usage_trend_percent'), ready.lastStats.usage_trend);
  }
  // The ~1 MB arrays the child keeps are in the heap.
  assert.ok(used > ready.retainedArrays * 1_000_000 && used < limit, `used after GC ${used}`);
  assert.ok(floor > 0 && floor <= used, `floor ${floor}`);

  child.send('stop');
  const stopped = await nextMessage(child);
  assert.ok(stopped.fullGcsAfterStop >= 3);
  assert.equal(stopped.feedRunning, false, 'memwatch stops watching GCs with its last listener');
  const after = await scrape(ready.port);
  const a = (name, labels) => sample(after, `modswap_memwatch_${name}`, labels);
  assert.equal(a('gc_full_total'), fullGcs, 'full GCs after stop() are not counted');
  assert.equal(a('leaks_total', { kind: 'heap' }), ready.realLeaks + 1, 'nor leaks');
  child.send('exit');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
});

test('prefix names the instruments; bad options throw and register nothing', async () => {
  const { MeterProvider } = require('@opentelemetry/sdk-metrics');
  const { PrometheusExporter } = require('@opentelemetry/exporter-prometheus');
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  const listeners = () => memwatch.listenerCount('stats') + memwatch.listenerCount('leak');

  for (const [options, pattern] of [
    [null, /expects an options object/],
    [{ prefix: '9lives' }, /prefix must be an OpenTelemetry instrument name/],
    [{ prefix: '' }, /prefix must be/],
    [{ meterProvider: provider, meter: provider.getMeter('x') }, /either meterProvider or meter/],
    [{ meterProvider: {} }, /meterProvider must be an OpenTelemetry MeterProvider/],
    [{ meter: { createObservableGauge() {} } }, /meter must be an OpenTelemetry Meter/],
    [{ prefx: 'app' }, /unknown option "prefx"/],
  ]) {
    assert.throws(() => memwatch.metrics(options), { name: 'ModswapError', code: 'ERR_MODSWAP_INVALID_OPTIONS', message: pattern });
  }
  assert.equal(listeners(), 0);
  assert.equal(memwatch.feed.running, false);

  const handle = memwatch.metrics({ meter: provider.getMeter('app'), prefix: 'app.mem' });
  assert.equal(handle.prefix, 'app.mem');
  assert.equal(memwatch.feed.running, true);
  const { resourceMetrics, errors } = await exporter.collect();
  assert.deepEqual(errors, []);
  const names = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics.map((metric) => metric.descriptor.name));
  // Gauges appear with the first full GC; counters at once.
  assert.deepEqual(names.sort(), ['app.mem.gc.collections', 'app.mem.gc.full', 'app.mem.gc.pause_seconds', 'app.mem.leaks']);
  handle.stop();
  assert.equal(listeners(), 0);
  assert.equal(memwatch.feed.running, false);
  await exporter.shutdown();
});

/** modswap as an app without @opentelemetry/api installs it: the package files, no node_modules. */
function installWithoutOtel() {
  const app = makeFixture({ 'main.js': '' });
  const target = app.path('node_modules/modswap');
  const { files } = require('../package.json');
  const binaries = fs.readdirSync(ROOT).filter((name) => name.endsWith('.node'));
  for (const entry of [...files, 'package.json', ...binaries]) {
    const from = path.join(ROOT, entry);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(target, entry), { recursive: true });
  }
  return app;
}

test('without @opentelemetry/api modswap loads and watches; metrics() names the missing package', (t) => {
  const app = installWithoutOtel();
  t.after(() => app.remove());
  app.write(
    'main.js',
    `
    const memwatch = require('modswap').memwatch;
    let resolved = true;
    try { require.resolve('@opentelemetry/api', { paths: [require.resolve('modswap')] }); } catch { resolved = false; }
    let error;
    try { memwatch.metrics(); } catch (e) { error = { name: e.name, code: e.code, message: e.message }; }
    memwatch.once('stats', (stats) => {
      console.log(JSON.stringify({ resolved, error, stats: stats.num_full_gc}));
    });
    memwatch.gc();
    `,
  );
  const env = { ...process.env, NODE_PATH: '' };
  const result = spawnSync(process.execPath, [app.path('main.js')], { cwd: app.root, env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.status, 0, result.stderr);
  const out = JSON.parse(result.stdout);
  assert.equal(out.resolved, false, 'the copy cannot see @opentelemetry/api');
  assert.equal(out.error.name, 'ModswapError');
  assert.equal(out.error.code, 'ERR_MODSWAP_MISSING_PEER');
  assert.match(out.error.message, /@opentelemetry\/api/);
  assert.match(out.error.message, /npm install @opentelemetry\/api/);
  assert.ok(out.stats >= 1, "memwatch's 'stats' still works");
});

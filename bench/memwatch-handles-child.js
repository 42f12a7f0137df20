'use strict';
// The server of memwatch-handles.bench.js, one variant per process (argv[2]):
//   off          memwatch loaded, no 'leak' listener
//   heap         a 'leak' listener, handle and listener watching off (the GC feed alone)
//   on           a 'leak' listener with the defaults: handles and listeners watched
//   attributing  'on' with the Timeout site tracker forced on (the cost while a type is suspected)
//   hooks        alternative design: an always-on async_hooks init/destroy hook counting by type
//   hooks-stacks alternative design: the same hook with a creation site per handle or timer
//   ab           a 'leak' listener; handle and listener watching switched by 'on' / 'off' messages
// Each request: a timeout guard, two awaits, a JSON body; on 127.0.0.1. Sends { port } over IPC
// once listening, and on 'report' its own sampling time, then exits.
const http = require('node:http');
const asyncHooks = require('node:async_hooks');
const { performance } = require('node:perf_hooks');
const memwatch = require('../memwatch');
const { creationSite } = require('../lib/memwatch/site');

const variant = process.argv[2];
const sampling = { ms: 0, samples: 0 };

function alwaysOnHook(withSites) {
  const live = new Map();
  const counts = new Map();
  asyncHooks
    .createHook({
      init(asyncId, type) {
        if (type === 'PROMISE') return;
        counts.set(type, (counts.get(type) ?? 0) + 1);
        live.set(asyncId, withSites ? { type, site: creationSite() } : type);
      },
      destroy(asyncId) {
        const entry = live.get(asyncId);
        if (entry === undefined) return;
        live.delete(asyncId);
        const type = withSites ? entry.type : entry;
        counts.set(type, counts.get(type) - 1);
      },
    })
    .enable();
}

function instrumentSampling() {
  const { resources } = memwatch;
  const sample = resources.sample.bind(resources);
  resources.sample = () => {
    const start = performance.now();
    sample();
    sampling.ms += performance.now() - start;
    sampling.samples += 1;
  };
}

function setUp() {
  if (variant === 'hooks' || variant === 'hooks-stacks') alwaysOnHook(variant === 'hooks-stacks');
  if (variant === 'off' || variant.startsWith('hooks')) return;
  if (variant === 'heap' || variant === 'ab') memwatch.configure({ handles: false, listeners: false });
  memwatch.on('leak', (leak) => process.stderr.write(`unexpected leak: ${leak.reason}\n`));
  if (variant === 'on' || variant === 'attributing') instrumentSampling();
  if (variant === 'attributing') {
    const { tracker } = memwatch.resources.handles;
    tracker.watch('Timeout');
    tracker.unwatch = () => {};
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function handle(req, res) {
  const guard = setTimeout(() => res.destroy(), 10_000);
  await null;
  await tick();
  clearTimeout(guard);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ ok: true, url: req.url, at: Date.now() }));
}

setUp();
const server = http.createServer(handle);
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (message) => {
  if (message === 'on' || message === 'off') {
    const watched = message === 'on';
    memwatch.configure({ handles: watched, listeners: watched });
    process.send({ active: memwatch.resources.active });
    return;
  }
  if (message !== 'report') return;
  process.send({ sampling, active: memwatch.resources.active }, () => process.exit(0));
});

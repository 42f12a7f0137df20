'use strict';
// Resource tracking: what an old generation started is disposed when a reload replaces it.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');
const util = require('node:util');
const EventEmitter = require('node:events');
const timers = require('node:timers');
const { Worker } = require('node:worker_threads');
const modswap = require('..');
const resources = require('../lib/dev/resources');
const kinds = require('../lib/dev/resource-kinds');
const { makeFixture, collectGarbage } = require('./helpers');

const WAIT_MS = 10_000;

/** Polls `predicate` every 10 ms; fails the test after `ms` (every wait here is bounded). */
async function until(predicate, what, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A closed server's handle stays listed until libuv's close callback: one loop turn later. */
const closedHandlesGone = () => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

const activeCount = (type) => process.getActiveResourcesInfo().filter((name) => name === type).length;
const timeouts = () => activeCount('Timeout');
const listeningServers = () => activeCount('TCPServerWrap');

/** 'open' or the error code of a TCP connection attempt to 127.0.0.1:port. */
function probe(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('open');
    });
    socket.once('error', (error) => resolve(error.code));
  });
}

function get(port, agent = false) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode, body }));
      })
      .on('error', reject);
  });
}

/** Disposes what the current generation of `file` holds, so later tests start clean. */
async function disposeCurrent(file) {
  resources.disposeGeneration(file, 'dispose');
  await resources.settled();
}

const serviceSource = (version) => `'use strict';
const http = require('node:http');
exports.version = ${version};
exports.loadInterval = setInterval(() => {}, 60_000);
exports.ready = new Promise((resolve) => {
  setTimeout(() => {
    exports.callbackInterval = setInterval(() => {}, 60_000);
    resolve();
  }, 5);
});
exports.server = http.createServer((req, res) => res.end('v${version}'));
exports.listening = new Promise((resolve) => exports.server.listen(0, '127.0.0.1', resolve));
process.on('SIGUSR2', function onSignal() {});
`;

test('an interval at load, one from a later callback, an http server and a process listener: after 20 swaps one of each is alive', async () => {
  const fixture = makeFixture({ 'service.js': serviceSource(0) });
  const file = fixture.path('service.js');
  await closedHandlesGone();
  const baseline = { timeouts: timeouts(), servers: listeningServers(), signals: process.listenerCount('SIGUSR2') };
  let service = require(file);
  await Promise.all([service.ready, service.listening]);
  const ports = [service.server.address().port];

  for (let version = 1; version <= 20; version++) {
    fixture.write('service.js', serviceSource(version));
    service = modswap.reload(file);
    await Promise.all([service.ready, service.listening]);
    ports.push(service.server.address().port);
  }
  await resources.settled();

  assert.equal(service.version, 20);
  await until(() => timeouts() === baseline.timeouts + 2, 'two intervals');
  await until(() => listeningServers() === baseline.servers + 1, 'one listening server');
  assert.equal(timeouts(), baseline.timeouts + 2, 'the load interval and the callback interval of version 20');
  assert.equal(listeningServers(), baseline.servers + 1);
  assert.equal(process.listenerCount('SIGUSR2'), baseline.signals + 1);
  const current = ports.pop();
  assert.deepEqual(await get(current), { status: 200, body: 'v20' });
  // A port an old server freed can be handed to a later one: only the others must refuse.
  const oldPorts = ports.filter((port) => port !== current);
  assert.ok(oldPorts.length >= 19);
  const probes = await Promise.all(oldPorts.map(probe));
  assert.deepEqual(probes, oldPorts.map(() => 'ECONNREFUSED'), 'every old server stopped listening');
  assert.deepEqual(
    resources.resourcesOf(file).map((resource) => resource.kind).sort(),
    ['interval', 'interval', 'listener', 'server'],
  );

  await disposeCurrent(file);
  assert.equal(timeouts(), baseline.timeouts);
  assert.equal(process.listenerCount('SIGUSR2'), baseline.signals);
  fixture.remove();
});

test('a setInterval module reloaded 120 times by plain reload() leaves exactly one interval', async () => {
  const fixture = makeFixture({ 'ticker.js': 'exports.timer = setInterval(() => {}, 1000);\n' });
  const file = fixture.path('ticker.js');
  const baseline = timeouts();
  require(file);
  for (let i = 0; i < 120; i++) modswap.reload(file);

  assert.equal(timeouts() - baseline, 1);
  assert.deepEqual(resources.resourcesOf(file), [{ kind: 'interval', description: 'setInterval 1000ms' }]);
  await disposeCurrent(file);
  assert.equal(timeouts(), baseline);
  fixture.remove();
});

const slowServerSource = (body) => `'use strict';
const http = require('node:http');
exports.heartbeat = setInterval(() => {}, 60_000);
exports.server = http.createServer((req, res) => {
  // Started by the request, so charged to this generation: it must survive the swap.
  setTimeout(() => res.end('${body}'), 300);
});
exports.server.keepAliveTimeout = 60_000;
exports.listening = new Promise((resolve) => exports.server.listen(0, '127.0.0.1', resolve));
`;

test('a request in flight during the swap completes with 200 from the old code, then the old server closes', async () => {
  const fixture = makeFixture({ 'slow.js': slowServerSource('old') });
  const file = fixture.path('slow.js');
  const baseline = timeouts();
  const old = require(file);
  await old.listening;
  const oldPort = old.server.address().port;
  let oldClosed = false;
  old.server.once('close', () => (oldClosed = true));

  // A keep-alive agent: the connection stays open after the response, so closing it is ours
  // (a grace period longer than the wait: only dropping idle connections can close the server).
  const agent = new http.Agent({ keepAlive: true });
  resources.configure({ gracePeriodMs: 60_000 });
  let fresh;
  old.server.once('request', () => {
    fixture.write('slow.js', slowServerSource('new'));
    fresh = modswap.reload(file);
  });
  const response = await get(oldPort, agent);

  assert.deepEqual(response, { status: 200, body: 'old' });
  assert.equal(await probe(oldPort), 'ECONNREFUSED', 'the old server stopped accepting at the swap');
  await until(() => oldClosed, 'the old server to close');
  resources.configure({ gracePeriodMs: 5000 });
  await resources.settled();
  await fresh.listening;
  assert.deepEqual(await get(fresh.server.address().port), { status: 200, body: 'new' });
  assert.equal(timeouts() - baseline, 1, "only the new generation's heartbeat is left");
  agent.destroy();
  await disposeCurrent(file);
  fixture.remove();
});

test('a new generation can listen on the pipe its predecessor serves on', async () => {
  // A pipe binds at once, inside listen() (as a port without a host does): the old server
  // still holds it while the new version evaluates. listen(port, host) binds after a lookup.
  const source = (version) => `'use strict';
const path = require('node:path');
exports.server = require('node:http').createServer((req, res) => res.end('v${version}'));
exports.listening = new Promise((resolve, reject) => {
  exports.server.once('error', reject);
  exports.server.listen(path.join(__dirname, 'app.sock'), resolve);
});
`;
  const fixture = makeFixture({ 'piped.js': source(1) });
  const file = fixture.path('piped.js');
  const socketPath = fixture.path('app.sock');
  const getPipe = () =>
    new Promise((resolve, reject) => {
      http
        .get({ socketPath, path: '/', agent: false }, (response) => {
          let body = '';
          response.on('data', (chunk) => (body += chunk));
          response.on('end', () => resolve(body));
        })
        .on('error', reject);
    });
  let current = require(file);
  await current.listening;
  for (let version = 2; version <= 4; version++) {
    fixture.write('piped.js', source(version));
    current = modswap.reload(file);
    await current.listening; // rejects with EADDRINUSE if the old server still held the pipe
    assert.equal(await getPipe(), `v${version}`);
  }
  await disposeCurrent(file);
  await assert.rejects(getPipe(), { code: 'ENOENT' });
  fixture.remove();
});

const leftoverSource = `'use strict';
exports.timer = setInterval(() => {}, 60_000);
process.on('SIGUSR2', function leftover() {});
`;

/** Collects 'warning' events with code MODSWAP_RESOURCES_LEFT while `fn` runs and a turn after. */
async function warningsDuring(fn) {
  const warnings = [];
  const onWarning = (warning) => {
    if (warning.code === 'MODSWAP_RESOURCES_LEFT') warnings.push(warning);
  };
  process.on('warning', onWarning);
  try {
    await fn();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.removeListener('warning', onWarning);
  }
  return warnings;
}

test("policy 'warn' leaves the old generation running and reports it with stacks that point at the module", async () => {
  const fixture = makeFixture({ 'leftover.js': leftoverSource });
  const file = fixture.path('leftover.js');
  resources.setPolicy(file, 'warn');
  const baseline = { timeouts: timeouts(), signals: process.listenerCount('SIGUSR2') };
  require(file);
  const oldModule = require.cache[file];

  const warnings = await warningsDuring(() => modswap.reload(file));

  assert.equal(timeouts() - baseline.timeouts, 2, 'old and new intervals both run');
  assert.equal(process.listenerCount('SIGUSR2') - baseline.signals, 2);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0].message, /2 resources of a replaced generation of .*leftover\.js still running: /);
  assert.match(warnings[0].message, /setInterval 60000ms/);
  assert.match(warnings[0].message, /listener process 'SIGUSR2'/);
  const held = resources.resourcesOf(oldModule);
  assert.deepEqual(held.map((resource) => resource.kind).sort(), ['interval', 'listener']);
  for (const resource of held) {
    const firstFrame = resource.stack.split('\n')[0];
    assert.ok(firstFrame.includes(`${file}:`), `${resource.kind} created at ${firstFrame}`);
  }
  assert.ok(warnings[0].detail.includes(`${file}:2:`), 'the detail carries the interval stack');

  await disposeCurrent(file);
  resources.disposeGeneration(oldModule, 'dispose');
  resources.setPolicy(file, null);
  assert.equal(timeouts(), baseline.timeouts);
  assert.equal(process.listenerCount('SIGUSR2'), baseline.signals);
  fixture.remove();
});

test("policy 'off' does nothing, and a per-module policy wins over the default", async () => {
  const fixture = makeFixture({ 'kept.js': leftoverSource, 'swapped.js': leftoverSource });
  const kept = fixture.path('kept.js');
  const swapped = fixture.path('swapped.js');
  const baseline = timeouts();
  resources.setPolicy('warn');
  resources.setPolicy(kept, 'off');
  resources.setPolicy(swapped, 'dispose');
  let oldKept;
  try {
    assert.equal(resources.policyFor(kept), 'off');
    assert.equal(resources.policyFor(fixture.path('other.js')), 'warn');
    require(kept);
    require(swapped);
    oldKept = require.cache[kept];
    const warnings = await warningsDuring(() => {
      modswap.reload(kept);
      modswap.reload(swapped);
    });
    assert.deepEqual(warnings, [], 'off and dispose print nothing');
    assert.equal(timeouts() - baseline, 3, "kept.js's old interval is left, swapped.js's is cleared");
  } finally {
    resources.setPolicy('dispose');
    resources.setPolicy(kept, null);
    resources.setPolicy(swapped, null);
  }
  assert.equal(resources.policyFor(kept), 'dispose');
  await disposeCurrent(kept);
  await disposeCurrent(swapped);
  assert.equal(timeouts(), baseline + 1, "kept.js's old generation, left by 'off', still runs");
  resources.disposeGeneration(oldKept);
  assert.equal(timeouts(), baseline);
  fixture.remove();
});

test("the default policy 'off' stops tracking: modules loaded then are not attributed", async () => {
  const fixture = makeFixture({ 'untracked.js': 'exports.timer = setInterval(() => {}, 60_000);\n' });
  const file = fixture.path('untracked.js');
  const baseline = timeouts();
  resources.setPolicy('off');
  let exports;
  try {
    exports = require(file);
    modswap.reload(file);
  } finally {
    resources.setPolicy('dispose');
  }
  assert.equal(timeouts() - baseline, 2);
  assert.deepEqual(resources.resourcesOf(file), []);
  clearInterval(exports.timer);
  clearInterval(require(file).timer);
  fixture.remove();
});

test('disposeGeneration() reports what it did; untracked() keeps a lazily created singleton out of the generation', async () => {
  const fixture = makeFixture({
    'pool.js': `'use strict';
const { untracked } = require(${JSON.stringify(require.resolve('../lib/dev/resources'))});
let pool;
exports.get = () => (pool ??= untracked(() => ({ keepAlive: setInterval(() => {}, 60_000) })));
`,
    'user.js': `'use strict';
exports.pool = require('./pool').get();
exports.timer = setInterval(() => {}, 30_000);
process.on('SIGUSR2', function onSignal() {});
`,
  });
  const file = fixture.path('user.js');
  const { pool, timer } = require(file);

  const report = resources.disposeGeneration(file);

  assert.equal(report.policy, 'dispose');
  assert.deepEqual(report.resources, [
    { kind: 'listener', description: "listener process 'SIGUSR2'", action: 'removed' },
    { kind: 'interval', description: 'setInterval 30000ms', action: 'cleared' },
  ]);
  await report.settled;
  assert.equal(kinds.isTimerLive(timer), false);
  assert.equal(kinds.isTimerLive(pool.keepAlive), true, "the pool's timer is nobody's");
  assert.deepEqual(resources.disposeGeneration(file).resources, [], 'nothing left the second time');
  clearInterval(pool.keepAlive);
  fixture.remove();
});

test('a rolled-back reload disposes nothing that was live, and what the failed attempt started is disposed', () => {
  const fixture = makeFixture({
    'stable.js': "exports.timer = setInterval(() => {}, 60_000);\nprocess.on('SIGUSR2', () => {});\n",
  });
  const file = fixture.path('stable.js');
  const baseline = { timeouts: timeouts(), signals: process.listenerCount('SIGUSR2') };
  const first = require(file);

  fixture.write('stable.js', 'exports.timer = setInterval(() => {}, 60_000;\n');
  assert.throws(() => modswap.reload(file), { code: 'ERR_MODSWAP_RELOAD_FAILED' });
  assert.equal(timeouts() - baseline.timeouts, 1, 'a syntax error: the old interval still runs');

  fixture.write('stable.js', "setInterval(() => {}, 1000);\nprocess.on('SIGUSR2', () => {});\nthrow new Error('boom');\n");
  assert.throws(() => modswap.reload(file), { code: 'ERR_MODSWAP_RELOAD_FAILED' });
  assert.equal(timeouts() - baseline.timeouts, 1, "the failed attempt's interval was cleared, the old one runs");
  assert.equal(process.listenerCount('SIGUSR2') - baseline.signals, 1);
  assert.equal(require(file), first);
  assert.deepEqual(resources.resourcesOf(file).map((resource) => resource.kind).sort(), ['interval', 'listener']);

  resources.disposeGeneration(file);
  assert.equal(timeouts(), baseline.timeouts);
  assert.equal(process.listenerCount('SIGUSR2'), baseline.signals);
  fixture.remove();
});

test('fs watchers, child processes, workers and sockets of the old generation are closed', async () => {
  const peers = new Set();
  const peer = net.createServer((socket) => {
    peers.add(socket);
    socket.on('close', () => peers.delete(socket));
    socket.resume();
  });
  await new Promise((resolve) => peer.listen(0, '127.0.0.1', resolve));
  const source = `'use strict';
const fs = require('node:fs');
const net = require('node:net');
const { spawn } = require('node:child_process');
const { Worker } = require('node:worker_threads');
exports.watcher = fs.watch(__dirname, () => {});
fs.watchFile(__filename, { interval: 60_000 }, function onChange() {});
exports.child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
exports.worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
exports.socket = net.connect(${peer.address().port}, '127.0.0.1');
`;
  const fixture = makeFixture({ 'holder.js': source });
  const file = fixture.path('holder.js');
  const old = require(file);
  const oldModule = require.cache[file];
  await until(() => peers.size === 1, 'the socket to connect');
  const childExit = new Promise((resolve) => old.child.once('exit', (code, signal) => resolve(signal)));
  const workerExit = new Promise((resolve) => old.worker.once('exit', resolve));
  assert.deepEqual(
    resources.resourcesOf(oldModule).map(({ kind, description }) => [kind, description.split(' ')[0]]).sort(),
    [
      ['child-process', 'child'],
      ['socket', 'socket'],
      ['watcher', 'fs.watch'],
      ['watcher', 'fs.watchFile'],
      ['worker', 'worker'],
    ],
  );

  const fresh = modswap.reload(file);

  assert.equal(await childExit, 'SIGTERM');
  await workerExit; // it runs an interval: it only exits when terminated
  await until(() => peers.size === 1 && old.socket.destroyed, 'the old socket to close, the new one to stay');
  await resources.settled();
  assert.deepEqual(resources.resourcesOf(oldModule), []);
  assert.equal(old.watcher._handle, null, 'the fs.watch watcher is closed');
  assert.equal(resources.resourcesOf(file).length, 5, 'the new generation holds its own five');

  const childExit2 = new Promise((resolve) => fresh.child.once('exit', (code, signal) => resolve(signal)));
  await disposeCurrent(file);
  assert.equal(await childExit2, 'SIGTERM');
  for (const socket of peers) socket.destroy();
  await new Promise((resolve) => peer.close(resolve));
  fixture.remove();
});

test('a server whose listen() still waits for its host lookup at the swap never starts listening', async () => {
  const fixture = makeFixture({
    'pending.js': "exports.server = require('node:http').createServer().listen(0, 'localhost');\n",
  });
  const file = fixture.path('pending.js');
  await closedHandlesGone();
  const baseline = listeningServers();
  const old = require(file);
  let oldListened = false;
  old.server.once('listening', () => (oldListened = true));
  assert.equal(old.server.listening, false, 'localhost is looked up first');
  assert.deepEqual(
    resources.resourcesOf(file).map(({ kind, description }) => ({ kind, description })),
    [{ kind: 'server', description: 'http server (listen pending)' }],
  );
  const fresh = modswap.reload(file);
  await new Promise((resolve) => fresh.server.once('listening', resolve));
  await new Promise((resolve) => setTimeout(resolve, 50));

  assert.equal(oldListened, false, 'the old server never listened');
  assert.equal(old.server.listening, false);
  assert.equal(listeningServers() - baseline, 1, 'only the new server listens');
  await disposeCurrent(file);
  await until(() => listeningServers() === baseline, 'the new server to close');
  fixture.remove();
});

test("listeners Node's own code adds in a module's context are not the module's", () => {
  const fixture = makeFixture({ 'agent.js': "exports.agent = new (require('node:http').Agent)();\n" });
  const file = fixture.path('agent.js');
  const { agent } = require(file);
  assert.equal(agent.listenerCount('free'), 1, 'the Agent constructor listens to its own free sockets');
  assert.deepEqual(resources.resourcesOf(file), []);
  modswap.reload(file);
  assert.equal(agent.listenerCount('free'), 1, 'still there after the swap');
  fixture.remove();
});

test("Node's own listeners on stdio are not recorded; the module's are", () => {
  // process.stdin is created on first access, here inside a module: Node then adds its own
  // 'pause' listener to it. Run in a child whose stdin is a pipe nobody touched before.
  const fixture = makeFixture({ 'reader.js': "process.stdin.on('data', function onData() {});\n" });
  const script = `
    const modswap = require(${JSON.stringify(require.resolve('..'))});
    const resources = require(${JSON.stringify(require.resolve('../lib/dev/resources'))});
    const file = ${JSON.stringify(fixture.path('reader.js'))};
    require(file);
    const listed = resources.resourcesOf(file).map((resource) => resource.description);
    const pauseBefore = process.stdin.listenerCount('pause');
    modswap.reload(file);
    console.log(JSON.stringify({ listed, pauseBefore, pauseAfter: process.stdin.listenerCount('pause'),
      data: process.stdin.listenerCount('data') }));
    process.stdin.destroy();
  `;
  const output = require('node:child_process').execFileSync(process.execPath, ['-e', script], {
    input: '',
    encoding: 'utf8',
    timeout: WAIT_MS,
  });
  const result = JSON.parse(output);
  assert.deepEqual(result.listed, ["listener Socket 'data'"]);
  assert.ok(result.pauseBefore >= 1, "Node's 'pause' listener on stdin");
  assert.equal(result.pauseAfter, result.pauseBefore, 'kept across the swap');
  assert.equal(result.data, 1, "the old generation's 'data' listener was removed");
  fixture.remove();
});

test('a listener added to an emitter of another module is removed with the generation that added it, one on its own emitter is not recorded', () => {
  const fixture = makeFixture({
    'bus.js': "module.exports = new (require('node:events'))();\n",
    'subscriber.js': `'use strict';
const bus = require('./bus');
bus.on('tick', function onTick() {});
bus.once('tick', function onFirstTick() {});
exports.own = new (require('node:events'))();
exports.own.on('local', () => {});
`,
  });
  const bus = require(fixture.path('bus.js'));
  const file = fixture.path('subscriber.js');
  require(file);
  for (let i = 0; i < 5; i++) modswap.reload(file);

  assert.equal(bus.listenerCount('tick'), 2, "one 'on' and one 'once' listener, of the current generation");
  assert.deepEqual(
    resources
      .resourcesOf(file)
      .map((resource) => resource.description)
      .sort(),
    ["listener EventEmitter 'tick'", "listener EventEmitter 'tick'"],
    "its own emitter's listener goes with the emitter: not recorded",
  );
  resources.disposeGeneration(file);
  assert.equal(bus.listenerCount('tick'), 0);
  fixture.remove();
});

test("what a request handler starts is charged to the async context of the server that called it", async () => {
  // The test file is the entry module: its server, and whatever its requests start, is untracked.
  const fixture = makeFixture({
    'routes.js': 'exports.handle = (req, res) => { exports.timer = setInterval(() => {}, 60_000); res.end("ok"); };\n',
  });
  const file = fixture.path('routes.js');
  const routes = () => require(file);
  const server = http.createServer((req, res) => routes().handle(req, res));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  assert.deepEqual(await get(server.address().port), { status: 200, body: 'ok' });
  const timer = routes().timer;
  modswap.reload(file);

  assert.equal(kinds.isTimerLive(timer), true, "the entry module's context: not routes.js's to dispose");
  assert.deepEqual(resources.resourcesOf(file), []);
  clearInterval(timer);
  server.close();
  fixture.remove();
});

test('a disposed generation is garbage-collected: tracking keeps nothing alive', async () => {
  const fixture = makeFixture({
    'bus.js': "module.exports = new (require('node:events'))();\n",
    'heavy.js': `'use strict';
const data = new Array(1_000_000).fill(1);
exports.data = data;
exports.timer = setInterval(() => data.length, 60_000);
exports.server = require('node:http').createServer(() => data.length).listen(0, '127.0.0.1');
process.on('SIGUSR2', () => data.length);
require('./bus').on('tick', () => data.length);
`,
  });
  const file = fixture.path('heavy.js');
  require(fixture.path('bus.js'));
  const collected = [];
  const registry = new FinalizationRegistry((label) => collected.push(label));
  registry.register(require(file).data, 'gen1');
  modswap.reload(file);
  await resources.settled();
  await collectGarbage();

  assert.deepEqual(collected, ['gen1']);
  assert.deepEqual(
    modswap.generations(file).map((row) => row.state),
    ['collected', 'current'],
  );
  await disposeCurrent(file);
  fixture.remove();
});

test("a promise of an old generation held elsewhere keeps that generation's record, not the generation", async () => {
  // The promise carries the generation's async context (its record) for as long as it lives.
  const fixture = makeFixture({
    'promising.js': `// sloppy mode: stack frames expose their functions
const data = new Array(1_000_000).fill(1);
exports.data = data;
exports.server = require('node:http').createServer(() => data.length);
exports.server.listen(0, '127.0.0.1');
process.on('SIGUSR2', () => data.length);
exports.pending = new Promise(() => {});
`,
  });
  const file = fixture.path('promising.js');
  resources.setPolicy(file, 'warn');
  resources.configure({ stacks: 'always' });
  const collected = [];
  const registry = new FinalizationRegistry((label) => collected.push(label));
  const pending = (() => {
    const first = require(file);
    registry.register(first.data, 'gen1');
    return first.pending;
  })();
  resources.setPolicy(file, 'dispose');
  await new Promise((resolve) => setImmediate(resolve));
  modswap.reload(file);
  await resources.settled();
  await collectGarbage();

  assert.deepEqual(collected, ['gen1']);
  assert.ok(pending instanceof Promise);
  resources.configure({ stacks: 'auto' });
  resources.setPolicy(file, null);
  await disposeCurrent(file);
  fixture.remove();
});

test("under policy 'off', finished timers, removed listeners and closed servers do not keep the old generation alive", async () => {
  const fixture = makeFixture({
    'finished.js': `'use strict';
const data = new Array(1_000_000).fill(1);
exports.data = data;
const server = require('node:http').createServer(() => data.length);
exports.pending = new Promise(() => {});
exports.done = new Promise((resolve) => {
  setTimeout(() => { module.exports.fired = data.length; resolve(); }, 1);
  setImmediate(() => data.length);
  const onTick = () => data.length;
  process.on('SIGUSR2', onTick);
  process.removeListener('SIGUSR2', onTick);
}).then(() => new Promise((resolve) => server.listen(0, '127.0.0.1', () => server.close(resolve))));
`,
  });
  const file = fixture.path('finished.js');
  resources.setPolicy(file, 'off');
  const collected = [];
  const registry = new FinalizationRegistry((label) => collected.push(label));
  // In a function, so that nothing of the test's own keeps generation 1; `pending` carries its
  // async context (its record) past the swap, as any async resource of it can.
  const { done, pending } = (() => {
    const first = require(file);
    registry.register(first.data, 'gen1');
    return first;
  })();
  await done;
  modswap.reload(file);
  await collectGarbage();

  assert.deepEqual(collected, ['gen1']);
  assert.ok(pending instanceof Promise);
  resources.setPolicy(file, null);
  fixture.remove();
});

test('patched functions look and behave like the originals', async () => {
  assert.equal(require('node:timers').setTimeout, setTimeout);
  assert.equal(require('node:timers').setInterval, setInterval);
  const { kPatched } = require('../lib/dev/resource-patches');
  assert.equal(setTimeout.name, 'setTimeout');
  // Each Node version's own arity (5, 5, 4 on Node 20; 2, 2, 1 on Node 24).
  for (const timer of [setTimeout, setInterval, setImmediate]) {
    assert.equal(typeof timer[kPatched], 'function', `${timer.name} is patched`);
    assert.equal(timer.length, timer[kPatched].length, timer.name);
  }
  assert.equal(typeof setTimeout[util.promisify.custom], 'function');
  assert.equal(await util.promisify(setTimeout)(1, 'value'), 'value');
  assert.equal(EventEmitter.prototype.on, EventEmitter.prototype.addListener);
  assert.equal(EventEmitter.prototype.on.name, 'addListener');
  assert.equal(EventEmitter.prototype.on.length, 2);
  const originalListen = net.Server.prototype.listen[kPatched];
  assert.equal(typeof originalListen, 'function');
  assert.equal(net.Server.prototype.listen.name, originalListen.name);
  assert.equal(net.Server.prototype.listen.length, originalListen.length);
  assert.equal(Worker.name, 'Worker');
  class Sub extends Worker {}
  const worker = new Sub('1', { eval: true });
  assert.ok(worker instanceof Worker);
  await new Promise((resolve) => worker.once('exit', resolve));
  // `this` and extra arguments reach the callback as before.
  const args = await new Promise((resolve) => timers.setTimeout((...given) => resolve(given), 1, 'a', 'b'));
  assert.deepEqual(args, ['a', 'b']);
});

test("Node's timer fields read by the liveness check mean what they are read for", async () => {
  const pending = setTimeout(() => {}, 60_000);
  assert.equal(kinds.isTimerLive(pending), true);
  clearTimeout(pending);
  assert.equal(kinds.isTimerLive(pending), false, 'cleared');
  const fired = await new Promise((resolve) => {
    const timer = setTimeout(() => setImmediate(() => resolve(timer)), 1);
  });
  assert.equal(kinds.isTimerLive(fired), false, 'fired');
  fired.refresh();
  assert.equal(kinds.isTimerLive(fired), true, 're-armed by refresh()');
  clearTimeout(fired);
  let inside;
  const interval = setInterval(() => {
    inside = kinds.isTimerLive(interval);
    clearInterval(interval);
  }, 1);
  await until(() => inside !== undefined, 'the interval to run');
  assert.equal(inside, true, 'an interval running its callback');
  assert.equal(kinds.isTimerLive(interval), false);
  const immediate = setImmediate(() => {});
  assert.equal(kinds.isTimerLive(immediate), true);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(kinds.isTimerLive(immediate), false);
});

test('bad policies and options are refused with ERR_MODSWAP_INVALID_OPTIONS', () => {
  const invalid = { name: 'ModswapError', code: 'ERR_MODSWAP_INVALID_OPTIONS' };
  assert.throws(() => resources.setPolicy('sometimes'), invalid);
  assert.throws(() => resources.setPolicy('relative/file.js', 'warn'), invalid);
  assert.throws(() => resources.setPolicy(__filename, 'never'), invalid);
  assert.throws(() => resources.disposeGeneration(__filename, 'later'), invalid);
  assert.throws(() => resources.resourcesOf({}), invalid);
  assert.throws(() => resources.configure({ gracePeriodMs: -1 }), invalid);
  assert.throws(() => resources.configure({ stacks: 'never' }), invalid);
  assert.throws(() => resources.configure(null), invalid);
  assert.throws(() => resources.untracked('not a function'), invalid);
  assert.equal(resources.policyFor(__filename), 'dispose', 'nothing changed');
});

test('under node -r modswap the entry module is not a generation: what it starts is never recorded', () => {
  const { execFileSync } = require('node:child_process');
  const fixture = makeFixture({
    'entry.js': [
      'const modswap = require(process.env.MODSWAP_UNDER_TEST);',
      'const timer = setInterval(() => {}, 1000);',
      'console.log(JSON.stringify(modswap.resources(__filename).map((held) => held.kind)));',
      'clearInterval(timer);',
      '',
    ].join('\n'),
  });
  const root = require.resolve('..');
  const output = execFileSync(process.execPath, ['-r', root, fixture.path('entry.js')], {
    env: { ...process.env, MODSWAP_UNDER_TEST: root },
    encoding: 'utf8',
  });
  assert.deepEqual(JSON.parse(output), []);
  fixture.remove();
});

'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const inspector = require('node:inspector');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { memwatch } = require('..');

const ROOT = path.join(__dirname, '..');
const FIXTURE = path.join(__dirname, 'fixtures', 'profile');

/** 1-based line where `pattern` starts in `file`. */
function lineOf(file, pattern) {
  const index = fs.readFileSync(file, 'utf8').split('\n').findIndex((line) => pattern.test(line));
  assert.notEqual(index, -1, `${pattern} in ${file}`);
  return index + 1;
}

// V8 charges a function it inlined to its caller; exact attribution needs inlining off (README).
const NO_INLINING = ['--no-turbo-inlining', '--no-maglev-inlining'];

/** Runs the fixture service (leak or steady) under its own bounded load; returns its report. */
function runService(mode, flags = NO_INLINING) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...flags, 'service.js', mode],
      { cwd: FIXTURE, env: { ...process.env, MODSWAP_ROOT: ROOT, PROFILE_MS: '2000' }, timeout: 60_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout))),
    );
  });
}

test('names the list push of a leaking event library with its file, line and stack', async () => {
  const report = await runService('leak');
  const line = lineOf(path.join(FIXTURE, 'events.js'), /^\s+send\(/);
  const send = report.sites.find((site) => site.functionName === 'send');
  assert.ok(send, `send among the growing sites: ${JSON.stringify(report.sites.map((s) => s.site))}`);
  assert.equal(send.site, `events.js:${line} send`);
  assert.equal(send.url, path.join(FIXTURE, 'events.js'));
  assert.equal(send.line, line);
  assert.equal(send.stack[0], send.site);
  const handlerLine = lineOf(path.join(FIXTURE, 'service.js'), /http\.createServer\(/);
  assert.equal(send.stack[1], `service.js:${handlerLine} (anonymous)`);
  assert.equal(send.bytes.length, 4);
  assert.equal(send.bytesBefore, send.bytes[0]);
  assert.equal(send.bytesAfter, send.bytes[3]);
  assert.equal(send.growth, send.bytesAfter - send.bytesBefore);
  // The default threshold: 8 sampling intervals of 8 KiB.
  assert.ok(send.growth >= 8 * 8192, `growth ${send.growth}`);
  assert.equal(report.checkpoints, 4);
  assert.equal(report.totals.length, 4);
  assert.ok(report.durationMs >= 2000 && Date.parse(report.end) - Date.parse(report.start) === report.durationMs);
});

test('with V8 inlining on, the leak is still named on the request path: send or the handler that inlined it', async () => {
  const report = await runService('leak', []);
  const sendLine = lineOf(path.join(FIXTURE, 'events.js'), /^\s+send\(/);
  const handler = `service.js:${lineOf(path.join(FIXTURE, 'service.js'), /http\.createServer\(/)} (anonymous)`;
  const named = report.sites.find((site) => [`events.js:${sendLine} send`, handler].includes(site.site));
  assert.ok(named, JSON.stringify(report.sites.map((site) => site.site)));
  assert.ok(named.stack.includes(handler), JSON.stringify(named.stack));
});

test('a steady service names nothing as growing, yet its profile is not empty', async () => {
  const report = await runService('steady');
  assert.deepEqual(report.sites, []);
  assert.ok(report.largest.length > 0);
  assert.ok(report.totals.every((bytes) => bytes > 0), `totals ${report.totals}`);
});

test('bad options are refused before anything starts', async () => {
  const bad = [
    undefined,
    null,
    [],
    {},
    { durationMs: 0 },
    { durationMs: -5 },
    { durationMs: 1.5 },
    { durationMs: '1000' },
    { durationMs: 1000, samplingInterval: 0 },
    { durationMs: 1000, checkpoints: 1 },
    { durationMs: 1000, minGrowth: -1 },
    { durationMs: 1000, top: Infinity },
    { durationMs: 1000, duration: 5 },
  ];
  for (const options of bad) {
    await assert.rejects(memwatch.profile(options), { code: 'ERR_MODSWAP_INVALID_OPTIONS' }, JSON.stringify(options));
  }
  await assert.rejects(memwatch.profile({ durationMs: 10, samplingIntervall: 5 }), /unknown option "samplingIntervall"/);
  // Nothing was left started: a valid call runs.
  const report = await memwatch.profile({ durationMs: 20, checkpoints: 2 });
  assert.equal(report.totals.length, 2);
});

test('one profile at a time per thread', async () => {
  const first = memwatch.profile({ durationMs: 50, checkpoints: 2 });
  await assert.rejects(memwatch.profile({ durationMs: 50 }), { code: 'ERR_MODSWAP_BUSY' });
  assert.equal((await first).checkpoints, 2);
});

const kept = [];
function hoard(count) {
  for (let i = 0; i < count; i++) kept.push('kept-' + i + '-' + Math.random());
}

function post(session, method, params) {
  return new Promise((resolve, reject) => {
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

test('profileDiff() names what grew between two profiles of one session', async () => {
  const session = new inspector.Session();
  session.connect();
  let before;
  let after;
  try {
    await post(session, 'HeapProfiler.startSampling', { samplingInterval: 1024 });
    hoard(5000);
    before = (await post(session, 'HeapProfiler.getSamplingProfile')).profile;
    hoard(20000);
    after = (await post(session, 'HeapProfiler.getSamplingProfile')).profile;
    await post(session, 'HeapProfiler.stopSampling');
  } finally {
    session.disconnect();
    kept.length = 0;
  }
  const line = lineOf(__filename, /^function hoard\(/);
  const diff = await memwatch.profileDiff(before, JSON.stringify(after), { minGrowth: 64 * 1024 });
  const site = diff.sites.find((s) => s.functionName === 'hoard');
  assert.ok(site, JSON.stringify(diff.sites.map((s) => s.site)));
  assert.equal(site.url, __filename);
  assert.equal(site.line, line);
  assert.equal(site.site, `${path.relative(process.cwd(), __filename)}:${line} hoard`);
  assert.ok(site.bytesAfter > site.bytesBefore && site.bytesBefore > 0, JSON.stringify(site.bytes));
  assert.equal(diff.totals.length, 2);
});

test('profileDiff() refuses what is not a profile, naming it', async () => {
  await assert.rejects(memwatch.profileDiff('{"head":{}}', '{}'), {
    code: 'ERR_MODSWAP_BAD_PROFILE',
    message: /profile 1: a node has no callFrame object/,
  });
  await assert.rejects(memwatch.profileDiff({ head: { callFrame: {} } }, 'not json'), {
    code: 'ERR_MODSWAP_BAD_PROFILE',
    message: /profile 2: not JSON/,
  });
  await assert.rejects(memwatch.profileDiff(42, {}), { code: 'ERR_MODSWAP_INVALID_ARG' });
  await assert.rejects(memwatch.profileDiff({}, {}, { minGrowth: 'x' }), { code: 'ERR_MODSWAP_INVALID_OPTIONS' });
});

const { spawn } = require('node:child_process');
const os = require('node:os');
const { once } = require('node:events');

const CLI = path.join(ROOT, 'bin', 'modswap.js');

function runCli(args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 90_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? error.code : 0, stdout, stderr });
    });
  });
}

/** The opted-in app of the fixture (or a plain Node process when `env` has no signal). */
async function startApp(env) {
  const app = spawn(process.execPath, [...NO_INLINING, 'app.js'], { cwd: FIXTURE, env: { ...process.env, MODSWAP_ROOT: ROOT, ...env } });
  const [chunk] = await once(app.stdout, 'data');
  assert.equal(String(chunk), 'ready\n');
  return app;
}

async function stopApp(app) {
  app.stdin.end();
  const [code] = await once(app, 'exit');
  return code;
}

test('modswap heap profile --pid names the growing site of an opted-in process', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modswap-profile-cli-'));
  const app = await startApp({ MODSWAP_PROFILE_SIGNAL: 'SIGUSR2', MODSWAP_PROFILE_DIR: dir });
  try {
    const marker = path.join(dir, `modswap-profile-${app.pid}.ready`);
    assert.equal(fs.statSync(marker).mode & 0o777, 0o600);
    const { code, stdout, stderr } = await runCli(['heap', 'profile', '--pid', String(app.pid), '--duration', '2s', '--sampling-interval', '8192', '--dir', dir, '--json']);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout);
    const line = lineOf(path.join(FIXTURE, 'events.js'), /^\s+send\(/);
    assert.ok(report.sites.some((site) => site.site === `events.js:${line} send`), JSON.stringify(report.sites.map((s) => s.site)));
    // The request and the report were consumed; only the marker stays while the app runs.
    assert.deepEqual(fs.readdirSync(dir), [`modswap-profile-${app.pid}.ready`]);
    assert.equal(await stopApp(app), 0);
    assert.deepEqual(fs.readdirSync(dir), [], 'the marker is removed at exit');
  } finally {
    app.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('modswap heap profile sends no signal to a process that did not opt in', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modswap-profile-cli-'));
  const app = await startApp({ MODSWAP_PROFILE_SIGNAL: '', MODSWAP_PROFILE_DIR: dir });
  try {
    const { code, stderr } = await runCli(['heap', 'profile', '--pid', String(app.pid), '--duration', '1s', '--dir', dir]);
    assert.equal(code, 69);
    assert.match(stderr, /has not opted in .*No signal was sent/);
    // Still alive: SIGUSR2 would have killed it.
    assert.equal(await stopApp(app), 0);
  } finally {
    app.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('modswap heap profile: bad arguments are usage errors', async () => {
  for (const args of [[], ['--pid', 'abc'], ['--pid', '1', '--duration', '10x'], ['--pid', '1', '--nope']]) {
    const { code, stderr } = await runCli(['heap', 'profile', ...args]);
    assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
  }
  const missing = await runCli(['heap', 'profile', '--pid', '999999999', '--duration', '1s']);
  assert.equal(missing.code, 66);
  assert.match(missing.stderr, /no process 999999999/);
});

'use strict';
// Measurements that need fresh Node processes: server restart, startup, the hand-made
// mid-graph floor, and the per-tool heap-growth runs.
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const { spawn, spawnSync } = require('node:child_process');
const { once } = require('node:events');
const { median, msSince } = require('./stats');

const BENCH_DIR = path.join(__dirname, '..');
const MODSWAP_ROOT = path.join(BENCH_DIR, '..');
const MB = 1 << 20;

/** Runs `node args…` to completion and parses the JSON its last stdout line holds. */
function runJsonChild(args, what) {
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 16 * MB });
  if (child.status !== 0) throw new Error(`${what} failed (${child.status}): ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop());
}

// --- restart -----------------------------------------------------------------------------------

/** GETs / until the server answers 200; a refused connection means "not up yet". */
async function firstOkResponse(port) {
  for (;;) {
    try {
      const status = await new Promise((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode));
        });
        req.on('error', reject);
      });
      if (status === 200) return;
    } catch (error) {
      if (error.code !== 'ECONNREFUSED' && error.code !== 'ECONNRESET') throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** The port the server prints once it listens. */
function announcedPort(child) {
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /listening on (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening`)));
  });
}

/** Wall time from spawning `node server.js` to the end of its first 200 response, in ms. */
async function timeRestart(app) {
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [app.files.server], {
    cwd: app.dir,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await firstOkResponse(await announcedPort(child));
    return msSince(start);
  } finally {
    const exited = once(child, 'exit');
    child.kill();
    await exited;
  }
}

async function benchRestart(app, { warmup, runs }) {
  const samples = [];
  for (let i = 0; i < warmup + runs; i++) {
    const ms = await timeRestart(app);
    if (i >= warmup) samples.push(ms);
  }
  return { n: samples.length, median: median(samples), samples };
}

// --- startup -----------------------------------------------------------------------------------

/** One `node [-r modswap] app.js`: performance.now() at the end of app.js, and spawn wall time. */
function timeStartup(app, withModswap) {
  const args = withModswap ? ['-r', MODSWAP_ROOT, app.files.app] : [app.files.app];
  const start = process.hrtime.bigint();
  const child = spawnSync(process.execPath, args, {
    cwd: app.dir,
    env: { ...process.env, MODSWAP_BENCH_REPORT_STARTUP: '1' },
    encoding: 'utf8',
  });
  const wallMs = msSince(start);
  if (child.status !== 0) throw new Error(`app.js failed: ${child.stderr}`);
  return { inChildMs: JSON.parse(child.stdout.trim().split('\n').pop()).loadedAtMs, wallMs };
}

function benchStartup(app, { warmup, runs }) {
  const plain = [];
  const tracked = [];
  // Alternating runs, so drift (page cache, CPU clock, other load) hits both variants alike.
  for (let i = 0; i < warmup + runs; i++) {
    const a = timeStartup(app, false);
    const b = timeStartup(app, true);
    if (i < warmup) continue;
    plain.push(a);
    tracked.push(b);
  }
  const med = (runsOf, key) => median(runsOf.map((run) => run[key]));
  return {
    n: plain.length,
    plainMs: med(plain, 'inChildMs'),
    trackedMs: med(tracked, 'inChildMs'),
    ratio: med(tracked, 'inChildMs') / med(plain, 'inChildMs'),
    plainWallMs: med(plain, 'wallMs'),
    trackedWallMs: med(tracked, 'wallMs'),
    wallRatio: med(tracked, 'wallMs') / med(plain, 'wallMs'),
    plain,
    tracked,
  };
}

// --- mid-graph floor ---------------------------------------------------------------------------

/** Node alone re-evaluating `files` (deleted from the cache by hand) and the router. */
function benchMidGraphFloor(app, files, { warmup, runs }, tmpDir) {
  const listFile = path.join(tmpDir, 'floor-files.json');
  fs.writeFileSync(listFile, JSON.stringify(files));
  const script = path.join(BENCH_DIR, 'floor-child.js');
  const { samples } = runJsonChild([script, app.files.router, listFile, String(warmup), String(runs)], 'floor child');
  return { n: samples.length, samples };
}

// --- heap growth -------------------------------------------------------------------------------

const HEAP_TOOLS = ['modswap', 'clear-module', 'decache'];

function writeHeapFixture(dir) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'big.js'),
    "'use strict';\n// 2^20 small integers: 8 MB of JS heap per loaded version.\n" +
      'module.exports = { data: new Array(1 << 20).fill(0).map((_, i) => i) };\n',
  );
  fs.writeFileSync(
    path.join(dir, 'holder.js'),
    "'use strict';\n// Second parent of big.js: requires it again after every reload.\n" +
      "module.exports.touch = function touch() {\n  return require('./big.js').data.length;\n};\n",
  );
}

/**
 * One child per tool, one after the other: two at once would compete for 2 cores and RAM. A tool
 * that throws is a result too (`error`), and the other tools still run.
 */
function benchHeap(dir, { maxReloads, capBytes }) {
  writeHeapFixture(dir);
  const script = path.join(BENCH_DIR, 'heap-child.js');
  return HEAP_TOOLS.map((tool) => {
    const args = ['--expose-gc', '--max-old-space-size=4096', script, tool, dir, String(maxReloads), String(capBytes)];
    try {
      return runJsonChild(args, `heap child for ${tool}`);
    } catch (error) {
      return { tool, error: error.message.split('\n').slice(0, 2).join(' ') };
    }
  });
}

module.exports = { runJsonChild, benchRestart, benchStartup, benchMidGraphFloor, benchHeap };

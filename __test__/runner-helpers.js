'use strict';
// Helpers for tests of `modswap run` through the real command: start it in a fixture directory,
// read its output, wait for log lines, talk to the app's server (127.0.0.1 only).
const http = require('node:http');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

const BIN = path.join(__dirname, '..', 'bin', 'modswap.js');
const MODSWAP = path.join(__dirname, '..');

/** The body of GET `urlPath` from the app on `port`. */
function get(port, urlPath = '/') {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: urlPath, timeout: 3000 }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve(body));
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
  });
}

/**
 * Runs `modswap run ...args` in `dir`, collecting its output. `wrap` runs it through another
 * command (`['unshare', '-Ur', 'sh', '-c', '... exec "$0" "$@"']`), which must exec it.
 */
function startRunner(dir, args = ['server.js'], { wrap = [] } = {}) {
  const argv = [...wrap, process.execPath, BIN, 'run', ...args];
  const child = spawn(argv[0], argv.slice(1), { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => (output.stdout += chunk));
  child.stderr.on('data', (chunk) => (output.stderr += chunk));
  return { child, output };
}

/** Waits until `predicate()` is truthy, failing with `what` after `ms` (a bound, not a measure). */
async function waitFor(what, predicate, ms = 10000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Waits for a line of the runner's log (its stderr, and the app's) matching `pattern`; returns
 * the match. The log and the app's stdout and responses travel apart: a line written before a
 * response may still be on its way.
 */
function waitForLog(output, pattern, what = `a log line matching ${pattern}`, from = 0) {
  return waitFor(what, () => pattern.exec(output.stderr.slice(from))).catch((error) => {
    throw new Error(`${error.message}\nstderr:\n${output.stderr}`);
  });
}

/** Every `port N pid P` line the app printed, in order: one per start. */
const ports = (output) => [...output.stdout.matchAll(/port (\d+) pid (\d+)/g)].map((m) => ({ port: Number(m[1]), pid: Number(m[2]) }));

/** The `index`th server the runner's app announced ("port N pid P"); a timeout carries its stderr. */
function nthServer(output, index, what) {
  return waitFor(what, () => ports(output)[index]).catch((error) => {
    throw new Error(`${error.message}; stderr: ${output.stderr}`);
  });
}

/** Stops the runner and waits for it to exit. */
async function stopRunner(child) {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await waitFor('the runner to exit', () => child.exitCode !== null || child.signalCode !== null);
}

/**
 * Runs `scenario({ fixture, output, child })` under `modswap run entry` in a fixture made of
 * `files`, then stops the runner and removes the fixture, whatever the scenario did.
 */
async function underRunner(files, entry, scenario, options = {}) {
  const { makeFixture } = require('./helpers');
  const fixture = makeFixture(files);
  const { child, output } = startRunner(fixture.root, [entry], options);
  try {
    await scenario({ fixture, output, child });
  } finally {
    await stopRunner(child);
    fixture.remove();
  }
}

/**
 * `modswap run ...args` in `dir` to its end: `{ status, stdout, stderr }` (killed after 20 s).
 * `wrap`: a command prefix that execs what follows it (e.g. setpriv).
 */
function runToEnd(dir, args, { wrap = [], ...options } = {}) {
  const argv = [...wrap, process.execPath, BIN, 'run', ...args];
  const result = spawnSync(argv[0], argv.slice(1), { cwd: dir, encoding: 'utf8', timeout: 20000, ...options });
  return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/**
 * How to run a command with inotify limits lowered, without root and without touching the
 * machine's limits: in a new user namespace (`unshare -Ur`), whose owner may lower
 * /proc/sys/user/max_inotify_watches and max_inotify_instances for that namespace alone (Linux
 * 5.11+). Returns `{ wrap }` (a command prefix that execs what follows it) or `{ skip }` (why
 * it cannot run here).
 */
function inotifyLimitWrap({ watches, instances }) {
  if (process.platform !== 'linux') return { skip: 'inotify limits exist on Linux only' };
  const sets = [];
  if (watches !== undefined) sets.push(`echo ${watches} > /proc/sys/user/max_inotify_watches`);
  if (instances !== undefined) sets.push(`echo ${instances} > /proc/sys/user/max_inotify_instances`);
  const script = `${sets.join(' && ')} && exec "$0" "$@"`;
  const probe = spawnSync('unshare', ['-Ur', 'sh', '-c', script, 'true'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const why = probe.error ? probe.error.message : probe.stderr.trim();
    return { skip: `cannot lower inotify limits in a user namespace here (unshare -Ur: ${why})` };
  }
  return { wrap: ['unshare', '-Ur', 'sh', '-c', script] };
}

/** A regex matching `text` literally. */
const literal = (text) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

module.exports = { BIN, MODSWAP, get, startRunner, waitFor, waitForLog, ports, nthServer, stopRunner, underRunner, runToEnd, inotifyLimitWrap, literal };

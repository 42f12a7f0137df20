'use strict';
// Shared plumbing of the memwatch benchmarks (heapdiff, stats, detectors): the report header,
// child processes with a time limit, where @airbnb/node-memwatch is installed, and the checks
// that tell a slow result from a busy machine or an addon rebuilt in the middle of a run.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { environment } = require('./environment');
const cpuNoise = require('./cpu-noise');
const { header, NOISY_CORES } = require('./report');

const ROOT = path.join(__dirname, '..', '..');
const TMP = path.join(ROOT, '.bench-tmp');
/** modswap's memwatch entry point (the same emitter as require('modswap').memwatch). */
const MODSWAP_MEMWATCH = path.join(ROOT, 'memwatch.js');
/** @airbnb/node-memwatch 3.0 is installed here with npm (it builds from source with node-gyp). */
const AIRBNB_DIR = path.join(TMP, 'airbnb');
const AIRBNB_PACKAGE = path.join(AIRBNB_DIR, 'node_modules', '@airbnb', 'node-memwatch');
const MB = 1 << 20;

/**
 * The installed @airbnb/node-memwatch: `{ dir, version }`, or `{ error }` saying why it is not
 * usable (not installed, or its native module does not load). Checked in a child process, so a
 * crashing addon cannot take the benchmark down.
 */
function airbnbInstall() {
  const manifest = path.join(AIRBNB_PACKAGE, 'package.json');
  if (!fs.existsSync(manifest)) {
    return {
      error: `not installed: run \`npm install --prefix ${path.relative(process.cwd(), AIRBNB_DIR)} @airbnb/node-memwatch@3.0.0\``,
    };
  }
  const { version } = JSON.parse(fs.readFileSync(manifest, 'utf8'));
  const probe = spawnSync(
    process.execPath,
    ['-e', `const m = require(${JSON.stringify(AIRBNB_PACKAGE)}); if (typeof m.HeapDiff !== 'function') process.exit(3);`],
    { encoding: 'utf8' },
  );
  if (probe.status !== 0) return { error: `does not load: ${(probe.stderr || `exit ${probe.status}`).trim().split('\n')[0]}` };
  return { dir: AIRBNB_PACKAGE, version };
}

/** The thrown error of a child's stderr: its first "…Error…" line and its first stack frame. */
function errorSummary(stderr) {
  const lines = stderr.trim().split('\n');
  const at = lines.findIndex((line) => /^\s*(\w*Error\b|Error:|FATAL|#)/.test(line));
  if (at < 0) return lines.slice(-3).join(' | ');
  const frame = lines.slice(at + 1).find((line) => /^\s+at /.test(line));
  return [lines[at].trim(), frame?.trim()].filter(Boolean).join(' ');
}

/**
 * Runs `node args…` and parses the JSON of its last stdout line. Never throws: a failed or
 * timed-out child is a result too, `{ error }`, so the other measurements still run.
 */
function runChild(args, what, { timeoutMs = 30 * 60 * 1000, env } = {}) {
  const child = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    maxBuffer: 64 * MB,
    timeout: timeoutMs,
    env: env ? { ...process.env, ...env } : process.env,
  });
  if (child.error) return { error: `${what}: ${child.error.message}`, stderr: child.stderr };
  if (child.status !== 0) {
    const how = child.signal ? `killed by ${child.signal}` : `exit ${child.status}`;
    const detail = errorSummary(child.stderr || '');
    return { error: `${what} failed (${how}): ${detail}`, stderr: child.stderr, stdout: child.stdout };
  }
  try {
    return { result: JSON.parse(child.stdout.trim().split('\n').pop()), stdout: child.stdout, stderr: child.stderr };
  } catch (error) {
    return { error: `${what}: no JSON result (${error.message})`, stdout: child.stdout, stderr: child.stderr };
  }
}

/** Runs `fn` and adds to `otherCores[name]` how many cores other processes kept busy meanwhile. */
async function measuringLoad(otherCores, name, fn) {
  const before = cpuNoise.snapshot();
  const value = await fn();
  otherCores[name] = cpuNoise.otherCores(before, cpuNoise.snapshot());
  return value;
}

/** Notes on other load and on an addon rebuilt while the benchmark ran. */
function environmentNotes(results) {
  const lines = [];
  const busy = Object.entries(results.otherCores).filter(([, cores]) => cores !== null);
  if (busy.length > 0) {
    lines.push(`cores kept busy by other processes: ${busy.map(([name, cores]) => `${name} ${cores.toFixed(2)}`).join(', ')}`);
    const disturbed = busy.filter(([, cores]) => cores > NOISY_CORES).map(([name]) => name);
    if (disturbed.length > 0) {
      lines.push(`WARNING: other load above ${NOISY_CORES} cores during ${disturbed.join(', ')}; those timings are inflated`);
    }
  }
  const before = results.machine.addon;
  const after = environment().addon;
  if (before && after && (before.mtime !== after.mtime || before.bytes !== after.bytes)) {
    lines.push(
      `WARNING: the addon was rebuilt during the run (${before.profile} ${before.mtime} -> ${after.profile} ${after.mtime}); ` +
        'children started after that loaded the new one',
    );
  }
  if (before && before.profile !== 'release') {
    lines.push(`WARNING: the addon is a ${before.profile} build; measure the release build (see bench/README.md)`);
  }
  return lines;
}

/**
 * Where a benchmark's results go: `.bench-tmp/memwatch-<name>-results.json` for a full default
 * run, `…-results-partial.json` for --quick or any other option, so that a smoke run never
 * overwrites the samples behind the published numbers.
 */
function resultsFile(name, argv) {
  return path.join(TMP, `memwatch-${name}-results${argv.length > 0 ? '-partial' : ''}.json`);
}

function writeResults(file, results) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
}

function formatRatio(ratio, digits = 2) {
  return Number.isFinite(ratio) ? `${ratio.toFixed(digits)}x` : 'n/a';
}

module.exports = {
  ROOT,
  TMP,
  MB,
  MODSWAP_MEMWATCH,
  AIRBNB_DIR,
  header,
  airbnbInstall,
  runChild,
  measuringLoad,
  environmentNotes,
  resultsFile,
  writeResults,
  formatRatio,
};

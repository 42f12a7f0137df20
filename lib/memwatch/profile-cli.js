'use strict';
// `modswap heap profile --pid PID [--duration 30s]`: asks a running process that opted in
// (lib/memwatch/profile-signal.js) for a memwatch.profile() report, and prints it.
const crypto = require('node:crypto');
const fs = require('node:fs');
const { parseArgs } = require('node:util');
const signalFiles = require('./profile-signal');

const USAGE = `Usage: modswap heap profile --pid PID [--duration 30s] [--dir DIR] [--json]

Samples the allocations of a running Node.js process with V8's sampling heap profiler
(memwatch.profile()) and prints the allocation sites whose live bytes keep growing, with
their stacks. No heap snapshot is taken.

The process must opt in: start it with MODSWAP_PROFILE_SIGNAL=SIGUSR2 in its environment and
modswap's memwatch loaded (require('modswap/memwatch'), or node -r modswap/memwatch). It then
leaves a marker in DIR; without one no signal is sent (SIGUSR2 kills a process that does not
handle it).

Options:
  --pid PID            the process to profile (same user)
  --duration TIME      how long to sample: 500ms, 30s, 2m (default 30s)
  --sampling-interval N  bytes between samples (default 32768)
  --dir DIR            where the marker, request and report files live (the app's
                       MODSWAP_PROFILE_DIR; default: the OS temporary directory)
  --json               print the report as JSON
`;

const OPTIONS = {
  pid: { type: 'string' },
  duration: { type: 'string' },
  'sampling-interval': { type: 'string' },
  dir: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const UNITS = { ms: 1, s: 1000, m: 60_000 };

/** '500ms', '30s', '2m', or a bare number of seconds, in ms; NaN when not a duration. */
function parseDuration(text) {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!match) return NaN;
  const ms = Number(match[1]) * UNITS[match[2] || 's'];
  return Number.isInteger(ms) && ms > 0 ? ms : NaN;
}

function parse(argv, usageError) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true });
  } catch (error) {
    throw usageError(error.message);
  }
  const { values } = parsed;
  if (values.help) return { help: true };
  if (!/^[1-9]\d*$/.test(values.pid ?? '')) throw usageError(`--pid expects a process id, got '${values.pid ?? ''}'`);
  const durationMs = parseDuration(values.duration ?? '30s');
  if (Number.isNaN(durationMs)) throw usageError(`--duration expects a time such as 500ms, 30s or 2m, got '${values.duration}'`);
  const request = { durationMs };
  if (values['sampling-interval'] !== undefined) {
    if (!/^[1-9]\d*$/.test(values['sampling-interval'])) throw usageError('--sampling-interval expects a positive integer');
    request.samplingInterval = Number(values['sampling-interval']);
  }
  return { pid: Number(values.pid), request, dir: values.dir ?? signalFiles.profileDir(), json: Boolean(values.json) };
}

/** The marker of `pid`, checked: ours, for this very process (not an earlier one with its pid). */
function checkOptedIn(pid, dir, fail) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (error.code === 'ESRCH') throw fail('noInput', `no process ${pid}`);
    throw fail('failed', `cannot signal process ${pid}: ${error.code} (another user's process?)`);
  }
  let marker;
  try {
    marker = signalFiles.readOwnJson(signalFiles.markerFile(dir, pid));
  } catch {
    throw fail(
      'unavailable',
      `process ${pid} has not opted in (no marker in ${dir}): start it with MODSWAP_PROFILE_SIGNAL=SIGUSR2 ` +
        "and require('modswap/memwatch'), or pass its MODSWAP_PROFILE_DIR with --dir. No signal was sent.",
    );
  }
  const started = signalFiles.processStart(pid);
  if (marker.pid !== pid || (started !== null && marker.started !== started)) {
    throw fail('unavailable', `the marker for ${pid} in ${dir} was left by an earlier process with that pid. No signal was sent.`);
  }
  return marker.signal;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForReport(file, pid, deadline, fail) {
  while (Date.now() < deadline) {
    if (fs.existsSync(file)) {
      const report = JSON.parse(fs.readFileSync(file, 'utf8'));
      fs.rmSync(file, { force: true });
      return report;
    }
    try {
      process.kill(pid, 0);
    } catch {
      throw fail('failed', `process ${pid} exited before writing its report`);
    }
    await sleep(100);
  }
  throw fail('failed', `no report from process ${pid} in time (is its event loop blocked?)`);
}

const mb = (bytes) => `${(bytes / 1048576).toFixed(2)} MB`;

/** The report as text: growing sites with their stacks, then the largest live sites. */
function formatReport(report) {
  const lines = [
    `Sampled ${report.durationMs} ms, ${report.checkpoints} checkpoints, one sample per ${report.samplingInterval} bytes; ` +
      `live sampled bytes: ${report.totals.map(mb).join(' -> ')}`,
    '',
  ];
  if (report.sites.length === 0) lines.push('No allocation site keeps growing.');
  else lines.push('Allocation sites whose live bytes keep growing:');
  for (const site of report.sites) {
    lines.push(`  ${site.site}  +${mb(site.growth)} (${site.bytes.map(mb).join(' -> ')})`);
    for (const frame of site.stack.slice(1)) lines.push(`      from ${frame}`);
  }
  lines.push('', 'Largest live allocation sites:');
  for (const site of report.largest) lines.push(`  ${mb(site.bytesAfter).padStart(10)}  ${site.site}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Runs `modswap heap profile`; `CliError` and `EXIT` are lib/heap/cli.js's.
 * @param {string[]} argv the arguments after `heap profile`
 * @returns {Promise<void>}
 */
async function runProfile(argv, io, { CliError, EXIT }) {
  const usageError = (message) => new CliError(EXIT.usage, `${message}\nRun 'modswap heap profile --help' for usage.`);
  const fail = (exit, message) => new CliError(EXIT[exit], message);
  const options = parse(argv, usageError);
  if (options.help) return void io.stdout.write(USAGE);
  const { pid, request, dir } = options;
  const signal = checkOptedIn(pid, dir, fail);
  const token = crypto.randomBytes(8).toString('hex');
  try {
    fs.writeFileSync(signalFiles.requestFile(dir, pid), JSON.stringify({ ...request, token }), {
      mode: signalFiles.FILE_MODE,
      flag: 'wx',
    });
  } catch (error) {
    throw fail('failed', error.code === 'EEXIST' ? `a profile of ${pid} is already pending` : `cannot write the request: ${error.message}`);
  }
  process.kill(pid, signal);
  io.stderr.write(`modswap: profiling process ${pid} for ${request.durationMs} ms...\n`);
  const report = await waitForReport(signalFiles.reportFile(dir, pid, token), pid, Date.now() + request.durationMs + 60_000, fail);
  if (report.error) throw fail('failed', `process ${pid} could not profile: [${report.error.code}] ${report.error.message}`);
  io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
}

module.exports = { runProfile, parseDuration, formatReport, USAGE };

'use strict';
// Opt-in profiling of a running process by `modswap heap profile --pid PID`. The app opts in
// with MODSWAP_PROFILE_SIGNAL=SIGUSR2 in its environment and modswap's memwatch loaded
// (require('modswap/memwatch') or node -r modswap/memwatch). It then leaves a marker file
// saying so; the command sends the signal only to a process with a valid marker, since a
// process without a handler is killed by SIGUSR2. SIGUSR1 is never used: it opens the
// inspector on a TCP port, which anyone on the machine could then drive.
//
// Files, all in MODSWAP_PROFILE_DIR (default: the OS temporary directory), mode 0600:
//   modswap-profile-PID.ready         the marker: { pid, signal, started }
//   modswap-profile-PID.request.json  the command's request: { durationMs, samplingInterval?, token }
//   modswap-profile-PID-TOKEN.json    the report (or { error }), renamed into place when complete
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const SIGNALS = ['SIGUSR2'];
// Once per process, however many copies of modswap are loaded.
const kInstalled = Symbol.for('modswap.memwatch.profile.signal');
const FILE_MODE = 0o600;

function profileDir(env = process.env) {
  return env.MODSWAP_PROFILE_DIR || os.tmpdir();
}

const markerFile = (dir, pid) => path.join(dir, `modswap-profile-${pid}.ready`);
const requestFile = (dir, pid) => path.join(dir, `modswap-profile-${pid}.request.json`);
const reportFile = (dir, pid, token) => path.join(dir, `modswap-profile-${pid}-${token}.json`);

/**
 * When the process `pid` started, as the OS says (Linux: clock ticks after boot, field 22 of
 * /proc/PID/stat), so that a marker left by a dead process is not taken for a new one with the
 * same pid; null where unknown.
 */
function processStart(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Reads a small JSON file written by this same user, refusing links and others' files. */
function readOwnJson(file) {
  const stat = fs.lstatSync(file);
  const uid = typeof process.getuid === 'function' ? process.getuid() : stat.uid;
  if (!stat.isFile() || stat.uid !== uid || (stat.mode & 0o022) !== 0 || stat.size > 64 * 1024) {
    throw new Error(`${file} is not a private file of this user`);
  }
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Writes `value` as JSON to `file` whole or not at all (temporary file, then rename). */
function writeJsonAtomically(file, value) {
  const partial = `${file}.${process.pid}.partial`;
  fs.writeFileSync(partial, JSON.stringify(value), { mode: FILE_MODE, flag: 'wx' });
  fs.renameSync(partial, file);
}

async function answer(memwatch, dir) {
  let request;
  try {
    request = readOwnJson(requestFile(dir, process.pid));
  } catch {
    return; // No request of ours (a stray signal, or someone else's file): nothing to answer.
  } finally {
    fs.rmSync(requestFile(dir, process.pid), { force: true });
  }
  const token = String(request.token);
  if (!/^[0-9a-f]{8,64}$/.test(token)) return;
  let report;
  try {
    const options = { durationMs: request.durationMs };
    if (request.samplingInterval !== undefined) options.samplingInterval = request.samplingInterval;
    report = await memwatch.profile(options);
  } catch (error) {
    report = { error: { code: error.code || 'ERR_MODSWAP_INTERNAL', message: error.message } };
  }
  writeJsonAtomically(reportFile(dir, process.pid, token), report);
}

/**
 * Installs the signal handler when the environment asks for it (main thread only). A bad
 * setting warns and installs nothing: a typo must not stop the app.
 * @returns {boolean} whether the handler is installed
 */
function installFromEnv(memwatch, env = process.env) {
  const signal = env.MODSWAP_PROFILE_SIGNAL;
  if (!signal || !require('node:worker_threads').isMainThread || process[kInstalled]) return false;
  if (!SIGNALS.includes(signal)) {
    process.emitWarning(
      `MODSWAP_PROFILE_SIGNAL=${JSON.stringify(signal)} ignored: use ${SIGNALS.join(' or ')} ` +
        '(SIGUSR1 would open the inspector on a TCP port)',
      { code: 'ERR_MODSWAP_INVALID_OPTIONS' },
    );
    return false;
  }
  const dir = profileDir(env);
  const marker = markerFile(dir, process.pid);
  try {
    fs.rmSync(marker, { force: true });
    writeJsonAtomically(marker, { pid: process.pid, signal, started: processStart(process.pid) });
  } catch (error) {
    process.emitWarning(`modswap heap profile disabled: cannot write ${marker}: ${error.message}`, {
      code: 'ERR_MODSWAP_IO',
    });
    return false;
  }
  Object.defineProperty(process, kInstalled, { value: true });
  process.on(signal, () => {
    answer(memwatch, dir).catch((error) => process.emitWarning(`modswap heap profile: ${error.message}`));
  });
  process.on('exit', () => fs.rmSync(marker, { force: true }));
  return true;
}

module.exports = { installFromEnv, profileDir, markerFile, requestFile, reportFile, processStart, readOwnJson, FILE_MODE };

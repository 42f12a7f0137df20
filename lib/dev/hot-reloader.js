'use strict';
// The in-process half of `modswap run` (and of `node -r modswap/register`): watch the project,
// swap changed modules up to their boundaries, and ask for a restart when a change cannot be
// swapped. One log line per swap.
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { swapFiles, completed, settle } = require('../swap');
const { swapEsm, isKnownEsm, knownEsmFiles } = require('../esm/swap');
const { listenToInvalidations } = require('../hot/invalidations');
const { matchesName } = require('./config');

/** Lines around `line` of `file` with a marker, as compilers print them; '' when unreadable. */
function codeFrame(file, line, column) {
  let lines;
  try {
    lines = fs.readFileSync(file, 'utf8').split('\n');
  } catch {
    return '';
  }
  const first = Math.max(1, line - 2);
  const last = Math.min(lines.length, line + 2);
  const width = String(last).length;
  const frame = [];
  for (let n = first; n <= last; n++) {
    frame.push(`${n === line ? '>' : ' '} ${String(n).padStart(width)} | ${lines[n - 1]}`);
    if (n === line && column) frame.push(`  ${' '.repeat(width)} | ${' '.repeat(column - 1)}^`);
  }
  return frame.join('\n');
}

/** How a failed swap reads in the terminal: the cause, the file and line, a code frame. */
function describeFailure(error) {
  const where = error.location;
  if (!where) return error.message;
  const frame = where.line ? codeFrame(where.file, where.line, where.column) : '';
  return `${error.message}${frame ? `\n${frame}` : ''}`;
}

/** `[ERR_MODSWAP_…] message`: the stable code first, as Node prints its own errors. */
function errorLine(error, text = error.message) {
  return error.code ? `[${error.code}] ${text}` : text;
}

const RESTART_CODES = new Set([
  'ERR_MODSWAP_DECLINED',
  'ERR_MODSWAP_UNACCEPTED',
  'ERR_MODSWAP_RELOAD_MAIN',
  // A required ES module, or one that became ESM: it cannot be swapped, only restarted.
  'ERR_MODSWAP_ESM',
]);

class HotReloader {
  /**
   * @param {object} config options from lib/dev/config.js
   * @param {{ log: (line: string) => void, restart: (reason: string) => void }} host
   */
  constructor(config, host) {
    this.config = config;
    this.host = host;
    this.watchers = [];
    /** When the swap signal last looked for modified files (ms since the epoch). */
    this.lastLook = Date.now();
    /** File -> the modification time the swap signal saw last (see swapChangedSinceLastLook). */
    this.seenMtimes = new Map();
  }

  start() {
    const { watch } = require('./watcher');
    for (const root of this.config.watch) {
      try {
        const watcher = watch(root, { ignore: this.config.ignore, debounceMs: this.config.delay, persistent: false }, (error, changes) => {
          if (error) this.host.log(`watcher: ${errorLine(error)}`);
          else this.onChanges(changes);
        });
        this.watchers.push(watcher);
      } catch (error) {
        // The app runs anyway (over the OS watch limit, say); saves under this root are not seen.
        const fallback = this.config.signal ? `; ${this.config.signal} still swaps changed files` : '';
        this.host.log(`watcher: ${errorLine(error)}; saves under ${this.relative(root)} are not swapped${fallback}`);
      }
    }
    if (this.config.signal) {
      this.onSignal = () => this.swapChangedSinceLastLook();
      process.on(this.config.signal, this.onSignal);
    }
    // An invalidate() swap logs, keeps the old version or restarts as a saved file's does.
    this.stopListening = listenToInvalidations({
      swapped: (files, evaluated, ms) => this.logSwapped(files, evaluated, ms, ' (invalidated)'),
      failed: (error) => this.onSwapFailed(error),
    });
  }

  stop() {
    for (const watcher of this.watchers.splice(0)) watcher.close();
    if (this.onSignal) process.off(this.config.signal, this.onSignal);
    this.stopListening?.();
  }

  /** Decides what a batch of file changes means: nothing, a swap, or a restart. */
  onChanges(changes) {
    const restartFile = changes.find((change) => matchesName(change.path, this.config.restartOn));
    if (restartFile) return this.host.restart(`${this.relative(restartFile.path)} changed`);
    const loaded = changes.filter((change) => Module._cache[change.path] !== undefined);
    const removed = loaded.filter((change) => change.kind === 'remove');
    for (const change of removed) {
      this.host.log(`${this.relative(change.path)} was deleted; the loaded version keeps serving`);
    }
    const changed = loaded.filter((change) => change.kind !== 'remove').map((change) => change.path);
    if (changed.length > 0) this.swap(changed);
    // ES modules the loader hooks resolved (never in require.cache); a deleted one keeps serving.
    const esm = changes
      .filter((change) => change.kind !== 'remove' && Module._cache[change.path] === undefined && isKnownEsm(change.path))
      .map((change) => change.path);
    if (esm.length > 0) this.swapEsm(esm);
  }

  /** Swaps changed ES modules (asynchronous: their boundaries are imported again). */
  swapEsm(files) {
    return this.report(files, () => swapEsm(files));
  }

  /** Swaps changed CommonJS files (and the ES importers of those that ES modules import). */
  swap(files) {
    return this.report(files, () => completed(swapFiles(files, { unaccepted: 'refuse' })));
  }

  /** Logs what `run()` swapped (at once, or when its Promise settles), or handles its failure. */
  report(files, run) {
    const started = process.hrtime.bigint();
    return settle(
      run,
      ({ evaluated }) => this.logSwapped(files, evaluated, Number(process.hrtime.bigint() - started) / 1e6),
      (error) => this.onSwapFailed(error),
    );
  }

  logSwapped(files, evaluated, ms, why = '') {
    const others = evaluated.length - files.length;
    this.host.log(
      `swapped ${files.map((file) => this.relative(file)).join(', ')}${why}` +
        `${others > 0 ? ` (+${others} importer${others === 1 ? '' : 's'})` : ''} in ${ms.toFixed(1)} ms`,
    );
  }

  onSwapFailed(error) {
    if (RESTART_CODES.has(error.code)) return this.host.restart(error.message);
    this.host.log(`kept the previous version: ${errorLine(error, describeFailure(error))}`);
  }

  /**
   * The swap signal: swaps every loaded project file (CommonJS or ES module) modified since the
   * last look (start-up, or the previous signal). Files are stat'ed only here: a stat of every
   * loaded file after each swap cost 11-15 ms of event loop on a 2,000-module app.
   */
  swapChangedSinceLastLook() {
    // File times come from the kernel's coarse clock, up to a tick behind Date.now(): a save
    // right after the last look can carry an earlier time. So a file this look has seen before
    // is modified when its time differs from the one seen; one it has not, when its time is
    // after the last look less MTIME_SLACK_MS.
    const since = this.lastLook - MTIME_SLACK_MS;
    this.lastLook = Date.now();
    const modified = (file) => {
      const mtime = mtimeOf(file) ?? 0;
      const seen = this.seenMtimes.get(file);
      this.seenMtimes.set(file, mtime);
      return seen === undefined ? mtime > since : mtime !== seen;
    };
    const changed = this.projectFiles().filter(modified);
    const esm = this.esmProjectFiles().filter(modified);
    if (changed.length > 0) this.swap(changed);
    if (esm.length > 0) this.swapEsm(esm);
    if (changed.length === 0 && esm.length === 0) this.host.log(`${this.config.signal}: no loaded file changed`);
  }

  /** Loaded CommonJS files under the watched roots, outside node_modules. */
  projectFiles() {
    return Object.keys(Module._cache).filter((file) => this.isProjectFile(file));
  }

  /** ES module files the hooks resolved under the watched roots (outside node_modules). */
  esmProjectFiles() {
    return knownEsmFiles().filter((file) => Module._cache[file] === undefined && this.isProjectFile(file));
  }

  isProjectFile(file) {
    return (
      path.isAbsolute(file) &&
      !file.includes(`${path.sep}node_modules${path.sep}`) &&
      this.config.watch.some((root) => file.startsWith(root + path.sep))
    );
  }

  relative(file) {
    return path.relative(process.cwd(), file) || file;
  }
}

/** Longer than a kernel clock tick (1–10 ms) and than Date.now()'s whole milliseconds. */
const MTIME_SLACK_MS = 20;

function mtimeOf(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

module.exports = { HotReloader, codeFrame, describeFailure };

'use strict';
// A dev runner (modswap run, nodemon, node --watch) running an app, for the dev-server bench.
// Each contender is started in its own process group, so stopping it reaches the runner and the
// app it spawned; any group still alive when the bench exits (failure included) is killed.
const fs = require('node:fs');
const { spawn } = require('node:child_process');
const { once } = require('node:events');
const { performance } = require('node:perf_hooks');

const liveGroups = new Set();

function killLiveGroupsNow() {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  liveGroups.clear();
}
process.on('exit', killLiveGroupsNow);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killLiveGroupsNow();
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  });
}

/** Calls `onLine(line, atMs)` for each complete line of `stream`. */
function forEachLine(stream, onLine) {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const at = performance.now();
    const lines = (pending + chunk).split('\n');
    pending = lines.pop();
    for (const line of lines) onLine(line, at);
  });
}

const APP_PID = /app pid (\d+) listening/;
const KEEP_LINES = 40;

class Contender {
  /** Spawns `command args…` in `cwd`; the app must print `app pid <pid> listening` on stdout. */
  constructor(command, args, { cwd, env }) {
    this.child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    liveGroups.add(this.child.pid);
    this.exited = once(this.child, 'exit');
    /** Every app process that announced itself, in order: a restart adds one. */
    this.appPids = [];
    /** The runner's and app's stderr lines with their arrival times (modswap logs its swaps there). */
    this.stderrLines = [];
    this.recentOutput = [];
    forEachLine(this.child.stdout, (line) => {
      this.remember(line);
      const match = APP_PID.exec(line);
      if (match) this.appPids.push(Number(match[1]));
    });
    forEachLine(this.child.stderr, (line, at) => {
      this.remember(line);
      this.stderrLines.push({ line, at });
    });
  }

  remember(line) {
    this.recentOutput.push(line);
    if (this.recentOutput.length > KEEP_LINES) this.recentOutput.shift();
  }

  /** The app process now serving, or undefined before the first announcement. */
  get appPid() {
    return this.appPids.at(-1);
  }

  /** Resident set size of the current app process in bytes (Linux /proc), or null. */
  appRss() {
    if (this.appPid === undefined) return null;
    try {
      const status = fs.readFileSync(`/proc/${this.appPid}/status`, 'utf8');
      return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)[1]) * 1024;
    } catch {
      return null;
    }
  }

  hasExited() {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** SIGTERM to the whole group, SIGKILL after `graceMs`; resolves once the runner exited. */
  async stop(graceMs = 5000) {
    const pgid = this.child.pid;
    if (!this.hasExited()) {
      signalGroup(pgid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pgid, 'SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    // A runner that died first may leave its app behind in the group.
    signalGroup(pgid, 'SIGKILL');
    liveGroups.delete(pgid);
  }
}

function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is empty
  }
}

module.exports = { Contender };

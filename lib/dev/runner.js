'use strict';
// The parent half of `modswap run app.js`: runs the app with the hot reloader preloaded and
// restarts it, as nodemon would, only when a change cannot be swapped (the app asks over IPC),
// on `rs` typed on stdin, or on the first change after the app exited. `why` typed on stdin asks
// the app to explain its old generations still alive (modswap.explain(), printed by the app).
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ModswapError } = require('../errors');
const { loadConfig } = require('./config');
const { CONFIG_ENV } = require('./register');
const { isTypeScriptFile, loadsTypeScript, typeScriptError } = require('../typescript');

const REGISTER = path.join(__dirname, '..', '..', 'register.js');

class Runner {
  /**
   * @param {string} script the entry file
   * @param {string[]} args its arguments
   * @param {object} config options from lib/dev/config.js
   * @param {{ log?: (line: string) => void, stdin?: NodeJS.ReadableStream }} [io]
   */
  constructor(script, args, config, io = {}) {
    this.script = script;
    this.args = args;
    this.config = config;
    this.log = io.log ?? ((line) => process.stderr.write(`[modswap] ${line}\n`));
    this.stdin = io.stdin ?? process.stdin;
    this.child = null;
    this.restarting = false;
    this.stopping = false;
    this.exitWatcher = null;
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
  }

  start() {
    this.spawnChild();
    this.listenToStdin();
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => this.stop(signal));
    return this.exited;
  }

  spawnChild() {
    const env = { ...process.env, [CONFIG_ENV]: JSON.stringify(this.config) };
    const argv = [...this.config.nodeArgs, '-r', REGISTER, this.script, ...this.args];
    this.child = spawn(process.execPath, argv, { env, stdio: ['pipe', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (message) => {
      if (message && message.modswap === 'restart') this.restart(message.reason);
    });
    this.child.on('exit', (code, signal) => this.onChildExit(code, signal));
  }

  restart(reason) {
    if (this.restarting || this.stopping) return;
    this.log(`restarting: ${reason}`);
    this.closeExitWatcher();
    if (this.child === null) return this.spawnChild();
    this.restarting = true;
    this.child.kill('SIGTERM');
  }

  onChildExit(code, signal) {
    this.child = null;
    if (this.stopping) return this.resolveExited(code ?? 0);
    if (this.restarting) {
      this.restarting = false;
      return this.spawnChild();
    }
    const how = signal ? `was killed by ${signal}` : code === 0 ? 'exited cleanly' : `crashed (exit code ${code})`;
    this.log(`app ${how} - waiting for file changes before starting again`);
    this.waitForChangeThenStart();
  }

  /** After the app exited its own watcher is gone: watch here until something changes. */
  waitForChangeThenStart() {
    const { watch } = require('./watcher');
    const watchers = [];
    // Keeps the runner alive for `rs` when no watcher could start (stdin is unref()ed).
    let keepAlive = null;
    this.exitWatcher = {
      close: () => {
        watchers.splice(0).forEach((watcher) => watcher.close());
        clearInterval(keepAlive);
      },
    };
    for (const root of this.config.watch) {
      try {
        watchers.push(
          watch(root, { ignore: this.config.ignore, debounceMs: this.config.delay }, (error, changes) => {
            if (!error && changes.length > 0) this.restart(`${path.relative(process.cwd(), changes[0].path)} changed`);
          }),
        );
      } catch (error) {
        // Over the OS watch limit (say): the runner stays, and `rs` still starts the app.
        this.log(`cannot watch for changes: [${error.code}] ${error.message}; type rs + Enter to start the app again`);
      }
    }
    if (watchers.length === 0) keepAlive = setInterval(() => {}, 2 ** 30);
  }

  closeExitWatcher() {
    if (this.exitWatcher !== null) this.exitWatcher.close();
    this.exitWatcher = null;
  }

  /** `rs` + Enter restarts, `why` + Enter explains old generations; anything else typed goes to the app. */
  listenToStdin() {
    if (!this.stdin || typeof this.stdin.on !== 'function') return;
    this.stdin.on('data', (chunk) => {
      const typed = String(chunk).trim();
      if (typed === 'rs') return this.restart('rs typed');
      if (typed === 'why') return this.askWhy();
      if (this.child !== null && this.child.stdin.writable) this.child.stdin.write(chunk);
    });
    this.stdin.on('end', () => this.child?.stdin.end());
    if (typeof this.stdin.unref === 'function') this.stdin.unref();
  }

  /** Asks the app (over IPC) to print why its old generations are alive. */
  askWhy() {
    if (this.child === null || !this.child.connected) return this.log('why: the app is not running');
    this.log('why: taking a heap snapshot of the app…');
    this.child.send({ modswap: 'explain' });
  }

  stop(signal) {
    this.stopping = true;
    this.closeExitWatcher();
    if (this.child === null) return this.resolveExited(0);
    this.child.kill(signal);
  }
}

/** Parses `modswap run [options] app.js [args...]`. */
function parseRunArguments(argv) {
  const cli = {};
  const lists = { '--watch': 'watch', '--ignore': 'ignore', '--restart-on': 'restartOn', '--node-arg': 'nodeArgs' };
  let i = 0;
  for (; i < argv.length && argv[i].startsWith('--'); i++) {
    const flag = argv[i];
    if (flag === '--') {
      i++;
      break;
    }
    const value = argv[i + 1];
    if (value === undefined) throw new ModswapError('ERR_MODSWAP_INVALID_ARG', `${flag} needs a value`);
    if (lists[flag]) (cli[lists[flag]] ??= []).push(value);
    else if (flag === '--delay') cli.delay = Number(value);
    else if (flag === '--signal') cli.signal = value === 'none' ? null : value;
    else throw new ModswapError('ERR_MODSWAP_INVALID_ARG', `unknown option ${flag}`);
    i++;
  }
  const [script, ...args] = argv.slice(i);
  if (script === undefined) throw new ModswapError('ERR_MODSWAP_INVALID_ARG', 'missing the entry file: modswap run app.js');
  return { cli, script, args };
}

/** `modswap run`: returns the exit code. */
async function run(argv, io = {}) {
  const { cli, script, args } = parseRunArguments(argv);
  const entry = path.resolve(script);
  if (!fs.existsSync(entry)) {
    throw new ModswapError('ERR_MODSWAP_NOT_FOUND', `the entry file ${entry} does not exist`, { file: entry });
  }
  const config = loadConfig(process.cwd(), cli);
  // Refused here, once, rather than as the app's SyntaxError at each start.
  if (isTypeScriptFile(entry) && !loadsTypeScript(config.nodeArgs)) throw typeScriptError(entry, 'Cannot run');
  return new Runner(entry, args, config, io).start();
}

module.exports = { run, Runner, parseRunArguments };

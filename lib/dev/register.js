'use strict';
// Preloaded into the app (`node -r modswap/register app.js`, which `modswap run` does): starts
// the hot reloader in the app's process. Under `modswap run` the options come from the runner
// and restarts go to it over IPC; alone, a change that needs a restart is only reported.
const path = require('node:path');
const { loadConfig } = require('./config');
const { isEsmFile } = require('../esm/format');
const { HotReloader } = require('./hot-reloader');
require('../hot'); // module.hot for every module, hot() handles

const CONFIG_ENV = 'MODSWAP_RUN_CONFIG';

function log(line) {
  process.stderr.write(`[modswap] ${line}\n`);
}

function requestRestart(reason) {
  if (typeof process.send === 'function' && process.env[CONFIG_ENV]) {
    process.send({ modswap: 'restart', reason });
    return;
  }
  log(`restart needed: ${reason} (run under \`modswap run\` to restart by itself)`);
}

/**
 * Whether to install the ES module hooks: always (a CommonJS app may `import()` ES modules, and
 * the hooks must be in place before its first import), unless MODSWAP_ESM_HOOKS=off opts a
 * CommonJS app out of their cost (Node 22.15+ runs them on every require(): ~0.085 ms a module
 * on Node 24, see README).
 * An ES module entry needs them whatever the variable says.
 */
function wantsEsmHooks() {
  if (process.env.MODSWAP_ESM_HOOKS !== 'off') return true;
  const entry = process.argv[1];
  return typeof entry === 'string' && entry !== '' && isEsmFile(path.resolve(entry));
}

function start() {
  if (wantsEsmHooks()) require('../esm/register').install();
  const config = process.env[CONFIG_ENV] ? JSON.parse(process.env[CONFIG_ENV]) : loadConfig(process.cwd());
  const reloader = new HotReloader(config, { log, restart: requestRestart });
  reloader.start();
  return reloader;
}

module.exports = { start, CONFIG_ENV };

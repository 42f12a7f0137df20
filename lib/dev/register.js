'use strict';
// Preloaded into the app (`node -r modswap/register app.js`, which `modswap run` does): starts
// the hot reloader in the app's process. Under `modswap run` the options come from the runner
// and restarts go to it over IPC; alone, a change that needs a restart is only reported.
const path = require('node:path');
const { loadConfig } = require('./config');
const { isEsmFile, findEsmFile } = require('../esm/format');
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
 * Whether to install the ES module hooks, which must be in place before the app's first import:
 * for an ES module entry always; for a CommonJS entry when the project has ES module files it may
 * `import()` (findEsmFile), since on Node 22.15+ the in-thread hooks also see every `require()`
 * (~0.08 ms a module on Node 24) and on Node 20 their thread costs ~80 ms and 16 MB.
 * MODSWAP_ESM_HOOKS decides for a CommonJS entry: 'off', or any other value for on ('on', or
 * 'register' / 'registerHooks', which also pick the hooks API: lib/esm/register.js).
 */
function wantsEsmHooks(config) {
  const entry = process.argv[1];
  if (typeof entry === 'string' && entry !== '' && isEsmFile(path.resolve(entry))) return true;
  const choice = process.env.MODSWAP_ESM_HOOKS;
  if (choice === 'off') return false;
  if (choice !== undefined && choice !== '') return true;
  return findEsmFile(config.watch) !== undefined;
}

/** Prints modswap.explain()'s report (the runner's `why` key) without holding the app up. */
async function explainOnRequest() {
  try {
    const explanation = await require('../explain').explainFile(undefined);
    const { formatExplanation } = require('../explain/format');
    process.stderr.write(`[modswap] why:\n${formatExplanation(explanation)}\n`);
  } catch (error) {
    log(`why failed: ${error.code ? `[${error.code}] ` : ''}${error.message}`);
  }
}

/** The runner's requests over IPC; the channel must not keep an app that is done alive. */
function listenToRunner() {
  if (typeof process.send !== 'function' || !process.env[CONFIG_ENV]) return;
  process.on('message', (message) => {
    if (message && message.modswap === 'explain') explainOnRequest();
  });
  process.channel?.unref();
}

function start() {
  const config = process.env[CONFIG_ENV] ? JSON.parse(process.env[CONFIG_ENV]) : loadConfig(process.cwd());
  listenToRunner();
  if (wantsEsmHooks(config)) require('../esm/register').install();
  const reloader = new HotReloader(config, { log, restart: requestRestart });
  reloader.start();
  return reloader;
}

module.exports = { start, CONFIG_ENV };

'use strict';
// Installs the ES module hooks once per process: `module.registerHooks` where Node has it
// (22.15+, 23.5+, 24, 26: synchronous, in this thread), else `module.register` (20.6+: on the
// loader thread). MODSWAP_ESM_HOOKS=register forces the second on a Node that has both.
const Module = require('node:module');
const { pathToFileURL } = require('node:url');
const { ModswapError } = require('../errors');

let installed;

/** Installs the hooks (once) and returns which API carries them: 'registerHooks' or 'register'. */
function install() {
  if (installed !== undefined) return installed;
  const forced = process.env.MODSWAP_ESM_HOOKS;
  if (typeof Module.registerHooks === 'function' && forced !== 'register') {
    const { resolveSync } = require('./resolve');
    const { loadSync } = require('./inject');
    Module.registerHooks({ resolve: resolveSync, load: loadSync });
    installed = 'registerHooks';
  } else if (typeof Module.register === 'function') {
    Module.register(pathToFileURL(require.resolve('./hooks.mjs')).href);
    installed = 'register';
  } else {
    throw new ModswapError(
      'ERR_MODSWAP_ESM',
      `Node ${process.version} has neither module.registerHooks nor module.register: ES module swapping needs Node 20.6+`,
    );
  }
  // import.meta.hot: the function the injected prefix calls, on this (the main) thread.
  require('./hot').install();
  return installed;
}

/** Which API carries the hooks, or undefined when they are not installed in this process. */
const installedWith = () => installed;

module.exports = { install, installedWith };

'use strict';
// TypeScript sources (`.ts`, `.mts`, `.cts`) swap like JavaScript wherever this process can load
// them: Node strips their types itself (22.18+ and 23.6+ by default, 22.6+ with
// --experimental-strip-types), or a loader registered a require hook for `.ts` (tsx, ts-node,
// @swc-node/register…). Elsewhere (Node 20 without a loader, --no-experimental-strip-types) the
// first type annotation would fail as a bare SyntaxError, or a type-free file would load as
// plain JavaScript and break on the first save that adds a type: modswap refuses such a file up
// front with ERR_MODSWAP_TYPESCRIPT. What is checked is the capability, never a version number.
const Module = require('node:module');
const path = require('node:path');
const { ModswapError } = require('./errors');

const EXTENSIONS = new Set(['.ts', '.mts', '.cts']);

/** Whether `file` is a TypeScript source by its extension. */
const isTypeScriptFile = (file) => typeof file === 'string' && EXTENSIONS.has(path.extname(file));

/** Node flags that load code before the app: a TypeScript loader comes in through one of them. */
const isLoaderFlag = (arg) => /^(?:--import|--require|-r|--loader|--experimental-loader)(?:=|$)/.test(arg);

/** `strips` after the --[no-]experimental-strip-types (or -transform-types) flags among `args`: the last wins. */
function afterStripFlags(args, strips) {
  for (const arg of args) {
    if (arg === '--no-experimental-strip-types') strips = false;
    else if (arg === '--experimental-strip-types' || arg === '--experimental-transform-types') strips = true;
  }
  return strips;
}

/** Whether Node strips types with `nodeArgs` added to this process's flags. */
function stripsTypes(nodeArgs) {
  // process.features.typescript came with Node 22.10 and 23.0: on 22.6-22.9 only the flags tell.
  const own =
    process.features.typescript === undefined
      ? afterStripFlags([...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)], false)
      : Boolean(process.features.typescript);
  return afterStripFlags(nodeArgs, own);
}

/**
 * Whether TypeScript can be loaded: in this process (no argument), or in a Node started like this
 * one with `nodeArgs` added (the app `modswap run` starts). A loader named in `nodeArgs` is
 * trusted: only the started process can tell whether it handles TypeScript.
 */
function loadsTypeScript(nodeArgs = []) {
  if (stripsTypes(nodeArgs)) return true;
  // Inherited by the app too when it came through NODE_OPTIONS (tsx registers `.ts` even for `--import tsx`).
  if (typeof Module._extensions['.ts'] === 'function') return true;
  return nodeArgs.some(isLoaderFlag);
}

/** ERR_MODSWAP_TYPESCRIPT: `what` (e.g. "Cannot swap") could not be done to the TypeScript `file`. */
function typeScriptError(file, what, cause) {
  return new ModswapError(
    'ERR_MODSWAP_TYPESCRIPT',
    `${what} ${file}: it is TypeScript, and this Node (${process.version}) does not strip types ` +
      '(Node 22.18+ and 23.6+ do by default, 22.6+ with --experimental-strip-types) and has no TypeScript ' +
      'loader registered; use such a Node, or a loader such as tsx (`node --import tsx`; under `modswap run`: ' +
      '`--node-arg --import=tsx`)',
    { file, cause },
  );
}

/** Throws ERR_MODSWAP_TYPESCRIPT when `file` is TypeScript and this process cannot load it. */
function refuseUnloadableTypeScript(file, what) {
  if (isTypeScriptFile(file) && !loadsTypeScript()) throw typeScriptError(file, what);
}

module.exports = { isTypeScriptFile, loadsTypeScript, typeScriptError, refuseUnloadableTypeScript };

'use strict';
// Resolves module ids the way clear-module does: absolute paths as they are, anything else
// relative to the file that called the public function. The caller is read from a V8 stack
// trace captured *below* the public function, so the cost and the result do not depend on how
// deep the call stack is (clear-module loses the caller past Error.stackTraceLimit frames).
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const { fileURLToPath } = require('node:url');
const { ModswapError } = require('./errors');

const FRAMES_TO_INSPECT = 8;

function callSites(below) {
  const savedPrepare = Error.prepareStackTrace;
  const savedLimit = Error.stackTraceLimit;
  Error.prepareStackTrace = (_, sites) => sites;
  Error.stackTraceLimit = FRAMES_TO_INSPECT;
  try {
    const holder = {};
    Error.captureStackTrace(holder, below);
    return holder.stack;
  } finally {
    Error.prepareStackTrace = savedPrepare;
    Error.stackTraceLimit = savedLimit;
  }
}

/** The file that called `publicFunction`, or undefined (REPL, eval, native frames only). */
function callerFile(publicFunction) {
  const sites = callSites(publicFunction);
  if (!Array.isArray(sites)) return undefined;
  for (const site of sites) {
    const name = site.getFileName();
    if (!name || name.startsWith('node:')) continue;
    if (name.startsWith('file:')) return fileURLToPath(name);
    if (path.isAbsolute(name)) return name;
  }
  return undefined;
}

/**
 * Whether Node keeps symlinked paths as module ids (`--preserve-symlinks`, from the command line,
 * NODE_OPTIONS or NODE_PRESERVE_SYMLINKS=1): then `require.cache` is keyed by the symlinked
 * path, and ids must be resolved from it too. Fixed for the life of the process.
 */
const PRESERVES_SYMLINKS =
  [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].includes('--preserve-symlinks') ||
  process.env.NODE_PRESERVE_SYMLINKS === '1';

function realDirectory(directory) {
  if (PRESERVES_SYMLINKS) return path.resolve(directory);
  try {
    return fs.realpathSync(directory);
  } catch {
    return path.resolve(directory);
  }
}

/** Resolves `id` from `fromFile`'s directory; throws Node's resolution error. */
function resolveFrom(id, fromFile) {
  if (path.isAbsolute(id) && Module._cache[id]) return id;
  const directory = realDirectory(fromFile ? path.dirname(fromFile) : process.cwd());
  const anchor = path.join(directory, 'noop.js');
  return Module._resolveFilename(id, {
    id: anchor,
    filename: anchor,
    paths: Module._nodeModulePaths(directory),
  });
}

/**
 * `resolveFrom` for the public functions: a ModswapError for a bad id (ERR_MODSWAP_INVALID_ID,
 * naming `what`) or one that does not resolve (ERR_MODSWAP_NOT_FOUND, `subject` + "not found
 * from <calling file>").
 */
function resolveOrThrow(id, fromFile, what, subject = `${what}: '${id}'`) {
  if (typeof id !== 'string' || id === '') {
    throw new ModswapError('ERR_MODSWAP_INVALID_ID', `${what} expects a module id string, got ${typeof id}`);
  }
  try {
    return resolveFrom(id, fromFile);
  } catch (error) {
    // The calling file, whose directory the id was resolved from (the working directory without one).
    const from = fromFile ?? `${process.cwd()} (the working directory)`;
    throw new ModswapError('ERR_MODSWAP_NOT_FOUND', `${subject} not found from ${from}`, { cause: error, file: id });
  }
}

/** Like `resolveFrom`, but undefined when the id cannot be resolved (clear-module's no-op). */
function resolveQuietly(id, fromFile) {
  try {
    return resolveFrom(id, fromFile);
  } catch {
    return undefined;
  }
}

module.exports = { callerFile, resolveFrom, resolveOrThrow, resolveQuietly };

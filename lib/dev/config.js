'use strict';
// Options of `modswap run`: defaults, then the `modswap` key of package.json, then
// modswap.config.js, then the command line (each overriding the one before).
const fs = require('node:fs');
const path = require('node:path');
const { isModuleNamespaceObject } = require('node:util/types');
const { ModswapError } = require('../errors');
const { locate } = require('../failure');

const DEFAULTS = Object.freeze({
  /** Directories watched, relative to the working directory. */
  watch: ['.'],
  /** Names or relative paths never watched (node_modules and .git never are). */
  ignore: [],
  /** File names (globs with `*`) whose change restarts the process instead of swapping. */
  restartOn: ['.env', '.env.*', 'package.json', '*.node'],
  /**
   * Quiet time in ms that ends a burst of file events: 2 ms coalesced every save style in the
   * watcher's trials (5 ms cost ~5 ms of save-to-response latency for nothing measurable).
   */
  delay: 2,
  /** Signal that swaps every changed loaded file (for deploy tools), or null. */
  signal: 'SIGUSR2',
  /** Extra arguments for node. */
  nodeArgs: [],
});

const configError = (file, message, cause) =>
  new ModswapError('ERR_MODSWAP_CONFIG', `${file}: ${message}`, { cause, file });

function readPackageConfig(cwd) {
  const file = path.join(cwd, 'package.json');
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') return {};
    throw configError(file, `cannot be read (${error.code})`, error);
  }
  try {
    const config = JSON.parse(text).modswap;
    return config === undefined ? {} : config;
  } catch (error) {
    throw configError(file, `is not valid JSON (${error.message})`, error);
  }
}

/**
 * modswap.config.js: `module.exports = { … }`, or `export default { … }` (an ES module, which
 * Node 20.19+ loads through require(esm)). A file that cannot be read, throws or exports no
 * options is an ERR_MODSWAP_CONFIG error naming it.
 */
function readConfigFile(cwd) {
  const file = path.join(cwd, 'modswap.config.js');
  try {
    if (!fs.statSync(file).isFile()) throw configError(file, 'is not a file');
    fs.accessSync(file, fs.constants.R_OK);
  } catch (error) {
    if (error instanceof ModswapError) throw error;
    if (error.code === 'ENOENT') return {};
    throw configError(file, `cannot be read (${error.code})`, error);
  }
  let loaded;
  try {
    loaded = require(file);
  } catch (error) {
    const where = locate(error);
    const at = where && where.line ? ` (at ${where.file}:${where.line})` : '';
    throw configError(file, `failed to load: ${error instanceof Error ? error.message : String(error)}${at}`, error);
  }
  if (!isModuleNamespaceObject(loaded)) return loaded;
  if (!('default' in loaded)) throw configError(file, 'is an ES module without a default export: `export default { … }` the options');
  return loaded.default;
}

const LIST_OPTIONS = ['watch', 'ignore', 'restartOn', 'nodeArgs'];

/** What a value that should have been an options object is, in words. */
function kindOf(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value?.then === 'function') return 'a Promise (async configs are not supported)';
  return typeof value === 'object' ? `an instance of ${value.constructor?.name ?? 'a class'}` : `a ${typeof value}`;
}

/** Checks one source's options; `source` names it in errors. */
function validate(options, source) {
  const proto = options !== null && typeof options === 'object' ? Object.getPrototypeOf(options) : undefined;
  if (proto !== Object.prototype && proto !== null) {
    throw configError(source, `the modswap options must be a plain object, got ${kindOf(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!(key in DEFAULTS)) throw configError(source, `unknown option '${key}' (known: ${Object.keys(DEFAULTS).join(', ')})`);
  }
  for (const key of LIST_OPTIONS) {
    const value = options[key];
    if (value !== undefined && (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))) {
      throw configError(source, `option '${key}' must be an array of strings`);
    }
  }
  if (options.delay !== undefined && !(Number.isInteger(options.delay) && options.delay >= 0 && options.delay <= 10000)) {
    throw configError(source, "option 'delay' must be an integer number of ms from 0 to 10000");
  }
  if (options.signal !== undefined && options.signal !== null && !/^SIG[A-Z0-9]+$/.test(options.signal)) {
    throw configError(source, "option 'signal' must be a signal name such as 'SIGUSR2', or null");
  }
  return options;
}

/** The options in force for a run in `cwd`, `cli` (already parsed flags) winning. */
function loadConfig(cwd, cli = {}) {
  const fromPackage = validate(readPackageConfig(cwd), path.join(cwd, 'package.json'));
  const fromFile = validate(readConfigFile(cwd), path.join(cwd, 'modswap.config.js'));
  const merged = { ...DEFAULTS, ...fromPackage, ...fromFile, ...validate(cli, 'the command line') };
  return { ...merged, watch: merged.watch.map((dir) => path.resolve(cwd, dir)) };
}

/** Whether `file`'s name matches one of `patterns` (`*` matches any run of characters). */
function matchesName(file, patterns) {
  const name = path.basename(file);
  return patterns.some((pattern) => {
    const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    return regex.test(name);
  });
}

module.exports = { loadConfig, matchesName, DEFAULTS };

'use strict';
// Options of `modswap run`: defaults, then the `modswap` key of package.json, then
// modswap.config.js, then the command line (each overriding the one before).
const fs = require('node:fs');
const path = require('node:path');
const { ModswapError } = require('../errors');

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

function readConfigFile(cwd) {
  const file = path.join(cwd, 'modswap.config.js');
  if (!fs.existsSync(file)) return {};
  try {
    return require(file);
  } catch (error) {
    throw configError(file, `failed to load: ${error.message}`, error);
  }
}

const LIST_OPTIONS = ['watch', 'ignore', 'restartOn', 'nodeArgs'];

/** Checks one source's options; `source` names it in errors. */
function validate(options, source) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw configError(source, 'the modswap options must be an object');
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

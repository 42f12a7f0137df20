'use strict';
// The loader hooks' one job, shared by `module.registerHooks` (synchronous, in the thread that
// imports) and `module.register` (asynchronous, on the loader thread: see hooks.mjs): after
// Node resolved a specifier to an ES module file outside node_modules, record the edge
// importer -> importee in the process-wide registry (Rust, src/esm) and point the URL at the
// file's current version, `file:///app/x.mjs?modswap=3`. Version 0 is the plain URL, so an app
// that never swaps loads exactly what it would without modswap.
const path = require('node:path');
const { fileURLToPath, pathToFileURL } = require('node:url');
const { binding } = require('../native');

const QUERY_KEY = 'modswap';
const VERSION_PARAM = /(?:^|&)modswap=(\d+)(?:&|$)/;

/** Formats whose modules are versioned: ES modules, TypeScript ones where Node strips types. */
const VERSIONED_FORMATS = new Set(['module', 'module-typescript']);

/** Splits a URL into the part before `?`, the query (without `?`) and the hash. */
function splitUrl(url) {
  const hashAt = url.indexOf('#');
  const hash = hashAt === -1 ? '' : url.slice(hashAt);
  const rest = hashAt === -1 ? url : url.slice(0, hashAt);
  const queryAt = rest.indexOf('?');
  return queryAt === -1 ? [rest, '', hash] : [rest.slice(0, queryAt), rest.slice(queryAt + 1), hash];
}

/** The version a URL names (0 without a `modswap` query parameter). */
function versionInUrl(url) {
  const match = VERSION_PARAM.exec(splitUrl(url)[1]);
  return match ? Number(match[1]) : 0;
}

/** `url` with modswap's parameter set to `version` (removed for 0); other parameters kept as written. */
function withVersion(url, version) {
  const [base, query, hash] = splitUrl(url);
  const kept = query === '' ? [] : query.split('&').filter((part) => part.split('=')[0] !== QUERY_KEY);
  if (version > 0) kept.push(`${QUERY_KEY}=${version}`);
  return `${base}${kept.length > 0 ? `?${kept.join('&')}` : ''}${hash}`;
}

/**
 * Formats the CommonJS engine loads, which the ESM loader pins when they are imported: it keeps
 * the exports it first imported under their URL, whatever require.cache holds later. Once the
 * CommonJS engine swapped such a file, its version goes up like an ES module's, and the new URL
 * makes the loader wrap the exports require.cache holds now (the file is not evaluated again).
 */
const PINNED_FORMATS = new Set(['commonjs', 'commonjs-typescript', 'json']);

const isVersionable = (result) =>
  VERSIONED_FORMATS.has(result.format) || (result.format == null && /\.m[jt]s(?:[?#]|$)/.test(result.url));

/** An import (not a require() that registerHooks also sees) of a file CommonJS loads. */
const isPinningImport = (result, context) =>
  PINNED_FORMATS.has(result.format) && Array.isArray(context?.conditions) && context.conditions.includes('import');

/**
 * The resolve result Node should use instead of `result` (what the next hook resolved), given
 * the hook's `context`. An import of a CommonJS file is recorded too, and versioned once the
 * CommonJS engine swapped the file (a require() of it never is: require.cache serves those).
 * Errors never escape: an import must not fail because of modswap.
 */
function versionedResolution(result, context) {
  if (typeof result.url !== 'string' || !result.url.startsWith('file:')) return result;
  if (!isVersionable(result) && !isPinningImport(result, context)) return result;
  try {
    const path = fileURLToPath(result.url);
    const parentPath = importerPath(context);
    const parentVersion = parentPath === null ? 0 : versionInUrl(context.parentURL);
    const version = binding.esmRecordImport(parentPath, parentVersion, path, versionInUrl(result.url));
    const url = withVersion(result.url, version);
    return url === result.url ? result : { ...result, url };
  } catch (error) {
    process.emitWarning(`modswap could not version ${result.url}: ${error && error.message}`, 'ModswapWarning');
    return result;
  }
}

/** modswap's own files: their import() of a boundary (lib/esm/swap.js) is no edge of the app's graph. */
const OWN_DIRECTORY = path.join(__dirname, '..') + path.sep;

/** The path of the importer `context` names, null for none, for a non-file one, or for modswap itself. */
function importerPath(context) {
  const parentURL = context && typeof context.parentURL === 'string' ? context.parentURL : undefined;
  if (parentURL === undefined || !parentURL.startsWith('file:')) return null;
  const parentPath = fileURLToPath(parentURL);
  return parentPath.startsWith(OWN_DIRECTORY) ? null : parentPath;
}

/** A `module.registerHooks` resolve hook. */
function resolveSync(specifier, context, nextResolve) {
  return versionedResolution(nextResolve(specifier, context), context);
}

/** The URL of version `version` of the file at `path`. */
const versionedUrl = (path, version) => withVersion(pathToFileURL(path).href, version);

module.exports = { resolveSync, versionedResolution, withVersion, versionedUrl, versionInUrl, QUERY_KEY };

'use strict';
// The load hook, shared by `module.registerHooks` (synchronous) and `module.register` (on the
// loader thread: hooks.mjs): the source of every ES module file outside node_modules gets one
// statement prepended on its first line (after a hashbang), so that lines and columns of the
// module's own code (stack traces, code frames) do not move:
//   import.meta.hot = globalThis[Symbol.for('modswap.esm.hot')]?.(import.meta);
// Code another loader compiled (tsx…) and mapped with an inline source map gets it on a line of
// its own instead, the map shifted by that line. The function is installed on the main thread
// (lib/esm/hot.js), where module bodies evaluate; without it `import.meta.hot` is undefined. It
// also enters the version's resource-tracking context, which one statement appended on a line
// of its own after the source leaves (lib/esm/version-context.js).
const PREFIX = "import.meta.hot = globalThis[Symbol.for('modswap.esm.hot')]?.(import.meta);";
const SUFFIX = "\n;globalThis[Symbol.for('modswap.esm.leave')]?.(import.meta);\n";

const FORMATS = new Set(['module', 'module-typescript']);

/** Whether the module at `url` (format `format`) gets `import.meta.hot`. */
const wantsHot = (url, format) =>
  FORMATS.has(format) && typeof url === 'string' && url.startsWith('file:') && !/\/node_modules\//.test(url);

/** An inline source map at the end of a source: what a loader that compiled it (tsx, swc…) leaves. */
const INLINE_SOURCE_MAP = /(\n\/\/# sourceMappingURL=data:application\/json(?:;charset=[\w-]+)?;base64,)([A-Za-z0-9+/=]+)(\s*)$/;

/**
 * `source`, compiled by another loader and carrying an inline source map, with the prefix on a
 * line of its own at `line` (0-based) and the map told of that line: on the first line, the
 * prefix would shift the columns of code a loader often emits as one line, and with them every
 * position the map gives. Undefined when the source has no such map.
 */
function withPrefixLine(source, line) {
  const match = INLINE_SOURCE_MAP.exec(source);
  if (match === null) return undefined;
  let map;
  try {
    map = JSON.parse(Buffer.from(match[2], 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (map === null || typeof map.mappings !== 'string') return undefined;
  const lines = map.mappings.split(';');
  lines.splice(line, 0, '');
  const shifted = Buffer.from(JSON.stringify({ ...map, mappings: lines.join(';') })).toString('base64');
  const code = source.slice(0, match.index);
  const at = line === 0 ? 0 : code.indexOf('\n') + 1;
  // The suffix goes before the map's comment, which must stay last; it adds no mapped line.
  return `${code.slice(0, at)}${PREFIX}\n${code.slice(at)}${SUFFIX.trimEnd()}${match[1]}${shifted}${match[3]}`;
}

/** `source` with the prefix on its first line (after a hashbang line) and the suffix after its last. */
function withHotPrefix(source) {
  const hashbang = source.startsWith('#!') && source.includes('\n');
  const mapped = withPrefixLine(source, hashbang ? 1 : 0);
  if (mapped !== undefined) return mapped;
  if (source.startsWith('#!')) {
    const end = source.indexOf('\n');
    if (end === -1) return `${source}\n${PREFIX}${SUFFIX}`;
    return `${source.slice(0, end + 1)}${PREFIX}${source.slice(end + 1)}${SUFFIX}`;
  }
  return `${PREFIX}${source}${SUFFIX}`;
}

/** The load result Node should use instead of `result` (what the next hook loaded) for `url`. */
function injectedLoad(url, result) {
  if (!wantsHot(url, result?.format) || result.source == null) return result;
  try {
    const source = typeof result.source === 'string' ? result.source : Buffer.from(result.source).toString('utf8');
    return { ...result, source: withHotPrefix(source) };
  } catch {
    return result;
  }
}

/** A `module.registerHooks` load hook. */
function loadSync(url, context, nextLoad) {
  return injectedLoad(url, nextLoad(url, context));
}

module.exports = { loadSync, injectedLoad, withHotPrefix, PREFIX };

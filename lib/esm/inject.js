'use strict';
// The load hook, shared by `module.registerHooks` (synchronous) and `module.register` (on the
// loader thread: hooks.mjs): the source of every ES module file outside node_modules gets one
// statement prepended on its first line (after a hashbang), so that lines and columns of the
// module's own code (stack traces, code frames) do not move:
//   import.meta.hot = globalThis[Symbol.for('modswap.esm.hot')]?.(import.meta);
// The function is installed on the main thread (lib/esm/hot.js), where module bodies evaluate;
// without it `import.meta.hot` is undefined.
const PREFIX = "import.meta.hot = globalThis[Symbol.for('modswap.esm.hot')]?.(import.meta);";

const FORMATS = new Set(['module', 'module-typescript']);

/** Whether the module at `url` (format `format`) gets `import.meta.hot`. */
const wantsHot = (url, format) =>
  FORMATS.has(format) && typeof url === 'string' && url.startsWith('file:') && !/\/node_modules\//.test(url);

/** `source` with the prefix on its first line (after a hashbang line). */
function withHotPrefix(source) {
  if (source.startsWith('#!')) {
    const end = source.indexOf('\n');
    if (end === -1) return `${source}\n${PREFIX}`;
    return `${source.slice(0, end + 1)}${PREFIX}${source.slice(end + 1)}`;
  }
  return `${PREFIX}${source}`;
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

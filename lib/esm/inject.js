'use strict';
// The load hook, shared by `module.registerHooks` (synchronous) and `module.register` (on the
// loader thread: hooks.mjs): the source of every ES module file outside node_modules gets one
// statement prepended on its first line (after a hashbang), so that lines and columns of the
// module's own code (stack traces, code frames) do not move:
//   import.meta.hot = globalThis[Symbol.for('modswap.esm.hot')]?.(import.meta);
// The function is installed on the main thread (lib/esm/hot.js), where module bodies evaluate;
// without it `import.meta.hot` is undefined. It also enters the version's resource-tracking
// context, which one statement appended on a line of its own leaves (lib/esm/version-context.js).
const PREFIX = "import.meta.hot = globalThis[Symbol.for('modswap.esm.hot')]?.(import.meta);";
const SUFFIX = "\n;globalThis[Symbol.for('modswap.esm.leave')]?.(import.meta);\n";

const FORMATS = new Set(['module', 'module-typescript']);

/** Whether the module at `url` (format `format`) gets `import.meta.hot`. */
const wantsHot = (url, format) =>
  FORMATS.has(format) && typeof url === 'string' && url.startsWith('file:') && !/\/node_modules\//.test(url);

/** `source` with the prefix on its first line (after a hashbang line) and the suffix after its last. */
function withHotPrefix(source) {
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

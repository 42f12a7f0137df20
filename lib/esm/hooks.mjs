// Loader hooks for `module.register` (Node 20.6+): they run on the loader thread, which loads
// its own copy of modswap's JavaScript but shares the native addon's registry with the main
// thread (one process, one library). The work itself is resolve.js's and inject.js's, shared
// with the synchronous `module.registerHooks` variant.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { versionedResolution } = require('./resolve.js');
const { injectedLoad } = require('./inject.js');

export async function resolve(specifier, context, nextResolve) {
  return versionedResolution(await nextResolve(specifier, context), context);
}

export async function load(url, context, nextLoad) {
  return injectedLoad(url, await nextLoad(url, context));
}

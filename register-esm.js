'use strict';
// `node --import modswap/register-esm app.mjs` (or `-r modswap/register-esm`): installs only the
// loader hooks that let modswap swap ES modules, for apps that call modswap.swap() themselves
// (no file watching: that is `modswap/register`). They must be in place before the app's first
// import, hence a preload.
//
// Main thread only: on Node 20 the thread of `module.register` hooks runs `-r` preloads too, and
// installing there chained a second copy of the hooks after the first: every module got the
// prefix twice, and its second `import.meta.hot` lost the `data` its previous version handed on.
const { isMainThread } = require('node:worker_threads');

if (isMainThread) require('./lib/esm/register').install();

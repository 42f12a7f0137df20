'use strict';
// `node -r modswap/register app.js` or `node --import modswap/register app.mjs` (what `modswap
// run` does): hot-swap the app's CommonJS and ES modules when their files change. It installs
// the ES module loader hooks too, before the app's first import.
//
// Main thread only: Node runs `-r` preloads in worker threads too (the app's workers inherit
// execArgv, and on Node 20 the thread of `module.register` hooks runs them as well), and a
// second reloader there would watch the same files with no boundaries and no way to restart.
const { isMainThread } = require('node:worker_threads');

if (isMainThread) require('./lib/dev/register').start();

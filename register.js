'use strict';
// `node -r modswap/register app.js` or `node --import modswap/register app.mjs` (what `modswap
// run` does): hot-swap the app's CommonJS and ES modules when their files change. It installs
// the ES module loader hooks too, before the app's first import.
require('./lib/dev/register').start();

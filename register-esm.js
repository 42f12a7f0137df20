'use strict';
// `node --import modswap/register-esm.js app.mjs` (or `-r modswap/register-esm`): installs the
// loader hooks that let modswap swap ES modules. They must be in place before the app's first
// import, hence a preload.
require('./lib/esm/register').install();

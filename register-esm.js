'use strict';
// `node --import modswap/register-esm app.mjs` (or `-r modswap/register-esm`): installs only the
// loader hooks that let modswap swap ES modules, for apps that call modswap.swap() themselves
// (no file watching: that is `modswap/register`). They must be in place before the app's first
// import, hence a preload.
require('./lib/esm/register').install();

'use strict';
// `node -r modswap/register app.js`: hot-swap the app's modules when their files change.
require('./lib/dev/register').start();

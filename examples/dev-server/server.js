'use strict';
// A dev server whose route modules are hot-swapped when their files change, without dropping
// open connections. A broken edit (syntax error, exception at load) is reported and the server
// keeps serving the last good version.
//
//   node examples/dev-server/server.js      then edit routes/*.js and reload the page
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const modswap = require('../..');

const routesDir = path.join(__dirname, 'routes');
const port = Number(process.env.PORT ?? 3000);

const server = http.createServer((req, res) => {
  // Looked up per request: after a swap the cleared router is evaluated afresh here.
  const router = require('./routes');
  router(req, res);
});

function swap(file) {
  try {
    const started = process.hrtime.bigint();
    modswap.reload(file);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(`[modswap] swapped ${path.relative(__dirname, file)} in ${ms.toFixed(2)} ms`);
  } catch (error) {
    if (error.code !== 'ERR_MODSWAP_RELOAD_FAILED') throw error;
    console.error(`[modswap] kept the previous version: ${error.message}`);
  }
}

// Editors often write a file in several steps; coalesce the burst of events per file.
const pending = new Map();
fs.watch(routesDir, (_event, name) => {
  if (!name || !name.endsWith('.js')) return;
  const file = path.join(routesDir, name);
  clearTimeout(pending.get(file));
  pending.set(file, setTimeout(() => {
    pending.delete(file);
    if (fs.existsSync(file) && require.cache[file]) swap(file);
  }, 30));
});

server.listen(port, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});

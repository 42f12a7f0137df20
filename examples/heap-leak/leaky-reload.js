'use strict';
// The leak clear-module and decache leave behind, found with `modswap heap analyze`.
//
//   node examples/heap-leak/leaky-reload.js [reloads] [out.heapsnapshot]
//   npx modswap heap analyze out.heapsnapshot
//
// config.js is required by this entry module and by server.js. "Reloading" it the usual way,
// `delete require.cache[file]` then `require(file)`, appends the new module object to this
// module's `children` on every reload, and nothing ever removes the old ones: every version of
// config.js stays alive. The snapshot written at the end shows it as the top leak suspect:
//   'Module' @… retains N bytes (9x%), accumulated in 'Array' @…   (this module's children)
// modswap.reload(file) cuts those references instead (see examples/hot-swap).
const path = require('node:path');
const v8 = require('node:v8');

const reloads = Number(process.argv[2] ?? 40);
const out = path.resolve(process.argv[3] ?? 'heap-leak.heapsnapshot');
const config = require.resolve('./config');

require('./server');
for (let i = 0; i < reloads; i++) {
  delete require.cache[config];
  require('./config');
}
console.log(`${module.children.length} children after ${reloads} reloads; snapshot: ${v8.writeHeapSnapshot(out)}`);

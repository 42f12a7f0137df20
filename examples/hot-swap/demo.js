'use strict';
// A running "server" keeps calling greeting(); we edit greeter.js on disk three times and
// hot-swap it with modswap.reload(). The generation table then shows the old versions
// garbage-collected: nothing of them stays behind.
//
//   node examples/hot-swap/demo.js
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');
const modswap = require('../..');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modswap-demo-'));
const greeterFile = path.join(workDir, 'greeter.js');
const appFile = path.join(workDir, 'app.js');

function writeGreeter(version, words) {
  fs.writeFileSync(
    greeterFile,
    `// version ${version}: holds 8 MB of heap so a leak would show
const started = performance.now();
const ballast = new Array(1 << 20).fill(${version});
module.exports = () => '${words} (greeter v${version}, ' + ballast.length + ' slots)';
module.exports.ownEvaluationMs = performance.now() - started;
`,
  );
}

writeGreeter(1, 'Hello');
fs.writeFileSync(appFile, "const greet = require('./greeter');\nmodule.exports = { handle: () => greet() };\n");

const heapMb = () => (process.memoryUsage().heapUsed / 1048576).toFixed(1);
const handle = () => require(appFile).handle();

console.log(`request -> ${handle()}   heap ${heapMb()} MB`);
const edits = ['Bonjour', 'Hola', 'Ciao'];
edits.forEach((words, i) => {
  writeGreeter(i + 2, words);
  const started = process.hrtime.bigint();
  const fresh = modswap.reload(greeterFile);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const own = fresh.ownEvaluationMs;
  console.log(
    `swapped greeter.js in ${ms.toFixed(2)} ms (${own.toFixed(2)} ms of it building its 8 MB, ` +
      `${(ms - own).toFixed(2)} ms the swap); request -> ${handle()}`,
  );
});

// The app keeps running; let V8 collect, then give FinalizationRegistry callbacks a turn.
gc();
setImmediate(() => {
  gc();
  setImmediate(() => {
    console.log(`\nheap after GC ${heapMb()} MB (4 versions x 8 MB were loaded)`);
    console.log('generations of greeter.js:');
    for (const row of modswap.generations(greeterFile)) {
      console.log(`  #${row.generation}  ${row.state.padEnd(9)}  loaded ${new Date(row.loadedAt).toISOString()}`);
    }
    const stale = modswap.stale();
    console.log(stale.length === 0 ? 'stale generations: none' : `stale generations: ${JSON.stringify(stale)}`);
    fs.rmSync(workDir, { recursive: true, force: true });
  });
});

'use strict';
// Baseline for the mid-graph reload, without modswap: deletes the same files from require.cache
// by hand and requires the router again. What is left is Node's own cost of re-evaluating them
// (compiling, running, resolving the barrel's requires), which no reload tool can avoid.
//
// Usage: node floor-child.js <router.js> <files.json> <warmup> <runs>
// Prints one JSON line with the timed samples (ms).
const fs = require('node:fs');

const [routerFile, filesJson, warmupArg, runsArg] = process.argv.slice(2);
const files = JSON.parse(fs.readFileSync(filesJson, 'utf8'));
const warmup = Number(warmupArg);
const runs = Number(runsArg);

function nextTurn() {
  return new Promise((resolve) => setImmediate(resolve));
}

async function run() {
  require(routerFile);
  const samples = [];
  for (let i = 0; i < warmup + runs; i++) {
    for (const file of files) delete require.cache[file];
    const start = process.hrtime.bigint();
    require(routerFile);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (i >= warmup) samples.push(ms);
    await nextTurn();
  }
  process.stdout.write(JSON.stringify({ samples }) + '\n');
}

run().catch((error) => {
  console.error(error);
  process.exit(1);
});

#!/usr/bin/env node
'use strict';
// Bytes an ES module swap keeps, per swap: Node's ESM loader keeps every version it evaluated,
// so each swap costs at least the loader's record of the new version; what a disposer releases
// should be freed. Each case runs in a fresh process (esm-memory-child.mjs), once per hooks API
// this Node has; the floor is plain Node importing the same module under new URLs.
//
//   node bench/esm-memory.bench.js [--runs=3]
//
// Growth is measured after forced GCs (V8 heap + external), median of --runs processes. The
// numbers are small next to GC noise for the small module: read them as "about N KB".
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const Module = require('node:module');

const CHILD = path.join(__dirname, 'esm-memory-child.mjs');
const REGISTER = path.join(__dirname, '..', 'register-esm.js');
const runs = Number((process.argv.find((arg) => arg.startsWith('--runs=')) ?? '--runs=3').slice(7));
const modes = typeof Module.registerHooks === 'function' ? ['registerHooks', 'register'] : ['register'];

const CASES = [
  { kind: 'floor', swaps: 200, what: '1 KB module, plain Node: import(`?v=N`) (the floor)' },
  { kind: 'small', swaps: 200, what: '1 KB module, no disposer' },
  { kind: 'small-disposed', swaps: 200, what: '1 KB module, disposer nulls its state' },
  { kind: 'big-disposed', swaps: 100, what: '8 MB in a top-level let, disposer nulls it' },
  { kind: 'big', swaps: 10, what: '8 MB in a top-level let, no disposer' },
];

function runCase({ kind, swaps }, mode) {
  const args = ['--expose-gc', ...(kind === 'floor' ? [] : ['--import', REGISTER]), CHILD, kind, String(swaps)];
  const child = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    env: { ...process.env, MODSWAP_ESM_HOOKS: mode, NODE_OPTIONS: '' },
  });
  if (child.status !== 0) throw new Error(`${kind} (${mode}) exited with ${child.status}: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()).perSwap;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const format = (bytes) => (Math.abs(bytes) >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(2)} MB` : `${(bytes / 1024).toFixed(1)} KB`);

console.log(`Node ${process.version}, median of ${runs} processes per cell\n`);
const columns = modes;
console.log(`| case | swaps | ${columns.map((mode) => `per swap (${mode})`).join(' | ')} |`);
console.log(`|---|---|${columns.map(() => '---').join('|')}|`);
for (const entry of CASES) {
  const cells = columns.map((mode) => {
    if (entry.kind === 'floor' && mode !== columns[0]) return '(same)';
    return format(median(Array.from({ length: runs }, () => runCase(entry, mode))));
  });
  console.log(`| ${entry.what} | ${entry.swaps} | ${cells.join(' | ')} |`);
}

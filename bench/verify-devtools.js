#!/usr/bin/env node
'use strict';
// Checks modswap's heap snapshot engine against DevTools' own processor (the
// heap_snapshot_worker of devtools-frontend, published on npm as heap-snapshot-toolkit):
// every node's retained size, dominator, shallow size and distance from the roots (the BFS
// that retainer paths follow), and every class aggregate (count, self size, retained size).
//
//   node bench/verify-devtools.js            writes a fresh snapshot of a test heap and checks it
//   node bench/verify-devtools.js FILE...    checks existing .heapsnapshot files
//
// The engine's side comes from `cargo run --release --example heap_dump -- FILE` (JSON on
// stdout), built first if needed. Exits 1 on any difference.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const { spawnSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..');
const DUMP = path.join(ROOT, 'target', 'release', 'examples', 'heap_dump');

// --- the test heap (child process) -------------------------------------------------------------

/** Two classes with the same name at different locations: DevTools keys them apart. */
const Item = class Item {
  constructor(i) {
    this.i = i;
    this.label = `item-${i}`;
  }
};
const OtherItem = (() => {
  return class Item {
    constructor(i) {
      this.j = i;
    }
  };
})();

class Session {
  constructor(i, user) {
    this.id = i;
    this.user = user;
    this.tags = ['a', 'b', `t${i % 13}`];
    this.onClose = () => `${user.name} closed ${i}`;
  }
}

class LeakyRequest {
  constructor(i) {
    this.url = ['/api/', i].join('');
    this.headers = new Array(8).fill(i);
    this.body = Buffer.alloc(32, i & 0xff);
  }
}

function buildTestHeap() {
  const users = [];
  for (let i = 0; i < 20000; i++) {
    users.push({ name: `user-${i}`, age: i % 90, address: { city: `c${i % 100}`, zip: i } });
  }
  const sessions = new Map();
  for (let i = 0; i < 5000; i++) sessions.set(i, new Session(i, users[i]));
  const weak = new WeakMap();
  // Keys held elsewhere, keys held only by the WeakMap (the value dies with the key), chains.
  for (let i = 0; i < 3000; i++) weak.set(users[i * 5], { visits: i, next: { deep: [i] } });
  const weakOnly = new WeakMap();
  for (let i = 0; i < 500; i++) weakOnly.set({ orphanKey: i }, { orphanValue: i });
  const refs = [];
  for (let i = 0; i < 1000; i++) refs.push(new WeakRef(users[i * 7]));
  // Objects only reachable through WeakRefs: weakly held, unreachable for dominators.
  const onlyWeak = [];
  for (let i = 0; i < 300; i++) onlyWeak.push(new WeakRef({ weaklyHeld: i, payload: new Array(4).fill(i) }));
  const registry = new FinalizationRegistry(() => {});
  for (let i = 0; i < 200; i++) registry.register(users[i], i);
  const leaked = [];
  for (let i = 0; i < 15000; i++) leaked.push(new LeakyRequest(i));
  const items = [];
  for (let i = 0; i < 2000; i++) items.push(i % 2 ? new Item(i) : new OtherItem(i));
  // Plain objects whose property names need quoting or are long, and a cycle.
  const odd = [];
  for (let i = 0; i < 50; i++) {
    odd.push({ 'a,b': i, 'q"uote': i, "s'q": i, '{brace}': i, ünï: i, '\u{1F600}': i });
    odd.push(Object.fromEntries(Array.from({ length: 40 }, (_, k) => [`property_name_number_${k}`, { k }])));
  }
  const cycleA = { name: 'a' };
  const cycleB = { name: 'b', a: cycleA };
  cycleA.b = cycleB;
  const closures = Array.from({ length: 3000 }, (_, i) => {
    const captured = { i, big: new Array(10).fill(i) };
    return () => captured.i;
  });
  globalThis.__keep = {
    users, sessions, weak, weakOnly, refs, onlyWeak, registry, leaked, items, odd,
    cycle: cycleA, closures, symbol: Symbol('s'), big: 12345678901234567890n, re: /a+b/g,
    typed: new Float64Array(1000), shared: new SharedArrayBuffer(1024),
  };
}

function writeTestSnapshot(file) {
  buildTestHeap();
  // Garbage that the snapshot's GC frees.
  for (let i = 0; i < 100000; i++) ({ garbage: i });
  v8.writeHeapSnapshot(file);
}

// --- checking ------------------------------------------------------------------------------------

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { maxBuffer: 1 << 30, encoding: 'utf8', ...options });
  if (result.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${result.status}):\n${result.stderr}`);
  }
  return result;
}

function ensureDumpBuilt() {
  run('cargo', ['build', '--release', '--example', 'heap_dump'], { cwd: ROOT, stdio: 'inherit' });
}

function engineResults(file) {
  const started = process.hrtime.bigint();
  const result = run(DUMP, [file]);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { data: JSON.parse(result.stdout), seconds, log: result.stderr.trim() };
}

async function devtoolsResults(file) {
  const { parse } = await import('heap-snapshot-toolkit');
  const started = process.hrtime.bigint();
  const snapshot = await parse(fs.createReadStream(file));
  const aggregates = snapshot.aggregatesWithFilter({});
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const selfSizes = new Float64Array(snapshot.nodeCount);
  for (let i = 0; i < snapshot.nodeCount; i++) {
    selfSizes[i] = snapshot.nodes.getValue(i * snapshot.nodeFieldCount + snapshot.nodeSelfSizeOffset);
  }
  return { snapshot, aggregates, selfSizes, seconds };
}

/** Compares two per-node arrays; returns the number of differences and prints the first few. */
function compareArrays(what, ours, theirs, show = 5) {
  let diffs = 0;
  if (ours.length !== theirs.length) {
    console.log(`  ${what}: length ${ours.length} vs DevTools ${theirs.length}`);
    return Math.max(ours.length, theirs.length);
  }
  for (let i = 0; i < ours.length; i++) {
    if (ours[i] !== theirs[i]) {
      if (diffs < show) console.log(`  ${what}[${i}]: ours ${ours[i]}, DevTools ${theirs[i]}`);
      diffs++;
    }
  }
  return diffs;
}

/** DevTools' keyed view keeps the last aggregate inserted under a key (see class_aggregates). */
function keyedAggregates(list) {
  const byKey = new Map();
  for (const agg of list) byKey.set(agg.key, agg);
  return byKey;
}

function compareAggregates(ours, theirs) {
  const mine = keyedAggregates(ours);
  let diffs = 0;
  const report = (line) => {
    if (diffs < 10) console.log(`  ${line}`);
    diffs++;
  };
  for (const [key, agg] of Object.entries(theirs)) {
    const m = mine.get(key);
    if (!m) {
      report(`class ${JSON.stringify(key)} missing (DevTools count ${agg.count})`);
      continue;
    }
    for (const [field, theirsValue] of [['count', agg.count], ['self', agg.self], ['retained', agg.maxRet], ['name', agg.name]]) {
      if (m[field] !== theirsValue) report(`class ${JSON.stringify(key)} ${field}: ours ${m[field]}, DevTools ${theirsValue}`);
    }
  }
  for (const key of mine.keys()) {
    if (!(key in theirs)) report(`class ${JSON.stringify(key)} only in ours`);
  }
  return { diffs, classes: Object.keys(theirs).length, duplicateKeys: ours.length - mine.size };
}

async function verify(file) {
  const bytes = fs.statSync(file).size;
  console.log(`${path.basename(file)}: ${(bytes / 1e6).toFixed(1)} MB`);
  const engine = engineResults(file);
  const devtools = await devtoolsResults(file);
  const ours = engine.data;
  const s = devtools.snapshot;
  console.log(`  nodes ${ours.nodes} (DevTools ${s.nodeCount}), edges ${ours.edges}`);
  console.log(`  engine ${engine.seconds.toFixed(2)} s (process wall, incl. JSON output), DevTools processor ${devtools.seconds.toFixed(2)} s`);
  let total = 0;
  total += compareArrays('retained', ours.retained, Array.from(s.retainedSizes));
  total += compareArrays('dominator', ours.dominators, Array.from(s.dominatorsTree));
  total += compareArrays('self size', ours.self_sizes, Array.from(devtools.selfSizes));
  // Distances from the user roots: the BFS that modswap's retainer paths are read from.
  total += compareArrays('distance', ours.distances, Array.from(s.nodeDistances));
  const agg = compareAggregates(ours.aggregates, devtools.aggregates);
  total += agg.diffs;
  if (ours.total_size !== s.totalSize) {
    console.log(`  total size: ours ${ours.total_size}, DevTools ${s.totalSize}`);
    total++;
  }
  console.log(
    `  root retained ${ours.retained[ours.root]}, ${agg.classes} classes` +
      (agg.duplicateKeys ? ` (${agg.duplicateKeys} key(s) shared by two classes, as in DevTools)` : '') +
      `, unreachable from root ${ours.unreachable_from_root} (from orphans ${ours.unreachable_from_orphans})`,
  );
  console.log(`  ${total === 0 ? 'OK: identical' : `MISMATCHES: ${total}`}`);
  return total;
}

async function main() {
  if (process.argv[2] === '--child') {
    writeTestSnapshot(process.argv[3]);
    return;
  }
  let files = process.argv.slice(2);
  let tmp = null;
  if (files.length === 0) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'modswap-verify-'));
    const file = path.join(tmp, 'test.heapsnapshot');
    run(process.execPath, [__filename, '--child', file], { stdio: 'inherit' });
    files = [file];
  }
  ensureDumpBuilt();
  let mismatches = 0;
  try {
    for (const file of files) mismatches += await verify(file);
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
  process.exitCode = mismatches === 0 ? 0 : 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

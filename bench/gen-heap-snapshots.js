#!/usr/bin/env node
'use strict';
// Generates the reference heap snapshots of issue C (../shared/notes/heapsnapshot-format.md,
// section 6) into .bench-tmp/heap/:
//
//   node bench/gen-heap-snapshots.js [--only=s1,s6,s10] [--force] [--out=DIR]
//   node bench/gen-heap-snapshots.js --only=s17 --out=/tmp/heap-big   # the > 1 GB file
//
//   heap-s1-p1.heapsnapshot    scale 1, phase 1   ~66 MB   (3-snapshot leaks: baseline)
//   heap-s1-p2.heapsnapshot    scale 1, phase 2   ~81 MB   (3-snapshot leaks: target)
//   heap-s1-p3.heapsnapshot    scale 1, phase 3   ~95 MB   (3-snapshot leaks: final; analysis "95 MB")
//   heap-s6-p1.heapsnapshot    scale 6, phase 1   ~390 MB
//   heap-s10-p1.heapsnapshot   scale 10, phase 1  ~655 MB
//   heap-s17-p1.heapsnapshot   scale 17, phase 1  ~1.1 GB  (only with --only=s17: the "tested
//                              above 1 GB" file; write it outside the repository)
//
// The test heap: 60,000 x scale `User`s (strings, a small array, a nested object); a
// closure-bearing companion object for every second user in a Map; a WeakMap and 1,000
// WeakRefs. Each phase leaks 20,000 x scale `LeakyRequest`s (16-element array, 64-byte Buffer)
// into a Map and an array (a listener closure for every 10th), churns garbage, then writes the
// snapshot with v8.writeHeapSnapshot. Every root hangs off globalThis.__keep.
//
// Each scale is built in its own child process (`--child`), so one scale's heap does not end up
// in the next one's snapshot. Existing files are kept unless --force. Prints each file's size,
// its node and edge counts (read from the header) and how long the write took.
const fs = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');
const { spawnSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..');
const OUT_DIR = path.join(ROOT, '.bench-tmp', 'heap');

/** What to generate: scale and phases written; `explicit` sets only when named in --only. */
const SETS = {
  s1: { scale: 1, phases: [1, 2, 3] },
  s6: { scale: 6, phases: [1] },
  s10: { scale: 10, phases: [1] },
  s17: { scale: 17, phases: [1], explicit: true },
};

const USERS_PER_SCALE = 60000;
const LEAKS_PER_SCALE_PER_PHASE = 20000;
const WEAK_REFS = 1000;

function fileName(scale, phase) {
  return `heap-s${scale}-p${phase}.heapsnapshot`;
}

// --- the heap (child process) ------------------------------------------------------------------

// Strings that V8 would build as cons strings (13+ characters from a template) are made with
// Array#join, which returns one flat string: one snapshot node each, as strings read from JSON,
// a database or the network are. Small shared vocabularies (roles, teams, cities) are interned
// once. Per user: the User, 2 strings, an Array with its elements store, the profile and its
// heap number; per companion (every second user): the object, its closure and context, a heap
// number.
const TEAMS = Array.from({ length: 50 }, (_, k) => `team-${k}`);
const CITIES = Array.from({ length: 500 }, (_, k) => `city-${k}`);

class User {
  constructor(i) {
    this.id = i;
    this.name = `user-${i}`;
    this.email = ['user', i, '@example.com'].join('');
    this.roles = ['reader', i % 7 === 0 ? 'admin' : 'member', TEAMS[i % 50]];
    this.profile = { age: 18 + (i % 60), city: CITIES[i % 500], score: (i % 1000) / 10 + 0.5 };
  }
}

// Per request: the object, 2 strings, a heap number, the headers Array and its elements store,
// the Buffer (a Uint8Array) and its ArrayBuffer; references to shared strings and to a user.
class LeakyRequest {
  constructor(phase, i) {
    this.id = `${phase}-${i}`;
    this.method = i % 5 === 0 ? 'POST' : 'GET';
    this.status = 'pending';
    this.user = globalThis.__keep.users[i % globalThis.__keep.users.length];
    this.url = ['/api/items/', i % 1000, '?page=', i % 17].join('');
    this.startedAt = 1700000000000 + i;
    this.headers = new Array(16);
    for (let k = 0; k < 16; k++) this.headers[k] = k * 31 + (i & 0xff);
    this.body = Buffer.alloc(64, i & 0xff);
  }
}

/** A listener that keeps its request alive through its closure, as forgotten handlers do. */
function makeListener(request) {
  let calls = 0;
  return function onResponse(status) {
    calls += 1;
    return `${request.url} -> ${status} (${calls})`;
  };
}

/** Shared by every companion (one function, not one closure each). */
function touchCompanion() {
  this.lastSeen += 1;
}

function buildHeap(scale) {
  const users = new Array(USERS_PER_SCALE * scale);
  for (let i = 0; i < users.length; i++) users[i] = new User(i);

  // A companion with closures over its user for every second user.
  const companions = new Map();
  for (let i = 0; i < users.length; i += 2) {
    const user = users[i];
    companions.set(user.id, {
      user,
      lastSeen: i,
      weight: i + 0.25,
      describe: () => `${user.name} <${user.email}>`,
      touch: touchCompanion,
    });
  }

  // Per-user metadata in a WeakMap (every eighth user), and WeakRefs to spread-out users.
  const metadata = new WeakMap();
  for (let i = 0; i < users.length; i += 8) metadata.set(users[i], { visits: i % 100, flags: i & 7 });
  const weakRefs = [];
  const step = Math.max(1, Math.floor(users.length / WEAK_REFS));
  for (let i = 0; i < WEAK_REFS; i++) weakRefs.push(new WeakRef(users[(i * step) % users.length]));

  globalThis.__keep = {
    users,
    companions,
    metadata,
    weakRefs,
    leakedRequests: new Map(),
    leakedArray: [],
    listeners: [],
  };
  return globalThis.__keep;
}

/** Short-lived objects of all shapes, dropped again: the snapshot's GC frees them. */
function churn(scale) {
  let sink = 0;
  for (let round = 0; round < 20; round++) {
    const garbage = [];
    for (let i = 0; i < 10000 * scale; i++) {
      garbage.push({ round, i, text: `tmp-${round}-${i}`, list: [i, i + 1, i + 2] });
    }
    sink += garbage.length;
  }
  return sink;
}

function leakPhase(scale, phase) {
  const keep = globalThis.__keep;
  const count = LEAKS_PER_SCALE_PER_PHASE * scale;
  for (let i = 0; i < count; i++) {
    const request = new LeakyRequest(phase, i);
    keep.leakedRequests.set(request.id, request);
    keep.leakedArray.push(request);
    if (i % 10 === 0) keep.listeners.push(makeListener(request));
  }
}

function child(scale, phases, outDir, force) {
  const started = process.hrtime.bigint();
  // The program's state is also held in this function's locals, live across every snapshot (they
  // are used at the end), as a real program's main function holds its state: those objects are
  // reachable both from globalThis.__keep and from the stack roots. DevTools still counts them as
  // retained by __keep (page-owned objects: edges from the stack roots into them are not
  // essential); memlab, whose ownership starts from the root's non-shortcut edges, does not
  // (notes section 3). A test file for that rule.
  const keep = buildHeap(scale);
  const { users, companions, leakedRequests, leakedArray, listeners } = keep;
  const built = Number(process.hrtime.bigint() - started) / 1e9;
  const written = [];
  for (let phase = 1; phase <= Math.max(...phases); phase++) {
    leakPhase(scale, phase);
    churn(scale);
    if (!phases.includes(phase)) continue;
    const file = path.join(outDir, fileName(scale, phase));
    if (!force && fs.existsSync(file)) {
      written.push({ file, skipped: true });
      continue;
    }
    // Write to a temporary name first: an interrupted run must not leave a truncated file that
    // a later run would then skip as existing.
    const partial = `${file}.partial`;
    const writeStart = process.hrtime.bigint();
    v8.writeHeapSnapshot(partial);
    const writeSeconds = Number(process.hrtime.bigint() - writeStart) / 1e9;
    fs.renameSync(partial, file);
    written.push({ file, writeSeconds });
  }
  process.stdout.write(
    JSON.stringify({
      scale,
      buildSeconds: built,
      written,
      live: {
        users: users.length,
        companions: companions.size,
        leakedRequests: leakedRequests.size,
        leakedArray: leakedArray.length,
        listeners: listeners.length,
      },
      maxRss: process.resourceUsage().maxRSS * 1024,
    }) + '\n',
  );
}

// --- driver ------------------------------------------------------------------------------------

/** node_count and edge_count from the header (the first few KB of the file). */
function headerCounts(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(8192);
    const n = fs.readSync(fd, buffer, 0, buffer.length, 0);
    const head = buffer.toString('latin1', 0, n);
    const nodes = /"node_count"\s*:\s*(\d+)/.exec(head);
    const edges = /"edge_count"\s*:\s*(\d+)/.exec(head);
    return { nodes: nodes ? Number(nodes[1]) : NaN, edges: edges ? Number(edges[1]) : NaN };
  } finally {
    fs.closeSync(fd);
  }
}

const fmtInt = (n) => (Number.isFinite(n) ? n.toLocaleString('en-US') : '?');

function parseArgs(argv) {
  const defaults = Object.keys(SETS).filter((name) => !SETS[name].explicit);
  const options = { only: defaults, force: false, out: OUT_DIR };
  for (const arg of argv) {
    const [key, value] = arg.split('=');
    if (key === '--force') options.force = true;
    else if (key === '--only') options.only = value.split(',').map((s) => s.trim()).filter(Boolean);
    else if (key === '--out') options.out = path.resolve(value);
    else throw new Error(`unknown option ${arg}; usage: gen-heap-snapshots.js [--only=s1,s6,s10,s17] [--force] [--out=DIR]`);
  }
  const unknown = options.only.filter((name) => !SETS[name]);
  if (unknown.length > 0) throw new Error(`unknown set(s) ${unknown.join(', ')}; known: ${Object.keys(SETS).join(', ')}`);
  return options;
}

/** The files of `sets`, in order: { set, scale, phase, file }. */
function plannedFiles(sets, outDir) {
  return sets.flatMap((name) =>
    SETS[name].phases.map((phase) => ({
      set: name,
      scale: SETS[name].scale,
      phase,
      file: path.join(outDir, fileName(SETS[name].scale, phase)),
    })),
  );
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  fs.mkdirSync(options.out, { recursive: true });
  const rows = [];
  const totalStart = process.hrtime.bigint();
  for (const name of options.only) {
    const { scale, phases } = SETS[name];
    const files = plannedFiles([name], options.out);
    if (!options.force && files.every(({ file }) => fs.existsSync(file))) {
      for (const f of files) rows.push({ ...f, skipped: true });
      continue;
    }
    process.stderr.write(`  scale ${scale}: building the heap and writing phase(s) ${phases.join(', ')}...\n`);
    const start = process.hrtime.bigint();
    // The scale-10 heap is ~0.6 GB of JS objects (scale 17: ~1 GB); the snapshot itself is built
    // outside the JS heap.
    const run = spawnSync(
      process.execPath,
      ['--max-old-space-size=8192', __filename, '--child', String(scale), phases.join(','), options.out, options.force ? '1' : '0'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
    );
    if (run.status !== 0) throw new Error(`scale ${scale} child failed (${run.signal ?? `exit ${run.status}`})`);
    const result = JSON.parse(run.stdout.trim().split('\n').pop());
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    process.stderr.write(
      `  scale ${scale}: done in ${seconds.toFixed(1)} s (heap built in ${result.buildSeconds.toFixed(1)} s, ` +
        `child peak RSS ${(result.maxRss / 2 ** 30).toFixed(2)} GB)\n`,
    );
    for (const w of result.written) {
      const f = files.find((candidate) => candidate.file === w.file);
      rows.push({ ...f, skipped: Boolean(w.skipped), writeSeconds: w.writeSeconds });
    }
  }

  const table = rows.map((r) => {
    const bytes = fs.statSync(r.file).size;
    const { nodes, edges } = headerCounts(r.file);
    return [
      path.relative(process.cwd(), r.file),
      `${r.scale}`,
      `${r.phase}`,
      fmtInt(bytes),
      `${(bytes / 1e6).toFixed(1)} MB`,
      fmtInt(nodes),
      fmtInt(edges),
      r.skipped ? 'exists (kept; --force rewrites)' : `${r.writeSeconds.toFixed(1)} s`,
    ];
  });
  const { renderTable } = require('./lib/stats');
  console.log(renderTable(['file', 'scale', 'phase', 'bytes', 'size', 'nodes', 'edges', 'write'], table));
  console.log(`total ${(Number(process.hrtime.bigint() - totalStart) / 1e9).toFixed(1)} s`);
}

if (require.main === module) {
  if (process.argv[2] === '--child') {
    const [, , , scale, phases, outDir, force] = process.argv;
    child(Number(scale), phases.split(',').map(Number), outDir, force === '1');
  } else {
    try {
      main();
    } catch (error) {
      console.error(error.message);
      process.exit(1);
    }
  }
}

module.exports = { SETS, fileName, headerCounts, OUT_DIR };

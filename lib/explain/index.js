'use strict';
// modswap.explain(): why is each old generation still alive? A heap snapshot of this process,
// read by the engine (src/heap/explain.rs) on the libuv pool: every value an old CommonJS
// generation left alive carries a marker (markers.js), so the engine knows each generation's
// objects exactly and gives the shortest path from the GC roots to the nearest of them, the
// step that holds it and what kind of holder that is; fixes.js says what to change.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const { binding, callNative } = require('../native');
const { getTracker } = require('../tracker');
const { ModswapError } = require('../errors');
const { fixFor } = require('./fixes');
const { formatPath } = require('../heap/format-path');

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** The holder kind fixes.js knows it by: a listener on `process` gets its own advice. */
function holderKind(holder) {
  if (holder === undefined) return 'other';
  if (holder.kind === 'listener' && holder.onProcess) return 'process-listener';
  return holder.kind;
}

/** The holding object's name ('(closure)' for an anonymous one; '' for a GC root). */
function holderName(holder) {
  const node = holder?.node;
  if (node === undefined || node === null) return '';
  return node.name !== '' ? node.name : `(${node.type})`;
}

/** One generation of the engine's result, as explain() reports it. */
function explainedGeneration(row) {
  const kind = holderKind(row.holder);
  const out = {
    file: row.file,
    generation: row.generation,
    held: row.role,
    path: row.path,
    pathText: formatPath(row.path, { maxSteps: 12 }),
    holder: { kind, edge: row.holder?.edge ?? '', node: holderName(row.holder), step: row.holder?.step ?? -1 },
    fix: fixFor(kind),
  };
  if (row.exportName) out.exportName = row.exportName;
  if (!row.found) out.found = false;
  return out;
}

/**
 * The engine's result `engine` as explain() reports it: the generations (of `file` only, when
 * given), groups of generations held the same way, and the stale() rows the snapshot did not
 * show (collected before it was taken: their FinalizationRegistry callbacks had not run yet).
 */
function report(engine, { file, staleRows, pinned, snapshot, timingsMs }) {
  const keep = (row) => file === undefined || row.file === file;
  const indexOf = new Map();
  const generations = [];
  engine.generations.forEach((row, i) => {
    if (!keep(row)) return;
    indexOf.set(i, generations.length);
    generations.push(explainedGeneration(row));
  });
  const groups = [];
  for (const group of engine.groups) {
    const members = group.generations.filter((i) => indexOf.has(i)).map((i) => generations[indexOf.get(i)]);
    if (members.length === 0) continue;
    const kind = members[0].holder.kind;
    groups.push({
      kind,
      fix: fixFor(kind),
      pathText: members[0].pathText,
      generations: members.map(({ file: f, generation }) => ({ file: f, generation })),
    });
  }
  const found = new Set(generations.map((g) => `${g.file}#${g.generation}`));
  const notFound = staleRows.filter((row) => keep(row) && !found.has(`${row.file}#${row.generation}`));
  return { generations, groups, notFound, pinned, snapshot, timingsMs };
}

/** A fresh path for this process's snapshot in `dir` (a directory of its own under the OS temp dir by default). */
function snapshotPath(dir) {
  const parent = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'modswap-explain-'));
  return path.join(parent, `modswap-${process.pid}-${Date.now()}.heapsnapshot`);
}

function removeSnapshot(file, madeDir) {
  fs.rmSync(file, { force: true });
  if (madeDir) fs.rmSync(path.dirname(file), { recursive: true, force: true });
}

/** Pinned ES module versions: never collected, so there is no holder to explain. */
function pinnedCount(file) {
  const { installedWith } = require('../esm/register');
  if (installedWith() === undefined) return 0;
  const rows = require('../esm/generations').esmStale(Date.now(), 0);
  return rows.filter((row) => file === undefined || row.file === file).length;
}

function checkOptions(options) {
  if (options === null || typeof options !== 'object') {
    throw new ModswapError('ERR_MODSWAP_INVALID_ARG', `explain() options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  const { snapshotDir, keepSnapshot } = options;
  if (snapshotDir !== undefined && (typeof snapshotDir !== 'string' || !fs.existsSync(snapshotDir))) {
    throw new ModswapError('ERR_MODSWAP_INVALID_ARG', `explain() snapshotDir must be an existing directory, got ${String(snapshotDir)}`);
  }
  if (keepSnapshot !== undefined && typeof keepSnapshot !== 'boolean') {
    throw new ModswapError('ERR_MODSWAP_INVALID_ARG', `explain() keepSnapshot must be a boolean, got ${typeof keepSnapshot}`);
  }
}

/**
 * Explains the old generations of `file` (all files when undefined) still alive. Takes no
 * snapshot when stale() lists none. `options.snapshotDir`: where the snapshot goes (default: a
 * temporary directory); `options.keepSnapshot`: leave it there and report its path.
 */
async function explainFile(file, options = {}) {
  checkOptions(options);
  const started = nowMs();
  const tracker = getTracker();
  tracker.sync(); // numbers the markers of generations retired since the last question
  const staleRows = tracker.stale().filter((row) => file === undefined || row.file === file);
  const pinned = pinnedCount(file);
  if (staleRows.length === 0) {
    const timingsMs = { snapshot: 0, analysis: 0, total: nowMs() - started };
    return { generations: [], groups: [], notFound: [], pinned, snapshot: null, timingsMs };
  }
  const snapshotFile = snapshotPath(options.snapshotDir);
  const written = nowMs();
  v8.writeHeapSnapshot(snapshotFile);
  const snapshotMs = nowMs() - written;
  let engine;
  try {
    engine = await callNative(() => binding.explainHeapSnapshot(snapshotFile));
  } finally {
    if (!options.keepSnapshot) removeSnapshot(snapshotFile, options.snapshotDir === undefined);
  }
  const snapshot = { file: options.keepSnapshot ? snapshotFile : null, bytes: engine.fileBytes, nodes: engine.nodeCount };
  const timingsMs = { snapshot: snapshotMs, analysis: engine.timingsMs.total, total: nowMs() - started };
  return report(engine, { file, staleRows: staleRows.map(({ node, ...row }) => row), pinned, snapshot, timingsMs });
}

/**
 * `modswap why FILE.heapsnapshot`: the explanation of a snapshot taken earlier (by explain()
 * with keepSnapshot, DevTools, v8.writeHeapSnapshot or --heapsnapshot-signal), from its markers
 * alone.
 */
async function explainSnapshot(snapshotFile) {
  const started = nowMs();
  const engine = await callNative(() => binding.explainHeapSnapshot(snapshotFile));
  const snapshot = { file: snapshotFile, bytes: engine.fileBytes, nodes: engine.nodeCount };
  const timingsMs = { snapshot: 0, analysis: engine.timingsMs.total, total: nowMs() - started };
  return report(engine, { file: undefined, staleRows: [], pinned: 0, snapshot, timingsMs });
}

module.exports = { explainFile, explainSnapshot };

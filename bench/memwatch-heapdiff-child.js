'use strict';
// One HeapDiff measurement in a fresh process (started by memwatch-heapdiff.bench.js with
// --expose-gc):
//
//   node --expose-gc bench/memwatch-heapdiff-child.js <tool> <objects> <addedFraction> [airbnbDir]
//
// tool: modswap | airbnb     new HeapDiff(), allocate objects * addedFraction more, end()
//       floor-stream         V8 alone: one v8.getHeapSnapshot(), every chunk read and dropped
//       floor-sync           V8 alone: one v8.getHeapSnapshot(), each chunk dropped the moment
//                            V8 writes it (no Readable buffering; how modswap consumes it)
//       floor-file           V8 alone: one v8.writeHeapSnapshot('/dev/null')
//
// Builds a heap of `objects` live BenchItem objects first. Prints one JSON line: the timings,
// RSS before the first snapshot and the process's peak RSS at the end, and (for the diffs) what
// the diff says about the objects allocated in between.
const v8 = require('node:v8');
const { msSince } = require('./lib/stats');

const TOOLS = ['modswap', 'airbnb', 'floor-stream', 'floor-sync', 'floor-file'];

/**
 * A small object with a few fields and a string of its own: 4 snapshot nodes each (the object,
 * two heap numbers for the doubles, the string).
 */
class BenchItem {
  constructor(i) {
    this.id = i;
    this.score = i + 0.5;
    this.weight = i * 0.25 + 0.125;
    this.label = `item-${i}`;
  }
}

/** The objects allocated between the two snapshots of a diff: the diff must find them. */
class BenchAdded {
  constructor(i) {
    this.id = i;
    this.score = i + 0.25;
    this.weight = i * 0.5 + 0.125;
    this.label = `added-${i}`;
  }
}

function build(Class, count) {
  const items = new Array(count);
  for (let i = 0; i < count; i++) items[i] = new Class(i);
  return items;
}

function loadTool(tool, moduleDir) {
  // A path after the tool: another checkout's memwatch.js (the bench's --before).
  if (tool === 'modswap') return moduleDir ?? require('./lib/memwatch-bench').MODSWAP_MEMWATCH;
  if (tool === 'airbnb') return moduleDir;
  return null;
}

function memory() {
  return { rss: process.memoryUsage().rss, maxRss: process.resourceUsage().maxRSS * 1024 };
}

/** The entry of `details` for class `what`, or null. */
function detailOf(diff, what) {
  return diff.change.details.find((detail) => detail.what === what) ?? null;
}

function runDiff(HeapDiff, objects, added) {
  let start = process.hrtime.bigint();
  const hd = new HeapDiff();
  const constructorMs = msSince(start);
  globalThis.benchAdded = build(BenchAdded, added);
  start = process.hrtime.bigint();
  const diff = hd.end();
  const endMs = msSince(start);
  const addedDetail = detailOf(diff, 'BenchAdded');
  const itemDetail = detailOf(diff, 'BenchItem');
  return {
    constructorMs,
    endMs,
    before: { nodes: diff.before.nodes, sizeBytes: diff.before.size_bytes },
    after: { nodes: diff.after.nodes, sizeBytes: diff.after.size_bytes },
    change: {
      sizeBytes: diff.change.size_bytes,
      allocatedNodes: diff.change.allocated_nodes,
      freedNodes: diff.change.freed_nodes,
      detailRows: diff.change.details.length,
    },
    benchAdded: addedDetail && { plus: addedDetail['+'], minus: addedDetail['-'], sizeBytes: addedDetail.size_bytes },
    benchItem: itemDetail && { plus: itemDetail['+'], minus: itemDetail['-'], sizeBytes: itemDetail.size_bytes },
  };
}

/** node_count from the snapshot's header, which the first chunks carry. */
function nodeCountOf(head) {
  const match = /"node_count":(\d+)/.exec(head);
  return match ? Number(match[1]) : null;
}

/** Counts a snapshot's bytes and keeps its first 64 KB (the header, for the node count). */
function chunkCounter() {
  let head = '';
  let bytes = 0;
  return {
    add(chunk) {
      if (head.length < 1 << 16) head += chunk.toString('latin1');
      bytes += chunk.length;
    },
    result: () => ({ jsonBytes: bytes, snapshotNodes: nodeCountOf(head) }),
  };
}

async function runFloorStream() {
  let start = process.hrtime.bigint();
  const stream = v8.getHeapSnapshot();
  const snapshotMs = msSince(start);
  start = process.hrtime.bigint();
  const counter = chunkCounter();
  for await (const chunk of stream) counter.add(chunk);
  return { snapshotMs, drainMs: msSince(start), ...counter.result() };
}

/** Consumes the stream as modswap's HeapDiff does: push() overridden, one synchronous read. */
function runFloorSync() {
  let start = process.hrtime.bigint();
  const stream = v8.getHeapSnapshot();
  const snapshotMs = msSince(start);
  start = process.hrtime.bigint();
  const counter = chunkCounter();
  stream.push = (chunk) => {
    if (chunk !== null) counter.add(chunk);
    return true;
  };
  const readStart = stream._read;
  stream._read = () => {};
  readStart.call(stream);
  return { snapshotMs, drainMs: msSince(start), ...counter.result() };
}

function runFloorFile() {
  const start = process.hrtime.bigint();
  v8.writeHeapSnapshot('/dev/null');
  return { snapshotMs: msSince(start) };
}

async function main() {
  const [tool, objectsArg, fractionArg, airbnbDir] = process.argv.slice(2);
  if (!TOOLS.includes(tool)) throw new Error(`tool must be one of ${TOOLS.join(', ')}`);
  if (typeof globalThis.gc !== 'function') throw new Error('start with --expose-gc');
  const objects = Number(objectsArg);
  const added = Math.round(objects * Number(fractionArg));
  // The tool's code and addon are loaded before the heap is built: they are part of the baseline.
  const modulePath = loadTool(tool, airbnbDir);
  const memwatch = modulePath ? require(modulePath) : null;

  const buildStart = process.hrtime.bigint();
  globalThis.benchItems = build(BenchItem, objects);
  const buildMs = msSince(buildStart);
  globalThis.gc();
  const baseline = { ...memory(), heapUsed: process.memoryUsage().heapUsed };

  let measured;
  if (tool === 'floor-stream') measured = await runFloorStream();
  else if (tool === 'floor-sync') measured = runFloorSync();
  else if (tool === 'floor-file') measured = runFloorFile();
  else measured = runDiff(memwatch.HeapDiff, objects, added);

  const end = memory();
  process.stdout.write(
    JSON.stringify({ tool, objects, added: memwatch ? added : 0, buildMs, baseline, peakRss: end.maxRss, endRss: end.rss, ...measured }) +
      '\n',
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

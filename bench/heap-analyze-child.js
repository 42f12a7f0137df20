'use strict';
// One full analysis of one .heapsnapshot file by one tool, in a fresh process (started by
// heap-analyze.bench.js):
//
//   node [--max-old-space-size=N] bench/heap-analyze-child.js <tool> <file> [modswapDir]
//
// tool: memlab     @memlab/core: what @memlab/heap-analysis's getFullHeapFromFile(file) does,
//                  utils.getSnapshotFromFile(file, { buildNodeIdIndex: true, verbose: true })
//                  then analysis.preparePathFinder(heap) (shortest paths from the roots,
//                  dominators, retained sizes). @memlab/heap-analysis is not installed: it only
//                  wraps these two calls of @memlab/core.
//       devtools   heap-snapshot-toolkit's parse(createReadStream(file)): the DevTools heap
//                  snapshot worker's HeapSnapshotLoader + JSHeapSnapshot.initialize() (edge
//                  indexes, retainers, flags, distances, dominators, retained sizes, dominated
//                  nodes, statistics), its "second worker" run on the same thread. Then,
//                  timed separately, the class aggregates (aggregatesWithFilter({})), which
//                  DevTools computes when the Summary view opens.
//       modswap    await require(modswapDir).heap.analyze(file)
//
// Prints one JSON line (the last line of stdout): the timings, peak RSS
// (process.resourceUsage().maxRSS) after the timed part and at the end, and a few numbers read
// from the tool's result after the timing (node/edge counts, total size, the retained size of
// globalThis.__keep), to check that the tools looked at the same graph.
const fs = require('node:fs');
const path = require('node:path');
const { msSince } = require('./lib/stats');
const { runChildMain, MEMLAB_CORE } = require('./lib/heap-bench');

const TOOLS = ['memlab', 'devtools', 'modswap'];

function maxRss() {
  return process.resourceUsage().maxRSS * 1024;
}

// --- memlab ------------------------------------------------------------------------------------

async function runMemlab(file) {
  const requireStart = process.hrtime.bigint();
  const { utils, analysis, info } = require(MEMLAB_CORE);
  const requireMs = msSince(requireStart);
  const start = process.hrtime.bigint();
  const heap = await utils.getSnapshotFromFile(file, { buildNodeIdIndex: true, verbose: true });
  const parseMs = msSince(start);
  analysis.preparePathFinder(heap);
  info.flush();
  const analyzeMs = msSince(start);
  const peakRss = maxRss();
  return { requireMs, analyzeMs, steps: { parseMs, pathFinderMs: analyzeMs - parseMs }, peakRss, check: memlabCheck(heap) };
}

/** The node behind globalThis.__keep: a property of a shortcut target of the root (depth <= 2). */
function memlabKeep(root) {
  const globals = [];
  root.forEachReference((edge) => {
    if (edge.type === 'shortcut') globals.push(edge.toNode);
  });
  for (const global of globals) {
    let found = null;
    global.forEachReference((edge) => {
      if (!found && edge.name_or_index === '__keep') found = edge.toNode;
    });
    if (found) return found;
  }
  return null;
}

function memlabCheck(heap) {
  const root = heap.getNodeById(1);
  const keep = root ? memlabKeep(root) : null;
  return {
    nodes: heap.nodes.length,
    edges: heap.edges.length,
    rootRetained: root ? root.retainedSize : null,
    keepRetained: keep ? keep.retainedSize : null,
  };
}

// --- heap-snapshot-toolkit (the DevTools worker) -------------------------------------------

async function runDevtools(file) {
  const requireStart = process.hrtime.bigint();
  // An ES module; import() from CommonJS.
  const toolkit = await import('heap-snapshot-toolkit');
  const requireMs = msSince(requireStart);
  const start = process.hrtime.bigint();
  const snapshot = await toolkit.parse(fs.createReadStream(file, 'utf-8'));
  const analyzeMs = msSince(start);
  const peakRss = maxRss();
  const aggregatesStart = process.hrtime.bigint();
  const aggregates = snapshot.aggregatesWithFilter({});
  const aggregatesMs = msSince(aggregatesStart);
  return {
    requireMs,
    analyzeMs,
    steps: { aggregatesMs },
    peakRss,
    peakRssWithAggregates: maxRss(),
    check: { ...devtoolsCheck(snapshot), classes: Object.keys(aggregates).length },
  };
}

function devtoolsCheck(snapshot) {
  const nodeFields = snapshot.nodeFieldCount;
  const edgeFields = snapshot.edgeFieldsCount;
  const edges = snapshot.containmentEdges;
  const first = snapshot.firstEdgeIndexes;
  const strings = snapshot.strings;
  const rootOrdinal = snapshot.rootNodeIndexInternal / nodeFields;
  const edgesOf = function* (ordinal) {
    for (let e = first[ordinal]; e < first[ordinal + 1]; e += edgeFields) {
      yield {
        type: edges.getValue(e + snapshot.edgeTypeOffset),
        name: edges.getValue(e + snapshot.edgeNameOffset),
        to: edges.getValue(e + snapshot.edgeToNodeOffset) / nodeFields,
      };
    }
  };
  let keep = null;
  for (const edge of edgesOf(rootOrdinal)) {
    if (edge.type !== snapshot.edgeShortcutType) continue;
    for (const property of edgesOf(edge.to)) {
      if (property.type === snapshot.edgePropertyType && strings[property.name] === '__keep') keep = property.to;
    }
    if (keep !== null) break;
  }
  return {
    nodes: snapshot.nodeCount,
    edges: edges.length / edgeFields,
    rootRetained: snapshot.retainedSizes[rootOrdinal],
    keepRetained: keep === null ? null : snapshot.retainedSizes[keep],
  };
}

// --- modswap -----------------------------------------------------------------------------------

async function runModswap(file, modswapDir) {
  const requireStart = process.hrtime.bigint();
  const modswap = require(modswapDir);
  const requireMs = msSince(requireStart);
  if (typeof modswap.heap?.analyze !== 'function') throw new Error(`${modswapDir}: modswap.heap.analyze is not a function`);
  const start = process.hrtime.bigint();
  const result = await modswap.heap.analyze(file);
  const analyzeMs = msSince(start);
  const peakRss = maxRss();
  return { requireMs, analyzeMs, steps: {}, peakRss, check: modswapCheck(result) };
}

/** The API's result shape is not fixed yet: keep its top-level numbers and the names of the rest. */
function modswapCheck(result) {
  const check = { keys: result && typeof result === 'object' ? Object.keys(result) : typeof result };
  if (result && typeof result === 'object') {
    for (const [key, value] of Object.entries(result)) {
      if (typeof value === 'number' || typeof value === 'bigint') check[key] = Number(value);
      else if (Array.isArray(value)) check[`${key}.length`] = value.length;
    }
  }
  return check;
}

// --- main --------------------------------------------------------------------------------------

async function main() {
  const [tool, file, modswapDir = path.join(__dirname, '..')] = process.argv.slice(2);
  if (!TOOLS.includes(tool)) throw new Error(`unknown tool ${tool}; known: ${TOOLS.join(', ')}`);
  if (!file || !fs.existsSync(file)) throw new Error(`no such file: ${file}`);
  const rssBefore = maxRss();
  let run;
  if (tool === 'memlab') run = await runMemlab(file);
  else if (tool === 'devtools') run = await runDevtools(file);
  else run = await runModswap(file, modswapDir);
  return {
    tool,
    file: path.basename(file),
    bytes: fs.statSync(file).size,
    heapLimitMB: Math.round(require('node:v8').getHeapStatistics().heap_size_limit / 2 ** 20),
    rssBefore,
    ...run,
    peakRssEnd: maxRss(),
    processMs: performance.now(),
  };
}

runChildMain(main);

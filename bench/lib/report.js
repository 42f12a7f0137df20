'use strict';
// Turns the benchmark results into the printed header and tables.
const { formatMs, formatMB, renderTable } = require('./stats');

const verdict = (ok) => (ok ? 'PASS' : 'MISS');
/** Other processes using more than this many cores make the timings unreliable. */
const NOISY_CORES = 0.25;

/** The run's identity: title, machine, Node, date, addon build, source commit, load. */
function header(title, machine, quick) {
  const lines = [
    `${title}${quick ? ' (--quick: reduced counts, smoke run only)' : ''}`,
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.totalMemGB} GB RAM (${machine.platform})`,
    `node:    ${machine.node}`,
    `date:    ${machine.date}`,
  ];
  if (machine.addon) {
    const { file, bytes, mtime, profile } = machine.addon;
    lines.push(`addon:   ${file}, ${profile} build (${formatMB(bytes)}, built ${mtime})`);
  }
  if (machine.source) {
    const { commit, dirty } = machine.source;
    lines.push(`source:  ${commit}${dirty.length > 0 ? `, uncommitted changes in ${dirty.join(' ')}` : ', clean'}`);
  } else {
    lines.push('source:  not a git checkout');
  }
  lines.push(`load:    1-min load average ${machine.loadAverage.toFixed(2)} at start`);
  return lines.join('\n');
}

/** "min a, max b": how noisy a set of process timings was. */
function spread(samples) {
  return `min ${formatMs(Math.min(...samples))}, max ${formatMs(Math.max(...samples))}`;
}

/** "p50 a, p95 b (n=…, k procs, p50 per proc x..y)" for samples pooled over worker processes. */
function pooledCell(label, pooled) {
  const low = Math.min(...pooled.processP50s);
  const high = Math.max(...pooled.processP50s);
  return (
    `${label}p50 ${formatMs(pooled.p50)}, p95 ${formatMs(pooled.p95)} ` +
    `(n=${pooled.n}, ${pooled.processP50s.length} procs, p50 per proc ${formatMs(low)}..${formatMs(high)})`
  );
}

function swapRows(r, goals) {
  if (!r.swap) return [];
  return [
    [
      'router hot swap: reload(router.js)',
      pooledCell('', r.swap),
      `p50 <= ${goals.swapP50Ms} ms`,
      verdict(r.swap.p50 <= goals.swapP50Ms),
    ],
  ];
}

function midGraphRows(r, goals) {
  const rows = [];
  if (r.midGraph) {
    const m = r.midGraph;
    rows.push([
      `mid-graph: reload(${m.target}) + require(router)`,
      pooledCell('', m),
      `p50 <= ${goals.midGraphP50Ms} ms`,
      verdict(m.p50 <= goals.midGraphP50Ms),
    ]);
    rows.push(['  of which modswap.reload()', pooledCell('', m.reload), '', '']);
    rows.push(['  of which require(router)', pooledCell('', m.requireRouter), '', '']);
  }
  if (r.midGraphFloor) {
    rows.push([
      '  floor: same files deleted by hand, no modswap',
      pooledCell('require(router) ', r.midGraphFloor),
      '',
      '',
    ]);
  }
  return rows;
}

function restartRows(r, goals) {
  if (!r.restart) return [];
  const rows = [
    [
      'restart: spawn server.js -> first HTTP 200',
      `median ${formatMs(r.restart.median)} (${spread(r.restart.samples)}, n=${r.restart.n})`,
      '',
      '',
    ],
  ];
  if (r.swap) {
    const ratio = r.restart.median / r.swap.p50;
    rows.push([
      'restart / router swap p50',
      `${Math.round(ratio)}x`,
      `>= ${goals.restartOverSwap}x`,
      verdict(ratio >= goals.restartOverSwap),
    ]);
  }
  return rows;
}

function startupRows(r, goals) {
  if (!r.startup) return [];
  const s = r.startup;
  return [
    [
      'startup app.js, plain node',
      `median ${formatMs(s.plainMs)} (${spread(s.plain.map((run) => run.inChildMs))}; spawn wall ${formatMs(s.plainWallMs)}, n=${s.n})`,
      '',
      '',
    ],
    [
      'startup app.js, node -r modswap',
      `median ${formatMs(s.trackedMs)} (${spread(s.tracked.map((run) => run.inChildMs))}; spawn wall ${formatMs(s.trackedWallMs)}, n=${s.n})`,
      '',
      '',
    ],
    [
      'startup ratio modswap / plain',
      `${s.ratio.toFixed(3)}x (spawn wall ${s.wallRatio.toFixed(3)}x)`,
      `<= ${goals.startupRatio}x`,
      verdict(s.ratio <= goals.startupRatio),
    ],
  ];
}

function heapTable(heap) {
  const rows = heap.map((h) =>
    h.error
      ? [h.tool, 'FAILED', h.error.slice(0, 160), '', '', '', '', '']
      : [
          h.tool,
          String(h.reloads),
          h.stoppedBy === 'heap-cap' ? 'heap cap' : 'all done',
          formatMB(h.heapBefore),
          formatMB(h.heapAfter),
          `${h.growth >= 0 ? '+' : ''}${formatMB(h.growth)}`,
          String(h.maxVersionsInChildren),
          Object.entries(h.versionsByParent)
            .map(([parent, count]) => `${parent}: ${count}`)
            .join(', '),
        ],
  );
  return renderTable(
    ['tool', 'reloads', 'stopped', 'heap before', 'heap after', 'growth', 'max versions', 'versions per parent children[]'],
    rows,
  );
}

function notes(r) {
  const lines = [];
  if (r.midGraph) {
    const m = r.midGraph;
    lines.push(
      `mid-graph: ${m.reEvaluatedMedian} modules re-evaluated per reload (range ${m.reEvaluatedRange.join('..')}), ` +
        `expected ${m.expectedFromGraph} from the generated graph (importers of ${m.target} + barrel + router)`,
    );
  }
  const generations = [];
  if (r.swap) generations.push(`router.js ${r.swap.generations.join('/')}`);
  if (r.midGraph) generations.push(`${r.midGraph.target} ${r.midGraph.generations.join('/')}`);
  if (generations.length > 0) {
    lines.push(`modswap.generations() per worker (1 + warmup + timed reloads): ${generations.join(', ')}`);
  }
  if (r.startup) {
    lines.push('startup = performance.now() at the end of app.js (ms since Node\'s time origin, i.e. process start)');
  }
  const busy = Object.entries(r.otherCores).filter(([, cores]) => cores !== null);
  if (busy.length > 0) {
    const list = busy.map(([name, cores]) => `${name} ${cores.toFixed(2)}`).join(', ');
    lines.push(`cores kept busy by other processes during each section: ${list}`);
    const disturbed = busy.filter(([, cores]) => cores > NOISY_CORES).map(([name]) => name);
    if (disturbed.length > 0) {
      lines.push(`WARNING: other load above ${NOISY_CORES} cores during ${disturbed.join(', ')}; those timings are inflated`);
    }
  }
  return lines;
}

function report(r, goals) {
  const rows = [
    ...swapRows(r, goals),
    ...midGraphRows(r, goals),
    ...restartRows(r, goals),
    ...startupRows(r, goals),
  ];
  const out = [];
  if (rows.length > 0) out.push(renderTable(['measurement', 'result', 'goal', ''], rows), '');
  if (r.heap) {
    out.push(
      `heap growth: reloads of an 8 MB module with two parents (entry + holder.js); heapUsed after ` +
        `forced GC; each tool in its own process, stopped at +${formatMB(r.options.heap.capBytes)} or ` +
        `${r.options.heap.maxReloads} reloads`,
      heapTable(r.heap),
      '',
    );
  }
  out.push(...notes(r));
  return out.join('\n');
}

module.exports = { header, report, NOISY_CORES };

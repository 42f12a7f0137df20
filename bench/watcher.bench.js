'use strict';
// Save-to-delivery latency of the dev server's file watcher, compared in the same run with
// Node's recursive fs.watch (and chokidar when it is installed).
//
//   node bench/watcher.bench.js [--saves=N] [--debounce=MS]
//
// A project of 200 modules in 20 directories plus a 2,000-file node_modules is generated in
// .bench-tmp/. For each watcher and each save style (writeFileSync; a rename-save: temp file
// written, then renamed over the module), N saves are made one after another, each to the next
// module, and the time from just before the save to the callback that names the saved file is
// recorded. fs.watch is timed to its first raw event (it neither coalesces a save's events nor
// ignores node_modules, so a dev server would still debounce on top of it); modswap and chokidar
// to their coalesced report.
const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { environment } = require('./lib/environment');
const { header } = require('./lib/report');
const { percentile, formatMs, renderTable } = require('./lib/stats');
const { watch } = require('../lib/dev/watcher');

const args = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, value] = arg.replace(/^--/, '').split('=');
    return [key, value ?? true];
  }),
);
const SAVES = Number(args.saves ?? 150);
const DEBOUNCE_MS = args.debounce === undefined ? undefined : Number(args.debounce);
const DELIVERY_TIMEOUT_MS = 2000;
/** Pause between saves, so one save's events are over before the next save starts. */
const GAP_MS = 40;
const WARM_UP_SAVES = 5;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function generateProject() {
  const root = path.join(__dirname, '..', '.bench-tmp', `watch-${process.pid}`);
  fs.rmSync(root, { recursive: true, force: true });
  const modules = [];
  for (let d = 0; d < 20; d++) {
    const dir = path.join(root, 'src', `dir${d}`);
    fs.mkdirSync(dir, { recursive: true });
    for (let m = 0; m < 10; m++) {
      const file = path.join(dir, `m${m}.js`);
      fs.writeFileSync(file, `module.exports = ${d * 10 + m};\n`);
      modules.push(file);
    }
  }
  for (let p = 0; p < 100; p++) {
    const dir = path.join(root, 'node_modules', `pkg${p}`, 'lib');
    fs.mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 20; f++) fs.writeFileSync(path.join(dir, `f${f}.js`), '');
  }
  return { root: fs.realpathSync(root), modules };
}

const SAVE_STYLES = {
  writeFileSync(file, source) {
    fs.writeFileSync(file, source);
  },
  'rename-save'(file, source) {
    fs.writeFileSync(`${file}.tmp`, source);
    fs.renameSync(`${file}.tmp`, file);
  },
};

/**
 * Each watcher: `start(root, onPaths)` calls `onPaths(paths)` with the absolute paths it reports
 * and returns a stop function; `null` when it cannot run here.
 */
const WATCHERS = {
  [`modswap (debounce ${DEBOUNCE_MS ?? 5} ms)`]: (root, onPaths) => {
    const handle = watch(root, { debounceMs: DEBOUNCE_MS }, (error, changes) => {
      if (error) throw error;
      onPaths(changes.map((change) => change.path));
    });
    return () => handle.close();
  },
  'fs.watch recursive (first raw event)': (root, onPaths) => {
    const watcher = fs.watch(root, { recursive: true }, (_event, filename) => {
      if (filename) onPaths([path.join(root, filename.toString())]);
    });
    return () => watcher.close();
  },
  chokidar: (root, onPaths) => {
    let chokidar;
    try {
      chokidar = require('chokidar');
    } catch {
      return null;
    }
    const ignored = (file) => /[\\/](node_modules|\.git)([\\/]|$)/.test(file);
    const watcher = chokidar.watch(root, { ignored, ignoreInitial: true });
    watcher.on('all', (_event, file) => onPaths([file]));
    return async () => watcher.close();
  },
};

/** Time given to a watcher to finish its initial scan before the first save. */
const START_UP_MS = 300;

async function measure(startWatcher, project, saveStyle) {
  let waiting = null;
  let eventsForSave = 0;
  const stop = startWatcher(project.root, (paths) => {
    const now = performance.now();
    if (waiting && paths.includes(waiting.file)) {
      eventsForSave++;
      if (eventsForSave === 1) waiting.resolve(now);
    }
  });
  if (stop === null) return null;
  await sleep(START_UP_MS);
  const latencies = [];
  const eventCounts = [];
  let misses = 0;
  for (let i = 0; i < WARM_UP_SAVES + SAVES; i++) {
    const file = project.modules[i % project.modules.length];
    eventsForSave = 0;
    const delivered = new Promise((resolve) => {
      waiting = { file, resolve };
      setTimeout(() => resolve(null), DELIVERY_TIMEOUT_MS).unref();
    });
    const start = performance.now();
    saveStyle(file, `module.exports = ${i};\n`);
    const at = await delivered;
    await sleep(GAP_MS); // late events of this save are counted, then the next save starts
    waiting = null;
    if (i < WARM_UP_SAVES) continue;
    if (at === null) misses++;
    else latencies.push(at - start);
    eventCounts.push(eventsForSave);
  }
  await stop();
  return { latencies, eventCounts, misses };
}

function row(name, style, result) {
  if (result === null) return [name, style, 'not installed', '', '', '', ''];
  const { latencies, eventCounts, misses } = result;
  const callbacks = eventCounts.reduce((a, b) => a + b, 0) / eventCounts.length;
  return [
    name,
    style,
    formatMs(percentile(latencies, 50)),
    formatMs(percentile(latencies, 95)),
    formatMs(Math.max(...latencies)),
    callbacks.toFixed(2),
    `${misses}/${latencies.length + misses}`,
  ];
}

function chokidarVersion() {
  try {
    const entry = require.resolve('chokidar');
    const manifest = path.join(entry.slice(0, entry.lastIndexOf(`${path.sep}chokidar${path.sep}`)), 'chokidar', 'package.json');
    return JSON.parse(fs.readFileSync(manifest, 'utf8')).version;
  } catch {
    return null;
  }
}

async function main() {
  const machine = environment();
  console.log(header('modswap file watcher: save → callback latency', machine, false));
  console.log(`saves:   ${SAVES} per watcher and style (+${WARM_UP_SAVES} warm-up), ${GAP_MS} ms apart`);
  console.log(`chokidar: ${chokidarVersion() ?? 'not installed (npm install --no-save chokidar@4 to compare)'}\n`);
  const project = generateProject();
  const rows = [];
  for (const [name, start] of Object.entries(WATCHERS)) {
    for (const [style, save] of Object.entries(SAVE_STYLES)) {
      rows.push(row(name, style, await measure(start, project, save)));
    }
  }
  console.log(
    renderTable(['watcher', 'save', 'p50', 'p95', 'max', 'callbacks naming the file per save', 'missed'], rows),
  );
  fs.rmSync(project.root, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

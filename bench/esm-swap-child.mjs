// One contender's run of the ESM swap benchmark (bench/esm-swap.bench.js starts it), in a fresh
// process whose entry is this file, over the ES module copy of the 2,000-module app:
//
//   node --expose-gc -r modswap/register-esm.js   esm-swap-child.mjs modswap  <mode> <appDir> …
//   node --expose-gc --import esm-swap-hot-hook.mjs esm-swap-child.mjs hot-hook <mode> <appDir> …
//
// Modes:
//   api     latency of a change of the router (it imports all 2,002 modules) and of a leaf
//           handler (no imports), each a boundary, asked for in-process: modswap.swap([file])
//           for modswap; the 'hot-hook:file-changed' message its runner (hot-runner) sends for
//           hot-hook. Timed from the request to the boundary serving the new version.
//   watch   the same change made by writing the file: timed from the write (the tool's own file
//           watcher sees it) to the boundary serving the new version.
//   memory  heap retained per swap (forced GC before and after N swaps) for the router, an
//           8 MB module whose disposer releases its state, and the same module without one:
//           the main thread's heap plus, for hooks on Node's module.register thread, that
//           thread's (esm-hooks-heap-probe.mjs).
//
// Prints one JSON line: { load, targets: { router, leaf } | cases }.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';

const [tool, mode, appArg, ...rest] = process.argv.slice(2);
const appDir = path.resolve(appArg);
const options = Object.fromEntries(rest.map((arg) => arg.replace(/^--/, '').split('=')));
const count = (name, fallback) => Number(options[name] ?? fallback);
const require = createRequire(import.meta.url);
const MB = 1 << 20;

const ROUTER = path.join(appDir, 'router.mjs');
const routerBase = fs.readFileSync(ROUTER, 'utf8').replace(/\nexport const version = \d+;\n$/, '\n');
/** The router as generated, plus the version the benchmark checks for. */
const routerSource = (version) => `${routerBase}\nexport const version = ${version};\n`;

const LEAF = path.join(appDir, 'leaf-handler.mjs');
/** A request handler that imports nothing: the smallest boundary. */
const leafSource = (version) =>
  `export default function handle(req, res) {\n  res.end('leaf');\n}\nexport const version = ${version};\n`;

/** What the latency modes swap: the router (it imports the barrel, so all 2,002 modules) and the leaf. */
const TARGETS = { router: [ROUTER, routerSource], leaf: [LEAF, leafSource] };

/** A module holding an 8 MB array (on the V8 heap: 2^20 numbers) in a top-level `let`. */
const bigSource = (version, withDisposer) =>
  [
    'let big = Array.from({ length: 1 << 20 }, (_, i) => i);',
    withDisposer ? 'import.meta.hot?.dispose(() => { big = null; });' : '',
    `export const version = ${version};`,
    'export const size = () => (big === null ? 0 : big.length);',
    '',
  ].join('\n');

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function fail(message) {
  throw new Error(`${tool}: ${message}`);
}

// --- the contenders --------------------------------------------------------------------------
// Each gives: load(file) -> () => current namespace (or a stand-in), api swap, and a promise of
// "the watcher took this change" for watch mode.

/**
 * modswap: a hot() handle is the boundary; swap() or the dev server's watcher swaps.
 * `untracked`: resource tracking (issue F) off, as `resourcePolicy('off')` does: its
 * AsyncLocalStorage hooks every promise on Node 20, and the ESM loader makes many.
 */
async function modswapContender({ untracked = false } = {}) {
  const modswap = require('../index.js');
  if (untracked) modswap.resourcePolicy('off');
  let watchedSwap = null;
  return {
    hooks: require('../lib/esm/register.js').installedWith(),
    async load(file) {
      const handle = await modswap.hot(file);
      return () => handle;
    },
    swap: (file) => modswap.swap([file]),
    startWatching() {
      const { HotReloader } = require('../lib/dev/hot-reloader.js');
      const { loadConfig } = require('../lib/dev/config.js');
      const config = loadConfig(appDir, { signal: null, restartOn: [] });
      const host = {
        log: (line) => {
          const waiter = watchedSwap;
          if (waiter === null) return;
          if (!line.startsWith('swapped ')) waiter.reject(new Error(line));
          else if (line.includes(path.basename(waiter.file))) waiter.resolve();
          else return; // another file's swap
          watchedSwap = null;
        },
        restart: (reason) => watchedSwap?.reject(new Error(`restart asked: ${reason}`)),
      };
      new HotReloader(config, host).start();
    },
    nextWatchedSwap: (file) => new Promise((resolve, reject) => (watchedSwap = { file, resolve, reject })),
  };
}

/**
 * hot-hook: a boundary is a dynamic import with its attribute; a change invalidates the file's
 * version (in the loader thread) and the next import of the boundary evaluates the new one.
 * Its main-thread half reports each invalidation through process.send (to its runner).
 */
async function hotHookContender() {
  let invalidated = null;
  process.send = (message) => {
    const waiter = invalidated;
    if (waiter === null) return;
    if (message?.type !== 'hot-hook:invalidated') {
      waiter.reject(new Error(`hot-hook asked for ${message?.type}: ${JSON.stringify(message)}`));
    } else if (message.paths.includes(waiter.file)) waiter.resolve();
    else return; // another file's invalidation
    invalidated = null;
  };
  const nextInvalidation = (file) => new Promise((resolve, reject) => (invalidated = { file, resolve, reject }));
  return {
    hooks: 'module.register (hot-hook)',
    async load(file) {
      const url = pathToFileURL(file).href;
      let namespace = await import(url, { with: { hot: 'true' } });
      // The app imports the boundary on each use; the benchmark does once per swap.
      return Object.assign(() => namespace, {
        refresh: async () => (namespace = await import(url, { with: { hot: 'true' } })),
      });
    },
    async swap(file) {
      const done = nextInvalidation(file);
      process.emit('message', { type: 'hot-hook:file-changed', path: file });
      await done;
    },
    startWatching() {},
    nextWatchedSwap: nextInvalidation,
  };
}

/**
 * No tool: plain Node importing the boundary under a new query string each time, its static
 * imports resolving as before. The floor of any swap through Node's ESM loader.
 */
async function floorContender() {
  const versions = new Map();
  const urlOf = (file) => `${pathToFileURL(file).href}?floor=${versions.get(file) ?? 0}`;
  return {
    hooks: 'none',
    async load(file) {
      let namespace = await import(urlOf(file));
      return Object.assign(() => namespace, { refresh: async () => (namespace = await import(urlOf(file))) });
    },
    async swap(file) {
      versions.set(file, (versions.get(file) ?? 0) + 1);
    },
    startWatching: () => fail('the floor has no watcher'),
  };
}

/** The new version `current` serves after a swap (hot-hook: the app's next import). */
async function served(current) {
  if (current.refresh) await current.refresh();
  return current().version;
}

// --- latency ---------------------------------------------------------------------------------

async function latency(contender, watching) {
  const warmup = count('warmup', 5);
  const swaps = count('swaps', 40);
  const gapMs = count('gap', watching ? 50 : 5);
  const targets = {};
  for (const [name, [file, source]] of Object.entries(TARGETS)) {
    fs.writeFileSync(file, source(0));
    targets[name] = { file, source, current: await contender.load(file), samples: [], reportedMs: [] };
  }
  if (watching) contender.startWatching();
  await sleep(watching ? 300 : 0);
  for (const target of Object.values(targets)) {
    const { file, source, current, samples, reportedMs } = target;
    for (let i = 1; i <= warmup + swaps; i++) {
      let elapsed;
      let result;
      if (watching) {
        const taken = contender.nextWatchedSwap(file);
        const started = nowMs();
        fs.writeFileSync(file, source(i));
        await taken;
        const version = await served(current);
        elapsed = nowMs() - started;
        if (version !== i) fail(`after writing version ${i} ${path.basename(file)} serves version ${version}`);
      } else {
        fs.writeFileSync(file, source(i));
        const started = nowMs();
        result = await contender.swap(file);
        const version = await served(current);
        elapsed = nowMs() - started;
        if (version !== i) fail(`after swapping in version ${i} ${path.basename(file)} serves version ${version}`);
      }
      if (i > warmup) {
        samples.push(elapsed);
        if (typeof result?.ms === 'number') reportedMs.push(result.ms);
      }
      await sleep(gapMs);
    }
  }
  const out = {};
  for (const [name, { samples, reportedMs }] of Object.entries(targets)) out[name] = { samples, reportedMs };
  return { targets: out };
}

// --- memory ----------------------------------------------------------------------------------

async function settledHeap() {
  for (let i = 0; i < 6; i++) {
    globalThis.gc();
    await nextTurn();
  }
  return process.memoryUsage().heapUsed;
}

/**
 * The used heap of Node's module.register hooks thread after forced GCs, through
 * esm-hooks-heap-probe.mjs; a function that resolves to 0 when the contender's hooks run in this
 * thread (modswap's registerHooks, the floor) and the thread does not exist.
 */
function hooksThreadHeap(contender) {
  if (!/\bregister\b/.test(contender.hooks)) return async () => 0;
  const { MessageChannel } = require('node:worker_threads');
  const { register } = require('node:module');
  const { port1, port2 } = new MessageChannel();
  register(new URL('./esm-hooks-heap-probe.mjs', import.meta.url).href, { data: { port: port2 }, transferList: [port2] });
  port1.unref();
  return () =>
    new Promise((resolve) => {
      port1.once('message', resolve);
      port1.postMessage('heap?');
    });
}

/** Heap retained per swap of `file` (rewritten with `source(version)` before each swap). */
async function retainedPerSwap(contender, file, source, swaps) {
  fs.writeFileSync(file, source(0));
  const current = await contender.load(file);
  let version = 0;
  const swapTo = async () => {
    version++;
    fs.writeFileSync(file, source(version));
    await contender.swap(file);
    if ((await served(current)) !== version) fail(`${path.basename(file)} does not serve version ${version}`);
    await nextTurn(); // swaps one event-loop turn apart, as file changes come
  };
  await contender.hooksHeap(); // its GCs reclaim what the first import left on the hooks thread
  for (let i = 0; i < 3; i++) await swapTo(); // first-swap costs (code paths, maps) are not per-swap
  const before = await settledHeap();
  const hooksBefore = await contender.hooksHeap();
  for (let i = 0; i < swaps; i++) await swapTo();
  const after = await settledHeap();
  const hooksAfter = await contender.hooksHeap();
  return {
    swaps,
    before,
    after,
    mainPerSwap: (after - before) / swaps,
    hooksPerSwap: (hooksAfter - hooksBefore) / swaps,
    perSwap: (after - before + hooksAfter - hooksBefore) / swaps,
    codeBytes: Buffer.byteLength(source(version)),
  };
}

const MEMORY_CASES = {
  router: (contender) => retainedPerSwap(contender, ROUTER, routerSource, count('small', 200)),
  bigDisposed: (contender) =>
    retainedPerSwap(contender, path.join(appDir, 'big-disposed.mjs'), (v) => bigSource(v, true), count('big', 40)),
  bigKept: (contender) =>
    retainedPerSwap(contender, path.join(appDir, 'big-kept.mjs'), (v) => bigSource(v, false), count('kept', 15)),
};

async function memory(contender) {
  const cases = {};
  for (const name of (options.cases ?? Object.keys(MEMORY_CASES).join(',')).split(',')) {
    cases[name] = await MEMORY_CASES[name](contender);
  }
  return cases;
}

// --- main ------------------------------------------------------------------------------------

async function main() {
  // hot-hook unrefs its message port: nothing else would keep the process alive while it works.
  setInterval(() => {}, 1 << 30);
  const contenders = {
    modswap: modswapContender,
    'modswap-untracked': () => modswapContender({ untracked: true }),
    'hot-hook': hotHookContender,
    floor: floorContender,
  };
  const contender = await contenders[tool]();
  contender.hooksHeap = hooksThreadHeap(contender);
  fs.writeFileSync(ROUTER, routerSource(0));
  const loadStarted = nowMs();
  const current = await contender.load(ROUTER);
  const load = { ms: nowMs() - loadStarted, sinceStartMs: performance.now() };
  if (current().version !== 0) fail('the router does not serve version 0 at start');
  const out = { tool, mode, node: process.version, hooks: contender.hooks, load };
  if (mode === 'memory') out.cases = await memory(contender);
  else Object.assign(out, await latency(contender, mode === 'watch'));
  for (const [file, source] of Object.values(TARGETS)) fs.writeFileSync(file, source(0));
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0); // watchers (hot-hook's chokidar, modswap's) would keep the process alive
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});

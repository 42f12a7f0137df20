'use strict';
// One tool's run of the heap-growth scenario, in a process of its own (started by
// reload.bench.js with --expose-gc). The fixture's 8 MB module has two parents: this entry and
// holder.js, which requires it again after every reload. clear-module only unlinks a module from
// its *first* parent's `children`, decache from none, so holder.children can keep every version.
//
// Usage: node --expose-gc heap-child.js <modswap|clear-module|decache> <fixtureDir> <maxReloads> <capBytes>
// Prints one JSON line with the result.
const path = require('node:path');

const [tool, fixtureDirArg, maxReloadsArg, capBytesArg] = process.argv.slice(2);
const fixtureDir = path.resolve(fixtureDirArg);
const MAX_RELOADS = Number(maxReloadsArg);
const CAP_BYTES = Number(capBytesArg);
// A forced GC costs a full mark of the heap, so the cap is checked every few reloads only.
const CHECK_EVERY = 10;

if (typeof global.gc !== 'function') throw new Error('run with --expose-gc');

/** Returns `swap(file)`: how users of `name` replace a module and load the new version. */
function loadTool(name) {
  switch (name) {
    case 'modswap': {
      // Required before the fixture so the require hook sees every load.
      const modswap = require(path.join(__dirname, '..'));
      return (file) => modswap.reload(file);
    }
    case 'clear-module': {
      const clearModule = require('clear-module');
      return (file) => {
        clearModule(file);
        return require(file);
      };
    }
    case 'decache': {
      const decache = require('decache');
      return (file) => {
        decache(file);
        return require(file);
      };
    }
    default:
      throw new Error(`unknown tool ${name}`);
  }
}

function heapAfterGc() {
  global.gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Lets the event loop turn, as it does between two file-change events in a dev server. Within
 * one synchronous job V8 keeps every new WeakRef target alive (modswap holds a WeakRef per
 * module instance), so a tight loop would measure that, not what a dev server sees.
 */
function nextTurn() {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * How many versions of `file` each module lists in its `children`, over every module reachable
 * from require.cache (old versions that stay reachable are walked too). Keyed by the parent's
 * file name; parents listing none are left out.
 */
function versionsByParent(file) {
  const seen = new Set();
  const pending = Object.values(require.cache);
  const counts = {};
  while (pending.length > 0) {
    const mod = pending.pop();
    if (!mod || seen.has(mod)) continue;
    seen.add(mod);
    const children = Array.isArray(mod.children) ? mod.children : [];
    const versions = new Set(children.filter((child) => child && child.filename === file)).size;
    if (versions > 0) {
      const name = path.basename(mod.filename || String(mod.id)) + (mod === require.main ? ' (entry)' : '');
      counts[name] = Math.max(counts[name] || 0, versions);
    }
    pending.push(...children);
  }
  return counts;
}

/**
 * Swaps big.js and re-requires it through the holder until MAX_RELOADS or until the heap grew by
 * more than CAP_BYTES. Returns the reload count, why it stopped and the heap samples.
 */
async function reloadRepeatedly(swap, bigFile, holderFile, heapBefore) {
  const samples = [{ reloads: 0, heapUsed: heapBefore }];
  let reloads = 0;
  while (reloads < MAX_RELOADS) {
    swap(bigFile);
    // The holder is resolved again each time: modswap reloads it (it imports big.js), the
    // other tools leave the cached instance in place.
    require(holderFile).touch();
    reloads++;
    await nextTurn();
    if (reloads % CHECK_EVERY === 0 || reloads === MAX_RELOADS) {
      const heapUsed = heapAfterGc();
      samples.push({ reloads, heapUsed });
      if (heapUsed - heapBefore > CAP_BYTES) return { reloads, stoppedBy: 'heap-cap', samples };
    }
  }
  return { reloads, stoppedBy: 'max-reloads', samples };
}

async function run() {
  const swap = loadTool(tool);
  const bigFile = path.join(fixtureDir, 'big.js');
  const holderFile = path.join(fixtureDir, 'holder.js');
  require(bigFile);
  require(holderFile).touch();
  await nextTurn();
  const heapBefore = heapAfterGc();
  const started = process.hrtime.bigint();
  const { reloads, stoppedBy, samples } = await reloadRepeatedly(swap, bigFile, holderFile, heapBefore);
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  await nextTurn();
  const heapAfter = heapAfterGc();
  const versions = versionsByParent(bigFile);
  const [maxParent = null, maxCount = 0] = Object.entries(versions).sort((a, b) => b[1] - a[1])[0] || [];
  const result = {
    tool,
    reloads,
    stoppedBy,
    heapBefore,
    heapAfter,
    growth: heapAfter - heapBefore,
    maxVersionsInChildren: maxCount,
    maxVersionsParent: maxParent,
    versionsByParent: versions,
    elapsedMs,
    samples,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

run().catch((error) => {
  console.error(error);
  process.exit(1);
});

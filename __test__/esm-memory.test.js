'use strict';
// What ES module swaps cost in memory, and what generations()/stale() say about it. Node's ESM
// loader keeps every module it evaluated, so each version of a swapped file stays ('pinned');
// what a version's import.meta.hot.dispose() handler releases must be collectable. Each app runs
// in a child process once per hooks API (esm-helpers.js), measures the heap after forced GCs and
// prints one JSON report.
const assert = require('node:assert/strict');
const { PRELUDE, counted, eachMode } = require('./esm-helpers');

const MB = 1 << 20;

/**
 * Forced GCs without --expose-gc on the child's command line (the harness sets it), then the
 * bytes in use: V8's heap plus memory outside it (ArrayBuffers), so that neither hides growth.
 */
const MEASURE = `
import v8 from 'node:v8';
import vm from 'node:vm';
v8.setFlagsFromString('--expose-gc');
const forceGc = vm.runInNewContext('gc');
const inUse = async () => {
  for (let i = 0; i < 4; i++) {
    forceGc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
};
/** Bytes the heap grew by over \`swaps\` swaps of \`name\`. */
const growthOver = async (name, swaps) => {
  const before = await inUse();
  for (let i = 0; i < swaps; i++) await modswap.swap(here(name));
  return (await inUse()) - before;
};
`;

/**
 * A self-accepting module holding 8 MB on the V8 heap (1 Mi doubles, allocated when it
 * evaluates), in a top-level \`let\` its disposer sets to null when `released`.
 */
const bigModule = (released) => `let big = new Array(1 << 20).fill(1.5);
import.meta.hot.accept();
${released ? 'import.meta.hot.dispose(() => { big = null; });\n' : ''}export const length = () => big?.length;
`;

eachMode(
  'an ES module whose disposer releases its 8 MB top-level state, swapped 100 times, grows the heap by far less than 100 x 8 MB; without the disposer each swap keeps 8 MB',
  () => ({
    'released.mjs': bigModule(true),
    'kept.mjs': bigModule(false),
    'main.mjs': `${PRELUDE}${MEASURE}
import { length } from './released.mjs';
import './kept.mjs';
report.length = length();
report.released = await growthOver('released.mjs', 100);
report.kept = await growthOver('kept.mjs', 10);
console.log(JSON.stringify(report));
`,
  }),
  (report) => {
    assert.equal(report.length, 1 << 20, 'the module holds 1 Mi doubles');
    // Measured: about 1-2 MB for the 100 swaps (Node's own record per version, the source,
    // modswap's bookkeeping). A disposer that did not free the array would add 800 MB.
    assert.ok(report.released < 10 * 8 * MB, `released: grew ${(report.released / MB).toFixed(1)} MB over 100 swaps`);
    // The control: the measurement sees the 8 MB each pinned version keeps.
    assert.ok(report.kept > 10 * 8 * MB * 0.9, `kept: grew only ${(report.kept / MB).toFixed(1)} MB over 10 swaps`);
  },
);

eachMode(
  'a replaced version does not keep what only its import.meta.hot handlers close over (a block-scoped 8 MB array)',
  () => ({
    'scoped.mjs': `import.meta.hot.accept();
{
  const big = new Array(1 << 20).fill(1.5);
  import.meta.hot.dispose(() => { globalThis.lastLength = big.length; });
}
`,
    'main.mjs': `${PRELUDE}${MEASURE}
import './scoped.mjs';
report.growth = await growthOver('scoped.mjs', 20);
report.disposed = globalThis.lastLength;
console.log(JSON.stringify(report));
`,
  }),
  (report) => {
    assert.equal(report.disposed, 1 << 20, 'the disposers ran');
    // The loader pins each version's import.meta.hot; its handlers used to be kept with it
    // (20 x 8 MB).
    assert.ok(report.growth < 5 * 8 * MB, `grew ${(report.growth / MB).toFixed(1)} MB over 20 swaps`);
  },
);

const LEAF = (value) => `${counted('leaf')}export const value = ${value};\n`;

eachMode(
  'generations() has a row per version the loader loaded (replaced and failed ones pinned); stale() lists the pinned ones',
  () => ({
    'leaf.mjs': LEAF(1),
    'self.mjs': `import { value } from './leaf.mjs';\nimport.meta.hot.accept();\nexport const read = () => value;\n`,
    'other.mjs': 'export const other = 1;\n',
    'main.mjs': `${PRELUDE}
import './self.mjs';
import './other.mjs';
const startedAt = Date.now();
report.before = { leaf: modswap.generations('./leaf.mjs'), stale: modswap.stale() };
await modswap.swap(here('leaf.mjs'));
write('leaf.mjs', 'export const value = ;\\n');
report.failure = await failureOf(modswap.swap(here('leaf.mjs')));
write('leaf.mjs', ${JSON.stringify(LEAF(3))});
await modswap.swap(here('leaf.mjs'));
report.leaf = modswap.generations('./leaf.mjs');
report.self = modswap.generations(here('self.mjs'));
report.other = modswap.generations('./other.mjs');
report.main = modswap.generations('./main.mjs');
report.stale = modswap.stale();
report.startedAt = startedAt;
report.now = Date.now();
report.counts = counts();
console.log(JSON.stringify(report));
`,
  }),
  (report, fixture) => {
    const states = (rows) => rows.map(({ generation, state, failed, count }) => ({ generation, state, failed, count }));
    assert.deepEqual(states(report.before.leaf), [{ generation: 1, state: 'current', failed: undefined, count: 1 }]);
    assert.deepEqual(report.before.stale, []);
    assert.equal(report.failure.code, 'ERR_MODSWAP_RELOAD_FAILED');
    const swapped = [
      { generation: 1, state: 'pinned', failed: undefined, count: 1 },
      { generation: 2, state: 'pinned', failed: undefined, count: 1 },
      { generation: 3, state: 'pinned', failed: true, count: 1 },
      { generation: 4, state: 'current', failed: undefined, count: 1 },
    ];
    assert.deepEqual(states(report.leaf), swapped);
    assert.deepEqual(states(report.self), swapped);
    // Only the swapped path gets new versions.
    assert.deepEqual(states(report.other), [{ generation: 1, state: 'current', failed: undefined, count: 1 }]);
    assert.deepEqual(states(report.main), [{ generation: 1, state: 'current', failed: undefined, count: 1 }]);
    // Versions 1, 2 and 4 evaluated; the syntax error stopped the loader before it ran version 3.
    assert.deepEqual(report.counts, { leaf: 3 });
    for (const rows of [report.leaf, report.self]) {
      const times = rows.map((row) => row.loadedAt);
      assert.deepEqual([...times].sort((a, b) => a - b), times, 'loadedAt in version order');
      // Date.now() is whole ms; the registry's clock is finer.
      assert.ok(times[0] < report.startedAt + 1 && times[1] >= report.startedAt && times[3] < report.now + 1);
    }

    // Replaced first: generation 1 of both files, then the failed 3, then 2 (replaced last).
    const rows = report.stale.map(({ file, generation, pinned }) => ({ file, generation, pinned }));
    const leaf = fixture.path('leaf.mjs');
    const self = fixture.path('self.mjs');
    assert.deepEqual(rows, [
      { file: leaf, generation: 1, pinned: true },
      { file: self, generation: 1, pinned: true },
      { file: leaf, generation: 3, pinned: true },
      { file: self, generation: 3, pinned: true },
      { file: leaf, generation: 2, pinned: true },
      { file: self, generation: 2, pinned: true },
    ]);
    const ages = report.stale.map((row) => row.ageMs);
    assert.deepEqual([...ages].sort((a, b) => b - a), ages, 'oldest replacement first');
    assert.ok(ages.every((age) => age >= 0 && age < report.now - report.startedAt + 1));
    for (const row of report.stale) {
      assert.ok(Number.isInteger(row.gcsSurvived) && row.gcsSurvived >= 0);
      assert.match(row.reason, /pinned by Node's ESM loader/);
      assert.match(row.reason, /dispose\(\) handler released/);
    }
    assert.match(report.stale[2].reason, /^the version of a failed swap \(rolled back\)/);
    assert.doesNotMatch(report.stale[0].reason, /failed swap/);
  },
);

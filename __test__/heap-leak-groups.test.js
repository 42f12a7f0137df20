'use strict';
// heap.leaks on real snapshots of child processes that leak 5,000 `Leaky` objects into each
// kind of holder people leak into: the top group names `Leaky`, says what holds it, and the
// groups of objects V8 allocated itself (compiled code, shapes, system objects) come after it.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile, execFileSync } = require('node:child_process');
const { promisify } = require('node:util');
const modswap = require('..');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modswap-leak-groups-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

const LEAK_SCRIPT = path.join(__dirname, 'fixtures', 'leak-holders', 'leak.js');
const CLI = path.join(__dirname, '..', 'bin', 'modswap.js');
const COUNT = 5000;

/**
 * Per holder: what the group must say. `shape` is the end of its path shape; `carriers` how
 * many nodes of the sample path, counted back from the end, each leaked object brings along
 * (a closure and its context).
 */
const HOLDERS = {
  array: { holder: 'Array', shape: /\.list → Array\[\] → Leaky$/, carriers: 1 },
  map: { holder: 'Map', shape: /\.map → Map\.table → \(array\)\[\] → Leaky$/, carriers: 1 },
  set: { holder: 'Set', shape: /\.set → Set\.table → \(array\)\[\] → Leaky$/, carriers: 1 },
  weakmap: { holder: 'WeakMap', shape: /\[WeakMap entry\] → Leaky$/, carriers: 1 },
  dictionary: { holder: 'Object (dictionary)', shape: /\.cache → Object\[key\] → Leaky$/, carriers: 1 },
  closure: {
    holder: 'closure (anonymous)',
    shape: /\.handlers → Array\[\] → Function\.context → system \/ Context\.leaky → Leaky$/,
    carriers: 3,
  },
  listener: {
    holder: 'EventEmitter listener onData()',
    shape: /\.bus → EventEmitter\._events → Object\.data → Array\[\] → onData\(\)\.context → system \/ Context\.leaky → Leaky$/,
    carriers: 3,
  },
};

const files = (holder) => ['baseline', 'target', 'final'].map((phase) => path.join(dir, `${holder}-${phase}.heapsnapshot`));

// The snapshots are written by all children at once, before the first test.
const written = Promise.all(
  Object.keys(HOLDERS).map((holder) => promisify(execFile)(process.execPath, [LEAK_SCRIPT, holder, dir])),
);

for (const [holder, expected] of Object.entries(HOLDERS)) {
  test(`5,000 objects leaked into ${holder === 'array' ? 'an array' : `a ${holder}`} are one group named by their class`, async () => {
    await written;
    const leaks = await modswap.heap.leaks(...files(holder), { top: 1000 });
    const [top] = leaks.groups;
    const describe = leaks.groups.slice(0, 5).map((g) => `${g.count} × ${g.className} in ${g.holder}: ${g.pathShape}`);
    assert.equal(top.className, 'Leaky', describe.join('\n'));
    assert.equal(top.count, COUNT);
    assert.equal(top.holder, expected.holder);
    assert.equal(top.internal, false);
    assert.match(top.pathShape, expected.shape);
    assert.equal(top.examples[0].name, 'Leaky');
    const last = top.samplePath[top.samplePath.length - 1].node;
    assert.deepEqual([last.name, last.id], ['Leaky', top.examples[0].id]);
    // Each object brings its own bytes (and its closure's and context's, for closures).
    const carried = top.samplePath.slice(-expected.carriers).reduce((sum, step) => sum + step.node.selfSize, 0);
    assert.ok(top.retainedSize >= COUNT * carried, `${top.retainedSize} < ${COUNT} × ${carried}`);
    assert.equal(leaks.groups.filter((g) => g.className === 'Leaky').length, 1, 'one group, not one per key');
    assert.ok(leaks.groupCount < 100, `${leaks.groupCount} groups`);

    // V8's own groups (compiled when the leak first ran) are there, flagged, and come last.
    assert.ok(leaks.internalGroupCount > 0, 'code compiled between baseline and target');
    assert.equal(leaks.groups.filter((g) => g.internal).length, leaks.internalGroupCount);
    const firstInternal = leaks.groups.findIndex((g) => g.internal);
    assert.ok(firstInternal > 0);
    assert.ok(leaks.groups.slice(firstInternal).every((g) => g.internal), 'no user group after an internal one');
    for (const group of leaks.groups) {
      if (['(compiled code)', '(system)', '(object shape)'].includes(group.className)) {
        assert.equal(group.internal, true, `${group.className}: ${group.pathShape}`);
      }
    }
  });
}

test('the CLI and the HTML report say what holds the leak and list V8 groups apart', async () => {
  await written;
  const html = path.join(dir, 'map-leaks.html');
  const text = execFileSync(process.execPath, [CLI, 'heap', 'leaks', ...files('map'), '--html', html], { encoding: 'utf8' });
  assert.match(text, /^ {2}1\. 5,000 × 'Leaky' in Map retaining /m);
  assert.match(text, /^ {5}shape: .*\.map → Map\.table → \(array\)\[\] → Leaky$/m);
  assert.match(text, /^ {2}Leaked .* in \d+ groups \(\d+ of them V8's own\)$/m);
  const heading = text.indexOf("  V8's own: code, shapes, feedback and system objects");
  assert.ok(heading > text.indexOf("× 'Leaky' in Map"), 'the V8 groups come after the user groups');
  assert.match(text.slice(heading), /^ {2}\d+\. \d+ × '\(compiled code\)'/m);
  const page = fs.readFileSync(html, 'utf8');
  assert.match(page, /<li class="leak-group"><p class="headline">5,000 × 'Leaky' in Map retaining /);
  assert.match(page, /<li class="leak-group internal">/);
});

'use strict';
// modswap.heap.analyze on real snapshots of a child process with a known heap, and on bad input.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const modswap = require('..');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modswap-heap-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A snapshot of a fresh process holding `count` TrackedThing objects, each owning a 4 KiB Buffer-free array. */
function snapshotWithThings(count) {
  const file = path.join(dir, `things-${count}.heapsnapshot`);
  const script = `
    class TrackedThing { constructor(i) { this.i = i; this.items = new Array(64).fill(i); } }
    globalThis.holder = { things: Array.from({ length: ${count} }, (_, i) => new TrackedThing(i)) };
    require('v8').writeHeapSnapshot(${JSON.stringify(file)});`;
  execFileSync(process.execPath, ['-e', script]);
  return file;
}

test('analyze finds every instance of a class and what the holder retains', async () => {
  const file = snapshotWithThings(2000);
  const result = await modswap.heap.analyze(file, { top: 10 });
  assert.equal(result.file, file);
  assert.equal(result.fileBytes, fs.statSync(file).size);
  const things = result.classes.find((row) => row.name === 'TrackedThing');
  assert.ok(things, 'TrackedThing is a class row');
  assert.equal(things.count, 2000);
  // Each thing retains its own 64-element array: far more than its own few fields.
  assert.ok(things.retainedSize > things.selfSize + 2000 * 64 * 4, `retained ${things.retainedSize}`);
  assert.ok(result.totalSize >= things.retainedSize);
  assert.ok(result.nodeCount > 2000 * 2 && result.edgeCount > result.nodeCount);
  const sorted = result.classes.map((row) => row.retainedSize);
  assert.deepEqual(sorted, [...sorted].sort((a, b) => b - a), 'classes largest first');
  assert.equal(result.dominators.length, 10);
  const holderArray = result.dominators.find((node) => node.name === 'Array' && node.retainedSize >= things.retainedSize);
  assert.ok(holderArray, 'the array holding the things is among the largest retainers');
  for (const phase of ['read', 'parse', 'dominators', 'analysis']) {
    assert.equal(typeof result.timingsMs[phase], 'number', phase);
  }
});

test('a truncated snapshot is rejected with the file, the byte offset and the cause', async () => {
  const whole = fs.readFileSync(snapshotWithThings(10));
  const file = path.join(dir, 'truncated.heapsnapshot');
  fs.writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)));
  await assert.rejects(modswap.heap.analyze(file), (error) => {
    assert.equal(error.code, 'ERR_MODSWAP_BAD_SNAPSHOT');
    assert.equal(error.file, file);
    assert.match(error.message, new RegExp(`^${escape(file)}: .*byte \\d+`));
    return true;
  });
});

test('not a snapshot, a missing file and bad arguments get clear errors', async () => {
  const text = path.join(dir, 'notes.txt');
  fs.writeFileSync(text, 'hello');
  await assert.rejects(modswap.heap.analyze(text), { code: 'ERR_MODSWAP_BAD_SNAPSHOT', file: text });
  const missing = path.join(dir, 'missing.heapsnapshot');
  await assert.rejects(modswap.heap.analyze(missing), { code: 'ERR_MODSWAP_NOT_FOUND', file: missing });
  await assert.rejects(modswap.heap.analyze(42), { code: 'ERR_MODSWAP_INVALID_ARG' });
  await assert.rejects(modswap.heap.analyze(text, { top: -1 }), { code: 'ERR_MODSWAP_INVALID_OPTIONS' });
});

test('snapshot() writes a snapshot of this process that analyze() reads', async () => {
  const file = modswap.heap.snapshot(path.join(dir, 'self.heapsnapshot'));
  assert.equal(file, path.join(dir, 'self.heapsnapshot'));
  const result = await modswap.heap.analyze(file, { top: 3 });
  assert.ok(result.classes.some((row) => row.name === 'ModswapError' || row.name === 'Module'));
});

test('the CLI prints a report for a real snapshot, and JSON with --json', () => {
  const file = snapshotWithThings(300);
  const cli = path.join(__dirname, '..', 'bin', 'modswap.js');
  const json = JSON.parse(execFileSync(process.execPath, [cli, 'heap', 'analyze', file, '--json'], { encoding: 'utf8' }));
  assert.equal(json.classes.find((row) => row.name === 'TrackedThing').count, 300);
  const text = execFileSync(process.execPath, [cli, 'heap', 'analyze', file, '--top', '500'], { encoding: 'utf8' });
  assert.match(text, /^Heap snapshot .*things-300\.heapsnapshot$/m);
  assert.match(text, /^  TrackedThing +300 /m);
});

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

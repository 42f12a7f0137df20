'use strict';
// memwatch's HeapDiff: two heap snapshots, compared by object id. Snapshots go from V8 to a
// temporary file (v8.writeHeapSnapshot is synchronous, as HeapDiff's API is) and from there, in
// chunks, into a Rust parser that keeps only id, type, name and size per object: the snapshot is
// never a JS string or object, so measuring does not pollute what is measured.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const { binding, callNative } = require('../native');

let snapshotCounter = 0;

function snapshotFile() {
  snapshotCounter += 1;
  return path.join(os.tmpdir(), `modswap-heapdiff-${process.pid}-${snapshotCounter}.heapsnapshot`);
}

/** Snapshots the heap into `slot`; the GCs the snapshot causes are not reported as 'stats'. */
function sampleHeap(slot, file) {
  try {
    HeapDiff.feed.silently(() => v8.writeHeapSnapshot(file));
    callNative(() => slot.load(file));
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/**
 * Takes a heap snapshot now; `end()` takes another and returns what changed between them.
 * Must be called with `new`, as in node-memwatch.
 */
function HeapDiff() {
  if (!(this instanceof HeapDiff)) {
    throw new TypeError('Use the new operator to create instances of this object.');
  }
  // Everything this object will hold exists before the first snapshot, so none of it shows up
  // as allocated in the diff.
  this._before = new binding.HeapSampleSlot();
  this._after = new binding.HeapSampleSlot();
  this._beforeTime = new Date(0);
  this._afterTime = new Date(0);
  this._files = [snapshotFile(), snapshotFile()];
  this._ended = false;
  sampleHeap(this._before, this._files[0]);
  this._beforeTime.setTime(Date.now());
}

/** Takes the second snapshot and returns the diff; a HeapDiff can end only once. */
HeapDiff.prototype.end = function end() {
  if (this._ended) throw new Error('attempt to end() a HeapDiff that was already ended');
  this._ended = true;
  sampleHeap(this._after, this._files[1]);
  this._afterTime.setTime(Date.now());
  const json = callNative(() =>
    binding.diffHeapSamples(this._before, this._after, this._beforeTime.toISOString(), this._afterTime.toISOString()),
  );
  this._before = null;
  this._after = null;
  const result = JSON.parse(json);
  result.before.time = new Date(result.before.time);
  result.after.time = new Date(result.after.time);
  return result;
};

/** Set by memwatch: the GC feed whose reporting snapshots must bypass. */
HeapDiff.feed = { silently: (work) => work() };

module.exports = { HeapDiff };

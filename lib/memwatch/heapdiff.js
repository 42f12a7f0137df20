'use strict';
// memwatch's HeapDiff: two heap snapshots, compared by object id. Each snapshot comes from
// v8.getHeapSnapshot(), whose stream V8 fills synchronously inside one readStart() call; every
// chunk is handed straight to a Rust parser thread that keeps only id, type, name and size per
// object. The snapshot is never a JS string or object, never a file, and the parse runs while V8
// is still serializing. The second parse only marks the objects the first one has and keeps the
// new ones, so end() holds little more than the first sample while V8's snapshot is alive.
const v8 = require('node:v8');
const { binding, callNative } = require('../native');
const { ModswapError } = require('../errors');

/**
 * Snapshots the heap into `slot`; with `earlier`, keeps only the objects that are not in it.
 * The GCs the snapshot causes are not reported as 'stats'.
 */
function sampleHeap(slot, earlier) {
  callNative(() => (earlier ? slot.beginAfter(earlier) : slot.begin()));
  const streamed = HeapDiff.feed.silently(() => streamSnapshot((chunk) => slot.write(chunk)));
  if (streamed.error) throw streamed.error;
  if (!streamed.ended) {
    throw new ModswapError('ERR_MODSWAP_BAD_SNAPSHOT', 'V8 heap snapshot stream ended before its end of stream');
  }
  callNative(() => slot.end());
}

/**
 * Takes a snapshot and passes each chunk of its JSON to `write` as V8 produces it, instead of
 * letting the Readable buffer the whole snapshot. Node's stream calls push() for every chunk and
 * push(null) at the end, all before readStart() returns; an exception must not escape into that
 * native callback, so it is kept and returned.
 */
function streamSnapshot(write) {
  const stream = v8.getHeapSnapshot();
  const result = { ended: false, error: null };
  stream.push = (chunk) => {
    if (chunk === null) {
      result.ended = true;
    } else if (result.error === null) {
      try {
        write(chunk);
      } catch (error) {
        result.error = error;
      }
    }
    return true;
  };
  // Node follows push(null) with read(0), which would call _read() and serialize a second time:
  // only the first call may start the serialization.
  const readStart = stream._read;
  stream._read = () => {};
  // Not destroy(): that schedules ticks which would keep this stream alive into the next
  // snapshot. Read to the end, nothing references it any more.
  readStart.call(stream);
  return result;
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
  this._ended = false;
  sampleHeap(this._before);
  this._beforeTime.setTime(Date.now());
}

/** Takes the second snapshot and returns the diff; a HeapDiff can end only once. */
HeapDiff.prototype.end = function end() {
  if (this._ended) throw new Error('attempt to end() a HeapDiff that was already ended');
  this._ended = true;
  sampleHeap(this._after, this._before);
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

'use strict';
// The hand-written reference of issue F, preloaded into the app (`node -r bench/dev-server-glue.js
// server.js`): Node's fs.watch on the app's directory and modswap.swap() of the changed loaded
// files, coalesced over one event-loop turn and nothing more. No waiting for the writer to
// close the file, no restarts, no log line: the floor a dev server can reach on this machine,
// with the risk of swapping a half-written file.
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const modswap = require('..');

const root = process.cwd();
const pending = new Set();
let scheduled = null;

function swapPending() {
  scheduled = null;
  const files = [...pending];
  pending.clear();
  try {
    modswap.swap(files);
  } catch (error) {
    process.stderr.write(`[glue] kept the previous version: ${error.message}\n`);
  }
}

const watcher = fs.watch(root, (_event, name) => {
  if (!name) return;
  const file = path.join(root, name.toString());
  if (Module._cache[file] === undefined) return;
  pending.add(file);
  scheduled ??= setImmediate(swapPending);
});
watcher.unref();

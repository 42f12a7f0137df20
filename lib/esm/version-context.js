'use strict';
// Resource attribution of ES module versions (lib/dev/resources.js, "ES modules"): the injected
// first line of each project module enters its version's record (through import.meta.hot's
// factory in hot.js), and the injected last line leaves it.
const resources = require('../dev/resources');

const LEAVE_KEY = Symbol.for('modswap.esm.leave');

/** import.meta -> what enterVersion found active, until its body's last line leaves. */
const entered = new WeakMap();

/** As the body of the version `meta` belongs to (file `path`) starts. */
function enterVersion(meta, path) {
  const previous = resources.enterEsmVersion(meta, path, meta.url);
  if (previous !== undefined) entered.set(meta, previous);
}

/** As that body ends (the injected last line). */
function leaveVersion(meta) {
  const previous = entered.get(meta);
  if (previous === undefined) return;
  entered.delete(meta);
  resources.leaveEsmVersion(previous);
}

function install() {
  if (typeof globalThis[LEAVE_KEY] === 'function') return;
  Object.defineProperty(globalThis, LEAVE_KEY, { value: leaveVersion, configurable: true, writable: false, enumerable: false });
}

module.exports = { enterVersion, install, LEAVE_KEY };

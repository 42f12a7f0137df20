'use strict';
// Applies a native plan to Node's objects: deletes cache entries, splices every `children`
// array that lists a removed instance, and re-points `parent` pointers that name one. Every
// mutation is recorded so a failed reload can put everything back exactly.
const Module = require('node:module');
const { moduleFile, NO_NODE } = require('./tracker');
const { readParent, writeParent } = require('./module-parent');

function decodePlan(encoded) {
  let at = 0;
  const take = (width) => {
    const count = encoded[at++];
    const slice = encoded.subarray(at, at + count * width);
    at += count * width;
    return slice;
  };
  return { retire: take(1), cuts: take(2), reparent: take(2) };
}

/**
 * Up to this many instances to remove, `children` is searched with indexOf (a native scan, no
 * hashing): a mid-graph reload cuts ~16 children out of a barrel that lists 2,000, where one
 * Set lookup per entry cost ~0.25 ms.
 */
const INDEX_OF_LIMIT = 32;

/** Ascending positions in `children` of the entries that are in `doomed`. */
function doomedPositions(children, doomed) {
  const positions = [];
  if (doomed.size > INDEX_OF_LIMIT) {
    children.forEach((child, at) => {
      if (doomed.has(child)) positions.push(at);
    });
    return positions;
  }
  for (const child of doomed) {
    for (let at = children.indexOf(child); at !== -1; at = children.indexOf(child, at + 1)) positions.push(at);
  }
  return positions.sort((a, b) => a - b);
}

class Surgery {
  constructor(tracker) {
    this.tracker = tracker;
    this.undo = [];
    /** [id, Module] of every instance removed from the cache. */
    this.retired = [];
  }

  /** Applies `encoded` (see ModuleGraph.planClear) and logs the matching events. */
  apply(encoded) {
    return this.applyPlan(decodePlan(encoded));
  }

  /** `apply` for a plan already decoded (see decodePlan). */
  applyPlan(plan) {
    const retiredModules = this.removeFromCache(plan.retire);
    this.cutChildren(plan.cuts);
    this.repointParents(plan.reparent, retiredModules);
    return this;
  }

  removeFromCache(ids) {
    const cache = Module._cache;
    const removed = new Set();
    for (const id of ids) {
      const mod = this.tracker.moduleOf(id);
      if (mod === undefined) continue;
      const key = moduleFile(mod);
      if (cache[key] === mod) {
        delete cache[key];
        this.undo.push(() => {
          cache[key] = mod;
        });
      }
      this.tracker.retire(id, mod);
      this.undo.push(() => this.tracker.unretire(mod));
      this.retired.push([id, mod]);
      // A child first required through createRequire(file) has that alias as its `parent`.
      for (const object of this.tracker.objectsOf(id)) removed.add(object);
    }
    return removed;
  }

  /** `pairs` is sorted by parent: each parent's `children` is rewritten in one pass. */
  cutChildren(pairs) {
    for (let start = 0; start < pairs.length; ) {
      const parentId = pairs[start];
      let end = start;
      const doomed = new Set();
      for (; end < pairs.length && pairs[end] === parentId; end += 2) {
        for (const child of this.tracker.objectsOf(pairs[end + 1])) doomed.add(child);
        this.tracker.logUnedge(parentId, pairs[end + 1]);
      }
      // What a module required through createRequire(__filename) is in that alias's children.
      if (doomed.size > 0) {
        for (const parent of this.tracker.objectsOf(parentId)) this.removeChildren(parent.children, doomed);
      }
      start = end;
    }
  }

  removeChildren(children, doomed) {
    if (!Array.isArray(children)) return;
    const positions = doomedPositions(children, doomed);
    if (positions.length === 0) return;
    const before = children.slice();
    let kept = 0;
    let next = 0;
    for (let at = 0; at < before.length; at++) {
      if (positions[next] === at) next++;
      else children[kept++] = before[at];
    }
    children.length = kept;
    this.undo.push(() => {
      children.length = 0;
      for (const child of before) children.push(child);
    });
  }

  repointParents(pairs, retiredModules) {
    for (let i = 0; i < pairs.length; i += 2) {
      const child = this.tracker.moduleOf(pairs[i]);
      if (child === undefined) continue;
      const previous = readParent(child);
      if (!retiredModules.has(previous)) continue;
      const next = pairs[i + 1] === NO_NODE ? undefined : this.tracker.moduleOf(pairs[i + 1]);
      writeParent(child, next ?? null);
      this.tracker.logParent(pairs[i], next === undefined ? NO_NODE : pairs[i + 1]);
      this.undo.push(() => writeParent(child, previous));
    }
  }

  /** Keeps the changes and starts watching the removed instances for collection. */
  commit() {
    if (this.retired.length > 0) this.tracker.watchRetired(this.retired);
    this.undo = [];
  }

  /** Reverts every mutation, newest first. */
  rollback() {
    for (let i = this.undo.length - 1; i >= 0; i--) this.undo[i]();
    this.undo = [];
    this.retired = [];
  }
}

module.exports = { Surgery, decodePlan };

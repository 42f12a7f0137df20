'use strict';
// Lists that most owners never fill (a module generation's timers, a module version's dispose
// handlers): each starts as one shared, frozen empty list, and gets its own on the first push.
// Kept per module loaded or per version the ESM loader pins, so the allocation matters.

/** The empty list every owner shares until it records something. */
const EMPTY = Object.freeze([]);

/** `owner[key]` ready for a push: its own list instead of EMPTY. */
function growable(owner, key) {
  if (owner[key] === EMPTY) owner[key] = [];
  return owner[key];
}

module.exports = { EMPTY, growable };

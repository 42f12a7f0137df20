'use strict';
// `module.parent` is the only way to read or reset the first requirer Node records, and its
// accessor is wrapped in DEP0144 under --pending-deprecation. modswap's own accesses must not
// make the user's program print that warning, so they run with deprecations silenced.
// Trade-off (documented): once silenced, Node treats DEP0144 as already reported, so the
// user's own later reads of `module.parent` stay silent too.
const Module = require('node:module');

const descriptor = Object.getOwnPropertyDescriptor(Module.prototype, 'parent');
const accessorIsDeprecated = Boolean(descriptor && descriptor.get && descriptor.get.name === 'deprecated');

function quietly(access) {
  if (!accessorIsDeprecated || process.noDeprecation) return access();
  process.noDeprecation = true;
  try {
    return access();
  } finally {
    process.noDeprecation = false;
  }
}

/** The module that first required `mod` (undefined/null for entry or ESM-loaded modules). */
function readParent(mod) {
  // Without the deprecation wrapper (the usual case), no closure: this runs for every module loaded.
  if (!accessorIsDeprecated) return mod.parent;
  return quietly(() => mod.parent);
}

/** Re-points `mod.parent`; `null` when no live parent remains. */
function writeParent(mod, parent) {
  quietly(() => {
    mod.parent = parent;
  });
}

module.exports = { readParent, writeParent };

'use strict';
// generations() and stale() rows of ES modules, from the registry in the addon (src/esm): it
// dates each version's first resolution and each replacement or rollback. Node's ESM loader
// keeps every module it evaluated for the life of the process, so a version that is no longer
// current is never collected: its state is 'pinned', and stale() lists it.
const { binding, callNative } = require('../native');

const ROW_CURRENT = 1;
const ROW_FAILED = 2;

const PINNED_REASON =
  "pinned by Node's ESM loader, which keeps every evaluated module for the life of the process: " +
  'its code and module scope stay; what its import.meta.hot.dispose() handler released (set to ' +
  'null, closed) is freed';
const FAILED_REASON =
  `the version of a failed swap (rolled back), evaluated partially or not at all; ${PINNED_REASON}`;

/** The generation rows of the ES module `path`, oldest first (`[]` for a file the hooks never resolved). */
function esmGenerations(path) {
  const flat = callNative(() => binding.esmGenerations(path));
  const rows = [];
  for (let i = 0; i < flat.length; i += 3) {
    const flags = flat[i + 2];
    const row = { generation: flat[i] + 1, loadedAt: flat[i + 1], state: flags & ROW_CURRENT ? 'current' : 'pinned', count: 1 };
    if (flags & ROW_FAILED) row.failed = true;
    rows.push(row);
  }
  return rows;
}

/** Stale rows of the pinned ES module versions, oldest replacement first. `gcs`: GCs counted so far. */
function esmStale(now, gcs) {
  const { files, rows } = callNative(() => binding.esmPinned(now, gcs));
  const stale = [];
  for (let i = 0; i < rows.length; i += 5) {
    const failed = rows[i + 4] === 1;
    stale.push({
      file: files[rows[i]],
      generation: rows[i + 1] + 1,
      ageMs: rows[i + 2],
      gcsSurvived: rows[i + 3],
      pinned: true,
      reason: failed ? FAILED_REASON : PINNED_REASON,
    });
  }
  return stale;
}

module.exports = { esmGenerations, esmStale };

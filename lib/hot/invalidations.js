'use strict';
// Where the swaps that `module.hot.invalidate()` and `import.meta.hot.invalidate()` start report.
// Alone, a failure is a process warning (nobody awaits an invalidation). Under the dev server the
// hot reloader (lib/dev/hot-reloader.js) listens instead, so an invalidation logs, keeps the old
// version or restarts the app exactly as a saved file does.

/** `{ swapped(files, evaluated, ms), failed(error) }` of the hot reloader, or null. */
let listener = null;

/** Makes `next` hear of every invalidation; returns the function that stops it. */
function listenToInvalidations(next) {
  listener = next;
  return () => {
    if (listener === next) listener = null;
  };
}

/** Whether the dev server listens (then a change reaching the entry is refused, as a save's is). */
const reloaderListens = () => listener !== null;

function invalidationSwapped(files, evaluated, ms) {
  if (listener !== null) listener.swapped(files, evaluated, ms);
}

/** Reports a failed invalidation to the reloader, or through `warn()` when none listens. */
function invalidationFailed(error, warn) {
  if (listener !== null) listener.failed(error);
  else warn();
}

module.exports = { listenToInvalidations, reloaderListens, invalidationSwapped, invalidationFailed };

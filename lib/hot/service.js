'use strict';
// Erlang's rule for code in service: at most two generations of a module serve at once. A swap
// leaves the replaced generation serving what it already started; when the next swap of the
// same file commits, that older generation is purged: what it still holds is closed hard and
// calls still running on it are reported by name and route.
const { tracker } = require('../clear');
const { moduleFile } = require('../tracker');
const { committedListeners } = require('../swap');
const { callsInProgress } = require('./in-flight');

/** file -> WeakRef of the old generation still in service. */
const previousInService = new Map();
/** Module -> why a purged generation may still be alive, for stale(); weak, so nothing grows. */
const purgeNotes = new WeakMap();
const resources = require('../dev/resources');

/** What a purge closed, as "http server 127.0.0.1:8080 (destroyed; requests cut: GET /a)". */
function describeClosed(line) {
  const cut = line.requests === undefined ? '' : `; requests cut: ${line.requests.join(', ')}`;
  return `${line.description} (${line.action}${cut})`;
}

/** Closes at once what a purged generation still holds (unless its policy left it running). */
function closeWhatIsHeld(mod) {
  if (!resources.isInstalled()) return [];
  return resources.purgeGeneration(mod);
}

function purge(mod) {
  const running = callsInProgress(mod);
  const closed = closeWhatIsHeld(mod);
  const cutRequests = closed.flatMap((line) => line.requests ?? []);
  const parts = ['purged when a third generation loaded'];
  if (running.length > 0) parts.push(`${running.length} call(s) still running on it: ${running.join(', ')}`);
  if (closed.length > 0) parts.push(`closed hard: ${closed.map(describeClosed).join(', ')}`);
  const reason = parts.join('; ');
  purgeNotes.set(mod, reason);
  if (running.length > 0 || cutRequests.length > 0) {
    process.emitWarning(`${moduleFile(mod)}: ${reason}`, { code: 'MODSWAP_PURGED_IN_FLIGHT' });
  }
}

function onCommitted(retired) {
  for (const mod of retired) {
    const file = moduleFile(mod);
    const previous = previousInService.get(file)?.deref();
    if (previous !== undefined && previous !== mod) purge(previous);
    previousInService.set(file, new WeakRef(mod));
  }
}

/** The purge note of a stale generation (by tracker id), if it was purged. */
function purgeNoteOf(id) {
  const mod = tracker.moduleOf(id);
  return mod === undefined ? undefined : purgeNotes.get(mod);
}

committedListeners.add(onCommitted);

module.exports = { purgeNoteOf, previousInService };

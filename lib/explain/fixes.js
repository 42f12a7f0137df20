'use strict';
// What to change, per way an old generation is held (the holder kinds src/heap/explain.rs
// reads off a retainer path). The engine names the kind and the culprit step; the advice is
// text, so it lives here with the rest of what users read.

const FIXES = {
  timer:
    'a timer the old generation started is still scheduled: clear it in a dispose handler ' +
    '(module.hot.dispose(() => clearInterval(timer))), or leave it to resource tracking ' +
    "(a swap clears an old generation's timers unless its resourcePolicy is 'warn' or 'off')",
  listener:
    'a listener the old generation added is still registered on an emitter that outlives it: ' +
    'remove it in a dispose handler (module.hot.dispose(() => emitter.off(event, listener)))',
  'process-listener':
    'a process.on() listener the old generation added is still registered: remove it in a ' +
    "dispose handler (module.hot.dispose(() => process.off(event, listener)))",
  children:
    "a Module object modswap does not track lists the old generation in its children (made " +
    'with new Module() or by a loader that bypasses require()): require the module through a ' +
    'tracked module, or splice it out of that children array when you reload',
  'first-parent':
    "a module that is not modswap's to re-point still names the old generation as its parent " +
    '(module.parent / the first-parent record): it was loaded behind the tracker (a loader, a ' +
    'Module made by hand); reload that module too, or require the module through require()',
  'last-parent':
    'Node >= 22 records in each module the module that first required it (a private field ' +
    "no JavaScript can reset, and a cached module's later requirers do not replace it): the " +
    'old generation required this module first. Require that module once from a module you ' +
    'never reload (the entry, a preload) before the reloadable one does; only that one ' +
    'generation is kept this way',
  'captured-exports':
    'a module that was not reloaded keeps what the old generation exported (const { fn } = ' +
    'require(…) at its top level): call the export through require(…).fn() where you use it, ' +
    'reach it through modswap.hot(…), or accept the change with module.hot.accept(…, callback)',
  package:
    'a package under node_modules keeps a reference (a cache, a registry, a plugin or route ' +
    'list): undo the registration in a dispose handler, or register through an API the ' +
    'package lets you undo',
  other: 'follow the path: the first object on it that outlives the old generation holds it',
};

/** The advice for a holder `kind` (an unknown kind gets the generic advice). */
const fixFor = (kind) => FIXES[kind] ?? FIXES.other;

module.exports = { fixFor, HOLDER_KINDS: Object.keys(FIXES) };

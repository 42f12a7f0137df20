'use strict';
// Marks what an old CommonJS generation leaves alive (its Module object, its exports and the
// functions among them) so that a heap snapshot, modswap's own or one DevTools took, tells
// exactly which generation an object is: each value is a key of one WeakMap whose value is a
// ModswapGeneration. V8 writes that entry as an edge "part of key (… @id) -> value
// (ModswapGeneration @id) …" from the value to its marker, and the engine (src/heap/explain.rs)
// reads the value's snapshot id from it. The WeakMap holds nothing alive: a marker goes with the
// value it marks.

/**
 * What a heap snapshot shows of one value of an old generation. Its fields are strings so that
 * the snapshot writes them as string nodes (it leaves small integers out).
 */
class ModswapGeneration {
  /**
   * @param {string} file absolute path of the module
   * @param {number} generation 1 for the file's first load…; 0 while the table has no number yet
   * @param {'module' | 'exports' | 'export'} role which value of the generation this is
   * @param {string} name the export's name, for role 'export'
   */
  constructor(file, generation, role, name) {
    this.file = file;
    this.generation = String(generation);
    this.role = role;
    this.name = name;
  }
}

const markers = new WeakMap();

/**
 * Marks the values of an old generation of `file`: `mod` and `exported` ([value, name] pairs:
 * the exports under name '' and its functions under their keys). Returns the markers, for
 * numbering later when the table has no generation number yet.
 */
function markGeneration(file, generation, mod, exported) {
  const made = [];
  const mark = (value, role, name) => {
    if (markers.has(value)) return; // a value exported twice, or a module that exports itself
    const marker = new ModswapGeneration(file, generation, role, name);
    markers.set(value, marker);
    made.push(marker);
  };
  mark(mod, 'module', '');
  for (const [value, name] of exported) mark(value, name === '' ? 'exports' : 'export', name);
  return made;
}

/** Sets the generation number of markers made before the table knew it. */
function numberMarkers(made, generation) {
  for (const marker of made) marker.generation = String(generation);
}

module.exports = { ModswapGeneration, markGeneration, numberMarkers };

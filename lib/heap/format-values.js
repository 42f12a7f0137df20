'use strict';
// Small value formatters shared by the text and HTML heap reports: numbers, byte sizes, shares,
// and the neutralising of snapshot strings. Every string in a snapshot is untrusted (any JS
// string the inspected process held ends up as a node name), so nothing from it reaches a
// terminal or a page before `printable()` has made its control characters visible.

/**
 * Characters that could rewrite a terminal or reorder what a reader sees: C0/C1 controls,
 * DEL, line and paragraph separators, bidi overrides and isolates, the BOM / zero-width space,
 * and lone surrogates (which would become U+FFFD silently).
 */
const HIDDEN =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const SHORT_ESCAPES = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeHidden(char) {
  if (SHORT_ESCAPES[char]) return SHORT_ESCAPES[char];
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `value` as a string whose invisible or terminal-controlling characters are shown as escapes. */
function printable(value) {
  return String(value ?? '').replace(HIDDEN, escapeHidden);
}

/** Length in code points, the closest cheap measure of terminal columns. */
function displayLength(text) {
  let length = 0;
  for (const _ of text) length++;
  return length;
}

/** `text` cut to `max` code points, the last one an ellipsis when something was cut. */
function truncate(text, max) {
  if (!(max > 0) || displayLength(text) <= max) return text;
  return Array.from(text).slice(0, Math.max(1, max - 1)).join('') + '…';
}

function isNumber(value) {
  return typeof value === 'number' && Number.isFinite(value);
}

/** An integer with thousands separators, independent of the locale: 172321048 → "172,321,048". */
function formatInt(value) {
  if (!isNumber(value)) return '?';
  const digits = String(Math.abs(Math.round(value))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return value < 0 && Math.round(value) !== 0 ? `-${digits}` : digits;
}

/** Like formatInt, with an explicit sign for non-zero values (deltas). */
function formatSignedInt(value) {
  return isNumber(value) && Math.round(value) > 0 ? `+${formatInt(value)}` : formatInt(value);
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** A byte count in binary units with one decimal: 172321048 → "164.3 MiB", 600 → "600 B". */
function formatBytes(value) {
  if (!isNumber(value)) return '?';
  const sign = value < 0 ? '-' : '';
  let size = Math.abs(value);
  if (size < 1024) return `${sign}${Math.round(size)} B`;
  let unit = 0;
  // Compare the rounded value, so that 1,048,575 bytes reads "1.0 MiB", not "1024.0 KiB".
  while (unit < UNITS.length - 1 && Number(size.toFixed(1)) >= 1024) {
    size /= 1024;
    unit++;
  }
  return `${sign}${size.toFixed(1)} ${UNITS[unit]}`;
}

/** Like formatBytes, with an explicit sign for non-zero values (deltas). */
function formatSignedBytes(value) {
  return isNumber(value) && value > 0 ? `+${formatBytes(value)}` : formatBytes(value);
}

/** A fraction of a whole as a percentage with one decimal: 0.815 → "81.5%". */
function formatShare(fraction) {
  if (!isNumber(fraction)) return '?';
  if (fraction > 0 && fraction < 0.0005) return '<0.1%';
  return `${(fraction * 100).toFixed(1)}%`;
}

/** `part / whole` as a share, or NaN when the whole is unknown or zero. */
function shareOf(part, whole) {
  return isNumber(part) && isNumber(whole) && whole > 0 ? part / whole : NaN;
}

/** The name a report shows for a heap node: its name, or its type in parentheses when unnamed. */
function nodeName(node) {
  const name = printable(node && node.name);
  return name === '' ? `(${printable(node && node.type) || 'unknown'})` : name;
}

/** How many leak groups the engine found: `groupCount`, or the groups given when it is absent. */
function leakGroupCount(leaks) {
  return Number.isInteger(leaks.groupCount) ? leaks.groupCount : Array.isArray(leaks.groups) ? leaks.groups.length : 0;
}

/** "in 26 groups" and, when the engine counted them, "(20 of them V8's own)". */
function leakGroupsNote(leaks) {
  const internal = Number.isInteger(leaks.internalGroupCount) ? leaks.internalGroupCount : 0;
  const note = `in ${formatInt(leakGroupCount(leaks))} groups`;
  return internal > 0 ? `${note} (${formatInt(internal)} of them V8's own)` : note;
}

/** What holds a leak group's objects, as " in Map", or '' when the engine gave no holder. */
function holderNote(group, width) {
  const holder = printable(group && group.holder);
  return holder === '' ? '' : ` in ${truncate(holder, width)}`;
}

/** `text` cut to `max` characters by its start ("…/app/models/module.js"): a path's end says most. */
function truncateStart(text, max) {
  const chars = Array.from(text);
  return chars.length <= max ? text : `…${chars.slice(chars.length - max + 1).join('')}`;
}

/**
 * Where a class's constructor is defined, as "/app/module.js:3" (its script cut by the start to
 * `width`), "script 42:3" when the snapshot does not name the script, or '' for a class without
 * a location.
 */
function classLocation(row, width = 48) {
  if (!(row && Number.isInteger(row.line))) return '';
  const script = printable(row.script);
  const where = script === '' ? `script ${formatInt(row.scriptId)}` : truncateStart(script, width);
  return `${where}:${row.line}`;
}

/** Whether any of `rows` (classes) has a location, so that a report shows the column. */
function anyLocation(rows) {
  return rows.some((row) => classLocation(row) !== '');
}

/**
 * "30,000 objects reached through these (their parts)" for a leak group that other groups were
 * folded into, or '' when none was.
 */
function foldedNote(group) {
  const folded = group && group.folded;
  return isNumber(folded) && folded > 0 ? `${formatInt(folded)} objects reached through these (their parts)` : '';
}

/** The heading the V8-internal leak groups are listed under. */
const INTERNAL_GROUPS_HEADING = "V8's own: code, shapes, feedback and system objects the engine allocated itself";

module.exports = {
  INTERNAL_GROUPS_HEADING,
  anyLocation,
  classLocation,
  foldedNote,
  holderNote,
  leakGroupCount,
  leakGroupsNote,
  printable,
  displayLength,
  truncate,
  formatInt,
  formatSignedInt,
  formatBytes,
  formatSignedBytes,
  formatShare,
  shareOf,
  nodeName,
};

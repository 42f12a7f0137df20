'use strict';
// Human-readable reports of heap analyses, diffs and leak searches: aligned tables for a terminal,
// sizes both human (164.3 MiB) and exact (172,321,048), top-N limits on every list. The engine's
// results (the shapes documented in index.d.ts) are rendered as given, in the engine's order.
const v = require('./format-values');
const { formatPath, formatSuspect, formatId } = require('./format-path');

const DEFAULTS = { top: 20, nameWidth: 48, pathNameWidth: 60, maxPathSteps: 12, examples: 3, timings: true };

function settings(options) {
  const merged = { ...DEFAULTS, ...options };
  if (!(Number.isInteger(merged.top) && merged.top > 0)) merged.top = DEFAULTS.top;
  return merged;
}

/**
 * Lays out rows of cells as aligned columns, two spaces apart, indented by two spaces.
 * @param {Array<{ header: string, align?: 'left' | 'right' }>} columns
 * @param {string[][]} rows
 * @returns {string[]} lines, header first, without trailing spaces
 */
function table(columns, rows) {
  const all = [columns.map((column) => column.header), ...rows];
  const widths = columns.map((_, c) => all.reduce((widest, row) => Math.max(widest, v.displayLength(row[c])), 0));
  return all.map((row) => {
    const cells = row.map((cell, c) => {
      const pad = ' '.repeat(widths[c] - v.displayLength(cell));
      return columns[c].align === 'right' ? pad + cell : cell + pad;
    });
    return `  ${cells.join('  ')}`.trimEnd();
  });
}

/** "(top 20 of 1,234)" when the list was cut, "(3)" when not. */
function countNote(shown, total) {
  return shown < total ? `(top ${v.formatInt(shown)} of ${v.formatInt(total)})` : `(${v.formatInt(total)})`;
}

/** "164.3 MiB (172,321,048 bytes)": a size both ways, for summaries. */
function sizeBoth(bytes) {
  return `${v.formatBytes(bytes)} (${v.formatInt(bytes)} bytes)`;
}

/** Label/value lines of a summary block, values aligned. */
function fields(pairs) {
  const width = Math.max(...pairs.map(([label]) => label.length));
  return pairs.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`);
}

function name(node, width) {
  return v.truncate(v.nodeName(node), width);
}

function list(items) {
  return Array.isArray(items) ? items : [];
}

function classTable(classes, totalSize, o) {
  const shown = list(classes).slice(0, o.top);
  // Classes keyed by their constructor's location (two `Module`s) are told apart by it.
  const located = v.anyLocation(shown);
  const rows = shown.map((c) => [
    name(c, o.nameWidth),
    ...(located ? [v.classLocation(c)] : []),
    v.formatInt(c.count),
    v.formatBytes(c.selfSize),
    v.formatInt(c.selfSize),
    v.formatBytes(c.retainedSize),
    v.formatInt(c.retainedSize),
    v.formatShare(v.shareOf(c.retainedSize, totalSize)),
  ]);
  const columns = [
    { header: 'Class' },
    ...(located ? [{ header: 'Defined at' }] : []),
    { header: 'Count', align: 'right' },
    { header: 'Self size', align: 'right' },
    { header: 'bytes', align: 'right' },
    { header: 'Retained size', align: 'right' },
    { header: 'bytes', align: 'right' },
    { header: 'Share', align: 'right' },
  ];
  return [`Classes by retained size ${countNote(shown.length, list(classes).length)}`, ...tableOrNone(columns, rows)];
}

function dominatorTable(dominators, totalSize, o) {
  const shown = list(dominators).slice(0, o.top);
  const rows = shown.map((node) => [
    name(node, o.nameWidth),
    `@${formatId(node.id)}`,
    v.truncate(v.printable(node.type), 16),
    v.formatBytes(node.retainedSize),
    v.formatInt(node.retainedSize),
    v.formatShare(v.shareOf(node.retainedSize, totalSize)),
  ]);
  const columns = [
    { header: 'Object' },
    { header: 'Id', align: 'right' },
    { header: 'Type' },
    { header: 'Retained size', align: 'right' },
    { header: 'bytes', align: 'right' },
    { header: 'Share', align: 'right' },
  ];
  return [`Largest dominators ${countNote(shown.length, list(dominators).length)}`, ...tableOrNone(columns, rows)];
}

function tableOrNone(columns, rows) {
  return rows.length > 0 ? table(columns, rows) : ['  none'];
}

/** A numbered suspect or group with its indented detail lines. */
function numbered(index, headline, details) {
  const prefix = `  ${index + 1}. `;
  const indent = ' '.repeat(prefix.length);
  return [prefix + headline, ...details.map((line) => indent + line)];
}

function pathLines(steps, o) {
  const path = formatPath(steps, { nameWidth: o.pathNameWidth, maxSteps: o.maxPathSteps });
  return path === '' ? ['(no retainer path: unreachable from the GC roots)'] : [path];
}

function suspectLines(suspects, o) {
  const shown = list(suspects).slice(0, o.top);
  const lines = [`Leak suspects ${countNote(shown.length, list(suspects).length)}`];
  if (shown.length === 0) lines.push('  none: no object dominates an outsized share of the heap');
  shown.forEach((suspect, i) => {
    lines.push(...numbered(i, formatSuspect(suspect, { nameWidth: o.pathNameWidth }), pathLines(suspect.path, o)));
  });
  return lines;
}

/** The retainer paths asked for with `paths` (CLI --path), one per node id. */
function requestedPathLines(paths, o) {
  const all = list(paths);
  if (all.length === 0) return [];
  const lines = ['Retainer paths'];
  all.forEach((entry, i) => {
    const headline = `@${formatId(entry.id)}`;
    const details = entry.found ? pathLines(entry.path, o) : ['no node has this id in the snapshot'];
    lines.push(...numbered(i, headline, details));
  });
  return lines;
}

function timingLine(timingsMs) {
  const entries = Object.entries(timingsMs || {}).filter(([, ms]) => typeof ms === 'number');
  if (entries.length === 0) return [];
  const total = entries.reduce((sum, [, ms]) => sum + ms, 0);
  const parts = entries.map(([phase, ms]) => `${v.printable(phase)} ${v.formatInt(ms)} ms`);
  return [`Timings: ${parts.join(', ')} (total ${v.formatInt(total)} ms)`];
}

/**
 * The report of one snapshot: summary, classes by retained size, largest dominators, leak
 * suspects with their retainer paths, timings.
 * @param {object} analysis an Analysis from `modswap.heap.analyze()`
 * @param {{ top?: number, nameWidth?: number, maxPathSteps?: number, timings?: boolean }} [options]
 *   top: rows per list (default 20); nameWidth: name column width (48); maxPathSteps: longer
 *   paths lose their middle (12); timings: print the engine's phase timings (true)
 * @returns {string} the report, ending with a newline
 */
function formatAnalysis(analysis, options) {
  const o = settings(options);
  const a = analysis;
  const blocks = [
    [
      `Heap snapshot ${v.printable(a.file)}`,
      ...fields([
        ['File size', sizeBoth(a.fileBytes)],
        ['Nodes', v.formatInt(a.nodeCount)],
        ['Edges', v.formatInt(a.edgeCount)],
        ['Total size', sizeBoth(a.totalSize)],
        ['Unreachable', `${v.formatInt(a.unreachableNodes)} nodes`],
      ]),
    ],
    classTable(a.classes, a.totalSize, o),
    dominatorTable(a.dominators, a.totalSize, o),
    suspectLines(a.suspects, o),
    requestedPathLines(a.paths, o),
  ];
  if (o.timings) blocks.push(timingLine(a.timingsMs));
  return render(blocks);
}

function render(blocks) {
  return `${blocks.filter((block) => block.length > 0).map((block) => block.join('\n')).join('\n\n')}\n`;
}

function snapshotLine(info) {
  return `${v.printable(info && info.file)}: ${v.formatInt(info && info.nodeCount)} nodes, ${sizeBoth(info && info.totalSize)}`;
}

/**
 * The comparison of two snapshots: both summaries, the change, and per class the objects
 * allocated and freed between them (DevTools' Comparison view).
 * @param {object} diff a Diff from `modswap.heap.diff()`
 * @param {{ top?: number, nameWidth?: number }} [options]
 * @returns {string}
 */
function formatDiff(diff, options) {
  const o = settings(options);
  const { before = {}, after = {} } = diff;
  const summary = [
    'Heap diff',
    ...fields([
      ['Before', snapshotLine(before)],
      ['After', snapshotLine(after)],
      [
        'Change',
        `${v.formatSignedInt(after.nodeCount - before.nodeCount)} nodes, ` +
          `${v.formatSignedBytes(after.totalSize - before.totalSize)} (${v.formatSignedInt(after.totalSize - before.totalSize)} bytes)`,
      ],
    ]),
  ];
  return render([summary, classDiffTable(diff.classes, o)]);
}

function classDiffTable(classes, o) {
  const shown = list(classes).slice(0, o.top);
  const rows = shown.map((c) => [
    name(c, o.nameWidth),
    v.formatInt(c.addedCount),
    v.formatInt(c.removedCount),
    v.formatSignedInt(c.countDelta),
    v.formatBytes(c.addedSize),
    v.formatBytes(c.removedSize),
    v.formatSignedBytes(c.sizeDelta),
    v.formatSignedInt(c.sizeDelta),
  ]);
  const columns = [
    { header: 'Class' },
    { header: 'New', align: 'right' },
    { header: 'Deleted', align: 'right' },
    { header: 'Δ count', align: 'right' },
    { header: 'Allocated', align: 'right' },
    { header: 'Freed', align: 'right' },
    { header: 'Δ size', align: 'right' },
    { header: 'Δ bytes', align: 'right' },
  ];
  return [`Classes by size change ${countNote(shown.length, list(classes).length)}`, ...tableOrNone(columns, rows)];
}

/**
 * The three-snapshot leak search: objects allocated between baseline and target and still
 * alive in final, in groups of the same class and retainer path shape, largest first, each with
 * what holds it (`in Map`); the groups of objects V8 allocated itself come last, under a
 * heading of their own.
 * @param {object} leaks a Leaks from `modswap.heap.leaks()`
 * @param {{ top?: number, examples?: number, maxPathSteps?: number }} [options]
 *   top: groups shown (20); examples: example object ids per group (3)
 * @returns {string}
 */
function formatLeaks(leaks, options) {
  const o = settings(options);
  const groups = list(leaks.groups);
  const groupCount = v.leakGroupCount(leaks);
  const summary = [
    'Leaks: objects allocated between baseline and target, still alive in final',
    ...fields([
      ['Baseline', snapshotLine(leaks.baseline)],
      ['Target', snapshotLine(leaks.target)],
      ['Final', snapshotLine(leaks.final)],
      ['Leaked', `${v.formatInt(leaks.leakedNodes)} objects, ${sizeBoth(leaks.leakedSize)}, ${v.leakGroupsNote(leaks)}`],
    ]),
  ];
  return render([summary, groupLines(groups, groupCount, o)]);
}

function groupLines(groups, groupCount, o) {
  const shown = groups.slice(0, o.top);
  const lines = [`Leak groups ${countNote(shown.length, groupCount)}`];
  if (shown.length === 0) lines.push('  none: nothing allocated between baseline and target survived');
  let internalShown = false;
  shown.forEach((group, i) => {
    // The engine lists V8's own groups last: they get a heading, and no sample path.
    const internal = group.internal === true;
    if (internal && !internalShown) lines.push(`  ${v.INTERNAL_GROUPS_HEADING}`);
    internalShown ||= internal;
    const className = name({ name: group.className }, o.pathNameWidth);
    const headline = `${v.formatInt(group.count)} × '${className}'${v.holderNote(group, o.pathNameWidth)} retaining ${sizeBoth(group.retainedSize)}`;
    const ids = list(group.examples).slice(0, o.examples).map((node) => `@${formatId(node.id)}`);
    const details = [`shape: ${v.truncate(v.printable(group.pathShape), 200)}`];
    const folded = v.foldedNote(group);
    if (folded !== '') details.push(`folded in: ${folded}`);
    if (ids.length > 0) details.push(`e.g. ${ids.join(', ')}`);
    lines.push(...numbered(i, headline, internal ? details : [...details, ...pathLines(group.samplePath, o)]));
  });
  return lines;
}

module.exports = { formatAnalysis, formatDiff, formatLeaks, table };

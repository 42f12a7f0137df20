'use strict';
// The HTML heap report: one self-contained, offline file (inline CSS, inline SVG charts, no
// script, nothing fetched). A snapshot is untrusted input: any string the inspected process held
// can be a class, node or edge name. So the page is built with the `html` template tag below,
// which escapes every interpolated value unless it is markup the tag itself produced, and a
// Content-Security-Policy forbids scripts and every load, so that an escaping bug still could
// not run code or reach the network.
const crypto = require('node:crypto');
const path = require('node:path');
const v = require('./format-values');
const { formatPath, formatEdge, formatSuspect, formatId } = require('./format-path');

/** Markup that is already safe: produced by `html` from literal template text and escaped values. */
class Html {
  constructor(markup) {
    this.markup = markup;
  }
}

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * A value as HTML text, safe both between tags and inside a double- or single-quoted attribute.
 * Invisible and control characters become visible escapes first (see printable()).
 * @param {unknown} value
 * @returns {string}
 */
function escapeHtml(value) {
  return v.printable(value).replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

function interpolate(value) {
  if (value instanceof Html) return value.markup;
  if (Array.isArray(value)) return value.map(interpolate).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(value);
}

/** Template tag: literal parts are markup, every `${value}` is escaped unless it is Html. */
function html(strings, ...values) {
  let markup = strings[0];
  values.forEach((value, i) => {
    markup += interpolate(value) + strings[i + 1];
  });
  return new Html(markup);
}

const JSON_ESCAPES = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

/**
 * JSON that can sit inside a <script> element: no `<` (so no `</script>` or `<!--`), no `>` or
 * `&`, and no U+2028/2029 (line terminators for pre-2019 JavaScript). JSON.parse reads it back
 * unchanged.
 * @param {unknown} data
 * @returns {string}
 */
function jsonForScript(data) {
  return JSON.stringify(data).replace(/[<>&\u2028\u2029]/g, (char) => JSON_ESCAPES[char]);
}

const STYLE = `
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #59636e; --line: #d1d9e0; --stripe: #f6f8fa;
  --bar: #3b6fd4; --grow: #c93c37; --shrink: #2e8a4f; --code: #eef1f4; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --line: #3d444d;
  --stripe: #151b23; --bar: #5a8ff0; --grow: #f0645f; --shrink: #4ab26e; --code: #1f2630; } }
body { font: 14px/1.45 system-ui, sans-serif; color: var(--fg); max-width: 1180px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 8px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
.muted, .note, footer { color: var(--muted); } footer { margin-top: 40px; font-size: 12px; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
dl.summary dt { color: var(--muted); } dl.summary dd { margin: 0; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-weight: 600; white-space: nowrap; } tbody tr:nth-child(even) { background: var(--stripe); }
td.num, th.num { text-align: right; white-space: nowrap; }
td.name { max-width: 420px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
code, .path { font: 12.5px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.path { display: block; background: var(--code); padding: 4px 8px; border-radius: 4px; overflow-wrap: anywhere; }
ol.items > li { margin: 0 0 14px; } .headline { font-weight: 600; margin: 0 0 4px; }
ol.steps { margin: 4px 0; padding-left: 28px; } ol.steps li { overflow-wrap: anywhere; }
.edge { color: var(--muted); } .id { color: var(--muted); font-size: 12px; }
svg.chart { width: 100%; height: auto; max-width: 980px; display: block; margin: 8px 0 12px; }
svg.chart text { font: 12px system-ui, sans-serif; fill: var(--fg); }
svg.chart .bar { fill: var(--bar); } svg.chart .grow { fill: var(--grow); } svg.chart .shrink { fill: var(--shrink); }
svg.chart .axis { stroke: var(--line); }
`;

/** The style element's hash, so the CSP can allow exactly it and no other style. */
const STYLE_HASH = crypto.createHash('sha256').update(STYLE).digest('base64');
const CSP = [
  "default-src 'none'",
  `style-src 'sha256-${STYLE_HASH}'`,
  "script-src 'none'",
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const DEFAULTS = { top: 20, nameWidth: 300, maxPathSteps: 30, examples: 5, embedData: true };

function settings(options) {
  const merged = { ...DEFAULTS, ...options };
  if (!(Number.isInteger(merged.top) && merged.top > 0)) merged.top = DEFAULTS.top;
  return merged;
}

function list(items) {
  return Array.isArray(items) ? items : [];
}

function name(node, o) {
  return v.truncate(v.nodeName(node), o.nameWidth);
}

function countNote(shown, total) {
  return shown < total ? `top ${v.formatInt(shown)} of ${v.formatInt(total)}` : v.formatInt(total);
}

/** "164.3 MiB (172,321,048 bytes)" */
function sizeBoth(bytes) {
  return `${v.formatBytes(bytes)} (${v.formatInt(bytes)} bytes)`;
}

function summary(pairs) {
  return html`<dl class="summary">${pairs.map(([label, value]) => html`<dt>${label}</dt><dd>${value}</dd>`)}</dl>`;
}

/**
 * A table; `columns` are { header, num? } and each row is an array of cell values (escaped) or
 * Html. `rowClass` marks the rows for styling and for tests that count them.
 */
function table(columns, rows, rowClass) {
  if (rows.length === 0) return html`<p class="note">None.</p>`;
  const head = columns.map((c) => html`<th class="${c.num ? 'num' : ''}" scope="col">${c.header}</th>`);
  const body = rows.map(
    (row) => html`<tr class="${rowClass}">${row.map((cell, i) => cellHtml(cell, columns[i]))}</tr>`,
  );
  return html`<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function cellHtml(cell, column) {
  if (column.num) return html`<td class="num">${cell}</td>`;
  if (column.name) return html`<td class="name" title="${cell}">${cell}</td>`;
  return html`<td>${cell}</td>`;
}

const CHART = { width: 980, label: 300, value: 150, row: 22, bar: 16, top: 8 };

/**
 * Horizontal bar chart as inline SVG. Values may be negative (a diff): then the bars grow both
 * ways from a centre line, red for growth and green for shrinkage.
 * @param {Array<{ label: string, value: number, text: string, detail: string }>} items label:
 *   the bar's name; text: shown after the bar; detail: the tooltip
 * @param {string} caption
 */
function barChart(items, caption) {
  if (items.length === 0) return html``;
  const values = items.map((item) => (Number.isFinite(item.value) ? item.value : 0));
  const signed = values.some((value) => value < 0);
  const span = CHART.width - CHART.label - CHART.value;
  const max = values.reduce((most, value) => Math.max(most, Math.abs(value)), 1);
  const zero = CHART.label + (signed ? span / 2 : 0);
  const scale = (signed ? span / 2 : span) / max;
  const height = CHART.top * 2 + items.length * CHART.row;
  const rows = items.map((item, i) => chartRow(item, values[i], { i, zero, scale, signed }));
  const axis = html`<line class="axis" x1="${zero}" x2="${zero}" y1="0" y2="${height}"></line>`;
  return html`<svg class="chart" viewBox="0 0 ${CHART.width} ${height}" role="img" aria-label="${caption}"><title>${caption}</title>${rows}${axis}</svg>`;
}

function chartRow(item, value, { i, zero, scale, signed }) {
  const y = CHART.top + i * CHART.row;
  const width = value === 0 ? 0 : Math.max(1, Math.abs(value) * scale);
  const x = value < 0 ? zero - width : zero;
  const kind = signed ? (value < 0 ? 'bar shrink' : 'bar grow') : 'bar';
  const textY = y + CHART.bar - 3;
  const label = v.truncate(v.printable(item.label), 42);
  // A diff's values line up in their own column; sizes follow the end of their bar.
  const valueX = (signed ? CHART.width - CHART.value : x + width) + 6;
  return html`<g class="bar-row"><title>${item.label}: ${item.detail}</title><text x="${CHART.label - 8}" y="${textY}" text-anchor="end">${label}</text><rect class="${kind}" x="${x.toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="${CHART.bar}"></rect><text class="value" x="${valueX.toFixed(1)}" y="${textY}">${item.text}</text></g>`;
}

function pathHtml(steps, o) {
  const shown = list(steps);
  if (shown.length === 0) return html`<p class="note">No retainer path: unreachable from the GC roots.</p>`;
  const line = formatPath(shown, { nameWidth: 120, maxSteps: o.maxPathSteps });
  const items = shown.map(
    (step, i) =>
      html`<li>${i > 0 ? html`<span class="edge">${formatEdge(step)}</span> → ` : ''}<span class="node">${name(step.node, o)}</span> <span class="id">@${formatId(step.node && step.node.id)} · ${step.node && step.node.type} · retains ${v.formatBytes(step.node && step.node.retainedSize)}</span></li>`,
  );
  return html`<code class="path">${line}</code><details><summary>${v.formatInt(shown.length)} steps from the GC roots</summary><ol class="steps">${items}</ol></details>`;
}

/** Columns of a table of classes or nodes with both sizes and their share of the heap. */
const SIZE_COLUMNS = (first) => [
  { header: first, name: true },
  { header: 'Count', num: true },
  { header: 'Self size', num: true },
  { header: 'bytes', num: true },
  { header: 'Retained size', num: true },
  { header: 'bytes', num: true },
  { header: 'Share', num: true },
];

function analysisSections(a, o) {
  const classes = list(a.classes);
  const shownClasses = classes.slice(0, o.top);
  // Classes keyed by their constructor's location (two `Module`s) are told apart by it.
  const located = v.anyLocation(shownClasses);
  const chartItems = shownClasses.map((c) => ({
    label: located ? `${v.nodeName(c)} ${v.classLocation(c, 24)}`.trim() : v.nodeName(c),
    value: c.retainedSize,
    text: v.formatBytes(c.retainedSize),
    detail: `${sizeBoth(c.retainedSize)} retained by ${v.formatInt(c.count)} objects`,
  }));
  const classColumns = SIZE_COLUMNS('Class');
  if (located) classColumns.splice(1, 0, { header: 'Defined at', name: true });
  const classRows = shownClasses.map((c) => [
    name(c, o),
    ...(located ? [v.classLocation(c, 120)] : []),
    v.formatInt(c.count),
    v.formatBytes(c.selfSize),
    v.formatInt(c.selfSize),
    v.formatBytes(c.retainedSize),
    v.formatInt(c.retainedSize),
    v.formatShare(v.shareOf(c.retainedSize, a.totalSize)),
  ]);
  return html`
<section id="summary"><h2>Snapshot</h2>${summary([
    ['File', a.file],
    ['File size', sizeBoth(a.fileBytes)],
    ['Nodes', v.formatInt(a.nodeCount)],
    ['Edges', v.formatInt(a.edgeCount)],
    ['Total size', sizeBoth(a.totalSize)],
    ['Unreachable', `${v.formatInt(a.unreachableNodes)} nodes`],
  ])}</section>
<section id="classes"><h2>Retained size by class <span class="muted">(${countNote(shownClasses.length, classes.length)})</span></h2>
${barChart(chartItems, 'Retained size by class')}
${table(classColumns, classRows, 'class-row')}</section>
${dominatorSection(a, o)}
${suspectSection(a, o)}
${pathsSection(a, o)}`;
}

/** The retainer paths asked for by node id (`paths` option, CLI --path); nothing when none were. */
function pathsSection(a, o) {
  const all = list(a.paths);
  if (all.length === 0) return '';
  const items = all.map(
    (entry) =>
      html`<li class="retainer-path"><p class="headline">@${formatId(entry.id)}</p>${
        entry.found ? pathHtml(entry.path, o) : html`<p class="note">No node has this id in the snapshot.</p>`
      }</li>`,
  );
  return html`<section id="paths"><h2>Retainer paths</h2><ol class="items">${items}</ol></section>`;
}


function dominatorSection(a, o) {
  const all = list(a.dominators);
  const shown = all.slice(0, o.top);
  const rows = shown.map((node) => [
    name(node, o),
    `@${formatId(node.id)}`,
    node.type,
    v.formatBytes(node.selfSize),
    v.formatBytes(node.retainedSize),
    v.formatInt(node.retainedSize),
    v.formatShare(v.shareOf(node.retainedSize, a.totalSize)),
  ]);
  const columns = [
    { header: 'Object', name: true },
    { header: 'Id', num: true },
    { header: 'Type' },
    { header: 'Self size', num: true },
    { header: 'Retained size', num: true },
    { header: 'bytes', num: true },
    { header: 'Share', num: true },
  ];
  return html`<section id="dominators"><h2>Largest dominators <span class="muted">(${countNote(shown.length, all.length)})</span></h2>
${table(columns, rows, 'dominator-row')}</section>`;
}

function suspectSection(a, o) {
  const all = list(a.suspects);
  const shown = all.slice(0, o.top);
  const items = shown.map(
    (suspect) =>
      html`<li class="suspect"><p class="headline">${formatSuspect(suspect, { nameWidth: 120 })}</p>${pathHtml(suspect.path, o)}</li>`,
  );
  const body = items.length > 0 ? html`<ol class="items">${items}</ol>` : html`<p class="note">None: no object dominates an outsized share of the heap.</p>`;
  return html`<section id="suspects"><h2>Leak suspects <span class="muted">(${countNote(shown.length, all.length)})</span></h2>${body}</section>`;
}

function snapshotText(info) {
  const i = info || {};
  return `${v.printable(i.file)}: ${v.formatInt(i.nodeCount)} nodes, ${sizeBoth(i.totalSize)}`;
}

function diffSection(d, o) {
  const before = d.before || {};
  const after = d.after || {};
  const all = list(d.classes);
  const shown = all.slice(0, o.top);
  const chartItems = shown.map((c) => ({
    label: v.nodeName(c),
    value: c.sizeDelta,
    text: v.formatSignedBytes(c.sizeDelta),
    detail: `${v.formatSignedInt(c.sizeDelta)} bytes, ${v.formatSignedInt(c.countDelta)} objects`,
  }));
  const rows = shown.map((c) => [
    name(c, o),
    v.formatInt(c.addedCount),
    v.formatInt(c.removedCount),
    v.formatSignedInt(c.countDelta),
    v.formatBytes(c.addedSize),
    v.formatBytes(c.removedSize),
    v.formatSignedBytes(c.sizeDelta),
    v.formatSignedInt(c.sizeDelta),
  ]);
  const columns = [
    { header: 'Class', name: true },
    { header: 'New', num: true },
    { header: 'Deleted', num: true },
    { header: 'Δ count', num: true },
    { header: 'Allocated', num: true },
    { header: 'Freed', num: true },
    { header: 'Δ size', num: true },
    { header: 'Δ bytes', num: true },
  ];
  const sizeChange = after.totalSize - before.totalSize;
  return html`<section id="diff"><h2>Diff</h2>${summary([
    ['Before', snapshotText(before)],
    ['After', snapshotText(after)],
    ['Change', `${v.formatSignedInt(after.nodeCount - before.nodeCount)} nodes, ${v.formatSignedBytes(sizeChange)} (${v.formatSignedInt(sizeChange)} bytes)`],
  ])}
<h3>Classes by size change <span class="muted">(${countNote(shown.length, all.length)})</span></h3>
${barChart(chartItems, 'Size change by class')}
${table(columns, rows, 'diff-row')}</section>`;
}

function leaksSection(l, o) {
  const all = list(l.groups);
  const shown = all.slice(0, o.top);
  const groupCount = v.leakGroupCount(l);
  // The engine lists V8's own groups last: they are left out of the chart and listed apart.
  const user = shown.filter((g) => g.internal !== true);
  const internal = shown.filter((g) => g.internal === true);
  const chartItems = user.map((g) => ({
    label: `${v.formatInt(g.count)} × ${v.printable(g.className)}${v.holderNote(g, 40)}`,
    value: g.retainedSize,
    text: v.formatBytes(g.retainedSize),
    detail: sizeBoth(g.retainedSize),
  }));
  const userItems = user.map((g) => groupItem(g, o));
  const internalList =
    internal.length > 0
      ? html`<h4>${v.INTERNAL_GROUPS_HEADING}</h4><ol class="items" start="${user.length + 1}">${internal.map((g) => groupItem(g, o))}</ol>`
      : '';
  const body =
    shown.length > 0
      ? html`${userItems.length > 0 ? html`<ol class="items">${userItems}</ol>` : ''}${internalList}`
      : html`<p class="note">None: nothing allocated between baseline and target survived.</p>`;
  return html`<section id="leaks"><h2>Leaks</h2><p class="note">Objects allocated between baseline and target, still alive in final.</p>${summary([
    ['Baseline', snapshotText(l.baseline)],
    ['Target', snapshotText(l.target)],
    ['Final', snapshotText(l.final)],
    ['Leaked', `${v.formatInt(l.leakedNodes)} objects, ${sizeBoth(l.leakedSize)}, ${v.leakGroupsNote(l)}`],
  ])}
<h3>Leak groups <span class="muted">(${countNote(shown.length, groupCount)})</span></h3>
${barChart(chartItems, 'Retained size by leak group')}${body}</section>`;
}

function groupItem(g, o) {
  const ids = list(g.examples).slice(0, o.examples).map((node) => `@${formatId(node.id)}`);
  const kind = g.internal === true ? 'leak-group internal' : 'leak-group';
  return html`<li class="${kind}"><p class="headline">${v.formatInt(g.count)} × '${v.truncate(v.printable(g.className), o.nameWidth)}'${v.holderNote(g, o.nameWidth)} retaining ${sizeBoth(g.retainedSize)}</p>
<p>Path shape: <code>${v.truncate(v.printable(g.pathShape), 1000)}</code>${v.foldedNote(g) !== '' ? html`<br><span class="folded">Folded in: ${v.foldedNote(g)}</span>` : ''}${ids.length > 0 ? html`<br>Examples: ${ids.join(', ')}` : ''}</p>${pathHtml(g.samplePath, o)}</li>`;
}

function timingText(timingsMs) {
  const entries = Object.entries(timingsMs || {}).filter(([, ms]) => typeof ms === 'number');
  return entries.map(([phase, ms]) => `${v.printable(phase)} ${v.formatInt(ms)} ms`).join(', ');
}

/** The files a report is about, for its title. */
/** Old generations still alive (modswap.explain(), `modswap why`): one item per group. */
function explanationSection(x, o) {
  const groups = list(x.groups);
  const items = groups.map((group) => {
    const first = list(x.generations).find(
      (g) => g.file === group.generations[0].file && g.generation === group.generations[0].generation,
    );
    const who = group.generations.map((g) => `${v.printable(g.file)} #${g.generation}`).join(', ');
    return html`<li class="leak-group"><p class="headline">${v.formatInt(group.generations.length)} × held by ${v.printable(group.kind)}: ${v.truncate(who, 1000)}</p>
<p>Fix: ${v.printable(group.fix)}</p>${first ? pathHtml(first.path, o) : ''}</li>`;
  });
  const body = items.length > 0 ? html`<ol class="items">${items}</ol>` : html`<p class="note">None: no old CommonJS generation is alive.</p>`;
  const pinned = x.pinned > 0 ? html`<p class="note">${v.formatInt(x.pinned)} ES module version(s) pinned by Node's ESM loader (never collected).</p>` : '';
  return html`<section id="explanation"><h2>Old generations still alive</h2><p class="note">For each group of generations held the same way: the shortest retainer path from the GC roots to a generation's Module or exports, and what to change.</p>${body}${pinned}</section>`;
}

function subjectFiles(report) {
  if (report.explanation) return [report.explanation.snapshot && report.explanation.snapshot.file];
  if (report.analysis) return [report.analysis.file];
  if (report.leaks) return [report.leaks.baseline, report.leaks.target, report.leaks.final].map((s) => s && s.file);
  if (report.diff) return [report.diff.before, report.diff.after].map((s) => s && s.file);
  return [];
}

function titleOf(report) {
  const names = subjectFiles(report).map((file) => path.basename(String(file ?? '?')));
  return `Heap report: ${names.join(', ')}`;
}

/**
 * A complete, self-contained HTML page reporting any of an analysis, a diff and a leak search.
 * @param {{ analysis?: object, diff?: object, leaks?: object, explanation?: object }} report
 *   results of `modswap.heap.analyze()`, `.diff()` and `.leaks()`, and of `modswap.explain()`
 * @param {{ top?: number, nameWidth?: number, maxPathSteps?: number, examples?: number,
 *   embedData?: boolean, generatedAt?: string }} [options] top: rows per list and chart (20);
 *   embedData: include the results as JSON in a non-executable script element (true)
 * @returns {string} the page, UTF-8 text
 */
function renderHtml(report, options) {
  const o = settings(options);
  const title = titleOf(report);
  const generatedAt = o.generatedAt ?? new Date().toISOString();
  const timings = report.analysis ? timingText(report.analysis.timingsMs) : '';
  const data = o.embedData
    ? html`<script type="application/json" id="modswap-heap-data">${new Html(jsonForScript(report))}</script>`
    : '';
  const page = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="modswap">
<title>${title}</title>
<style>${new Html(STYLE)}</style>
</head>
<body>
<header><h1>${title}</h1></header>
<main>
${report.analysis ? analysisSections(report.analysis, o) : ''}
${report.diff ? diffSection(report.diff, o) : ''}
${report.leaks ? leaksSection(report.leaks, o) : ''}
${report.explanation ? explanationSection(report.explanation, o) : ''}
</main>
<footer>Generated by modswap at ${generatedAt}${timings ? `. Engine timings: ${timings}` : ''}.</footer>
${data}
</body>
</html>
`;
  return page.markup;
}

module.exports = { renderHtml, escapeHtml, jsonForScript, html, CSP };

'use strict';
// Small statistics and formatting helpers shared by the benchmark scripts.

/** Nearest-rank percentile (p in 0..100) of `values`; does not modify the input. */
function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

function median(values) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Milliseconds elapsed since `start` (a process.hrtime.bigint() value). */
function msSince(start) {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function formatMs(ms) {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms < 1) return `${ms.toFixed(3)} ms`;
  if (ms < 100) return `${ms.toFixed(2)} ms`;
  return `${ms.toFixed(0)} ms`;
}

function formatMB(bytes) {
  return `${(bytes / (1 << 20)).toFixed(1)} MB`;
}

/** Renders rows (arrays of strings) as an aligned text table with a header rule. */
function renderTable(header, rows) {
  const widths = header.map((_, col) => Math.max(...[header, ...rows].map((row) => String(row[col]).length)));
  const line = (row) => row.map((cell, col) => String(cell).padEnd(widths[col])).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

module.exports = { percentile, median, msSince, formatMs, formatMB, renderTable };

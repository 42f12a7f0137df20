'use strict';
// Peak RSS of this process (Linux: VmHWM) and its reset, for benchmarks that report the memory a
// step adds at its peak.
const fs = require('node:fs');

/** Peak RSS in bytes since start or the last reset; NaN where /proc is missing. */
function peakRss() {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Resets the peak to the current RSS (clear_refs 5); without it the peak includes earlier work. */
function resetPeakRss() {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // Not Linux, or not allowed.
  }
}

module.exports = { peakRss, resetPeakRss };

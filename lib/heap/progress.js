'use strict';
// A one-line progress bar for a terminal's stderr, fed by the heap engine's
// onProgress({ phase, done, total }) callback. The engine may report thousands of times a second;
// the line is redrawn at most every `intervalMs` (and at each new phase), so drawing never
// costs more than the work it reports on.
const { printable, truncate } = require('./format-values');

const CLEAR_LINE = '\r\x1b[K';
/** An ETA is shown once the phase has run this long and done this share of its work. */
const ETA_AFTER_MS = 500;
const ETA_AFTER_FRACTION = 0.02;

/** "4.2 s", "3 min 05 s". */
function duration(ms) {
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
}

/**
 * Time left in a phase at the rate so far (the work done since the phase started, over the
 * time it took), or "–" while that rate means little: the phase has run less than half a
 * second, or done less than 2 % of its work since.
 */
function eta({ done, total }, startDone, elapsedMs) {
  const progressed = (done - startDone) / total;
  if (elapsedMs < ETA_AFTER_MS || !(progressed >= ETA_AFTER_FRACTION)) return '–';
  return duration((elapsedMs * Math.max(0, (total - done) / total)) / progressed);
}

class ProgressBar {
  /**
   * @param {NodeJS.WritableStream & { columns?: number }} stream a terminal (stderr)
   * @param {{ intervalMs?: number, now?: () => number }} [options]
   */
  constructor(stream, { intervalMs = 100, now = Date.now } = {}) {
    this.stream = stream;
    this.intervalMs = intervalMs;
    this.now = now;
    this.phase = null;
    this.phaseStart = 0;
    this.phaseStartDone = 0;
    this.lastDraw = -Infinity;
    this.drawn = false;
    this.finished = false;
    // A bound property, so that it can be handed to the engine as the callback itself.
    this.update = (event) => this.onEvent(event);
  }

  onEvent(event) {
    if (this.finished || event === null || typeof event !== 'object') return;
    const at = this.now();
    const phase = truncate(printable(event.phase), 24);
    if (phase !== this.phase) {
      this.phase = phase;
      this.phaseStart = at;
      this.phaseStartDone = Number.isFinite(event.done) ? event.done : 0;
    } else if (at - this.lastDraw < this.intervalMs) {
      return;
    }
    this.lastDraw = at;
    this.stream.write(CLEAR_LINE + this.line(event, at));
    this.drawn = true;
  }

  /**
   * "parse        [██████░░░░░░]  52%  1.4 s  ETA 1.3 s" (the time spent in the phase, then the
   * time left at the rate so far), or without a bar and ETA when the total is unknown.
   */
  line(event, at) {
    const { done, total } = event;
    const elapsed = at - this.phaseStart;
    const seconds = duration(elapsed);
    const label = this.phase.padEnd(12);
    if (!(Number.isFinite(done) && Number.isFinite(total) && total > 0)) return `${label} …  ${seconds}`;
    const fraction = Math.min(1, Math.max(0, done / total));
    const columns = Math.min(this.stream.columns || 80, 120);
    // 37: the rest of the line at its longest, and the last column left free (no wrap).
    const width = Math.max(10, columns - label.length - 37);
    const filled = Math.round(fraction * width);
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    return `${label} [${bar}] ${percent}  ${seconds}  ETA ${eta(event, this.phaseStartDone, elapsed)}`;
  }

  /** Erases the bar so the report starts on a clean line; later events are ignored. */
  finish() {
    if (this.drawn) this.stream.write(CLEAR_LINE);
    this.finished = true;
  }
}

module.exports = { ProgressBar };

'use strict';
// A one-line progress bar for a terminal's stderr, fed by the heap engine's
// onProgress({ phase, done, total }) callback. The engine may report thousands of times a second;
// the line is redrawn at most every `intervalMs` (and at each new phase), so drawing never
// costs more than the work it reports on.
const { printable, truncate } = require('./format-values');

const CLEAR_LINE = '\r\x1b[K';

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
    } else if (at - this.lastDraw < this.intervalMs) {
      return;
    }
    this.lastDraw = at;
    this.stream.write(CLEAR_LINE + this.line(event, at));
    this.drawn = true;
  }

  /** "parse        [██████░░░░░░]  52%  1.4 s", or without a bar when the total is unknown. */
  line({ done, total }, at) {
    const seconds = `${((at - this.phaseStart) / 1000).toFixed(1)} s`;
    const label = this.phase.padEnd(12);
    if (!(Number.isFinite(done) && Number.isFinite(total) && total > 0)) return `${label} …  ${seconds}`;
    const fraction = Math.min(1, Math.max(0, done / total));
    const columns = Math.min(this.stream.columns || 80, 120);
    const width = Math.max(10, columns - label.length - 20);
    const filled = Math.round(fraction * width);
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    return `${label} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${percent}  ${seconds}`;
  }

  /** Erases the bar so the report starts on a clean line; later events are ignored. */
  finish() {
    if (this.drawn) this.stream.write(CLEAR_LINE);
    this.finished = true;
  }
}

module.exports = { ProgressBar };

'use strict';
// The growth rule shared by handle and listener watching. A series holds one count (handles of
// a type, listeners of an event) sampled with the work done so far (requests, full GCs, time).
// The data is tiny (at most WINDOW samples of a few series, one sample a second by default), so
// the rule lives here rather than behind an N-API call that would cost more than it computes.

/** Samples the full rule looks at; SUSPECT_WINDOW (its second half) starts site attribution. */
const WINDOW = 16;
const SUSPECT_WINDOW = 8;
const SEGMENTS = 4;
/** Fewer new resources than this are never a leak: pools and caches warm up by that much. */
const DEFAULT_MIN_GROWTH = 32;
const UNITS = ['request', 'reload', 'gc', 'second'];
/** A unit more specific than time is preferred unless time explains the count clearly better. */
const CORRELATION_SLACK = 0.05;

/**
 * True when the floor (minimum) of each of SEGMENTS consecutive slices of `samples` is above the
 * previous one, and the floor rose by at least `minGrowth` and by more than twice the largest
 * swing inside a slice. Steady counts, even noisy ones, fail the last test (their floor cannot
 * rise by more than their own range); warm-ups fail because their floor stops rising.
 */
function floorRises(samples, minGrowth) {
  const size = Math.floor(samples.length / SEGMENTS);
  if (size < 1) return false;
  const floors = [];
  let swing = 0;
  for (let s = 0; s < SEGMENTS; s++) {
    const counts = samples.slice(samples.length - (SEGMENTS - s) * size, samples.length - (SEGMENTS - s - 1) * size);
    const counted = counts.map((sample) => sample.count);
    const floor = Math.min(...counted);
    swing = Math.max(swing, Math.max(...counted) - floor);
    if (s > 0 && floor <= floors[s - 1]) return false;
    floors.push(floor);
  }
  const rise = floors[SEGMENTS - 1] - floors[0];
  return rise >= minGrowth && rise > 2 * swing;
}

/** Pearson correlation of two equal-length arrays; 0 when either is constant. */
function correlation(xs, ys) {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy);
}

/** The amount of `unit` done by the time of `sample` (seconds for 'second'). */
function workOf(sample, unit) {
  return unit === 'second' ? sample.at / 1000 : sample.work[unit];
}

/** Rounds to two significant digits: rates are estimates. */
function twoDigits(value) {
  if (value === 0 || !Number.isFinite(value)) return value;
  const scale = 10 ** (Math.floor(Math.log10(Math.abs(value))) - 1);
  return Math.round(value / scale) * scale;
}

/**
 * The unit of work the count follows best (requests, reloads, full GCs, seconds: the first on a tie) and
 * the growth per unit over `samples`.
 */
function ratePerUnit(samples) {
  const counts = samples.map((sample) => sample.count);
  let best;
  for (const unit of UNITS) {
    const work = samples.map((sample) => workOf(sample, unit));
    const done = work[work.length - 1] - work[0];
    if (!(done > 0)) continue;
    const r = correlation(work, counts);
    if (best === undefined || r > best.r + CORRELATION_SLACK) best = { unit, r, done };
  }
  if (best === undefined) return { unit: 'second', perUnit: 0 };
  const growth = counts[counts.length - 1] - counts[0];
  return { unit: best.unit, perUnit: twoDigits(growth / best.done) };
}

/** One count over time, with the work done at each sample. */
class GrowthSeries {
  constructor(minGrowth = DEFAULT_MIN_GROWTH) {
    this.minGrowth = minGrowth;
    this.samples = [];
    /** The count when this series was last reported: it is reported again once doubled. */
    this.reportedAt = 0;
  }

  /**
   * Adds `{ count, at, work, total? }` (`at` in ms since the epoch, `work` the counters so far;
   * `total`, when the count judged is not what is alive, is what the report calls `count`).
   */
  add(sample) {
    this.samples.push(sample);
    if (this.samples.length > WINDOW) this.samples.shift();
  }

  get last() {
    return this.samples[this.samples.length - 1];
  }

  /** The recent half of the window already grows: worth finding out where from. */
  suspect() {
    return this.samples.length >= SUSPECT_WINDOW && floorRises(this.samples.slice(-SUSPECT_WINDOW), this.minGrowth / 2);
  }

  /** The whole window grows, and by twice what was last reported (if it was). */
  growing() {
    if (this.samples.length < WINDOW || !floorRises(this.samples, this.minGrowth)) return false;
    return this.reportedAt === 0 || this.last.count >= 2 * this.reportedAt;
  }

  /** The fields every 'leak' payload of this series shares; marks the series as reported. */
  report() {
    const first = this.samples[0];
    const last = this.last;
    this.reportedAt = last.count;
    return {
      start: new Date(first.at),
      end: new Date(last.at),
      growth: last.count - first.count,
      count: last.total ?? last.count,
      ...ratePerUnit(this.samples),
    };
  }
}

/** "1,204" */
function grouped(n) {
  return Math.round(n).toLocaleString('en-US');
}

/** "+1 per request", "+0.5 per second" */
function perUnitText({ perUnit, unit }) {
  return `${perUnit >= 0 ? '+' : ''}${perUnit} per ${unit === 'gc' ? 'full GC' : unit}`;
}

module.exports = { GrowthSeries, floorRises, ratePerUnit, grouped, perUnitText, WINDOW, DEFAULT_MIN_GROWTH };

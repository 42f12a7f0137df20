//! The default leak detector: the reference's statistics without its arithmetic defects, and a
//! leak rule that asks whether the memory that *stays* allocated grows at a steady pace.
//!
//! # Model
//!
//! The post-GC heap is `retained(t) + transient(t)`: `transient` is anything that is freed
//! again (a cache that is cleared, a large allocation that is dropped), `retained` is what
//! survives. A leak is `retained` growing without end. Everything else that grows `retained`
//! stops: a warm-up, a cache filling up to its bound, a one-off allocation that is kept.
//!
//! 1. **Floors.** Post-GC sizes are grouped in windows of [`RobustConfig::window`] full GCs; a
//!    window's floor is its minimum.
//! 2. **Retained envelope.** Over the last [`RobustConfig::history_windows`] floors, `e[i]` is the
//!    minimum of the floors from window `i` up to now: the memory that has stayed allocated from
//!    then until now. It never falls; anything freed later (a sawtooth, a large allocation that
//!    was dropped) disappears from it retroactively. Its rises `r[i] = e[i] - e[i-1]` say in which
//!    window the retained memory grew.
//! 3. **One-off steps are absorbed.** When judging the growth since a window `s`, the
//!    [`RobustConfig::absorbed_steps`] largest rises are cut down to the next largest one. A
//!    cache filling or a large allocation kept then weighs no more than an ordinary rise and
//!    neither masks a leak that follows nor counts as one; a leak in bursts, whose rises are
//!    alike, keeps its growth. Growth from fewer than `absorbed_steps + 1` windows counts as 0.
//! 4. **Steady pace (the leak rule).** There is a window `s` at least
//!    [`RobustConfig::horizon_windows`] before now such that the (absorbed) growth `G` since `s`
//!    - is at least [`RobustConfig::min_growth_bytes`] and [`RobustConfig::min_growth_ratio`] of
//!      the retained heap at `s`, and
//!    - followed a straight line from `s` to now: at every window the cumulative growth is within
//!      [`RobustConfig::band`]` * G` of the line from 0 at `s` to `G` now (a
//!      Kolmogorov-Smirnov-style uniformity test on *when* the growth happened). A clear rise (at
//!      least half the largest absorbed one) counts as having built up since the previous clear
//!      rise: the cumulative curve is interpolated between them, so that a leak in bursts is a
//!      straight line too.
//!
//!    Growth that stopped runs ahead of the line (its curve is flat at the end), growth that
//!    started recently lags behind it, a decelerating fill (an LRU cache with random keys) is
//!    front-loaded: none of them is a straight line over a whole horizon. Noise in the floors
//!    bends the line by less than the band once the growth is several times the noise.
//!
//! Each closing window tries every `s` of the history (oldest first; at most 64 x 64 steps).
//! The report covers the growth of the envelope since the earliest qualifying `s`.
//!
//! # The horizon, and what it cannot do
//!
//! Growth that goes on steadily for longer than the horizon cannot be told from a leak until it
//! stops. The band lets the line start up to `band` of the span before the growth and end up to
//! `band` after it, so steady growth is reported once it has lasted about `(1 - 2 * band)`
//! horizons, and growth that lasts less is never reported. The default horizon is 16 windows of
//! 4 full GCs (64 full GCs), 1.6 times the previous rule's ~40: warm-ups and caches that fill
//! for up to ~50 full GCs are ignored (up to ~60 at process start, where there is no quiet
//! history to stretch the line over), and a steady leak is reported ~60 full GCs after it starts
//! (later if it needs longer to reach the minimum growth). A leak in bursts needs three bursts (two
//! are absorbed as one-off steps) spread over the horizon. Counting in full GCs rather than
//! seconds follows V8, whose full GCs are driven by allocation, not by time. A report clears the
//! history: an ongoing leak is reported again a horizon later. An accelerating leak is reported
//! once a horizon of it is close enough to a straight line; growth that wanders (a random walk
//! with steps comparable to the minimum growth) can pass for a leak.

use super::format::{nice_delta, nice_size};
use super::{
    heap_limit_of, projected_ms_to_limit, rate_per_minute, Detector, DetectorOutput, GcSample,
    LeakReport, Stats,
};
use std::collections::VecDeque;

/// Tuning of [`RobustDetector`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RobustConfig {
    /// Full GCs per window.
    pub window: u32,
    /// Full GCs ignored at start.
    pub warmup: u32,
    /// Shortest span, in windows, over which growth must be steady to be a leak: the decision
    /// horizon (see the module docs for the trade-off).
    pub horizon_windows: usize,
    /// Windows remembered; older ones slide out. Long enough for a slow leak to reach the
    /// minimum growth and for bursts far apart.
    pub history_windows: usize,
    /// Largest distance of the cumulative growth from a straight line, as a share of the growth:
    /// tolerance for noise, paid for with a horizon that is `2 * band` shorter for smooth growth.
    pub band: f64,
    /// Largest rises cut down to the next largest one (one-off steps); a leak must show in at
    /// least one more window than this.
    pub absorbed_steps: usize,
    /// Smallest (absorbed) growth that counts, in bytes.
    pub min_growth_bytes: f64,
    /// Smallest (absorbed) growth that counts, as a fraction of the retained heap at its start.
    pub min_growth_ratio: f64,
}

impl Default for RobustConfig {
    fn default() -> Self {
        Self {
            window: 4,
            warmup: 4,
            horizon_windows: 16,
            history_windows: 64,
            band: 0.1,
            absorbed_steps: 2,
            min_growth_bytes: 512.0 * 1024.0,
            min_growth_ratio: 0.02,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Floor {
    bytes: f64,
    started_ms: f64,
}

/// A qualifying growth period: the window it starts at and its envelope growth.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Growth {
    start: usize,
    bytes: f64,
}

/// A growth that passed the leak rule, before it is worded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Finding {
    /// When the window the growth starts at began, ms since the epoch.
    pub start_ms: f64,
    /// The GC that closed the last window, ms since the epoch.
    pub end_ms: f64,
    /// Growth of the retained envelope over the period, bytes.
    pub growth: f64,
    /// Full GCs the period spans.
    pub gcs: u64,
    /// The retained floor now, bytes.
    pub floor: f64,
}

impl Finding {
    pub fn elapsed_ms(&self) -> f64 {
        (self.end_ms - self.start_ms).max(0.0)
    }
}

/// The floor-based detector (see the module docs).
#[derive(Debug, Clone)]
pub struct RobustDetector {
    config: RobustConfig,
    heap_limit: Option<f64>,
    full: u64,
    incremental: u64,
    last_base: f64,
    base_recent: f64,
    base_ancient: f64,
    min: f64,
    max: f64,
    window_min: f64,
    window_started_ms: f64,
    window_len: u32,
    /// Floors of the remembered windows, oldest first.
    floors: VecDeque<Floor>,
}

impl Default for RobustDetector {
    fn default() -> Self {
        Self::new(RobustConfig::default())
    }
}

impl RobustDetector {
    /// A detector with the given tuning.
    pub fn new(config: RobustConfig) -> Self {
        Self {
            config,
            heap_limit: None,
            full: 0,
            incremental: 0,
            last_base: 0.0,
            base_recent: 0.0,
            base_ancient: 0.0,
            min: 0.0,
            max: 0.0,
            window_min: f64::INFINITY,
            window_started_ms: 0.0,
            window_len: 0,
            floors: VecDeque::new(),
        }
    }

    /// The reference's moving averages, in floating point (no wrap-around, no overflow).
    fn update_averages(&mut self) {
        let compactions = self.full as f64;
        if compactions < 10.0 {
            self.base_recent = self.last_base;
            self.base_ancient = self.last_base;
        } else {
            self.base_recent = (self.base_recent * 9.0 + self.last_base) / 10.0;
            let decay = compactions.min(120.0);
            self.base_ancient = (self.base_ancient * (decay - 1.0) + self.last_base) / decay;
        }
        if self.full >= 3 {
            self.min = if self.min == 0.0 {
                self.last_base
            } else {
                self.min.min(self.last_base)
            };
            self.max = self.max.max(self.last_base);
        }
    }

    fn stats(&self) -> Stats {
        let usage_trend = if self.base_ancient > 0.0 {
            ((self.base_recent - self.base_ancient) / self.base_ancient * 1000.0).round() / 10.0
        } else {
            0.0
        };
        Stats {
            num_full_gc: self.full as f64,
            num_inc_gc: self.incremental as f64,
            heap_compactions: self.full as f64,
            usage_trend,
            estimated_base: self.base_recent.round(),
            current_base: self.last_base,
            min: self.min,
            max: self.max,
        }
    }

    /// Adds a post-GC sample to the current window; returns the window's floor when it closes.
    fn close_window(&mut self, used: f64, at_ms: f64) -> Option<Floor> {
        if self.window_len == 0 {
            self.window_started_ms = at_ms;
        }
        self.window_min = self.window_min.min(used);
        self.window_len += 1;
        if self.window_len < self.config.window.max(1) {
            return None;
        }
        let floor = Floor {
            bytes: self.window_min,
            started_ms: self.window_started_ms,
        };
        self.window_len = 0;
        self.window_min = f64::INFINITY;
        Some(floor)
    }

    fn follow_floor(&mut self, floor: Floor, now_ms: f64) -> Option<Finding> {
        self.floors.push_back(floor);
        while self.floors.len() > self.config.history_windows.max(2) {
            self.floors.pop_front();
        }
        let floors: Vec<f64> = self.floors.iter().map(|f| f.bytes).collect();
        let growth = leaking_growth(&self.config, &floors)?;
        let start = self.floors[growth.start];
        let gcs = (floors.len() - growth.start) as u64 * u64::from(self.config.window);
        // A report starts a new history: the same growth is not reported twice.
        self.floors.clear();
        self.floors.push_back(floor);
        Some(Finding {
            start_ms: start.started_ms,
            end_ms: now_ms,
            growth: growth.bytes,
            gcs,
            floor: floor.bytes,
        })
    }

    /// Forgets the remembered floors and the open window (another detector reported the
    /// growth they show); statistics are kept.
    pub(crate) fn forget_history(&mut self) {
        self.floors.clear();
        self.window_len = 0;
        self.window_min = f64::INFINITY;
    }

    /// Consumes a GC: the statistics of a full GC and a growth that passed the rule, if any.
    pub(crate) fn step(&mut self, sample: GcSample) -> Option<(Stats, Option<Finding>)> {
        if !sample.full {
            self.incremental += 1;
            return None;
        }
        self.full += 1;
        self.last_base = sample.used_heap.max(0.0);
        self.update_averages();
        let finding = if self.full > u64::from(self.config.warmup) {
            self.close_window(self.last_base, sample.at_ms)
                .and_then(|floor| self.follow_floor(floor, sample.at_ms))
        } else {
            None
        };
        Some((self.stats(), finding))
    }

    fn leak_report(&self, finding: Finding) -> LeakReport {
        let elapsed_ms = finding.elapsed_ms();
        let rate = if elapsed_ms > 0.0 {
            format!(
                " - {}/hr",
                nice_size((finding.growth / (elapsed_ms / 3_600_000.0)).round())
            )
        } else {
            String::new()
        };
        let rate_per_min = rate_per_minute(finding.growth, elapsed_ms);
        LeakReport {
            start_ms: finding.start_ms,
            end_ms: finding.end_ms,
            growth: finding.growth,
            reason: format!(
                "heap floor grew over {} full GCs ({}){rate}",
                finding.gcs,
                nice_delta((elapsed_ms / 1000.0).round() as i64)
            ),
            rate_per_min,
            heap_limit: self.heap_limit,
            projected_ms_to_limit: projected_ms_to_limit(
                finding.floor,
                self.heap_limit,
                rate_per_min,
            ),
        }
    }
}

/// The retained envelope of `floors`: `e[i] = min(floors[i..])`.
fn retained_envelope(floors: &[f64]) -> Vec<f64> {
    let mut envelope = floors.to_vec();
    for i in (0..envelope.len().saturating_sub(1)).rev() {
        envelope[i] = envelope[i].min(envelope[i + 1]);
    }
    envelope
}

/// The `k + 1` largest of `values`, largest first (padded with zeros).
fn largest(values: &[f64], k: usize) -> Vec<f64> {
    let mut top = vec![0.0; k + 1];
    for &value in values {
        if value > top[k] {
            top[k] = value;
            top.sort_by(|a, b| b.total_cmp(a));
        }
    }
    top
}

/// The earliest window `s` from which the growth qualifies as a leak (see the module docs).
fn leaking_growth(config: &RobustConfig, floors: &[f64]) -> Option<Growth> {
    let horizon = config.horizon_windows.max(1);
    if floors.len() <= horizon {
        return None;
    }
    let envelope = retained_envelope(floors);
    let now = envelope.len() - 1;
    // rises[i] = growth of the envelope into window i (rises[0] is unused).
    let rises: Vec<f64> = std::iter::once(0.0)
        .chain(envelope.windows(2).map(|pair| pair[1] - pair[0]))
        .collect();
    (0..=now - horizon).find_map(|start| {
        let span = &rises[start + 1..=now];
        let top = largest(span, config.absorbed_steps);
        let cap = top[config.absorbed_steps];
        let absorbed = |rise: f64| rise.min(cap);
        let growth: f64 = span.iter().copied().map(absorbed).sum();
        let base = envelope[start];
        if growth <= 0.0
            || growth < config.min_growth_bytes
            || growth < config.min_growth_ratio * base
        {
            return None;
        }
        let windows = (now - start) as f64;
        // Cumulative absorbed growth at each window of the span, 0 at `start`.
        let cumulative: Vec<f64> = std::iter::once(0.0)
            .chain(span.iter().scan(0.0, |total, &rise| {
                *total += absorbed(rise);
                Some(*total)
            }))
            .collect();
        // A burst is growth that built up since the previous burst: spread each clear rise
        // (at least half the cap) back over the quiet windows before it.
        let vertices: Vec<usize> = std::iter::once(0)
            .chain((1..cumulative.len()).filter(|&i| absorbed(span[i - 1]) >= cap / 2.0))
            .chain(std::iter::once(cumulative.len() - 1))
            .collect();
        let mut segment = 0;
        for (offset, &done) in cumulative.iter().enumerate() {
            while vertices[segment + 1] < offset {
                segment += 1;
            }
            let (a, b) = (vertices[segment], vertices[segment + 1]);
            let spread = if b > a {
                cumulative[a]
                    + (cumulative[b] - cumulative[a]) * (offset - a) as f64 / (b - a) as f64
            } else {
                done
            };
            let line = offset as f64 / windows;
            if done / growth - line > config.band || line - spread.max(done) / growth > config.band
            {
                return None;
            }
        }
        Some(Growth {
            start,
            bytes: envelope[now] - base,
        })
    })
}

impl Detector for RobustDetector {
    fn observe(&mut self, sample: GcSample) -> Option<DetectorOutput> {
        let (stats, finding) = self.step(sample)?;
        Some(DetectorOutput {
            leak: finding.map(|finding| self.leak_report(finding)),
            stats,
        })
    }

    fn set_heap_limit(&mut self, bytes: f64) {
        self.heap_limit = heap_limit_of(bytes);
    }
}

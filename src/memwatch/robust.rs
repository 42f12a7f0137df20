//! The default leak detector: the reference's statistics without its arithmetic defects, and a
//! leak rule that watches the *floor* of the heap instead of single GC-to-GC steps.
//!
//! The reference calls any 5 consecutive post-GC increases a leak, so warm-up, a growing cache
//! or one large allocation trip it, while a leak that grows in bursts (flat between them) never
//! does. Here the post-GC heap sizes are grouped in windows of [`RobustConfig::window`] full GCs;
//! the minimum of each window is the floor that survived every collection in it. A leak is a run
//! of windows whose floors never fall (beyond [`RobustConfig::fall_tolerance`]) in which
//! - the floor rose in windows at least [`RobustConfig::min_rise_span`] windows apart: growth
//!   that lasts longer than a warm-up;
//! - no single window brought more than [`RobustConfig::max_step_share`] of the growth: a leak in
//!   bursts qualifies after a few bursts, one large allocation never does;
//! - the second half of the run brought at least [`RobustConfig::ongoing_share`] of it: growth
//!   is still going on, unlike a warm-up that ended;
//! - it rose by at least [`RobustConfig::min_growth_bytes`] and
//!   [`RobustConfig::min_growth_ratio`] of the starting floor in all.
//!
//! Caches and sawtooth patterns return to the same floor and reset the run; a warm-up or one
//! large allocation raises it for a while and stops; real leaks keep raising it.

use super::format::{nice_delta, nice_size};
use super::{Detector, DetectorOutput, GcSample, LeakReport, Stats};
use std::collections::VecDeque;

/// Tuning of [`RobustDetector`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RobustConfig {
    /// Full GCs per window.
    pub window: u32,
    /// Full GCs ignored at start.
    pub warmup: u32,
    /// Windows between the first and the last rise of a run before a leak is reported.
    pub min_rise_span: u32,
    /// Largest share of the growth a single window may bring.
    pub max_step_share: f64,
    /// Smallest share of the growth the second half of the run must bring.
    pub ongoing_share: f64,
    /// Windows a run remembers; older ones slide out (a run is at most this long).
    pub max_run_windows: usize,
    /// A floor counts as a rise when it exceeds the previous one by more than this, in bytes.
    pub rise_epsilon_bytes: f64,
    /// A floor counts as a fall (ending the run) when it is this fraction below the previous one.
    pub fall_tolerance: f64,
    /// Smallest floor growth that counts, in bytes.
    pub min_growth_bytes: f64,
    /// Smallest floor growth that counts, as a fraction of the starting floor.
    pub min_growth_ratio: f64,
}

impl Default for RobustConfig {
    fn default() -> Self {
        Self {
            window: 4,
            warmup: 4,
            min_rise_span: 8,
            max_step_share: 0.6,
            ongoing_share: 0.25,
            max_run_windows: 64,
            rise_epsilon_bytes: 4096.0,
            fall_tolerance: 0.005,
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

/// The default detector (see the module docs).
#[derive(Debug, Clone)]
pub struct RobustDetector {
    config: RobustConfig,
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
    /// Floors of the windows of the current run, oldest first; empty before the first window.
    run: VecDeque<Floor>,
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
            run: VecDeque::new(),
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
        if self.window_len < self.config.window {
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

    fn follow_floor(&mut self, floor: Floor, now_ms: f64) -> Option<LeakReport> {
        let falls = self
            .run
            .back()
            .is_none_or(|last| floor.bytes < last.bytes * (1.0 - self.config.fall_tolerance));
        if falls {
            self.run.clear();
        }
        self.run.push_back(floor);
        if self.run.len() > self.config.max_run_windows {
            self.run.pop_front();
        }
        let growth = self.leaking_growth()?;
        let start = self.run[0];
        let gcs = self.run.len() as u64 * u64::from(self.config.window);
        self.run.clear();
        self.run.push_back(floor);
        Some(leak_report(start, now_ms, growth, gcs))
    }

    /// The floor growth of the current run if it qualifies as a leak (see the module docs).
    fn leaking_growth(&self) -> Option<f64> {
        let config = &self.config;
        let floors: Vec<f64> = self.run.iter().map(|f| f.bytes).collect();
        let (first, last) = (*floors.first()?, *floors.last()?);
        let growth = last - first;
        if growth < config.min_growth_bytes || growth < first * config.min_growth_ratio {
            return None;
        }
        let steps: Vec<f64> = floors.windows(2).map(|pair| pair[1] - pair[0]).collect();
        let rises: Vec<usize> = (0..steps.len())
            .filter(|&i| steps[i] > config.rise_epsilon_bytes)
            .collect();
        let lasting = rises.last()? - rises.first()? >= config.min_rise_span as usize;
        let largest_step = steps.iter().copied().fold(0.0, f64::max);
        let spread = largest_step <= config.max_step_share * growth;
        let recent_growth = last - floors[floors.len() / 2];
        let ongoing = recent_growth >= config.ongoing_share * growth;
        (lasting && spread && ongoing).then_some(growth)
    }
}

fn leak_report(start: Floor, now_ms: f64, growth: f64, gcs: u64) -> LeakReport {
    let elapsed_ms = (now_ms - start.started_ms).max(0.0);
    let rate = if elapsed_ms > 0.0 {
        format!(
            " - {}/hr",
            nice_size((growth / (elapsed_ms / 3_600_000.0)).round())
        )
    } else {
        String::new()
    };
    LeakReport {
        start_ms: start.started_ms,
        end_ms: now_ms,
        growth,
        reason: format!(
            "heap floor grew over {gcs} full GCs ({}){rate}",
            nice_delta((elapsed_ms / 1000.0).round() as i64)
        ),
    }
}

impl Detector for RobustDetector {
    fn observe(&mut self, sample: GcSample) -> Option<DetectorOutput> {
        if !sample.full {
            self.incremental += 1;
            return None;
        }
        self.full += 1;
        self.last_base = sample.used_heap.max(0.0);
        self.update_averages();
        let leak = if self.full > u64::from(self.config.warmup) {
            self.close_window(self.last_base, sample.at_ms)
                .and_then(|floor| self.follow_floor(floor, sample.at_ms))
        } else {
            None
        };
        Some(DetectorOutput {
            leak,
            stats: self.stats(),
        })
    }
}

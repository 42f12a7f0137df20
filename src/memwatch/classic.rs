//! node-memwatch's leak rule and statistics (lloyd/node-memwatch `src/memwatch.cc`,
//! `AsyncMemwatchAfter`) with arithmetic that cannot wrap.
//!
//! The reference keeps every value in an `unsigned int` and truncates the rate to a C `int`: a
//! falling heap wraps `usage_trend` (11.3 MB -> 9 MB gives 38724.9 %), `base_recent * 9`
//! overflows above ~477 MB, heaps above 4 GiB wrap, and a leak whose rate does not fit an `int`
//! (five GCs within one second, or more than ~2 GiB per hour) reads "-2147483648 bytes/hr". Here
//! the state is 64-bit and the trend signed, so the numbers are the reference's wherever the
//! reference did not wrap, and right where it did. The rate is computed from milliseconds (the
//! reference's whole seconds give Δs = 0 for fast GCs); with no elapsed time at all the reason
//! says "rate unknown". The rule itself is unchanged: 5 consecutive post-GC increases.

use super::format::{nice_delta, nice_size};
use super::{
    heap_limit_of, projected_ms_to_limit, rate_per_minute, Detector, DetectorOutput, GcSample,
    LeakReport, Stats,
};

const RECENT_PERIOD: u64 = 10;
const ANCIENT_PERIOD: u64 = 120;
const LEAK_STREAK: u32 = 5;

/// lloyd's `s_stats`, widened to 64 bits.
#[derive(Debug, Default, Clone)]
pub struct ClassicDetector {
    gc_full: u64,
    gc_inc: u64,
    gc_compact: u64,
    last_base: u64,
    base_recent: u64,
    base_ancient: u64,
    base_max: u64,
    base_min: u64,
    leak_ms_start: f64,
    leak_base_start: u64,
    consecutive_growth: u32,
    heap_limit: Option<f64>,
}

impl ClassicDetector {
    /// A detector in its initial state.
    pub fn new() -> Self {
        Self::default()
    }

    fn leak_report(&self, heap_usage: u64, now_ms: f64) -> LeakReport {
        let growth = heap_usage.saturating_sub(self.leak_base_start) as f64;
        // The reference's niceDelta of whole seconds, kept for the text.
        let seconds = (now_ms / 1000.0).floor() - (self.leak_ms_start / 1000.0).floor();
        let rate_per_min = rate_per_minute(growth, now_ms - self.leak_ms_start);
        let rate = if rate_per_min > 0.0 {
            format!("{}/hr", nice_size((rate_per_min * 60.0).trunc()))
        } else {
            "rate unknown".to_owned()
        };
        LeakReport {
            start_ms: (self.leak_ms_start / 1000.0).floor() * 1000.0,
            end_ms: (now_ms / 1000.0).floor() * 1000.0,
            growth,
            reason: format!(
                "heap growth over 5 consecutive GCs ({}) - {rate}",
                nice_delta(seconds as i64)
            ),
            rate_per_min,
            heap_limit: self.heap_limit,
            projected_ms_to_limit: projected_ms_to_limit(
                heap_usage as f64,
                self.heap_limit,
                rate_per_min,
            ),
        }
    }

    fn update_averages(&mut self) {
        if self.gc_compact < RECENT_PERIOD {
            // `pow(gc_compact / RECENT_PERIOD, 2.5)` divides integers: the weight is always 0.
            self.base_recent = self.last_base;
            self.base_ancient = self.last_base;
        } else {
            self.base_recent =
                (self.base_recent * (RECENT_PERIOD - 1) + self.last_base) / RECENT_PERIOD;
            let decay = ANCIENT_PERIOD.min(self.gc_compact) as f64;
            let ancient =
                (self.base_ancient as f64 * (decay - 1.0) + self.last_base as f64) / decay;
            self.base_ancient = ancient as u64;
        }
    }

    fn update_extremes(&mut self) {
        if self.gc_compact >= 3 {
            if self.base_min == 0 || self.base_min > self.last_base {
                self.base_min = self.last_base;
            }
            if self.base_max == 0 || self.base_max < self.last_base {
                self.base_max = self.last_base;
            }
        }
    }

    fn stats(&self) -> Stats {
        let usage_trend = if self.base_ancient == 0 {
            0.0
        } else {
            let difference = self.base_recent as f64 - self.base_ancient as f64;
            (difference / self.base_ancient as f64 * 1000.0).round() / 10.0
        };
        Stats {
            num_full_gc: self.gc_full as f64,
            num_inc_gc: self.gc_inc as f64,
            heap_compactions: self.gc_compact as f64,
            usage_trend,
            estimated_base: self.base_recent as f64,
            current_base: self.last_base as f64,
            min: self.base_min as f64,
            max: self.base_max as f64,
        }
    }
}

impl Detector for ClassicDetector {
    fn observe(&mut self, sample: GcSample) -> Option<DetectorOutput> {
        if !sample.full {
            self.gc_inc += 1;
            return None;
        }
        self.gc_full += 1;
        let heap_usage = sample.used_heap.max(0.0) as u64;
        let mut leak = None;
        if self.last_base < heap_usage {
            if self.consecutive_growth == 0 {
                self.leak_ms_start = sample.at_ms;
                self.leak_base_start = heap_usage;
            }
            self.consecutive_growth += 1;
            if self.consecutive_growth >= LEAK_STREAK {
                self.consecutive_growth = 0;
                leak = Some(self.leak_report(heap_usage, sample.at_ms));
            }
        } else {
            self.consecutive_growth = 0;
        }
        self.last_base = heap_usage;
        self.gc_compact += 1;
        self.update_averages();
        self.update_extremes();
        Some(DetectorOutput {
            leak,
            stats: self.stats(),
        })
    }

    fn set_heap_limit(&mut self, bytes: f64) {
        self.heap_limit = heap_limit_of(bytes);
    }
}

//! The reference leak detector, bug for bug: lloyd/node-memwatch `src/memwatch.cc`
//! (`AsyncMemwatchAfter`). State is `unsigned int` as in the C++, so a falling heap wraps the
//! trend, `base_recent * 9` overflows above ~477 MB, and a leak within one second reports
//! "-2147483648 bytes/hr". [`super::robust`] fixes those; this one exists so that numbers match the
//! reference for the same input.

use super::format::{nice_delta, nice_size_c_int};
use super::{Detector, DetectorOutput, GcSample, LeakReport, Stats};

const RECENT_PERIOD: u32 = 10;
const ANCIENT_PERIOD: u32 = 120;
const LEAK_STREAK: u32 = 5;

/// lloyd's `s_stats`.
#[derive(Debug, Default, Clone)]
pub struct ClassicDetector {
    gc_full: u32,
    gc_inc: u32,
    gc_compact: u32,
    last_base: u32,
    base_recent: u32,
    base_ancient: u32,
    base_max: u32,
    base_min: u32,
    leak_time_start: i64,
    leak_base_start: u64,
    consecutive_growth: u32,
}

impl ClassicDetector {
    /// A detector in its initial state.
    pub fn new() -> Self {
        Self::default()
    }

    fn leak_report(&self, heap_usage: u64, now: i64) -> LeakReport {
        let growth = heap_usage.wrapping_sub(self.leak_base_start);
        let delta = (now - self.leak_time_start) as i32;
        let rate = growth as f64 / (f64::from(delta) / 3600.0);
        let reason = format!(
            "heap growth over 5 consecutive GCs ({}) - {}/hr",
            nice_delta(i64::from(delta)),
            nice_size_c_int(c_int(rate))
        );
        LeakReport {
            start_ms: self.leak_time_start as f64 * 1000.0,
            end_ms: now as f64 * 1000.0,
            growth: growth as f64,
            reason,
        }
    }

    fn update_averages(&mut self) {
        if self.gc_compact < RECENT_PERIOD {
            // `pow(gc_compact / RECENT_PERIOD, 2.5)` divides integers: the weight is always 0.
            self.base_recent = self.last_base;
            self.base_ancient = self.last_base;
        } else {
            self.base_recent = self
                .base_recent
                .wrapping_mul(RECENT_PERIOD - 1)
                .wrapping_add(self.last_base)
                / RECENT_PERIOD;
            let decay = f64::from(ANCIENT_PERIOD.min(self.gc_compact));
            let ancient =
                (f64::from(self.base_ancient) * (decay - 1.0) + f64::from(self.last_base)) / decay;
            self.base_ancient = c_unsigned(ancient);
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
            let difference = self.base_recent.wrapping_sub(self.base_ancient);
            (f64::from(difference) / f64::from(self.base_ancient) * 1000.0).round() / 10.0
        };
        Stats {
            num_full_gc: f64::from(self.gc_full),
            num_inc_gc: f64::from(self.gc_inc),
            heap_compactions: f64::from(self.gc_compact),
            usage_trend,
            estimated_base: f64::from(self.base_recent),
            current_base: f64::from(self.last_base),
            min: f64::from(self.base_min),
            max: f64::from(self.base_max),
        }
    }
}

impl Detector for ClassicDetector {
    fn observe(&mut self, sample: GcSample) -> Option<DetectorOutput> {
        if !sample.full {
            self.gc_inc = self.gc_inc.wrapping_add(1);
            return None;
        }
        self.gc_full = self.gc_full.wrapping_add(1);
        let heap_usage = sample.used_heap.max(0.0) as u64;
        let now = (sample.at_ms / 1000.0).floor() as i64;
        let mut leak = None;
        if u64::from(self.last_base) < heap_usage {
            if self.consecutive_growth == 0 {
                self.leak_time_start = now;
                self.leak_base_start = heap_usage;
            }
            self.consecutive_growth += 1;
            if self.consecutive_growth >= LEAK_STREAK {
                self.consecutive_growth = 0;
                leak = Some(self.leak_report(heap_usage, now));
            }
        } else {
            self.consecutive_growth = 0;
        }
        self.last_base = heap_usage as u32;
        self.gc_compact = self.gc_compact.wrapping_add(1);
        self.update_averages();
        self.update_extremes();
        Some(DetectorOutput {
            leak,
            stats: self.stats(),
        })
    }
}

/// `(int) x` on x86-64: truncation, and INT_MIN for NaN or out-of-range values (cvttsd2si).
fn c_int(x: f64) -> i32 {
    if x.is_finite() && x > f64::from(i32::MIN) - 1.0 && x < f64::from(i32::MAX) + 1.0 {
        x as i32
    } else {
        i32::MIN
    }
}

/// `(unsigned int) x` on x86-64 for a non-negative double: truncation modulo 2^32.
fn c_unsigned(x: f64) -> u32 {
    if (0.0..9.2e18).contains(&x) {
        (x as u64) as u32
    } else {
        0
    }
}

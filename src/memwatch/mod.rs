//! memwatch, rebuilt: leak detection over full-GC heap samples and HeapDiff aggregation.
//! No napi types here: the JS side feeds GC samples and snapshot bytes, and gets plain data back.

pub mod adaptive;
pub mod classic;
pub mod format;
pub mod heapdiff;
pub mod profile;
pub mod robust;

pub use adaptive::AdaptiveDetector;
pub use classic::ClassicDetector;
pub use robust::{RobustConfig, RobustDetector};

/// One garbage collection as the JS side observed it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GcSample {
    /// A full (mark-sweep-compact) collection; anything else counts as incremental.
    pub full: bool,
    /// V8's used heap size right after the collection, in bytes.
    pub used_heap: f64,
    /// When it happened, in ms since the Unix epoch.
    pub at_ms: f64,
}

/// The classic `'stats'` fields.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Stats {
    pub num_full_gc: f64,
    pub num_inc_gc: f64,
    pub heap_compactions: f64,
    pub usage_trend: f64,
    pub estimated_base: f64,
    pub current_base: f64,
    pub min: f64,
    pub max: f64,
}

/// A `'leak'` event.
#[derive(Debug, Clone, PartialEq)]
pub struct LeakReport {
    /// Start of the growth period, ms since the epoch.
    pub start_ms: f64,
    /// When the leak was declared, ms since the epoch.
    pub end_ms: f64,
    /// Bytes the heap grew over the period.
    pub growth: f64,
    /// Human-readable explanation with the growth rate.
    pub reason: String,
    /// Estimated growth rate, bytes per minute (0 when the period took no measurable time).
    pub rate_per_min: f64,
    /// V8's `heap_size_limit`, when the JS side told the detector.
    pub heap_limit: Option<f64>,
    /// When the heap reaches `heap_limit` at `rate_per_min`, in ms from `end_ms`; `None` when
    /// the heap is not growing toward a known limit.
    pub projected_ms_to_limit: Option<f64>,
}

/// Growth rate in bytes per minute; 0 when `elapsed_ms` is not positive (no rate can be told).
pub fn rate_per_minute(growth: f64, elapsed_ms: f64) -> f64 {
    if elapsed_ms > 0.0 && growth.is_finite() {
        growth / elapsed_ms * 60_000.0
    } else {
        0.0
    }
}

/// Time for `heap` to reach `limit` at `rate_per_min`; `None` unless it is growing toward it.
pub fn projected_ms_to_limit(heap: f64, limit: Option<f64>, rate_per_min: f64) -> Option<f64> {
    let limit = limit?;
    if rate_per_min <= 0.0 || !rate_per_min.is_finite() || limit <= heap {
        return None;
    }
    Some(((limit - heap) / rate_per_min * 60_000.0).round())
}

/// What a full GC produces: a possible `'leak'` (emitted first) and the `'stats'`.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectorOutput {
    pub leak: Option<LeakReport>,
    pub stats: Stats,
}

/// A leak detector fed one GC at a time.
pub trait Detector: Send {
    /// Consumes a GC; returns the events of a full GC, nothing for the others.
    fn observe(&mut self, sample: GcSample) -> Option<DetectorOutput>;

    /// Tells the detector V8's `heap_size_limit`, so that leak reports can project when the
    /// heap reaches it. Non-positive or non-finite values mean "unknown".
    fn set_heap_limit(&mut self, bytes: f64);
}

/// A valid heap limit, or `None`.
pub(crate) fn heap_limit_of(bytes: f64) -> Option<f64> {
    (bytes.is_finite() && bytes > 0.0).then_some(bytes)
}

#[cfg(test)]
mod tests;

//! memwatch, rebuilt: leak detection over full-GC heap samples and HeapDiff aggregation.
//! No napi types here: the JS side feeds GC samples and snapshot bytes, and gets plain data back.

pub mod classic;
pub mod format;
pub mod heapdiff;
pub mod profile;
pub mod robust;

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
}

#[cfg(test)]
mod tests;

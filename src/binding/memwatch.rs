use crate::memwatch::{
    AdaptiveDetector, ClassicDetector, Detector, DetectorOutput, GcSample, RobustDetector,
};
use napi::bindgen_prelude::Float64Array;
use napi::{Error, Result, Status};
use napi_derive::napi;

use super::graph::guarded;

/// The classic `'stats'` fields computed by the detector.
#[napi(object, js_name = "DetectorStats")]
pub struct BindingStats {
    pub num_full_gc: f64,
    pub num_inc_gc: f64,
    pub heap_compactions: f64,
    pub usage_trend: f64,
    pub estimated_base: f64,
    pub current_base: f64,
    pub min: f64,
    pub max: f64,
}

/// A `'leak'` event (times in ms since the epoch).
#[napi(object, js_name = "DetectorLeak")]
pub struct BindingLeak {
    pub start: f64,
    pub end: f64,
    pub growth: f64,
    pub reason: String,
    /// Estimated growth rate, bytes per minute (0 when the period took no measurable time).
    pub rate: f64,
    /// V8's `heap_size_limit` as last given to `setHeapLimit`.
    pub heap_limit: Option<f64>,
    /// Ms until the heap reaches `heapLimit` at `rate`; absent when not growing toward it.
    pub projected_ms_to_limit: Option<f64>,
}

/// What one full GC produced; `index` is the position of that GC in the batch.
#[napi(object, js_name = "DetectorEvent")]
pub struct BindingDetectorEvent {
    pub index: u32,
    pub leak: Option<BindingLeak>,
    pub stats: BindingStats,
}

fn to_binding(index: usize, output: DetectorOutput) -> BindingDetectorEvent {
    let s = output.stats;
    BindingDetectorEvent {
        index: index as u32,
        leak: output.leak.map(|leak| BindingLeak {
            start: leak.start_ms,
            end: leak.end_ms,
            growth: leak.growth,
            reason: leak.reason,
            rate: leak.rate_per_min,
            heap_limit: leak.heap_limit,
            projected_ms_to_limit: leak.projected_ms_to_limit,
        }),
        stats: BindingStats {
            num_full_gc: s.num_full_gc,
            num_inc_gc: s.num_inc_gc,
            heap_compactions: s.heap_compactions,
            usage_trend: s.usage_trend,
            estimated_base: s.estimated_base,
            current_base: s.current_base,
            min: s.min,
            max: s.max,
        },
    }
}

/// memwatch's leak detector: `'adaptive'` (memwatch's default: the floor-based rule at several
/// horizons, faster for steeper leaks), `'robust'` (the same rule over a 64-GC horizon only) or `'classic'`
/// (node-memwatch's rule, without its wrap-arounds).
#[napi(js_name = "LeakDetector")]
pub struct BindingLeakDetector {
    inner: Box<dyn Detector>,
}

#[napi]
impl BindingLeakDetector {
    /// A detector of the given kind.
    #[napi(constructor)]
    pub fn new(kind: String) -> Result<Self> {
        let inner: Box<dyn Detector> = match kind.as_str() {
            "adaptive" => Box::new(AdaptiveDetector::new()),
            "classic" => Box::new(ClassicDetector::new()),
            "robust" => Box::new(RobustDetector::default()),
            other => {
                return Err(Error::new(
                    Status::InvalidArg,
                    format!("ERR_MODSWAP_INVALID_OPTIONS: unknown detector {other:?} (use 'adaptive', 'robust' or 'classic')"),
                ))
            }
        };
        Ok(Self { inner })
    }

    /// Tells the detector V8's `heap_size_limit` (bytes), used to project when a leak
    /// reaches it.
    #[napi]
    pub fn set_heap_limit(&mut self, bytes: f64) {
        self.inner.set_heap_limit(bytes);
    }

    /// Feeds a batch of GCs as `[full (0/1), usedHeapAfter, atMs]` triples, in order; returns
    /// the events of the full GCs among them.
    #[napi]
    pub fn observe(&mut self, samples: Float64Array) -> Result<Vec<BindingDetectorEvent>> {
        guarded("observe", || {
            if !samples.len().is_multiple_of(3) {
                return Err(Error::new(
                    Status::InvalidArg,
                    "ERR_MODSWAP_BAD_EVENTS: GC samples come in triples".to_owned(),
                ));
            }
            Ok(samples
                .chunks_exact(3)
                .enumerate()
                .filter_map(|(index, triple)| {
                    let sample = GcSample {
                        full: triple[0] != 0.0,
                        used_heap: triple[1],
                        at_ms: triple[2],
                    };
                    self.inner.observe(sample).map(|out| to_binding(index, out))
                })
                .collect())
        })
    }
}

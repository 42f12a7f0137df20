//! The robust rule at several scales, so that the time to the first report shrinks as the leak
//! gets steeper (`configure({ detector: 'adaptive' })`).
//!
//! # Why a ladder of scales
//!
//! The robust rule ([`super::robust`]) asks whether the retained floor grew at a steady pace
//! over a horizon of 64 full GCs. The horizon is what keeps warm-ups and caches that fill up
//! quiet: growth that stops before the horizon is over is not a straight line across it. But it
//! also makes every report wait ~70 full GCs, whatever the slope: a heap that doubles every few
//! GCs is reported as late as one that grows by 2 % over the whole horizon.
//!
//! What separates a steep leak from a warm-up that has not stopped yet is its size: warm-ups and
//! caches that fill up add a bounded share of the heap (the workloads this was designed on add
//! 12–25 % over 20–60 full GCs). So the same rule runs at shorter horizons with a much larger
//! minimum growth — half the retained floor — and the first scale that sees a straight-line
//! growth reports it:
//!
//! | scale | window | horizon (history) | minimum growth | reports growth of (about) |
//! |---|---|---|---|---|
//! | steep | 1 full GC | 7 GCs (9) | 50 % of the floor | >= 6 % of the floor per GC, ~8 GCs after it starts |
//! | medium | 4 full GCs | 32 GCs (72) | 50 % | >= 1.6 % per GC, within ~33 GCs |
//! | slow | 4 full GCs | 64 GCs (256) | 2 % and 512 KiB | the robust detector's leaks, ~70 GCs |
//!
//! The steep scale looks back no further than 9 full GCs: half the floor must be added within
//! them. A scale of 2-GC windows over 16 GCs (and a steep scale looking back 16 GCs) reported
//! growth of 3 % per GC sooner, but also the first tooth of a batch export that fills 4 % of the
//! heap per GC for 18 GCs and then flushes it (benchmark issue I, blind set): a growth that lasts
//! 18 GCs cannot be told from a leak before it stops, so growth of 2–6 % per GC waits for the
//! medium scale (32 GCs).
//!
//! Every scale keeps the robust rule's defences: one-off steps are absorbed (the two largest
//! rises are cut down to the third), the floor is the retained envelope (a sawtooth and large
//! allocations that are freed again vanish from it), and the growth must follow a straight line
//! across the whole horizon (growth that stopped, or decelerates like an LRU cache filling with
//! random keys, does not). The price, on purpose: growth of at least half the floor that goes
//! on steadily for longer than a scale's horizon is reported, warm-up or not (a cache of 40 MB
//! filled over 20 full GCs on a 30 MB heap is: 6.7 % per GC). A report clears every scale's history, so one
//! growth is reported once; an ongoing steep leak is reported again a short horizon later.
//!
//! Reports carry the growth rate (retained growth over the period's wall-clock time) and the
//! time until the floor reaches V8's `heap_size_limit` at that rate.

use std::collections::VecDeque;

use super::format::{nice_delta, nice_size};
use super::robust::Finding;
use super::{
    heap_limit_of, projected_ms_to_limit, rate_per_minute, Detector, DetectorOutput, GcSample,
    LeakReport, RobustConfig, RobustDetector,
};

/// Minimum growth of the short scales, as a share of the retained floor at their start.
const STEEP_GROWTH_RATIO: f64 = 0.5;
/// Minimum growth of the short scales in bytes: no alarm for a tiny heap doubling.
const STEEP_GROWTH_BYTES: f64 = 1024.0 * 1024.0;

/// The scales, shortest first (see the module docs).
fn scales() -> Vec<RobustConfig> {
    let short =
        |window: u32, warmup: u32, horizon_windows: usize, history_windows: usize, band: f64| {
            RobustConfig {
                window,
                warmup,
                horizon_windows,
                history_windows,
                band,
                absorbed_steps: 2,
                min_growth_bytes: STEEP_GROWTH_BYTES,
                min_growth_ratio: STEEP_GROWTH_RATIO,
            }
        };
    vec![
        // Single GCs are noisier than window floors: a wider band. The history is the horizon
        // and two windows: half the floor must be added within 9 full GCs, not spread over 16
        // (a cache filled by 4 % of the heap per GC for 18 GCs and then flushed is not a leak).
        short(1, 3, 7, 9, 0.15),
        short(4, 4, 8, 18, 0.1),
        RobustConfig::default(),
    ]
}

/// Full GCs whose post-GC heap is remembered for the new-high check of the short scales.
const PEAK_MEMORY: usize = 128;

/// The robust rule at several horizons (see the module docs).
#[derive(Debug, Clone)]
pub struct AdaptiveDetector {
    scales: Vec<RobustDetector>,
    heap_limit: Option<f64>,
    /// `(at_ms, used)` of the last [`PEAK_MEMORY`] full GCs, oldest first.
    recent: VecDeque<(f64, f64)>,
}

impl Default for AdaptiveDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl AdaptiveDetector {
    /// A detector with the default scales.
    pub fn new() -> Self {
        Self {
            scales: scales().into_iter().map(RobustDetector::new).collect(),
            heap_limit: None,
            recent: VecDeque::new(),
        }
    }

    /// Whether the floor of a short scale's growth is above every post-GC heap remembered from
    /// before it started. A sawtooth whose teeth are steep (a cache filled to twice the heap
    /// and cleared) climbs back to a height it has had before; a steep leak makes new highs.
    fn is_new_high(&self, finding: &Finding) -> bool {
        self.recent
            .iter()
            .filter(|&&(at_ms, _)| at_ms < finding.start_ms)
            .all(|&(_, used)| used < finding.floor)
    }

    fn leak_report(&self, finding: Finding) -> LeakReport {
        let elapsed_ms = finding.elapsed_ms();
        let rate_per_min = rate_per_minute(finding.growth, elapsed_ms);
        let projected = projected_ms_to_limit(finding.floor, self.heap_limit, rate_per_min);
        let rate = if rate_per_min > 0.0 {
            format!("{}/min", nice_size(rate_per_min.round()))
        } else {
            "rate unknown".to_owned()
        };
        let projection = match (projected, self.heap_limit) {
            (Some(ms), Some(limit)) => format!(
                "heap limit ({}) reached in ~{} at this rate",
                nice_size(limit),
                nice_delta((ms / 1000.0).round() as i64)
            ),
            (None, Some(limit)) => {
                format!("no projection to the heap limit ({})", nice_size(limit))
            }
            _ => "heap limit unknown".to_owned(),
        };
        LeakReport {
            start_ms: finding.start_ms,
            end_ms: finding.end_ms,
            growth: finding.growth,
            reason: format!(
                "heap floor grew {} over {} full GCs ({}) - {rate}; {projection}",
                nice_size(finding.growth),
                finding.gcs,
                nice_delta((elapsed_ms / 1000.0).round() as i64)
            ),
            rate_per_min,
            heap_limit: self.heap_limit,
            projected_ms_to_limit: projected,
        }
    }
}

impl Detector for AdaptiveDetector {
    fn observe(&mut self, sample: GcSample) -> Option<DetectorOutput> {
        let mut stats = None;
        let mut finding = None;
        let last = self.scales.len() - 1;
        for index in 0..self.scales.len() {
            let (scale_stats, scale_finding) = self.scales[index].step(sample)?;
            // Every scale computes the same statistics; the shortest scale's finding wins.
            stats.get_or_insert(scale_stats);
            let admitted = scale_finding.filter(|f| index == last || self.is_new_high(f));
            if finding.is_none() && admitted.is_some() {
                finding = admitted.map(|f| (index, f));
            }
        }
        self.recent.push_back((sample.at_ms, sample.used_heap));
        if self.recent.len() > PEAK_MEMORY {
            self.recent.pop_front();
        }
        // The finder restarted its own history at the current floor; the others forget theirs.
        if let Some((finder, _)) = finding {
            for (index, scale) in self.scales.iter_mut().enumerate() {
                if index != finder {
                    scale.forget_history();
                }
            }
        }
        Some(DetectorOutput {
            leak: finding.map(|(_, finding)| self.leak_report(finding)),
            stats: stats?,
        })
    }

    fn set_heap_limit(&mut self, bytes: f64) {
        self.heap_limit = heap_limit_of(bytes);
    }
}

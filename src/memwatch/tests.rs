//! Golden vectors of the reference detector and the behaviour of the robust one.

use super::*;

const KB: f64 = 1024.0;
const MB: f64 = 1024.0 * KB;

fn full(used: f64, at_ms: f64) -> GcSample {
    GcSample {
        full: true,
        used_heap: used,
        at_ms,
    }
}

fn minor(at_ms: f64) -> GcSample {
    GcSample {
        full: false,
        used_heap: 0.0,
        at_ms,
    }
}

/// Feeds `(used, at_ms)` full GCs; returns every output.
fn run(detector: &mut dyn Detector, samples: &[(f64, f64)]) -> Vec<DetectorOutput> {
    samples
        .iter()
        .map(|&(used, at)| {
            detector
                .observe(full(used, at))
                .expect("full GCs always report")
        })
        .collect()
}

/// Compactions (1-based) at which a leak was reported.
fn leak_points(outputs: &[DetectorOutput]) -> Vec<usize> {
    outputs
        .iter()
        .enumerate()
        .filter(|(_, o)| o.leak.is_some())
        .map(|(i, _)| i + 1)
        .collect()
}

fn steady_growth(start: f64, step: f64, gcs: usize, ms_between: f64) -> Vec<(f64, f64)> {
    (0..gcs)
        .map(|i| {
            (
                start + step * (i + 1) as f64,
                1_700_000_000_000.0 + ms_between * i as f64,
            )
        })
        .collect()
}

#[test]
fn classic_steady_growth_leaks_at_compactions_5_and_10_with_growth_400000() {
    let outputs = run(
        &mut ClassicDetector::new(),
        &steady_growth(10_000_000.0, 100_000.0, 12, 5_000.0),
    );
    assert_eq!(leak_points(&outputs), [5, 10]);
    for at in [4, 9] {
        let leak = outputs[at].leak.as_ref().unwrap();
        assert_eq!(leak.growth, 400_000.0);
        assert_eq!(leak.end_ms - leak.start_ms, 20_000.0);
        // 400000 B over 20 s = 72,000,000 B/h = 68.66 mb.
        assert_eq!(
            leak.reason,
            "heap growth over 5 consecutive GCs (20s) - 68.66 mb/hr"
        );
    }
}

#[test]
fn classic_compactions_1_to_9_keep_trend_0_and_estimate_equal_to_current() {
    let outputs = run(
        &mut ClassicDetector::new(),
        &steady_growth(10_000_000.0, 100_000.0, 12, 1_000.0),
    );
    for (i, output) in outputs.iter().take(9).enumerate() {
        let stats = output.stats;
        assert_eq!(stats.usage_trend, 0.0, "compaction {}", i + 1);
        assert_eq!(
            stats.estimated_base,
            stats.current_base,
            "compaction {}",
            i + 1
        );
        assert_eq!(stats.heap_compactions, (i + 1) as f64);
        assert_eq!(stats.num_full_gc, (i + 1) as f64);
    }
    // min and max stay 0 until compaction 3.
    assert_eq!((outputs[1].stats.min, outputs[1].stats.max), (0.0, 0.0));
    assert_eq!(outputs[2].stats.min, 10_300_000.0);
    assert_eq!(outputs[5].stats.min, 10_300_000.0);
    assert_eq!(outputs[5].stats.max, 10_600_000.0);
    // Compaction 10 is the first moving-average step: (10.9M * 9 + 11.0M) / 10.
    assert_eq!(outputs[9].stats.estimated_base, 10_910_000.0);
}

#[test]
fn classic_counts_incremental_gcs_without_emitting() {
    let mut detector = ClassicDetector::new();
    assert_eq!(detector.observe(minor(0.0)), None);
    assert_eq!(detector.observe(minor(1.0)), None);
    let stats = detector.observe(full(5.0 * MB, 2.0)).unwrap().stats;
    assert_eq!((stats.num_inc_gc, stats.num_full_gc), (2.0, 1.0));
}

#[test]
fn classic_does_not_wrap_a_falling_trend() {
    // Ten compactions at 11.3 MB then one at 9 MB: base_recent 11,070,000, base_ancient
    // 11,090,909; their unsigned difference wraps to 4,294,946,387.
    let mut samples: Vec<(f64, f64)> = (0..10).map(|i| (11_300_000.0, i as f64 * 1000.0)).collect();
    samples.push((9_000_000.0, 10_000.0));
    let classic = run(&mut ClassicDetector::new(), &samples);
    assert_eq!(classic[10].stats.estimated_base, 11_070_000.0);
    // node-memwatch prints 38724.9 here (the unsigned difference wraps).
    assert_eq!(classic[10].stats.usage_trend, -0.2);
    let robust = run(&mut RobustDetector::default(), &samples);
    assert_eq!(robust[10].stats.estimated_base, 11_070_000.0);
    assert_eq!(robust[10].stats.usage_trend, -0.2);
}

#[test]
fn classic_does_not_overflow_above_477_mb() {
    // Constant 600,000,000 B: at compaction 10, base_recent * 9 wraps (reference numbers).
    let samples: Vec<(f64, f64)> = (0..10)
        .map(|i| (600_000_000.0, i as f64 * 1000.0))
        .collect();
    let classic = run(&mut ClassicDetector::new(), &samples);
    // node-memwatch prints 170,503,270 and 644.2 here (base_recent * 9 wraps).
    assert_eq!(classic[9].stats.estimated_base, 600_000_000.0);
    assert_eq!(classic[9].stats.usage_trend, 0.0);
    let robust = run(&mut RobustDetector::default(), &samples);
    assert_eq!(robust[9].stats.estimated_base, 600_000_000.0);
    assert_eq!(robust[9].stats.usage_trend, 0.0);
}

#[test]
fn classic_leak_within_one_second_reports_a_real_rate_not_int_min() {
    // node-memwatch divides by whole seconds and truncates to a C int: 5 GCs 10 ms apart give
    // Δs = 0 and "-2147483648 bytes/hr". The rate comes from the milliseconds instead:
    // 400,000 B over 40 ms = 36,000,000,000 B/h.
    let samples = steady_growth(10_000_000.0, 100_000.0, 5, 10.0);
    let outputs = run(&mut ClassicDetector::new(), &samples);
    let leak = outputs[4].leak.as_ref().unwrap();
    assert_eq!(
        leak.reason,
        "heap growth over 5 consecutive GCs (0s) - 34332.3 mb/hr"
    );
    assert!(!leak.reason.contains("-2147483648"));
    assert_eq!(leak.rate_per_min, 400_000.0 / (40.0 / 60_000.0));
}

#[test]
fn classic_rates_above_int_max_do_not_wrap() {
    // 64 MiB per GC, 1 s apart: 256 MiB over 4 s is 241,591,910,400 B/h, far above INT_MAX.
    let samples = steady_growth(100.0 * MB, 64.0 * MB, 5, 1_000.0);
    let outputs = run(&mut ClassicDetector::new(), &samples);
    let leak = outputs[4].leak.as_ref().unwrap();
    assert_eq!(leak.growth, 256.0 * MB);
    assert_eq!(
        leak.reason,
        "heap growth over 5 consecutive GCs (4s) - 230400 mb/hr"
    );
}

#[test]
fn classic_leaks_with_zero_elapsed_time_name_no_rate() {
    let samples = steady_growth(10_000_000.0, 100_000.0, 5, 0.0);
    let outputs = run(&mut ClassicDetector::new(), &samples);
    let leak = outputs[4].leak.as_ref().unwrap();
    assert_eq!(
        leak.reason,
        "heap growth over 5 consecutive GCs (0s) - rate unknown"
    );
    assert_eq!(leak.rate_per_min, 0.0);
    assert_eq!(leak.projected_ms_to_limit, None);
}

#[test]
fn classic_heaps_above_4_gib_do_not_wrap() {
    // node-memwatch keeps `unsigned int`s: 5 GiB reads as 1 GiB and a growth across 4 GiB wraps.
    let samples = steady_growth(4_000.0 * MB, 50.0 * MB, 10, 1_000.0);
    let outputs = run(&mut ClassicDetector::new(), &samples);
    assert_eq!(leak_points(&outputs), [5, 10]);
    let leak = outputs[9].leak.as_ref().unwrap();
    assert_eq!(leak.growth, 200.0 * MB);
    let stats = outputs[9].stats;
    assert_eq!(stats.current_base, 4_500.0 * MB);
    assert!(stats.estimated_base > 4_000.0 * MB);
    assert!(stats.usage_trend >= 0.0);
}

// ---- Robust detector: the behaviours of the leak rule (see the module docs of `robust`). ----

const T0: f64 = 1_700_000_000_000.0;

/// `gcs` full GCs one second apart; GC `i` (0-based) has heap `heap(i)`.
fn series(gcs: usize, heap: impl Fn(usize) -> f64) -> Vec<(f64, f64)> {
    (0..gcs)
        .map(|i| (heap(i), T0 + 1_000.0 * i as f64))
        .collect()
}

/// Deterministic noise in [-amplitude, amplitude] (xorshift64*), one value per GC.
fn noise(seed: u64, amplitude: f64) -> impl Fn(usize) -> f64 {
    move |i| {
        let mut x = seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        let unit = (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64;
        amplitude * (2.0 * unit - 1.0)
    }
}

/// Noise that wanders: an AR(1) process with coefficient 0.8, as a churning cache's size does.
fn wandering_noise(seed: u64, amplitude: f64, gcs: usize) -> Vec<f64> {
    let white = noise(seed, amplitude);
    let mut level = 0.0;
    (0..gcs)
        .map(|i| {
            level = 0.8 * level + white(i);
            level
        })
        .collect()
}

fn robust_points(samples: &[(f64, f64)]) -> Vec<usize> {
    leak_points(&run(&mut RobustDetector::default(), samples))
}

const NONE: [usize; 0] = [];

#[test]
fn robust_detects_a_steady_leak_and_reports_growth_and_rate() {
    let samples = series(150, |i| 30.0 * MB + 256.0 * KB * (i + 1) as f64);
    let outputs = run(&mut RobustDetector::default(), &samples);
    // Warm-up 4, then windows of 4 full GCs closing at GCs 8, 12, ...; a leak needs 16 windows of
    // steady growth after a window, i.e. 17 windows: GC 72. A report clears the history, so the
    // next one comes 16 windows later: GC 136.
    assert_eq!(leak_points(&outputs), [72, 136]);
    let leak = outputs[71].leak.as_ref().unwrap();
    // Floors: window 0 = GC 5, window 16 = GC 69 -> 64 steps of 256 KiB.
    assert_eq!(leak.growth, 64.0 * 256.0 * KB);
    assert_eq!(leak.start_ms, T0 + 4_000.0);
    assert_eq!(leak.end_ms, T0 + 71_000.0);
    // 16 MiB over 67 s = 859.70 MiB/h.
    assert_eq!(
        leak.reason,
        "heap floor grew over 68 full GCs (1m 7s) - 859.7 mb/hr"
    );
}

#[test]
fn robust_detects_a_leak_that_starts_late_about_a_horizon_after_it_starts() {
    // Flat (with noise) for 50 GCs, then 48 KiB per GC.
    let jitter = noise(1, 20.0 * KB);
    let samples = series(200, |i| {
        25.0 * MB + 48.0 * KB * i.saturating_sub(50) as f64 + jitter(i)
    });
    let points = robust_points(&samples);
    assert!(!points.is_empty());
    // 16 windows minus the band's 10 % of slack: 58..64 full GCs after the start, plus the window
    // that has to close.
    assert!((100..=120).contains(&points[0]), "{points:?}");
}

#[test]
fn robust_detects_slow_leaks_once_they_reach_the_minimum_growth() {
    // 8 KiB and 6 KiB per full GC on a 25 MB heap, with noise: 2 % of the heap (512 KiB) takes
    // 64 and 85 full GCs.
    let jitter = noise(2, 3.0 * KB);
    for (per_gc, earliest, latest) in [(8.0 * KB, 68, 84), (6.0 * KB, 88, 104)] {
        let samples = series(150, |i| 25.0 * MB + per_gc * i as f64 + jitter(i));
        let points = robust_points(&samples);
        assert!(!points.is_empty(), "{per_gc}");
        assert!(
            (earliest..=latest).contains(&points[0]),
            "{per_gc}: {points:?}"
        );
    }
    // 2 KiB per GC is below the minimum growth for the whole run.
    let samples = series(150, |i| 25.0 * MB + 2.0 * KB * i as f64 + jitter(i));
    assert_eq!(robust_points(&samples), NONE);
}

#[test]
fn robust_detects_a_leak_that_grows_in_bursts() {
    // +3 MB every 10 GCs, flat (with noise) in between: no 5-step streak for the classic rule.
    let samples: Vec<(f64, f64)> = series(80, |i| {
        let noise = if i % 3 == 0 { -50_000.0 } else { 30_000.0 };
        40.0 * MB + 3.0 * MB * (i / 10) as f64 + noise
    });
    assert_eq!(
        leak_points(&run(&mut ClassicDetector::new(), &samples)),
        NONE
    );
    // 17 windows are complete at GC 72, but that window's floor (GC 69) is from before the
    // burst at GC 71; the next window shows it.
    assert_eq!(robust_points(&samples), [76]);
    // +2 MB every 25 GCs after a quiet start: reported once the third burst shows in a floor,
    // three bursts (the first spread back over the quiet period before it) spanning the horizon.
    let jitter = noise(3, 20.0 * KB);
    let samples = series(150, |i| {
        let bursts = if i >= 40 { 1 + (i - 40) / 25 } else { 0 };
        25.0 * MB + 2.0 * MB * bursts as f64 + jitter(i)
    });
    let points = robust_points(&samples);
    assert!(!points.is_empty());
    // Bursts at GCs 41, 66, 91, 116: the window of GCs 89..92 has its floor before the third
    // burst, the next one (closing at GC 96) after it.
    assert_eq!(points[0], 96, "{points:?}");
}

#[test]
fn robust_detects_a_leak_behind_a_one_off_step() {
    // A cache fills in one go (+5 MB at GC 10) and stays; a 12 KiB/GC leak goes on behind it, with
    // a noisy cache on top. The step is absorbed: the leak is reported as if it were not there.
    let jitter = noise(4, 100.0 * KB);
    let leak = |i: usize| 12.0 * KB * i as f64;
    let with_step = series(150, |i| {
        38.0 * MB + if i >= 10 { 5.0 * MB } else { 0.0 } + leak(i) + jitter(i)
    });
    let without_step = series(150, |i| 38.0 * MB + leak(i) + jitter(i));
    let (with, without) = (robust_points(&with_step), robust_points(&without_step));
    assert!(!with.is_empty() && !without.is_empty());
    assert!(with[0] <= 100, "{with:?}");
    // The same step *during* a leak delays nothing either.
    let mid_step = series(150, |i| {
        38.0 * MB + if i >= 40 { 5.0 * MB } else { 0.0 } + leak(i) + jitter(i)
    });
    let mid = robust_points(&mid_step);
    assert!(!mid.is_empty());
    assert!(mid[0] <= without[0] + 8, "{mid:?} vs {without:?}");
    // A cache that fills over 8 GCs (several windows) before the leak: same.
    let fill = series(150, |i| {
        38.0 * MB + 4.6 * MB * (i.min(8) as f64 / 8.0) + leak(i) + jitter(i)
    });
    let filled = robust_points(&fill);
    assert!(!filled.is_empty() && filled[0] <= 100, "{filled:?}");
}

#[test]
fn robust_detects_a_leak_under_a_sawtooth() {
    // A cache cleared every 12 GCs (0..3.3 MB) over a 16 KiB/GC leak: the retained envelope
    // follows the bottoms of the teeth.
    let samples = series(150, |i| {
        25.0 * MB + 300.0 * KB * (i % 12) as f64 + 16.0 * KB * i as f64
    });
    assert!(!robust_points(&samples).is_empty());
}

#[test]
fn classic_reports_a_5_gc_warm_up_as_a_leak_and_robust_does_not() {
    // Warm-up: the heap grows for 6 GCs, then stays flat with small noise.
    let mut samples = steady_growth(20.0 * MB, 2.0 * MB, 6, 1_000.0);
    samples.extend((0..60).map(|i| {
        let noise = if i % 2 == 0 { 20_000.0 } else { -20_000.0 };
        (32.0 * MB + noise, 7_000.0 + 1_000.0 * i as f64)
    }));
    assert_eq!(
        leak_points(&run(&mut ClassicDetector::new(), &samples)),
        [5]
    );
    assert_eq!(robust_points(&samples), NONE);
}

#[test]
fn robust_waits_out_warm_ups_that_stop() {
    let jitter = noise(5, 20.0 * KB);
    // 200 KiB per GC for 30 GCs from the start; 120 KiB per GC for 45 GCs after 30 quiet ones;
    // 100 KiB per GC for 50 GCs from the start.
    let warm_ups: [(usize, usize, f64); 3] = [
        (0, 30, 200.0 * KB),
        (30, 45, 120.0 * KB),
        (0, 50, 100.0 * KB),
    ];
    for (start, length, per_gc) in warm_ups {
        let samples = series(250, |i| {
            20.0 * MB + per_gc * i.saturating_sub(start).min(length) as f64 + jitter(i)
        });
        assert_eq!(robust_points(&samples), NONE, "{length} GCs from {start}");
        assert!(!leak_points(&run(&mut ClassicDetector::new(), &samples)).is_empty());
    }
}

#[test]
fn robust_reports_growth_that_outlasts_the_horizon() {
    // The trade-off, on purpose: steady growth for 80 full GCs (then flat) cannot be told from a
    // leak before it stops, and is reported.
    let samples = series(200, |i| {
        20.0 * MB + 100.0 * KB * i.saturating_sub(40).min(80) as f64
    });
    assert!(!robust_points(&samples).is_empty());
}

#[test]
fn robust_ignores_bounded_caches_that_fill_up() {
    let jitter = noise(6, 30.0 * KB);
    // An LRU cache with random keys fills fast, then slower and slower (6 MB, time constant 25
    // GCs): front-loaded growth, not a straight line.
    let lru = series(250, |i| {
        25.0 * MB + 6.0 * MB * (1.0 - (-(i as f64) / 25.0).exp()) + jitter(i)
    });
    assert_eq!(robust_points(&lru), NONE);
    // A cache with new keys every step fills linearly for 40 GCs, then evicts as fast as it adds.
    let linear = series(250, |i| {
        25.0 * MB + 150.0 * KB * i.min(40) as f64 + jitter(i)
    });
    assert_eq!(robust_points(&linear), NONE);
}

#[test]
fn robust_ignores_sawtooth_caches() {
    // Caches that fill for 7, 12 and 30 GCs and are dropped, over and over.
    for (period, per_gc) in [(8, 2.0 * MB), (12, 300.0 * KB), (30, 200.0 * KB)] {
        let samples = series(250, |i| 50.0 * MB + per_gc * (i % period) as f64);
        assert_eq!(robust_points(&samples), NONE, "period {period}");
    }
}

#[test]
fn robust_ignores_an_idle_heap_with_noise() {
    let jitter = noise(7, 50.0 * KB);
    let samples = series(400, |i| 25.0 * MB + jitter(i));
    assert_eq!(robust_points(&samples), NONE);
    // A heap whose size wanders (a churning cache): +-~250 KB, correlated over several GCs.
    let wander = wandering_noise(8, 100.0 * KB, 400);
    let samples = series(400, |i| 38.0 * MB + wander[i]);
    assert_eq!(robust_points(&samples), NONE);
    // Start-up creep: +20 KB over the first GCs, then flat.
    let samples = series(200, |i| 25.0 * MB + 2.0 * KB * i.min(10) as f64);
    assert_eq!(robust_points(&samples), NONE);
}

#[test]
fn robust_ignores_large_allocations_held_then_freed() {
    // 200 MB held for 6 GCs, then freed.
    let spike = series(60, |i| {
        60.0 * MB
            + if (20..26).contains(&i) {
                200.0 * MB
            } else {
                0.0
            }
    });
    assert_eq!(robust_points(&spike), NONE);
    // 15 MB held for 5 GCs twice, on a heap drifting by 1 KiB per GC.
    let twice = series(150, |i| {
        let held = (40..45).contains(&i) || (100..105).contains(&i);
        25.0 * MB + 1024.0 * i as f64 + if held { 15.0 * MB } else { 0.0 }
    });
    assert_eq!(robust_points(&twice), NONE);
    // 15 MB held for 20 GCs: while it is held it is one step; once freed it vanishes.
    let jitter = noise(9, 20.0 * KB);
    let longer = series(150, |i| {
        25.0 * MB
            + if (50..70).contains(&i) {
                15.0 * MB
            } else {
                0.0
            }
            + jitter(i)
    });
    assert_eq!(robust_points(&longer), NONE);
}

#[test]
fn robust_ignores_one_off_steps_that_are_kept() {
    let jitter = noise(10, 20.0 * KB);
    // 15 MB allocated at GC 50 and kept, on a heap drifting by 1 KiB per GC.
    let kept = series(250, |i| {
        25.0 * MB + if i >= 50 { 15.0 * MB } else { 0.0 } + 1024.0 * i as f64 + jitter(i)
    });
    assert_eq!(robust_points(&kept), NONE);
    // Two such steps far apart: two one-off steps are absorbed, so growth needs a third window.
    let two = series(250, |i| {
        25.0 * MB + 3.0 * MB * (u8::from(i >= 20) + u8::from(i >= 110)) as f64 + jitter(i)
    });
    assert_eq!(robust_points(&two), NONE);
}

#[test]
fn robust_ignores_a_warm_up_followed_by_rare_small_rises() {
    let mut samples = steady_growth(26.0 * MB, 200.0 * 1024.0, 30, 1_000.0);
    samples.extend((0..120).map(|i| {
        let bump = if i % 20 == 19 { 8.0 * 1024.0 } else { 0.0 };
        (
            26.0 * MB + 30.0 * 200.0 * 1024.0 + bump * (i / 20) as f64,
            31_000.0 + 1_000.0 * i as f64,
        )
    }));
    assert_eq!(robust_points(&samples), NONE);
}

#[test]
fn robust_never_reports_a_flat_or_shrinking_heap() {
    let flat = series(200, |_| 25.0 * MB);
    assert_eq!(robust_points(&flat), NONE);
    let shrinking = steady_growth(400.0 * MB, -MB, 100, 1_000.0);
    let outputs = run(&mut RobustDetector::default(), &shrinking);
    assert_eq!(leak_points(&outputs), NONE);
    assert!(outputs[99].stats.usage_trend < 0.0);
}

#[test]
fn robust_handles_heaps_above_4_gib_and_zero_second_windows() {
    let samples = steady_growth(5_000.0 * MB, 64.0 * MB, 80, 0.0);
    let outputs = run(&mut RobustDetector::default(), &samples);
    let leak = outputs[71].leak.as_ref().expect("leak at GC 72");
    assert_eq!(leak.growth, 64.0 * 64.0 * MB);
    assert_eq!(leak.reason, "heap floor grew over 68 full GCs (0s)");
    let last = outputs[79].stats;
    assert_eq!(last.current_base, 5_000.0 * MB + 80.0 * 64.0 * MB);
    assert!(last.estimated_base > 5_000.0 * MB);
}

// ---- Adaptive detector: the robust rule at three scales (see the module docs of `adaptive`). ----

fn adaptive_points(samples: &[(f64, f64)]) -> Vec<usize> {
    leak_points(&run(&mut AdaptiveDetector::new(), samples))
}

/// Full GC (1-based) of the first report, if any.
fn first_adaptive(samples: &[(f64, f64)]) -> Option<usize> {
    adaptive_points(samples).first().copied()
}

#[test]
fn adaptive_reports_the_issue_s_steep_leak_within_12_full_gcs() {
    // ~20 MB per full GC from a 10 MB heap: the robust rule took 71 full GCs (and 1.15 GB).
    let samples = series(80, |i| 10.0 * MB + 20.0 * MB * i as f64);
    let points = adaptive_points(&samples);
    assert_eq!(points.first(), Some(&11), "{points:?}");
    assert_eq!(robust_points(&samples).first(), Some(&72));
}

#[test]
fn adaptive_reports_floors_growing_by_half_over_a_few_gcs_within_12() {
    // +50 % of the floor over 5, 4 and 3 full GCs, with noise, from the start and mid-run.
    for (per_gc, from) in [(0.1, 0), (0.125, 0), (0.17, 0), (0.1, 40), (0.125, 60)] {
        let jitter = noise(11, 100.0 * KB);
        let samples = series(120, |i| {
            let base = 30.0 * MB;
            base + base * per_gc * i.saturating_sub(from) as f64 + jitter(i)
        });
        let first = first_adaptive(&samples).unwrap_or(usize::MAX);
        assert!(
            first > from && first <= from + 12,
            "{per_gc}/GC from GC {from}: first report at {first}"
        );
    }
}

#[test]
fn adaptive_latency_shrinks_as_the_leak_gets_steeper() {
    let jitter = noise(12, 50.0 * KB);
    let firsts: Vec<usize> = [0.15, 0.05, 0.025, 0.01, 0.002]
        .iter()
        .map(|&share| {
            let samples = series(200, |i| 25.0 * MB * (1.0 + share * i as f64) + jitter(i));
            first_adaptive(&samples).expect("reported")
        })
        .collect();
    assert!(
        firsts.windows(2).all(|pair| pair[0] <= pair[1]),
        "{firsts:?}"
    );
    assert!(firsts[0] <= 12, "{firsts:?}");
    // 5 % and 2.5 % per GC: the medium scale (32 GCs), well before the robust rule's ~70.
    assert!(firsts[1] <= 40, "{firsts:?}");
    assert!(firsts[2] <= 40, "{firsts:?}");
    // The slowest is the robust rule's: no later than it.
    let slow = series(200, |i| 25.0 * MB * (1.0 + 0.002 * i as f64) + jitter(i));
    assert!(firsts[4] <= robust_points(&slow)[0], "{firsts:?}");
}

#[test]
fn adaptive_reports_slow_leaks_like_the_robust_rule() {
    let jitter = noise(2, 3.0 * KB);
    for per_gc in [8.0 * KB, 6.0 * KB] {
        let samples = series(150, |i| 25.0 * MB + per_gc * i as f64 + jitter(i));
        assert_eq!(
            adaptive_points(&samples),
            robust_points(&samples),
            "{per_gc}"
        );
    }
    // A leak under a sawtooth, and in bursts.
    let sawtooth = series(150, |i| {
        25.0 * MB + 300.0 * KB * (i % 12) as f64 + 16.0 * KB * i as f64
    });
    assert!(first_adaptive(&sawtooth).is_some());
    let bursts = series(80, |i| 40.0 * MB + 3.0 * MB * (i / 10) as f64);
    assert!(first_adaptive(&bursts).is_some());
}

#[test]
fn adaptive_ignores_sawtooth_caches_including_steep_teeth_after_the_first() {
    for (period, per_gc) in [(8, 2.0 * MB), (12, 300.0 * KB), (30, 200.0 * KB)] {
        let samples = series(250, |i| 50.0 * MB + per_gc * (i % period) as f64);
        assert_eq!(adaptive_points(&samples), NONE, "period {period}");
    }
    // Teeth that triple the heap (+5 MB per GC for 9 GCs on 20 MB, then cleared): the first
    // tooth cannot be told from a steep leak before it drops and is reported; the ones after it
    // climb back to a height already seen and are not.
    let steep = series(200, |i| 20.0 * MB + 5.0 * MB * (i % 10) as f64);
    let points = adaptive_points(&steep);
    assert!(points.iter().all(|&gc| gc <= 10), "{points:?}");
}

#[test]
fn adaptive_ignores_a_batch_export_whose_first_tooth_lasts_18_gcs() {
    // The blind set's batch export (issue I): +1 MB per full GC on a 26 MB heap for 18 GCs (4 %
    // of the floor per GC, +69 % in all), then flushed, over and over. The earlier scales that
    // looked back 16 GCs reported its first tooth at GC 19.
    let jitter = noise(13, 50.0 * KB);
    let samples = series(200, |i| 26.0 * MB + 1.0 * MB * (i % 19) as f64 + jitter(i));
    assert_eq!(adaptive_points(&samples), NONE);
    // The same growth that does not stop is a leak, and is reported by the medium scale.
    let leak = series(120, |i| 26.0 * MB + 1.0 * MB * i as f64 + jitter(i));
    let first = first_adaptive(&leak).expect("reported");
    assert!((19..=40).contains(&first), "{first}");
}

#[test]
fn adaptive_ignores_warm_ups_caches_and_one_off_steps() {
    let jitter = noise(5, 20.0 * KB);
    let mut quiet: Vec<(&str, Vec<(f64, f64)>)> = vec![
        // The robust rule's warm-ups: +30 %, +27 % and +25 % over 30, 45 and 50 full GCs.
        (
            "warm-up 200 KiB x 30",
            series(250, |i| {
                20.0 * MB + 200.0 * KB * i.min(30) as f64 + jitter(i)
            }),
        ),
        (
            "warm-up 120 KiB x 45 from 30",
            series(250, |i| {
                20.0 * MB + 120.0 * KB * i.saturating_sub(30).min(45) as f64 + jitter(i)
            }),
        ),
        (
            "warm-up 100 KiB x 50",
            series(250, |i| {
                20.0 * MB + 100.0 * KB * i.min(50) as f64 + jitter(i)
            }),
        ),
        // A steep start-up: the heap doubles over 5 full GCs, then stays.
        (
            "doubling over 5 GCs",
            series(100, |i| 20.0 * MB + 4.0 * MB * i.min(5) as f64 + jitter(i)),
        ),
        // An LRU cache filling with random keys (front-loaded) to +24 %.
        (
            "lru",
            series(250, |i| {
                25.0 * MB + 6.0 * MB * (1.0 - (-(i as f64) / 25.0).exp()) + jitter(i)
            }),
        ),
        // One-off steps of +100 % and +60 %, kept; two of them far apart.
        (
            "step kept",
            series(150, |i| {
                25.0 * MB + if i >= 50 { 25.0 * MB } else { 0.0 } + jitter(i)
            }),
        ),
        (
            "two steps",
            series(250, |i| {
                25.0 * MB + 15.0 * MB * (u8::from(i >= 20) + u8::from(i >= 110)) as f64 + jitter(i)
            }),
        ),
        // 200 MB held for 6 GCs, then freed; 15 MB held for 20.
        (
            "spike",
            series(60, |i| {
                60.0 * MB
                    + if (20..26).contains(&i) {
                        200.0 * MB
                    } else {
                        0.0
                    }
            }),
        ),
        (
            "held 20 GCs",
            series(150, |i| {
                25.0 * MB
                    + if (50..70).contains(&i) {
                        15.0 * MB
                    } else {
                        0.0
                    }
            }),
        ),
    ];
    let wander = wandering_noise(8, 100.0 * KB, 400);
    quiet.push(("wandering", series(400, |i| 38.0 * MB + wander[i])));
    quiet.push(("idle", series(400, |i| 25.0 * MB + noise(7, 50.0 * KB)(i))));
    for (name, samples) in quiet {
        assert_eq!(adaptive_points(&samples), NONE, "{name}");
    }
}

#[test]
fn adaptive_leak_carries_rate_heap_limit_and_projection() {
    // 2 MiB per full GC, one GC per second, from 20 MiB; heap limit 4 GiB.
    let mut detector = AdaptiveDetector::new();
    detector.set_heap_limit(4096.0 * MB);
    let samples = series(60, |i| 20.0 * MB + 2.0 * MB * i as f64);
    let outputs = run(&mut detector, &samples);
    let at = leak_points(&outputs)[0];
    let leak = outputs[at - 1].leak.as_ref().unwrap();
    // The retained floor rose by 2 MiB per second: 120 MiB per minute.
    assert_eq!(leak.rate_per_min, 120.0 * MB);
    assert_eq!(leak.heap_limit, Some(4096.0 * MB));
    let floor = 20.0 * MB + 2.0 * MB * (at - 1) as f64;
    let expected = ((4096.0 * MB - floor) / (2.0 * MB) * 1000.0).round();
    assert_eq!(leak.projected_ms_to_limit, Some(expected));
    assert!(
        leak.reason.contains("120 mb/min")
            && leak.reason.contains("heap limit (4096 mb) reached in ~"),
        "{}",
        leak.reason
    );
    // No limit known, or no elapsed time: no projection.
    let outputs = run(&mut AdaptiveDetector::new(), &samples);
    let leak = outputs[at - 1].leak.as_ref().unwrap();
    assert_eq!((leak.heap_limit, leak.projected_ms_to_limit), (None, None));
    assert!(
        leak.reason.ends_with("heap limit unknown"),
        "{}",
        leak.reason
    );
    let instant = steady_growth(20.0 * MB, 2.0 * MB, 60, 0.0);
    let mut detector = AdaptiveDetector::new();
    detector.set_heap_limit(4096.0 * MB);
    let outputs = run(&mut detector, &instant);
    let leak = outputs.iter().find_map(|o| o.leak.as_ref()).unwrap();
    assert_eq!((leak.rate_per_min, leak.projected_ms_to_limit), (0.0, None));
    assert!(leak.reason.contains("rate unknown"), "{}", leak.reason);
}

#[test]
fn robust_and_classic_reports_carry_the_projection_too() {
    let samples = series(150, |i| 30.0 * MB + 256.0 * KB * (i + 1) as f64);
    let mut robust = RobustDetector::default();
    robust.set_heap_limit(2048.0 * MB);
    let leak = run(&mut robust, &samples)[71].leak.clone().unwrap();
    assert_eq!(leak.rate_per_min, 16.0 * MB / 67_000.0 * 60_000.0);
    assert!(leak.projected_ms_to_limit.unwrap() > 0.0);
    let mut classic = ClassicDetector::new();
    classic.set_heap_limit(2048.0 * MB);
    let leak = run(&mut classic, &samples)[4].leak.clone().unwrap();
    // 4 x 256 KiB over 4 s.
    assert_eq!(leak.rate_per_min, 15.0 * MB);
    assert_eq!(leak.heap_limit, Some(2048.0 * MB));
    assert!(leak.projected_ms_to_limit.unwrap() > 0.0);
}

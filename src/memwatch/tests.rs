//! Golden vectors of the reference detector and the behaviour of the robust one.

use super::*;

const MB: f64 = 1024.0 * 1024.0;

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
fn classic_wraps_a_falling_trend() {
    // Ten compactions at 11.3 MB then one at 9 MB: base_recent 11,070,000, base_ancient
    // 11,090,909; their unsigned difference wraps to 4,294,946,387.
    let mut samples: Vec<(f64, f64)> = (0..10).map(|i| (11_300_000.0, i as f64 * 1000.0)).collect();
    samples.push((9_000_000.0, 10_000.0));
    let classic = run(&mut ClassicDetector::new(), &samples);
    assert_eq!(classic[10].stats.estimated_base, 11_070_000.0);
    assert_eq!(classic[10].stats.usage_trend, 38724.9);
    let robust = run(&mut RobustDetector::default(), &samples);
    assert_eq!(robust[10].stats.estimated_base, 11_070_000.0);
    assert_eq!(robust[10].stats.usage_trend, -0.2);
}

#[test]
fn classic_overflows_above_477_mb_as_the_reference_does() {
    // Constant 600,000,000 B: at compaction 10, base_recent * 9 wraps (reference numbers).
    let samples: Vec<(f64, f64)> = (0..10)
        .map(|i| (600_000_000.0, i as f64 * 1000.0))
        .collect();
    let classic = run(&mut ClassicDetector::new(), &samples);
    assert_eq!(classic[9].stats.estimated_base, 170_503_270.0);
    assert_eq!(classic[9].stats.usage_trend, 644.2);
    let robust = run(&mut RobustDetector::default(), &samples);
    assert_eq!(robust[9].stats.estimated_base, 600_000_000.0);
    assert_eq!(robust[9].stats.usage_trend, 0.0);
}

#[test]
fn classic_leak_within_one_second_reports_int_min_per_hour() {
    let samples = steady_growth(10_000_000.0, 100_000.0, 5, 10.0);
    let outputs = run(&mut ClassicDetector::new(), &samples);
    assert_eq!(
        outputs[4].leak.as_ref().unwrap().reason,
        "heap growth over 5 consecutive GCs (0s) - -2147483648 bytes/hr"
    );
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
    assert_eq!(
        leak_points(&run(&mut RobustDetector::default(), &samples)),
        [0usize; 0]
    );
}

#[test]
fn robust_detects_a_steady_leak_and_reports_growth_and_rate() {
    let samples = steady_growth(30.0 * MB, 256.0 * 1024.0, 100, 1_000.0);
    let outputs = run(&mut RobustDetector::default(), &samples);
    // Warm-up 4, then windows of 4 full GCs closing at GCs 8, 12, …; the floor rises from window
    // 2 on, and rises 8 windows apart (windows 2 and 10) close at GC 44. The next run needs 8
    // more windows: GC 80.
    assert_eq!(leak_points(&outputs), [44, 80]);
    let leak = outputs[43].leak.as_ref().unwrap();
    // Floors: window 1 = GC 5, window 10 = GC 41 -> 36 steps of 256 KiB.
    assert_eq!(leak.growth, 36.0 * 256.0 * 1024.0);
    let prefix = "heap floor grew over 40 full GCs (39s) - ";
    assert!(leak.reason.starts_with(prefix), "{}", leak.reason);
    assert!(leak.reason.ends_with(" mb/hr"), "{}", leak.reason);
}

#[test]
fn robust_detects_a_leak_that_grows_in_bursts() {
    // +3 MB every 10 GCs, flat (with noise) in between: no 5-step streak for the classic rule.
    let samples: Vec<(f64, f64)> = (0..80)
        .map(|i| {
            let noise = if i % 3 == 0 { -50_000.0 } else { 30_000.0 };
            (
                40.0 * MB + 3.0 * MB * (i / 10) as f64 + noise,
                1_000.0 * i as f64,
            )
        })
        .collect();
    assert_eq!(
        leak_points(&run(&mut ClassicDetector::new(), &samples)),
        [0usize; 0]
    );
    assert!(!leak_points(&run(&mut RobustDetector::default(), &samples)).is_empty());
}

#[test]
fn robust_ignores_a_sawtooth_cache_and_a_large_allocation_then_free() {
    // A cache that fills for 7 GCs and is dropped, over and over.
    let sawtooth: Vec<(f64, f64)> = (0..120)
        .map(|i| (50.0 * MB + 2.0 * MB * (i % 8) as f64, 1_000.0 * i as f64))
        .collect();
    assert_eq!(
        leak_points(&run(&mut RobustDetector::default(), &sawtooth)),
        [0usize; 0]
    );
    // 200 MB held for 6 GCs, then freed.
    let spike: Vec<(f64, f64)> = (0..60)
        .map(|i| {
            let held = if (20..26).contains(&i) {
                200.0 * MB
            } else {
                0.0
            };
            (60.0 * MB + held, 1_000.0 * i as f64)
        })
        .collect();
    assert_eq!(
        leak_points(&run(&mut RobustDetector::default(), &spike)),
        [0usize; 0]
    );
}

#[test]
fn robust_never_reports_a_flat_or_shrinking_heap() {
    let flat: Vec<(f64, f64)> = (0..200).map(|i| (25.0 * MB, 1_000.0 * i as f64)).collect();
    assert_eq!(
        leak_points(&run(&mut RobustDetector::default(), &flat)),
        [0usize; 0]
    );
    let shrinking = steady_growth(400.0 * MB, -MB, 100, 1_000.0);
    let outputs = run(&mut RobustDetector::default(), &shrinking);
    assert_eq!(leak_points(&outputs), [0usize; 0]);
    assert!(outputs[99].stats.usage_trend < 0.0);
}

#[test]
fn robust_handles_heaps_above_4_gib_and_zero_second_windows() {
    let samples = steady_growth(5_000.0 * MB, 64.0 * MB, 50, 0.0);
    let outputs = run(&mut RobustDetector::default(), &samples);
    let leak = outputs[43].leak.as_ref().expect("leak at GC 44");
    assert_eq!(leak.growth, 36.0 * 64.0 * MB);
    assert_eq!(leak.reason, "heap floor grew over 40 full GCs (0s)");
    let last = outputs[49].stats;
    assert_eq!(last.current_base, 5_000.0 * MB + 50.0 * 64.0 * MB);
    assert!(last.estimated_base > 5_000.0 * MB);
}

#[test]
fn robust_detects_a_slow_leak_below_the_fall_tolerance() {
    // 8 KiB per full GC on a 25 MB heap: each window's floor rises by 32 KiB, far below the
    // 0.5% tolerance for falls, and far below what a 5-step streak with noise would survive.
    let samples: Vec<(f64, f64)> = (0..150)
        .map(|i| {
            let noise = if i % 2 == 0 { 3_000.0 } else { -3_000.0 };
            (25.0 * MB + 8192.0 * i as f64 + noise, 1_000.0 * i as f64)
        })
        .collect();
    let points = leak_points(&run(&mut RobustDetector::default(), &samples));
    assert!(!points.is_empty());
    // 512 KiB of floor growth takes ~64 GCs at 8 KiB each.
    assert!((60..=76).contains(&points[0]), "{points:?}");
}

#[test]
fn robust_waits_out_a_warm_up_of_30_full_gcs() {
    let mut samples = steady_growth(20.0 * MB, 200.0 * 1024.0, 30, 1_000.0);
    samples.extend((0..120).map(|i| {
        (
            20.0 * MB + 30.0 * 200.0 * 1024.0,
            31_000.0 + 1_000.0 * i as f64,
        )
    }));
    assert_eq!(
        leak_points(&run(&mut RobustDetector::default(), &samples)),
        [0usize; 0]
    );
    assert!(!leak_points(&run(&mut ClassicDetector::new(), &samples)).is_empty());
}

#[test]
fn robust_ignores_one_large_allocation_after_small_drift() {
    // A slowly drifting heap (+1 KiB per GC, i.e. small rises) and 15 MB held for 5 GCs: the
    // spike is one step carrying nearly all the growth.
    let samples: Vec<(f64, f64)> = (0..150)
        .map(|i| {
            let held = if (40..45).contains(&i) || (100..105).contains(&i) {
                15.0 * MB
            } else {
                0.0
            };
            (25.0 * MB + 1024.0 * i as f64 + held, 1_000.0 * i as f64)
        })
        .collect();
    assert_eq!(
        leak_points(&run(&mut RobustDetector::default(), &samples)),
        [0usize; 0]
    );
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
    assert_eq!(
        leak_points(&run(&mut RobustDetector::default(), &samples)),
        [0usize; 0]
    );
}

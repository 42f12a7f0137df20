//! The life of versions: `generations()` and `pinned()` rows.
use super::*;

const LEAF: &str = "/app/leaf.mjs";
const MAIN: &str = "/app/main.mjs";

fn at(now: f64, gc_count: f64) -> Stamp {
    Stamp { now, gc_count }
}

/// main imports leaf, both loaded at t = 10.
fn loaded_pair() -> EsmRegistry {
    let mut r = EsmRegistry::new();
    r.record_import_at(None, MAIN, 10.0);
    r.record_import_at(Some((MAIN, 0)), LEAF, 10.0);
    r
}

fn row(version: u32, loaded_at: f64, current: bool, failed: bool) -> EsmGeneration {
    EsmGeneration {
        version,
        loaded_at,
        current,
        failed,
    }
}

#[test]
fn a_file_never_swapped_has_one_current_row() {
    let r = loaded_pair();
    assert_eq!(r.generations(LEAF), vec![row(0, 10.0, true, false)]);
    assert_eq!(r.generations("/app/unknown.mjs"), vec![]);
    assert_eq!(r.pinned(at(20.0, 0.0)), vec![]);
}

#[test]
fn replaced_versions_are_pinned_from_the_swap_that_replaced_them() {
    let mut r = loaded_pair();
    r.bump_at(&[LEAF], at(20.0, 1.0)).unwrap();
    r.record_import_at(None, LEAF, 21.0);
    r.bump_at(&[LEAF], at(30.0, 3.0)).unwrap();
    r.record_import_at(None, LEAF, 31.0);
    // A second resolution of a loaded version does not move its load time.
    r.record_import_at(None, LEAF, 35.0);
    assert_eq!(
        r.generations(LEAF),
        vec![
            row(0, 10.0, false, false),
            row(1, 21.0, false, false),
            row(2, 31.0, true, false),
        ]
    );
    let pinned = r.pinned(at(50.0, 10.0));
    assert_eq!(
        pinned,
        vec![
            EsmPinned {
                path: LEAF.into(),
                version: 0,
                age_ms: 30.0,
                gcs_survived: 9.0,
                failed: false
            },
            EsmPinned {
                path: LEAF.into(),
                version: 1,
                age_ms: 20.0,
                gcs_survived: 7.0,
                failed: false
            },
        ]
    );
}

#[test]
fn a_rolled_back_version_is_pinned_as_failed_and_the_restored_one_is_current_again() {
    let mut r = loaded_pair();
    r.bump_at(&[LEAF], at(20.0, 0.0)).unwrap();
    r.record_import_at(None, LEAF, 21.0);
    r.restore_at(&[LEAF], &[0], at(22.0, 0.0)).unwrap();
    assert_eq!(
        r.generations(LEAF),
        vec![row(0, 10.0, true, false), row(1, 21.0, false, true)]
    );
    let pinned = r.pinned(at(30.0, 0.0));
    assert_eq!(pinned.len(), 1);
    assert_eq!(
        (pinned[0].version, pinned[0].failed, pinned[0].age_ms),
        (1, true, 8.0)
    );
}

#[test]
fn a_version_the_loader_never_asked_for_has_no_row() {
    // The swap failed before the hooks resolved the new version of main.
    let mut r = loaded_pair();
    r.bump_at(&[LEAF, MAIN], at(20.0, 0.0)).unwrap();
    r.record_import_at(None, LEAF, 21.0);
    r.restore_at(&[LEAF, MAIN], &[0, 0], at(22.0, 0.0)).unwrap();
    assert_eq!(r.generations(MAIN), vec![row(0, 10.0, true, false)]);
    let pinned: Vec<(String, u32)> = r
        .pinned(at(30.0, 0.0))
        .into_iter()
        .map(|p| (p.path, p.version))
        .collect();
    assert_eq!(pinned, vec![(LEAF.to_string(), 1)]);
}

#[test]
fn pinned_rows_are_ordered_by_retirement_across_files_and_never_negative() {
    let mut r = loaded_pair();
    r.bump_at(&[MAIN], at(20.0, 5.0)).unwrap();
    r.record_import_at(None, MAIN, 20.0);
    r.bump_at(&[LEAF], at(15.0, f64::NAN)).unwrap();
    r.record_import_at(None, LEAF, 15.0);
    let pinned = r.pinned(at(18.0, 2.0));
    let order: Vec<&str> = pinned.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(order, vec![LEAF, MAIN]);
    // The clock went back (18 < 20) and the GC count is lower than at retirement: both clamp
    // to 0; an unknown count is 0 survived.
    assert_eq!((pinned[1].age_ms, pinned[1].gcs_survived), (0.0, 0.0));
    assert_eq!(pinned[0].gcs_survived, 0.0);
}

//! HeapDiff's tests: samples, the two ways to diff them (which must agree), and the JSON.

use std::sync::Arc;

use super::diff::{diff, diff_with_seen, Change, Detail, HeapDiffResult};
use super::sample::testing::{parse_file, sample_after, summary, TestNode, NODE_TYPES};
use super::sample::{Columns, Entry, HeapSample, Totals, WhatInterner, NO_WHAT, OWN_CONSTRUCTOR};
use super::seen::SortedIds;

/// The diff of two node lists, computed both ways: whole samples merged by id, and the
/// later snapshot parsed with a [`SeenFilter`](super::SeenFilter) (what HeapDiff does). They
/// must agree.
fn diff_of(before: &[TestNode], after: &[TestNode]) -> HeapDiffResult {
    let mut interner = WhatInterner::new();
    let before = HeapSample::new(&summary(before), &mut interner);
    let whole = diff(&before, &HeapSample::new(&summary(after), &mut interner));
    assert_eq!(filtered_diff(&before, after), whole);
    whole
}

fn filtered_diff(before: &HeapSample, after: &[TestNode]) -> HeapDiffResult {
    let (seen, fresh) = sample_after(before, after);
    diff_with_seen(before, &seen, &fresh)
}

#[test]
fn packed_columns_give_back_every_what_and_size() {
    let entries: Vec<Entry> = [
        (0, 0),
        (1, 16),
        (NO_WHAT, 24),
        (7, u64::from(u32::MAX) - 1),
        (7, u64::from(u32::MAX)),
        (2, u64::MAX),
    ]
    .iter()
    .enumerate()
    .map(|(i, &(what, self_size))| Entry {
        id: i as u32 * 2 + 1,
        what,
        self_size,
    })
    .collect();
    for distinct in [8, usize::from(u16::MAX), 100_000] {
        let columns = Columns::pack(&entries, distinct);
        assert_eq!(
            matches!(columns, Columns::Wide(_)),
            distinct >= usize::from(u16::MAX)
        );
        for (position, e) in entries.iter().enumerate() {
            assert_eq!(
                columns.get(position),
                (e.what, e.self_size),
                "{distinct} whats, #{position}"
            );
        }
    }
}

#[test]
fn sorted_ids_find_every_id_and_nothing_else() {
    for ids in [
        vec![],
        vec![7],
        (1..5000).map(|i| i * 2 + 1).collect::<Vec<u32>>(),
        vec![0, 1, u32::MAX - 1, u32::MAX],
    ] {
        let index = SortedIds::new(ids.clone().into());
        for (position, &id) in ids.iter().enumerate() {
            assert_eq!(index.position(id), Some(position), "id {id}");
        }
        for absent in [2u32, 4, 10_002, 1 << 20, u32::MAX - 2] {
            if !ids.contains(&absent) {
                assert_eq!(index.position(absent), None, "absent {absent}");
            }
        }
    }
}

#[test]
fn filtered_parse_agrees_with_the_merge_on_a_large_random_diff() {
    // Ids spread over ~2^22 so the id index uses shifted buckets; about half the nodes
    // survive, some sizes change between the snapshots.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let classes = ["Foo", "Bar", "HeapDiff", "Baz"];
    let mut before = Vec::new();
    let mut after = Vec::new();
    for k in 0..20_000u64 {
        let id = (k * 199 + 1) as u32;
        let class = classes[(next() % 4) as usize];
        let size = 16 + next() % 64;
        let node = ("object", class, id, size);
        let roll = next() % 4;
        if roll != 0 {
            before.push(node);
        }
        if roll != 1 {
            let grown = if next() % 8 == 0 { size + 8 } else { size };
            after.push(("object", class, id, grown));
        }
    }
    let result = diff_of(&before, &after);
    assert!(result.change.allocated_nodes > 1000 && result.change.freed_nodes > 1000);
}

fn detail(what: &str, size_bytes: i64, plus: u64, minus: u64) -> Detail {
    Detail {
        what: what.into(),
        size_bytes,
        plus,
        minus,
    }
}

#[test]
fn exact_numbers_for_a_small_diff() {
    let before = [
        ("synthetic", "", 1, 0),
        ("hidden", "system", 2, 100),
        ("object", "Foo", 11, 32),
        ("object", "Foo", 13, 32),
        ("array", "", 15, 16),
        ("string", "abc", 17, 20),
        ("object", "HeapDiff", 19, 64),
        ("closure", "fn", 21, 56),
    ];
    let after = [
        ("synthetic", "", 1, 0),
        ("hidden", "system", 2, 100),
        ("object", "Foo", 11, 32),
        ("array", "", 15, 16),
        ("string", "def", 23, 24),
        ("object", "HeapDiff", 25, 64),
        ("object", "LeakingClass", 27, 40),
        ("object", "LeakingClass", 29, 40),
        ("object", "LeakingClass", 31, 40),
        ("closure", "fn", 21, 56),
        ("concatenated string", "", 33, 32),
        ("number", "heap number", 35, 16),
    ];
    let result = diff_of(&before, &after);
    assert_eq!(
        result,
        HeapDiffResult {
            before: Totals {
                nodes: 7,
                size_bytes: 256
            },
            after: Totals {
                nodes: 11,
                size_bytes: 396
            },
            change: Change {
                size_bytes: 140,
                freed_nodes: 2,
                allocated_nodes: 6,
                details: vec![
                    detail("Foo", -32, 0, 1),
                    detail("LeakingClass", 120, 3, 0),
                    detail("Number", 16, 1, 0),
                    detail("String", 4, 1, 1),
                ],
            },
        }
    );
}

#[test]
fn heapdiff_objects_are_skipped_everywhere() {
    let own = |id| ("object", OWN_CONSTRUCTOR, id, 1000);
    let result = diff_of(
        &[own(1), own(3), ("object", "A", 5, 8)],
        &[
            own(7),
            ("object", "A", 5, 8),
            ("closure", "HeapDiff", 9, 32),
        ],
    );
    assert_eq!(
        result.before,
        Totals {
            nodes: 1,
            size_bytes: 8
        }
    );
    assert_eq!(
        result.after,
        Totals {
            nodes: 2,
            size_bytes: 40
        }
    );
    assert_eq!(result.change.freed_nodes, 0);
    assert_eq!(result.change.allocated_nodes, 1);
    // The HeapDiff function is a closure, an ordinary node.
    assert_eq!(result.change.details, [detail("Closure", 32, 1, 0)]);
}

#[test]
fn every_node_type_maps_like_memwatch() {
    let types = NODE_TYPES;
    let after: Vec<TestNode> = types
        .iter()
        .enumerate()
        .map(|(i, ty)| (*ty, "MyObj", 2 * i as u32 + 1, 10))
        .collect();
    let result = diff_of(&[], &after);
    assert_eq!(
        result.after,
        Totals {
            nodes: 16,
            size_bytes: 160
        }
    );
    assert_eq!(result.change.allocated_nodes, 16);
    let whats: Vec<&str> = result
        .change
        .details
        .iter()
        .map(|d| d.what.as_str())
        .collect();
    assert_eq!(
        whats,
        ["Array", "Closure", "Code", "MyObj", "Native", "Number", "RegExp", "String"]
    );
    assert!(result
        .change
        .details
        .iter()
        .all(|d| (d.plus, d.minus, d.size_bytes) == (1, 0, 10)));
}

#[test]
fn leaking_class_and_freed_objects() {
    let base: Vec<TestNode> = vec![("synthetic", "", 1, 0), ("object", "Keep", 3, 24)];
    let mut after = base.clone();
    after.extend([
        ("object", "LeakingClass", 101, 48),
        ("object", "LeakingClass", 103, 48),
        ("object", "LeakingClass", 105, 48),
    ]);
    let result = diff_of(&base, &after);
    assert_eq!(result.change.details, [detail("LeakingClass", 144, 3, 0)]);
    assert_eq!(result.change.size_bytes, 144);
    // And back: all three freed.
    let result = diff_of(&after, &base);
    assert_eq!(result.change.details, [detail("LeakingClass", -144, 0, 3)]);
    assert_eq!(
        (result.change.freed_nodes, result.change.allocated_nodes),
        (3, 0)
    );
    assert_eq!(result.change.size_bytes, -144);
    // Same what on both sides with different ids: both columns.
    let result = diff_of(&[("object", "Keep", 3, 24)], &[("object", "Keep", 5, 30)]);
    assert_eq!(result.change.details, [detail("Keep", 6, 1, 1)]);
    // Nothing changed: no details.
    let result = diff_of(&base, &base);
    assert!(result.change.details.is_empty());
    assert_eq!(
        (result.change.freed_nodes, result.change.allocated_nodes),
        (0, 0)
    );
}

#[test]
fn details_are_in_byte_order() {
    let names = [
        "alpha",
        "Zeta",
        "_under",
        "Array2",
        "\u{dc}ber",
        "Zeta2",
        "beta",
    ];
    let after: Vec<TestNode> = names
        .iter()
        .enumerate()
        .map(|(i, n)| ("object", *n, 2 * i as u32 + 1, 8))
        .collect();
    let result = diff_of(&[], &after);
    let whats: Vec<&str> = result
        .change
        .details
        .iter()
        .map(|d| d.what.as_str())
        .collect();
    assert_eq!(
        whats,
        [
            "Array2",
            "Zeta",
            "Zeta2",
            "_under",
            "alpha",
            "beta",
            "\u{dc}ber"
        ]
    );
}

#[test]
fn interner_is_shared_between_samples() {
    let mut interner = WhatInterner::new();
    let a = HeapSample::new(
        &summary(&[("object", "Foo", 1, 8), ("array", "", 3, 8)]),
        &mut interner,
    );
    let b = HeapSample::new(&summary(&[("object", "Foo", 5, 8)]), &mut interner);
    let foo_a = a.whats.iter().find(|w| &***w == "Foo").unwrap();
    let foo_b = b.whats.iter().find(|w| &***w == "Foo").unwrap();
    assert!(Arc::ptr_eq(foo_a, foo_b));
    assert_eq!(std::mem::size_of::<Entry>(), 16);
    assert_eq!(a.len(), 2);
    assert!(!interner.is_empty());
}

#[test]
fn totals_above_4_gib_do_not_wrap() {
    let big = 3_000_000_000u64;
    let after = [
        ("object", "Big", 1, big),
        ("object", "Big", 3, big),
        ("array", "", 5, big),
    ];
    let result = diff_of(&[], &after);
    assert_eq!(
        result.after,
        Totals {
            nodes: 3,
            size_bytes: 9_000_000_000
        }
    );
    assert_eq!(result.change.size_bytes, 9_000_000_000);
    assert_eq!(
        result.change.details,
        [
            detail("Array", 3_000_000_000, 1, 0),
            detail("Big", 6_000_000_000, 2, 0)
        ]
    );
    let json = result.to_json(None, None);
    assert!(
        json.contains("\"size_bytes\":9000000000,\"size\":\"8583.07 mb\""),
        "{json}"
    );
    let back = diff_of(&after, &[]);
    assert_eq!(back.change.size_bytes, -9_000_000_000);
}

#[test]
fn json_has_memwatchs_exact_shape() {
    let result = diff_of(&[("object", "Foo", 3, 1024)], &[("object", "Foo", 5, 2048)]);
    assert_eq!(
        result.to_json(
            Some("2024-01-01T00:00:00.000Z".into()),
            Some("2024-01-01T00:00:01.000Z".into())
        ),
        concat!(
            r#"{"before":{"nodes":1,"size_bytes":1024,"size":"1024 bytes","#,
            r#""time":"2024-01-01T00:00:00.000Z"},"#,
            r#""after":{"nodes":1,"size_bytes":2048,"size":"2 kb","#,
            r#""time":"2024-01-01T00:00:01.000Z"},"#,
            r#""change":{"size_bytes":1024,"size":"1024 bytes","freed_nodes":1,"#,
            r#""allocated_nodes":1,"#,
            r#""details":[{"what":"Foo","size_bytes":1024,"size":"1024 bytes","+":1,"-":1}]}}"#
        )
    );
    let empty = diff_of(&[], &[]);
    assert_eq!(
        empty.to_json(None, None),
        concat!(
            r#"{"before":{"nodes":0,"size_bytes":0,"size":"0 bytes"},"#,
            r#""after":{"nodes":0,"size_bytes":0,"size":"0 bytes"},"#,
            r#""change":{"size_bytes":0,"size":"0 bytes","freed_nodes":0,"allocated_nodes":0,"#,
            r#""details":[]}}"#
        )
    );
    // Names are JSON-escaped; negative sizes use niceSize's sign.
    let result = diff_of(
        &[
            ("object", "<script>\"x\"\\</script>", 3, 2120),
            ("object", "Keep", 7, 8),
        ],
        &[("object", "Keep", 7, 8)],
    );
    let json = result.to_json(Some("t\"1".into()), None);
    assert_eq!(
        json,
        concat!(
            r#"{"before":{"nodes":2,"size_bytes":2128,"size":"2.08 kb","time":"t\"1"},"#,
            r#""after":{"nodes":1,"size_bytes":8,"size":"8 bytes"},"#,
            r#""change":{"size_bytes":-2120,"size":"-2.07 kb","freed_nodes":1,"#,
            r#""allocated_nodes":0,"#,
            r#""details":[{"what":"<script>\"x\"\\</script>","size_bytes":-2120,"#,
            r#""size":"-2.07 kb","+":0,"-":1}]}}"#
        )
    );
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        parsed["change"]["details"][0]["what"],
        "<script>\"x\"\\</script>"
    );
}

/// By hand, on two snapshots of one process:
/// `MODSWAP_SNAPSHOT=before.heapsnapshot MODSWAP_SNAPSHOT_AFTER=after.heapsnapshot
///  cargo test --release real_heapdiff -- --ignored --nocapture`
#[test]
#[ignore]
fn real_heapdiff() {
    let (Ok(before), Ok(after)) = (
        std::env::var("MODSWAP_SNAPSHOT"),
        std::env::var("MODSWAP_SNAPSHOT_AFTER"),
    ) else {
        eprintln!("MODSWAP_SNAPSHOT / MODSWAP_SNAPSHOT_AFTER not set");
        return;
    };
    let start = std::time::Instant::now();
    let before = parse_file(&before);
    let after = parse_file(&after);
    let parsed = start.elapsed();
    let mut interner = WhatInterner::new();
    let before = HeapSample::new(&before, &mut interner);
    let after = HeapSample::new(&after, &mut interner);
    let result = diff(&before, &after);
    let elapsed = start.elapsed();
    let mut top = result.change.details.clone();
    top.sort_by_key(|d| std::cmp::Reverse(d.plus.max(d.minus)));
    println!(
        "parse {:.3} s, total {:.3} s; before {:?}, after {:?}, change {} B, -{} +{}",
        parsed.as_secs_f64(),
        elapsed.as_secs_f64(),
        result.before,
        result.after,
        result.change.size_bytes,
        result.change.freed_nodes,
        result.change.allocated_nodes
    );
    for d in top.iter().take(12) {
        println!(
            "{:>8} {:>8} {:>12} {}",
            d.plus, d.minus, d.size_bytes, d.what
        );
    }
}

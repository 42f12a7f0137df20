use super::*;

/// A registry with `edges` (parent, child) recorded at version 0 and `entries` resolved with no
/// importer.
fn registry_of(entries: &[&str], edges: &[(&str, &str)]) -> EsmRegistry {
    let mut registry = EsmRegistry::new();
    for entry in entries {
        registry.record_import(None, entry);
    }
    for (parent, child) in edges {
        registry.record_import(Some((parent, 0)), child);
    }
    registry
}

fn swap(paths: &[&str], boundaries: &[&str]) -> EsmPlan {
    EsmPlan::Swap {
        paths: paths.iter().map(|s| s.to_string()).collect(),
        boundaries: boundaries.iter().map(|s| s.to_string()).collect(),
    }
}

const NONE: &[&str] = &[];

#[test]
fn a_leaf_change_walks_up_to_the_boundary_and_stops_there() {
    // main -> api (boundary) -> routes -> leaf
    let r = registry_of(
        &["/app/main.mjs"],
        &[
            ("/app/main.mjs", "/app/api.mjs"),
            ("/app/api.mjs", "/app/routes.mjs"),
            ("/app/routes.mjs", "/app/leaf.mjs"),
        ],
    );
    assert_eq!(
        r.plan(&["/app/leaf.mjs"], &["/app/api.mjs"]),
        swap(
            &["/app/leaf.mjs", "/app/routes.mjs", "/app/api.mjs"],
            &["/app/api.mjs"]
        )
    );
}

#[test]
fn a_changed_boundary_is_the_whole_plan() {
    let r = registry_of(&["/m.mjs"], &[("/m.mjs", "/b.mjs")]);
    assert_eq!(
        r.plan(&["/b.mjs"], &["/b.mjs"]),
        swap(&["/b.mjs"], &["/b.mjs"])
    );
}

#[test]
fn a_change_that_reaches_the_entry_without_a_boundary_is_unaccepted_with_its_chain() {
    // main -> a (boundary) -> shared; main -> b -> shared
    let r = registry_of(
        &["/main.mjs"],
        &[
            ("/main.mjs", "/a.mjs"),
            ("/main.mjs", "/b.mjs"),
            ("/a.mjs", "/shared.mjs"),
            ("/b.mjs", "/shared.mjs"),
        ],
    );
    assert_eq!(
        r.plan(&["/shared.mjs"], &["/a.mjs"]),
        EsmPlan::Unaccepted {
            reason: UnacceptedReason::Entry,
            root: "/main.mjs".into(),
            chain: vec!["/shared.mjs".into(), "/b.mjs".into(), "/main.mjs".into()],
        }
    );
    // With both importers boundaries, the shared module and both importers get versions.
    assert_eq!(
        r.plan(&["/shared.mjs"], &["/a.mjs", "/b.mjs"]),
        swap(&["/shared.mjs", "/a.mjs", "/b.mjs"], &["/a.mjs", "/b.mjs"])
    );
}

#[test]
fn only_the_changed_path_is_planned_not_siblings_or_dependencies() {
    // main -> a (boundary) -> leaf, a -> shared; main -> b (boundary) -> shared
    let r = registry_of(
        &["/main.mjs"],
        &[
            ("/main.mjs", "/a.mjs"),
            ("/main.mjs", "/b.mjs"),
            ("/a.mjs", "/leaf.mjs"),
            ("/a.mjs", "/shared.mjs"),
            ("/b.mjs", "/shared.mjs"),
        ],
    );
    assert_eq!(
        r.plan(&["/leaf.mjs"], &["/a.mjs", "/b.mjs"]),
        swap(&["/leaf.mjs", "/a.mjs"], &["/a.mjs"])
    );
}

#[test]
fn cycles_terminate_and_are_planned_once() {
    // main -> top (boundary) -> a <-> b; b -> c
    let r = registry_of(
        &["/main.mjs"],
        &[
            ("/main.mjs", "/top.mjs"),
            ("/top.mjs", "/a.mjs"),
            ("/a.mjs", "/b.mjs"),
            ("/b.mjs", "/a.mjs"),
            ("/b.mjs", "/c.mjs"),
        ],
    );
    assert_eq!(
        r.plan(&["/c.mjs"], &["/top.mjs"]),
        swap(&["/c.mjs", "/b.mjs", "/a.mjs", "/top.mjs"], &["/top.mjs"])
    );
    // A cycle with no way out and no boundary: unaccepted, not a loop.
    let closed = registry_of(&[], &[("/x.mjs", "/y.mjs"), ("/y.mjs", "/x.mjs")]);
    assert_eq!(
        closed.plan(&["/x.mjs"], NONE),
        EsmPlan::Unaccepted {
            reason: UnacceptedReason::Entry,
            root: "/x.mjs".into(),
            chain: vec!["/x.mjs".into()],
        }
    );
}

#[test]
fn a_self_contained_cycle_with_a_boundary_swaps_both() {
    let r = registry_of(&[], &[("/x.mjs", "/y.mjs"), ("/y.mjs", "/x.mjs")]);
    assert_eq!(
        r.plan(&["/y.mjs"], &["/x.mjs"]),
        swap(&["/y.mjs", "/x.mjs"], &["/x.mjs"])
    );
}

#[test]
fn unknown_and_node_modules_changes_are_ignored() {
    let r = registry_of(
        &["/app/main.mjs"],
        &[("/app/main.mjs", "/app/node_modules/pkg/index.mjs")],
    );
    assert_eq!(
        r.plan(&["/app/node_modules/pkg/index.mjs", "/app/never.mjs"], NONE),
        swap(&[], &[])
    );
}

#[test]
fn an_importer_inside_node_modules_makes_the_change_unaccepted() {
    // A package that imports a file of the app (a plugin loader) cannot be evaluated again.
    let r = registry_of(
        &["/app/main.mjs"],
        &[
            ("/app/main.mjs", "/app/node_modules/loader/index.mjs"),
            ("/app/node_modules/loader/index.mjs", "/app/plugin.mjs"),
        ],
    );
    assert_eq!(
        r.plan(&["/app/plugin.mjs"], NONE),
        EsmPlan::Unaccepted {
            reason: UnacceptedReason::Dependency,
            root: "/app/node_modules/loader/index.mjs".into(),
            chain: vec![
                "/app/plugin.mjs".into(),
                "/app/node_modules/loader/index.mjs".into()
            ],
        }
    );
}

#[test]
fn edges_of_an_old_version_do_not_make_it_an_importer() {
    // main -> a (boundary) -> old; version 1 of a imports new instead of old.
    let mut r = registry_of(
        &["/main.mjs"],
        &[("/main.mjs", "/a.mjs"), ("/a.mjs", "/old.mjs")],
    );
    assert_eq!(r.bump(&["/a.mjs"]), Ok(vec![1]));
    r.record_import(Some(("/a.mjs", 1)), "/new.mjs");
    assert_eq!(r.importers_of("/old.mjs"), Vec::<String>::new());
    assert_eq!(r.importers_of("/new.mjs"), vec!["/a.mjs".to_string()]);
    // Rolled back to version 0, the old edge counts again.
    r.restore(&["/a.mjs"], &[0]).unwrap();
    assert_eq!(r.importers_of("/old.mjs"), vec!["/a.mjs".to_string()]);
    assert_eq!(r.importers_of("/new.mjs"), Vec::<String>::new());
}

#[test]
fn versions_are_never_reused_after_a_rollback() {
    let mut r = registry_of(&["/m.mjs"], &[]);
    assert_eq!(r.version_of("/m.mjs"), 0);
    assert_eq!(r.bump(&["/m.mjs"]), Ok(vec![1]));
    r.restore(&["/m.mjs"], &[0]).unwrap();
    assert_eq!(r.version_of("/m.mjs"), 0);
    assert_eq!(r.bump(&["/m.mjs"]), Ok(vec![2]));
    assert_eq!(r.version_of("/m.mjs"), 2);
}

#[test]
fn bump_refuses_node_modules_and_restore_refuses_unknown_versions_changing_nothing() {
    let mut r = EsmRegistry::new();
    assert_eq!(
        r.bump(&["/a.mjs", "/app/node_modules/p/i.mjs"]),
        Err(EsmError::Dependency("/app/node_modules/p/i.mjs".into()))
    );
    assert_eq!(r.version_of("/a.mjs"), 0);
    r.bump(&["/a.mjs"]).unwrap();
    assert_eq!(
        r.restore(&["/a.mjs", "/b.mjs"], &[0, 3]),
        Err(EsmError::UnknownVersion {
            path: "/b.mjs".into(),
            version: 3
        })
    );
    assert_eq!(r.version_of("/a.mjs"), 1);
}

#[test]
fn repeated_imports_are_one_edge_and_self_imports_none() {
    let mut r = registry_of(&[], &[("/a.mjs", "/b.mjs"), ("/a.mjs", "/b.mjs")]);
    r.record_import(Some(("/a.mjs", 0)), "/a.mjs");
    assert_eq!(
        r.stats(),
        EsmStats {
            files: 2,
            edges: 1,
            versioned: 0
        }
    );
}

#[test]
fn a_diamond_is_planned_once_per_file() {
    // main -> top (boundary) -> l, r; l -> base; r -> base
    let r = registry_of(
        &["/main.mjs"],
        &[
            ("/main.mjs", "/top.mjs"),
            ("/top.mjs", "/l.mjs"),
            ("/top.mjs", "/r.mjs"),
            ("/l.mjs", "/base.mjs"),
            ("/r.mjs", "/base.mjs"),
        ],
    );
    assert_eq!(
        r.plan(&["/base.mjs", "/l.mjs"], &["/top.mjs"]),
        swap(
            &["/base.mjs", "/l.mjs", "/r.mjs", "/top.mjs"],
            &["/top.mjs"]
        )
    );
}

#[test]
fn the_process_registry_is_shared_across_threads() {
    let path = "/shared-across-threads/x.mjs";
    std::thread::spawn(move || registry().lock().bump(&[path]).unwrap())
        .join()
        .unwrap();
    assert_eq!(registry().lock().version_of(path), 1);
}

#[test]
fn project_files_are_every_resolved_file_outside_node_modules_sorted() {
    let r = registry_of(
        &["/app/main.mjs"],
        &[
            ("/app/main.mjs", "/app/z.mjs"),
            ("/app/main.mjs", "/app/node_modules/pkg/index.mjs"),
            ("/app/cjs.js", "/app/a.mjs"),
        ],
    );
    assert_eq!(
        r.project_files(),
        ["/app/a.mjs", "/app/cjs.js", "/app/main.mjs", "/app/z.mjs"]
    );
}

#[test]
fn while_a_swap_is_in_flight_only_its_own_imports_resolve_to_the_new_versions() {
    // main -> api (boundary) -> leaf; a swap of leaf and api is in flight.
    let mut r = registry_of(
        &["/app/main.mjs"],
        &[
            ("/app/main.mjs", "/app/api.mjs"),
            ("/app/api.mjs", "/app/leaf.mjs"),
        ],
    );
    let paths = ["/app/leaf.mjs", "/app/api.mjs"];
    assert_eq!(r.bump(&paths).unwrap(), vec![1, 1]);
    // The swap imports its boundary by the new URL, and the new api imports the new leaf.
    assert_eq!(r.resolve(None, "/app/api.mjs", 1), 1);
    assert_eq!(r.resolve(Some(("/app/api.mjs", 1)), "/app/leaf.mjs", 0), 1);
    // The app (main, or the old api instance) still gets the committed versions.
    assert_eq!(r.resolve(Some(("/app/main.mjs", 0)), "/app/api.mjs", 0), 0);
    assert_eq!(r.resolve(Some(("/app/api.mjs", 0)), "/app/leaf.mjs", 0), 0);
    assert_eq!(r.resolve(None, "/app/leaf.mjs", 0), 0);
    r.commit(&paths);
    assert_eq!(r.resolve(Some(("/app/main.mjs", 0)), "/app/api.mjs", 0), 1);
    assert_eq!(r.resolve(None, "/app/leaf.mjs", 0), 1);
}

#[test]
fn a_rolled_back_swap_leaves_every_import_on_the_committed_version() {
    let mut r = registry_of(&["/app/main.mjs"], &[("/app/main.mjs", "/app/leaf.mjs")]);
    r.bump(&["/app/leaf.mjs"]).unwrap();
    r.commit(&["/app/leaf.mjs"]);
    assert_eq!(r.bump(&["/app/leaf.mjs"]).unwrap(), vec![2]);
    assert_eq!(r.resolve(Some(("/app/main.mjs", 0)), "/app/leaf.mjs", 0), 1);
    r.restore(&["/app/leaf.mjs"], &[1]).unwrap();
    assert_eq!(
        r.resolve(None, "/app/leaf.mjs", 2),
        1,
        "a URL of the discarded version resolves to the committed one"
    );
    assert_eq!(r.resolve(Some(("/app/main.mjs", 0)), "/app/leaf.mjs", 0), 1);
    assert_eq!(r.version_of("/app/leaf.mjs"), 1);
}

#[test]
fn is_imported_follows_the_current_version_of_importers() {
    let mut registry = EsmRegistry::new();
    registry.record_import(Some(("/app/a.mjs", 0)), "/app/config.cjs");
    assert!(registry.is_imported("/app/config.cjs"));
    assert!(
        !registry.is_imported("/app/a.mjs"),
        "nothing imports the entry"
    );
    assert!(!registry.is_imported("/app/unknown.cjs"));
    // Version 1 of a.mjs no longer imports config.cjs.
    registry.bump(&["/app/a.mjs"]).unwrap();
    registry.record_import(Some(("/app/a.mjs", 1)), "/app/other.mjs");
    assert!(!registry.is_imported("/app/config.cjs"));
    assert!(registry.is_imported("/app/other.mjs"));
}

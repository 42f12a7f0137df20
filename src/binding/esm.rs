//! The ES module registry (`crate::esm`), one process-wide instance shared by the main thread
//! and the loader-hooks thread. Functions rather than a class: the hooks thread has no handle to
//! an object created on the main thread.

// Only the generated registration calls these functions.
#![cfg_attr(test, allow(dead_code))]

use super::coded;
use super::graph::guarded;
use crate::esm::{now_ms, registry, EsmError, EsmPlan, Stamp, UnacceptedReason};
use napi::bindgen_prelude::Float64Array;
use napi::Result;
use napi_derive::napi;
use rustc_hash::FxHashMap;

fn esm_error(error: EsmError) -> napi::Error {
    let code = match error {
        EsmError::Dependency(_) => "ERR_MODSWAP_ESM_DEPENDENCY",
        EsmError::UnknownVersion { .. } => "ERR_MODSWAP_INVALID_ARG",
    };
    coded(code, error.to_string())
}

/// The version `path` resolves to: 0 when it was never swapped or is unknown.
#[napi]
pub fn esm_version_of(path: String) -> Result<u32> {
    guarded("esmVersionOf", || Ok(registry().lock().version_of(&path)))
}

/// Whether the loader hooks ever recorded `path`: an ES module, or a CommonJS file an import
/// reached (the ESM loader pins those).
#[napi]
pub fn esm_knows(path: String) -> Result<bool> {
    guarded("esmKnows", || Ok(registry().lock().knows(&path)))
}

/// Records that version `parent_version` of `parent_path` imports `child_path` (no parent: an
/// entry point) and returns the version `child_path` resolves to (`requested_version`: the one
/// the URL names, if any; see `EsmRegistry::resolve`). Called by the loader hooks for every ES
/// module they resolve: one call per resolution.
#[napi]
pub fn esm_record_import(
    parent_path: Option<String>,
    parent_version: u32,
    child_path: String,
    requested_version: Option<u32>,
) -> Result<u32> {
    guarded("esmRecordImport", || {
        let parent = parent_path.as_deref().map(|p| (p, parent_version));
        let now = now_ms();
        let mut registry = registry().lock();
        registry.record_import_at(parent, &child_path, now);
        Ok(registry.resolve(parent, &child_path, requested_version.unwrap_or(0)))
    })
}

/// Makes the new versions of `paths` the ones every import resolves to (a swap committed).
#[napi]
pub fn esm_commit(paths: Vec<String>) -> Result<()> {
    guarded("esmCommit", || {
        registry().lock().commit(&paths);
        Ok(())
    })
}

/// What a change of ES modules needs.
#[napi(object, js_name = "EsmPlan")]
pub struct BindingEsmPlan {
    /// Whether boundaries can take the change by being imported again.
    pub accepted: bool,
    /// Accepted: the files to give a new version, changed files first.
    pub paths: Vec<String>,
    /// Accepted: the files among `paths` to import again.
    pub boundaries: Vec<String>,
    /// Unaccepted: `'entry'` (a module nothing imports) or `'dependency'` (a package importer).
    pub reason: Option<String>,
    /// Unaccepted: the file where the walk up to importers ended without a boundary.
    pub root: Option<String>,
    /// Unaccepted: the importers from a changed file to `root`.
    pub chain: Vec<String>,
}

/// Plans a swap of `changed` stopping at `boundaries` (absolute paths both).
#[napi]
pub fn esm_plan(changed: Vec<String>, boundaries: Vec<String>) -> Result<BindingEsmPlan> {
    guarded("esmPlan", || {
        Ok(match registry().lock().plan(&changed, &boundaries) {
            EsmPlan::Swap { paths, boundaries } => BindingEsmPlan {
                accepted: true,
                paths,
                boundaries,
                reason: None,
                root: None,
                chain: Vec::new(),
            },
            EsmPlan::Unaccepted {
                reason,
                root,
                chain,
            } => BindingEsmPlan {
                accepted: false,
                paths: Vec::new(),
                boundaries: Vec::new(),
                reason: Some(
                    match reason {
                        UnacceptedReason::Entry => "entry",
                        UnacceptedReason::Dependency => "dependency",
                    }
                    .to_owned(),
                ),
                root: Some(root),
                chain,
            },
        })
    })
}

/// Now, with the GCs the caller counted so far (unknown: none survived).
fn stamp(gc_count: Option<f64>) -> Stamp {
    Stamp {
        now: now_ms(),
        gc_count: gc_count.unwrap_or(f64::NAN),
    }
}

/// Gives each of `paths` a new version and returns them (`ERR_MODSWAP_ESM_DEPENDENCY` for a
/// file inside node_modules, changing nothing). `gc_count`: GCs counted so far, to tell how many
/// the replaced versions survive.
#[napi]
pub fn esm_bump(paths: Vec<String>, gc_count: Option<f64>) -> Result<Vec<u32>> {
    guarded("esmBump", || {
        registry()
            .lock()
            .bump_at(&paths, stamp(gc_count))
            .map_err(esm_error)
    })
}

/// Sets `paths` back to `versions` (a failed swap's rollback); the versions left behind are
/// failed ones.
#[napi]
pub fn esm_restore(paths: Vec<String>, versions: Vec<u32>, gc_count: Option<f64>) -> Result<()> {
    guarded("esmRestore", || {
        if paths.len() != versions.len() {
            return Err(coded(
                "ERR_MODSWAP_INVALID_ARG",
                format!("{} paths but {} versions", paths.len(), versions.len()),
            ));
        }
        registry()
            .lock()
            .restore_at(&paths, &versions, stamp(gc_count))
            .map_err(esm_error)
    })
}

/// The files whose current version imports `path`, sorted.
#[napi]
pub fn esm_importers_of(path: String) -> Result<Vec<String>> {
    guarded("esmImportersOf", || {
        Ok(registry().lock().importers_of(&path))
    })
}

/// The files among `paths` that some current ES module version imports: one call for a whole
/// CommonJS swap's retired files (the ESM loader pins what it imported of those).
#[napi]
pub fn esm_imported(paths: Vec<String>) -> Result<Vec<String>> {
    guarded("esmImported", || {
        let registry = registry().lock();
        Ok(paths
            .into_iter()
            .filter(|path| registry.is_imported(path))
            .collect())
    })
}

/// Flags of a row of `esmGenerations`.
const ROW_CURRENT: f64 = 1.0;
const ROW_FAILED: f64 = 2.0;

/// Every version of `path` the loader loaded, oldest first, flat: `[version, loadedAt, flags]`
/// per version (flags: 1 current, 2 failed).
#[napi]
pub fn esm_generations(path: String) -> Result<Float64Array> {
    guarded("esmGenerations", || {
        let rows = registry().lock().generations(&path);
        let mut flat = Vec::with_capacity(rows.len() * 3);
        for row in rows {
            let flags = if row.current { ROW_CURRENT } else { 0.0 }
                + if row.failed { ROW_FAILED } else { 0.0 };
            flat.extend([f64::from(row.version), row.loaded_at, flags]);
        }
        Ok(Float64Array::new(flat))
    })
}

/// The loaded versions that are no longer current, oldest retirement first.
#[napi(object, js_name = "EsmPinned")]
pub struct BindingEsmPinned {
    /// The files the rows name.
    pub files: Vec<String>,
    /// `[file index, version, ageMs, gcsSurvived, failed (0/1)]` per row.
    pub rows: Float64Array,
}

/// Versions the ESM loader keeps that are not current; `now` in ms since the epoch, `gc_count`
/// the GCs counted so far.
#[napi]
pub fn esm_pinned(now: f64, gc_count: f64) -> Result<BindingEsmPinned> {
    guarded("esmPinned", || {
        let pinned = registry().lock().pinned(Stamp { now, gc_count });
        let mut files: Vec<String> = Vec::new();
        let mut index_of: FxHashMap<String, usize> = FxHashMap::default();
        let mut rows = Vec::with_capacity(pinned.len() * 5);
        for row in pinned {
            let index = *index_of.entry(row.path).or_insert_with_key(|path| {
                files.push(path.clone());
                files.len() - 1
            });
            rows.extend([
                index as f64,
                f64::from(row.version),
                row.age_ms,
                row.gcs_survived,
                if row.failed { 1.0 } else { 0.0 },
            ]);
        }
        Ok(BindingEsmPinned {
            files,
            rows: Float64Array::new(rows),
        })
    })
}

/// Every file the hooks resolved outside `node_modules`, sorted: what the swap signal stats.
#[napi]
pub fn esm_project_files() -> Result<Vec<String>> {
    guarded("esmProjectFiles", || Ok(registry().lock().project_files()))
}

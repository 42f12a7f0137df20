//! The ES module registry behind modswap's ESM swaps.
//!
//! Node's ESM loader keeps every module record it has evaluated, keyed by URL, for the life of
//! the process: a module cannot be evaluated again under the same URL. A swap therefore gives the
//! changed file, and every importer up to a boundary, a new *version*: the loader hooks resolve
//! the file to `file:///…?modswap=<version>`, a URL the loader has never seen, and the boundary
//! imports that URL again. Modules outside that path keep resolving to the URL they had, so they
//! keep their instance.
//!
//! This registry is shared by every thread of the process (a `static`): Node 20's
//! `module.register` runs the hooks on a thread of their own, while swaps are planned on the main
//! thread. It holds, per file path:
//! - the current version (0: never swapped, the plain URL) and the last version handed out
//!   (versions are never reused: the loader keeps a failed version's record and its error);
//! - the importee paths each version of the file resolved, as the hooks report them. Imports of
//!   CommonJS files are recorded too (never versioned): the ESM loader pins their exports, so
//!   the JS side refuses to swap a CommonJS file that has ES importers;
//! - the life of each version: when the hooks first resolved it (the loader loaded it then), and
//!   when and how it stopped being current (replaced by a swap, or rolled back as a failed swap's
//!   version). The loader keeps every version it loaded, so each is a row of `generations()` and,
//!   once replaced, of `stale()` (state `pinned`).
//!
//! Packages under `node_modules` are never versioned. Nothing here touches JS values.

#[cfg(test)]
mod generation_tests;
#[cfg(test)]
mod tests;

use crate::graph::is_dependency;
use parking_lot::Mutex;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::VecDeque;
use std::fmt;
use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

type FileId = u32;

/// Why a swap cannot be applied by re-importing boundaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnacceptedReason {
    /// The walk up from the change reached a module that nothing imports (the entry, or a module
    /// imported only from outside the hooks' view) and that is not a boundary.
    Entry,
    /// The walk reached an importer inside `node_modules`, which is never evaluated again.
    Dependency,
}

/// What a change needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EsmPlan {
    /// Give each of `paths` a new version (the changed files first, then their importers in the
    /// order the walk found them), then import each of `boundaries` (a subset of `paths`) again.
    /// Both are empty when no changed file was ever imported.
    Swap {
        paths: Vec<String>,
        boundaries: Vec<String>,
    },
    /// Some path from a changed file up through its importers ends at `root` with no boundary on
    /// the way; `chain` is that path, from the changed file to `root`.
    Unaccepted {
        reason: UnacceptedReason,
        root: String,
        chain: Vec<String>,
    },
}

/// A misuse of the registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EsmError {
    /// `node_modules` files are never versioned.
    Dependency(String),
    /// A version that was never handed out for this path.
    UnknownVersion { path: String, version: u32 },
}

impl fmt::Display for EsmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EsmError::Dependency(path) => {
                write!(
                    f,
                    "{path} is inside node_modules: packages are never versioned"
                )
            }
            EsmError::UnknownVersion { path, version } => {
                write!(f, "version {version} of {path} was never handed out")
            }
        }
    }
}

impl std::error::Error for EsmError {}

#[derive(Debug)]
struct FileEntry {
    path: String,
    dependency: bool,
    /// The newest version (0: the plain URL): during a swap, the one being evaluated.
    current: u32,
    /// The version of the last committed swap: what an import from outside a swap in flight
    /// resolves to, so that it never waits on (or fails with) a version that may be rolled back.
    committed: u32,
    /// The last version handed out.
    latest: u32,
    /// Importees resolved by each version of this file.
    imports: FxHashMap<u32, FxHashSet<FileId>>,
    /// `(importer, importer's version)` for every recorded edge into this file.
    importers: FxHashSet<(FileId, u32)>,
    /// The life of each version handed out, indexed by version (`latest + 1` entries).
    lives: Vec<VersionLife>,
}

/// When a version was loaded and when it stopped being current. NaN for what has not happened.
#[derive(Clone, Copy, Debug, PartialEq)]
struct VersionLife {
    /// Ms since the epoch of the first resolution to this version: NaN while the loader never
    /// asked for it (a version bumped by a swap that failed before reaching it costs nothing).
    loaded_at: f64,
    /// Ms since the epoch at which a swap replaced it or rolled it back.
    retired_at: f64,
    /// Garbage collections counted (by the caller) at `retired_at`.
    gcs_at_retire: f64,
    /// Rolled back: the version of a failed swap.
    failed: bool,
}

impl VersionLife {
    const UNLOADED: Self = Self {
        loaded_at: f64::NAN,
        retired_at: f64::NAN,
        gcs_at_retire: f64::NAN,
        failed: false,
    };

    fn loaded(&self) -> bool {
        !self.loaded_at.is_nan()
    }

    fn retire(&mut self, at: Stamp, failed: bool) {
        self.retired_at = at.now;
        self.gcs_at_retire = at.gc_count;
        self.failed = failed;
    }
}

/// A moment of a swap: wall-clock time (ms since the epoch) and the GCs counted so far.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stamp {
    pub now: f64,
    pub gc_count: f64,
}

impl Stamp {
    /// Now, with an unknown GC count (counted as 0 survived).
    pub fn now() -> Self {
        Self {
            now: now_ms(),
            gc_count: f64::NAN,
        }
    }
}

/// Wall-clock ms since the Unix epoch (what `Date.now()` reads).
pub fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// One version the loader loaded: a row of `generations()`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EsmGeneration {
    /// The version (0: the plain URL); the generation number is `version + 1`.
    pub version: u32,
    pub loaded_at: f64,
    /// The version the hooks resolve the file to; every other one is pinned by the loader.
    pub current: bool,
    /// Rolled back: the version of a failed swap.
    pub failed: bool,
}

/// A loaded version that is no longer current: the ESM loader keeps it for the life of the
/// process. A row of `stale()`.
#[derive(Clone, Debug, PartialEq)]
pub struct EsmPinned {
    pub path: String,
    pub version: u32,
    /// Ms since it was replaced or rolled back.
    pub age_ms: f64,
    /// GCs since then (0 when either count is unknown).
    pub gcs_survived: f64,
    pub failed: bool,
}

/// Versions and import edges of every ES module the hooks resolved.
#[derive(Debug, Default)]
pub struct EsmRegistry {
    ids: FxHashMap<String, FileId>,
    files: Vec<FileEntry>,
}

/// Counters for diagnostics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EsmStats {
    /// Files seen.
    pub files: usize,
    /// Edges recorded, over every version.
    pub edges: usize,
    /// Files whose current version is above 0.
    pub versioned: usize,
}

impl EsmRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    fn id(&self, path: &str) -> Option<FileId> {
        self.ids.get(path).copied()
    }

    fn intern(&mut self, path: &str) -> FileId {
        if let Some(id) = self.id(path) {
            return id;
        }
        let id = self.files.len() as FileId;
        self.files.push(FileEntry {
            path: path.to_owned(),
            dependency: is_dependency(path),
            current: 0,
            committed: 0,
            latest: 0,
            imports: FxHashMap::default(),
            importers: FxHashSet::default(),
            lives: vec![VersionLife::UNLOADED],
        });
        self.ids.insert(path.to_owned(), id);
        id
    }

    /// Whether the hooks ever resolved `path`.
    pub fn knows(&self, path: &str) -> bool {
        self.id(path).is_some()
    }

    /// The version `path` resolves to: 0 when it was never swapped (or is unknown).
    pub fn version_of(&self, path: &str) -> u32 {
        self.id(path)
            .map_or(0, |id| self.files[id as usize].current)
    }

    /// Records that version `parent_version` of `parent` imports `child` (`parent` None: an
    /// entry point, resolved with no importer). Imports of `node_modules` files are not kept as
    /// edges: nothing is versioned through them.
    pub fn record_import(&mut self, parent: Option<(&str, u32)>, child: &str) {
        self.record_import_at(parent, child, now_ms());
    }

    /// [`Self::record_import`], `now` (ms since the epoch) being the time of the resolution: the
    /// first resolution to a version dates its load.
    pub fn record_import_at(&mut self, parent: Option<(&str, u32)>, child: &str, now: f64) {
        let child_id = self.intern(child);
        let file = &mut self.files[child_id as usize];
        let life = &mut file.lives[file.current as usize];
        if !life.loaded() {
            life.loaded_at = now;
        }
        let Some((parent, version)) = parent else {
            return;
        };
        if self.files[child_id as usize].dependency || parent == child {
            return;
        }
        let parent_id = self.intern(parent);
        let added = self.files[parent_id as usize]
            .imports
            .entry(version)
            .or_default()
            .insert(child_id);
        if added {
            self.files[child_id as usize]
                .importers
                .insert((parent_id, version));
        }
    }

    /// The version an import of `child` resolves to: the newest one, except while a swap of
    /// `child` is in flight (its new version not committed yet), when only that swap's own
    /// imports get it: an importer in flight too (`parent` at its newest version), or a URL that
    /// names the new version (`requested`: the swap importing its boundary). Every other import
    /// gets the committed version.
    pub fn resolve(&self, parent: Option<(&str, u32)>, child: &str, requested: u32) -> u32 {
        let Some(id) = self.id(child) else {
            return 0;
        };
        let file = &self.files[id as usize];
        if file.current == file.committed || requested == file.current {
            return file.current;
        }
        let parent_in_flight = parent
            .and_then(|(path, version)| self.id(path).map(|p| (&self.files[p as usize], version)))
            .is_some_and(|(p, version)| p.current != p.committed && version == p.current);
        if parent_in_flight {
            file.current
        } else {
            file.committed
        }
    }

    /// Makes the new versions of `paths` the ones every import resolves to (a swap committed).
    pub fn commit<S: AsRef<str>>(&mut self, paths: &[S]) {
        for path in paths {
            if let Some(id) = self.id(path.as_ref()) {
                let file = &mut self.files[id as usize];
                file.committed = file.current;
            }
        }
    }

    /// The importers of `id` whose current version imports it.
    fn current_importers(&self, id: FileId) -> Vec<FileId> {
        let mut importers: Vec<FileId> = self.files[id as usize]
            .importers
            .iter()
            .filter(|&&(parent, version)| self.files[parent as usize].current == version)
            .map(|&(parent, _)| parent)
            .collect();
        importers.sort_unstable();
        importers.dedup();
        importers
    }

    /// Whether the current version of some file imports `path`.
    pub fn is_imported(&self, path: &str) -> bool {
        self.id(path).is_some_and(|id| {
            self.files[id as usize]
                .importers
                .iter()
                .any(|&(parent, version)| self.files[parent as usize].current == version)
        })
    }

    /// Current importers of `path`, sorted.
    pub fn importers_of(&self, path: &str) -> Vec<String> {
        let Some(id) = self.id(path) else {
            return Vec::new();
        };
        let mut paths: Vec<String> = self
            .current_importers(id)
            .into_iter()
            .map(|p| self.files[p as usize].path.clone())
            .collect();
        paths.sort();
        paths
    }

    /// Plans a swap of `changed`: every changed file the hooks resolved (outside
    /// `node_modules`) and each importer of their current versions, transitively, stopping at
    /// `boundaries` (which are included). Unaccepted when some path of importers ends without a
    /// boundary. Cycles are walked once.
    pub fn plan<S: AsRef<str>, B: AsRef<str>>(&self, changed: &[S], boundaries: &[B]) -> EsmPlan {
        let stop: FxHashSet<FileId> = boundaries
            .iter()
            .filter_map(|b| self.id(b.as_ref()))
            .collect();
        // Breadth-first, with the file each was reached from, to name the chain of a refusal.
        let mut reached_from: FxHashMap<FileId, Option<FileId>> = FxHashMap::default();
        let mut queue = VecDeque::new();
        let mut order = Vec::new();
        for path in changed {
            let Some(id) = self.id(path.as_ref()) else {
                continue;
            };
            if self.files[id as usize].dependency || reached_from.contains_key(&id) {
                continue;
            }
            reached_from.insert(id, None);
            queue.push_back(id);
        }
        let mut stops = Vec::new();
        while let Some(id) = queue.pop_front() {
            order.push(id);
            if stop.contains(&id) {
                stops.push(id);
                continue;
            }
            let importers = self.current_importers(id);
            if importers.is_empty() {
                return self.unaccepted(UnacceptedReason::Entry, id, &reached_from);
            }
            for importer in importers {
                if reached_from.contains_key(&importer) {
                    continue;
                }
                reached_from.insert(importer, Some(id));
                if self.files[importer as usize].dependency {
                    return self.unaccepted(UnacceptedReason::Dependency, importer, &reached_from);
                }
                queue.push_back(importer);
            }
        }
        // A cycle that nothing outside it imports ends nowhere: each planned file must reach a
        // boundary, which re-imports it.
        if let Some(stranded) = self.first_without_boundary(&order, &stops) {
            return self.unaccepted(UnacceptedReason::Entry, stranded, &reached_from);
        }
        let name = |id: FileId| self.files[id as usize].path.clone();
        EsmPlan::Swap {
            paths: order.into_iter().map(name).collect(),
            boundaries: stops.into_iter().map(name).collect(),
        }
    }

    /// The first of `planned` that no boundary reaches through current imports within the plan.
    fn first_without_boundary(&self, planned: &[FileId], stops: &[FileId]) -> Option<FileId> {
        let in_plan: FxHashSet<FileId> = planned.iter().copied().collect();
        let mut covered: FxHashSet<FileId> = stops.iter().copied().collect();
        let mut queue: VecDeque<FileId> = stops.iter().copied().collect();
        while let Some(id) = queue.pop_front() {
            let file = &self.files[id as usize];
            let Some(importees) = file.imports.get(&file.current) else {
                continue;
            };
            for &child in importees {
                if in_plan.contains(&child) && covered.insert(child) {
                    queue.push_back(child);
                }
            }
        }
        planned.iter().copied().find(|id| !covered.contains(id))
    }

    fn unaccepted(
        &self,
        reason: UnacceptedReason,
        root: FileId,
        reached_from: &FxHashMap<FileId, Option<FileId>>,
    ) -> EsmPlan {
        let mut chain = vec![root];
        let mut at = root;
        while let Some(&Some(from)) = reached_from.get(&at) {
            chain.push(from);
            at = from;
        }
        chain.reverse();
        EsmPlan::Unaccepted {
            reason,
            root: self.files[root as usize].path.clone(),
            chain: chain
                .into_iter()
                .map(|id| self.files[id as usize].path.clone())
                .collect(),
        }
    }

    /// Gives each of `paths` a new version, never handed out before, and returns them in order.
    /// Refuses (changing nothing) a path inside `node_modules`.
    pub fn bump<S: AsRef<str>>(&mut self, paths: &[S]) -> Result<Vec<u32>, EsmError> {
        self.bump_at(paths, Stamp::now())
    }

    /// [`Self::bump`] at `at`: the versions it replaces retire then.
    pub fn bump_at<S: AsRef<str>>(&mut self, paths: &[S], at: Stamp) -> Result<Vec<u32>, EsmError> {
        if let Some(dep) = paths.iter().find(|p| is_dependency(p.as_ref())) {
            return Err(EsmError::Dependency(dep.as_ref().to_owned()));
        }
        Ok(paths
            .iter()
            .map(|path| {
                let id = self.intern(path.as_ref());
                let file = &mut self.files[id as usize];
                file.lives[file.current as usize].retire(at, false);
                file.latest += 1;
                file.current = file.latest;
                file.lives.push(VersionLife::UNLOADED);
                file.current
            })
            .collect())
    }

    /// Sets the current version of each of `paths` back to `versions` (a failed swap's rollback).
    /// Refuses (changing nothing) a version that was never handed out.
    pub fn restore<S: AsRef<str>>(
        &mut self,
        paths: &[S],
        versions: &[u32],
    ) -> Result<(), EsmError> {
        self.restore_at(paths, versions, Stamp::now())
    }

    /// [`Self::restore`] at `at`: the versions left behind retire then, as failed; the restored
    /// ones are current again.
    pub fn restore_at<S: AsRef<str>>(
        &mut self,
        paths: &[S],
        versions: &[u32],
        at: Stamp,
    ) -> Result<(), EsmError> {
        for (path, &version) in paths.iter().zip(versions) {
            let latest = self
                .id(path.as_ref())
                .map_or(0, |id| self.files[id as usize].latest);
            if version > latest {
                return Err(EsmError::UnknownVersion {
                    path: path.as_ref().to_owned(),
                    version,
                });
            }
        }
        for (path, &version) in paths.iter().zip(versions) {
            let id = self.intern(path.as_ref());
            let file = &mut self.files[id as usize];
            file.committed = version;
            if file.current == version {
                continue;
            }
            file.lives[file.current as usize].retire(at, true);
            file.lives[version as usize] = VersionLife {
                retired_at: f64::NAN,
                gcs_at_retire: f64::NAN,
                failed: false,
                ..file.lives[version as usize]
            };
            file.current = version;
        }
        Ok(())
    }

    /// Every version of `path` the loader loaded, oldest first (empty for an unknown file).
    pub fn generations(&self, path: &str) -> Vec<EsmGeneration> {
        let Some(id) = self.id(path) else {
            return Vec::new();
        };
        let file = &self.files[id as usize];
        (0u32..)
            .zip(&file.lives)
            .filter(|(_, life)| life.loaded())
            .map(|(version, life)| EsmGeneration {
                version,
                loaded_at: life.loaded_at,
                current: version == file.current,
                failed: life.failed,
            })
            .collect()
    }

    /// Every loaded version that is not current, over all files, oldest retirement first; `at`
    /// is now.
    pub fn pinned(&self, at: Stamp) -> Vec<EsmPinned> {
        let mut rows: Vec<(f64, EsmPinned)> = Vec::new();
        for file in &self.files {
            for (version, life) in (0u32..).zip(&file.lives) {
                if version == file.current || !life.loaded() || life.retired_at.is_nan() {
                    continue;
                }
                let survived = at.gc_count - life.gcs_at_retire;
                rows.push((
                    life.retired_at,
                    EsmPinned {
                        path: file.path.clone(),
                        version,
                        age_ms: (at.now - life.retired_at).max(0.0),
                        gcs_survived: if survived.is_nan() {
                            0.0
                        } else {
                            survived.max(0.0)
                        },
                        failed: life.failed,
                    },
                ));
            }
        }
        rows.sort_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then_with(|| a.1.path.cmp(&b.1.path))
                .then(a.1.version.cmp(&b.1.version))
        });
        rows.into_iter().map(|(_, row)| row).collect()
    }

    /// Every file the hooks resolved outside `node_modules` (importers included), sorted.
    pub fn project_files(&self) -> Vec<String> {
        let mut paths: Vec<String> = self
            .files
            .iter()
            .filter(|f| !f.dependency)
            .map(|f| f.path.clone())
            .collect();
        paths.sort();
        paths
    }

    /// Size counters.
    pub fn stats(&self) -> EsmStats {
        EsmStats {
            files: self.files.len(),
            edges: self
                .files
                .iter()
                .map(|f| f.imports.values().map(FxHashSet::len).sum::<usize>())
                .sum(),
            versioned: self.files.iter().filter(|f| f.current > 0).count(),
        }
    }
}

static REGISTRY: LazyLock<Mutex<EsmRegistry>> = LazyLock::new(|| Mutex::new(EsmRegistry::new()));

/// The registry of this process, shared by the main thread and the loader-hooks thread.
pub fn registry() -> &'static Mutex<EsmRegistry> {
    &REGISTRY
}

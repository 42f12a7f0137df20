//! What the watcher knows is on disk, and the net changes since: each batch's paths are looked
//! at once, after the burst, and compared with what was known before it.

use super::error::{WatchError, WatchErrorKind};
use super::fsview::{Entry, FsProbe};
use super::rules::Rules;
use super::{Change, ChangeKind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Adds and removes the OS watch of one directory (not recursive: the tree walks itself, so
/// ignored directories never cost a watch).
pub trait DirWatches {
    /// Starts watching the entries directly in `dir`.
    fn watch(&mut self, dir: &Path) -> Result<(), WatchError>;
    /// Stops watching `dir`; a watch already gone is not an error.
    fn unwatch(&mut self, dir: &Path);
}

/// The files and directories under the roots as last seen, with the changes found by comparing
/// them with the disk.
#[derive(Debug, Default)]
pub struct KnownTree {
    /// Ordered by components, so a directory's descendants directly follow it.
    entries: BTreeMap<PathBuf, Entry>,
}

/// Changes and errors found by one pass over a batch.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    /// Net changes, one per path, sorted by path.
    pub changes: Vec<Change>,
    /// Watches that could not be added (a new directory over the watch limit, …).
    pub errors: Vec<WatchError>,
}

impl KnownTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `path` is known as a file.
    pub fn knows_file(&self, path: &Path) -> bool {
        matches!(self.entries.get(path), Some(Entry::File(_)))
    }

    /// How many files are known.
    pub fn file_count(&self) -> usize {
        self.entries.values().filter(|e| !e.is_dir()).count()
    }

    /// Watches `root` and every directory under it that the rules keep, and records what is
    /// there without reporting it. Fails when the root is missing or not a directory, or when
    /// a watch cannot be added.
    pub fn add_root(
        &mut self,
        root: &Path,
        fs: &impl FsProbe,
        watches: &mut impl DirWatches,
        rules: &Rules,
    ) -> Result<(), WatchError> {
        match fs.entry(root) {
            None => {
                return Err(WatchError::new(
                    WatchErrorKind::NotFound,
                    root,
                    "no such directory",
                ))
            }
            Some(Entry::File(_)) => {
                return Err(WatchError::new(WatchErrorKind::Io, root, "not a directory"))
            }
            Some(Entry::Dir) => {}
        }
        let mut scan = Scan::quiet();
        self.discover(root, fs, watches, rules, &mut scan);
        match scan.errors.into_iter().next() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Looks at each of `paths` (a batch's touched paths) on disk and reports the net change of
    /// every file concerned; directories that appeared are watched and walked, vanished ones
    /// unwatched with every file under them removed.
    pub fn apply(
        &mut self,
        paths: &[PathBuf],
        fs: &impl FsProbe,
        watches: &mut impl DirWatches,
        rules: &Rules,
    ) -> Outcome {
        let mut sorted = paths.to_vec();
        sorted.sort(); // parents before children: a new directory is walked before its files
        sorted.dedup();
        let observed: Vec<(PathBuf, Option<Entry>)> = sorted
            .into_iter()
            .map(|path| {
                let now = self.observe(&path, fs, rules);
                (path, now)
            })
            .collect();
        let mut scan = Scan::reporting();
        // Vanished directories go first: a directory moved within the tree keeps its inode,
        // and the old path's watch must be dropped before the new path watches that inode.
        for (path, now) in &observed {
            let was_dir = matches!(self.entries.get(path), Some(Entry::Dir));
            if was_dir && !now.is_some_and(Entry::is_dir) {
                self.forget_dir(path, watches, &mut scan);
            }
        }
        for (path, now) in observed {
            self.apply_one(&path, now, fs, watches, rules, &mut scan);
        }
        scan.into_outcome()
    }

    /// What is at `path` now, if the rules keep it.
    fn observe(&self, path: &Path, fs: &impl FsProbe, rules: &Rules) -> Option<Entry> {
        fs.entry(path).filter(|entry| match entry {
            Entry::Dir => rules.watches_dir(path),
            Entry::File(_) => rules.reports_file(path),
        })
    }

    /// Compares everything under `roots` with the disk, after events were lost (the OS queue
    /// overflowed): files added or removed, and files whose size or mtime differ, are reported.
    pub fn rescan(
        &mut self,
        roots: &[PathBuf],
        fs: &impl FsProbe,
        watches: &mut impl DirWatches,
        rules: &Rules,
    ) -> Outcome {
        let mut scan = Scan::reporting();
        for root in roots {
            self.resync(root, fs, watches, rules, &mut scan);
        }
        scan.into_outcome()
    }

    fn apply_one(
        &mut self,
        path: &Path,
        now: Option<Entry>,
        fs: &impl FsProbe,
        watches: &mut impl DirWatches,
        rules: &Rules,
        scan: &mut Scan,
    ) {
        let before = self.entries.get(path).copied();
        if before.is_none() && now.is_some() && !self.parent_known(path) {
            return; // under a directory that is gone or not watched: stale event
        }
        match (before, now) {
            (None, None) => {} // came and went within the batch: a temp file
            (Some(Entry::File(_)), None) => {
                self.entries.remove(path);
                scan.record(path, ChangeKind::Remove);
            }
            (Some(Entry::File(_)), Some(Entry::File(stamp))) => {
                self.entries.insert(path.to_path_buf(), Entry::File(stamp));
                scan.record(path, ChangeKind::Change);
            }
            (None, Some(Entry::File(stamp))) => {
                self.entries.insert(path.to_path_buf(), Entry::File(stamp));
                scan.record(path, ChangeKind::Add);
            }
            (Some(Entry::Dir), None) => self.forget_dir(path, watches, scan),
            (Some(Entry::Dir), Some(Entry::Dir)) => self.resync(path, fs, watches, rules, scan),
            (None, Some(Entry::Dir)) => self.discover(path, fs, watches, rules, scan),
            (Some(Entry::File(_)), Some(Entry::Dir)) => {
                self.entries.remove(path);
                scan.record(path, ChangeKind::Remove);
                self.discover(path, fs, watches, rules, scan);
            }
            (Some(Entry::Dir), Some(Entry::File(stamp))) => {
                self.forget_dir(path, watches, scan);
                self.entries.insert(path.to_path_buf(), Entry::File(stamp));
                scan.record(path, ChangeKind::Add);
            }
        }
    }

    fn parent_known(&self, path: &Path) -> bool {
        path.parent()
            .is_some_and(|parent| matches!(self.entries.get(parent), Some(Entry::Dir)))
    }

    /// Watches `dir` and the directories under it, recording the files found (as added, when
    /// the scan reports).
    fn discover(
        &mut self,
        dir: &Path,
        fs: &impl FsProbe,
        watches: &mut impl DirWatches,
        rules: &Rules,
        scan: &mut Scan,
    ) {
        let mut pending = vec![dir.to_path_buf()];
        while let Some(dir) = pending.pop() {
            // Watch before listing: a file created in between is then seen by the listing, the
            // event, or both (and both is still one add).
            match watches.watch(&dir) {
                Ok(()) => {}
                Err(error) if error.kind == WatchErrorKind::NotFound => continue, // already gone
                Err(error) => {
                    let over_limit = error.kind == WatchErrorKind::LimitReached;
                    scan.errors.push(error);
                    if over_limit {
                        return; // every further watch would fail the same way
                    }
                    continue;
                }
            }
            self.entries.insert(dir.clone(), Entry::Dir);
            let Ok(listing) = fs.list(&dir) else {
                continue; // vanished or unreadable since the watch: nothing to record
            };
            for (path, entry) in listing {
                match entry {
                    Entry::Dir if rules.watches_dir(&path) => pending.push(path),
                    Entry::File(_) if rules.reports_file(&path) => {
                        self.found_file(path, entry, scan)
                    }
                    _ => {}
                }
            }
        }
    }

    /// Records a file a walk found; one not known before is added.
    fn found_file(&mut self, path: PathBuf, entry: Entry, scan: &mut Scan) {
        if !self.entries.contains_key(&path) {
            scan.record(&path, ChangeKind::Add);
        }
        self.entries.insert(path, entry);
    }

    /// Drops `dir` and everything known under it: files are removed, directories unwatched.
    fn forget_dir(&mut self, dir: &Path, watches: &mut impl DirWatches, scan: &mut Scan) {
        for (path, entry) in self.take_subtree(dir) {
            match entry {
                Entry::Dir => watches.unwatch(&path),
                Entry::File(_) => scan.record(&path, ChangeKind::Remove),
            }
        }
    }

    /// Walks `dir` again and reports the difference with what was known under it. Every old
    /// watch is dropped first: a directory replaced at the same path is a new inode to watch.
    fn resync(
        &mut self,
        dir: &Path,
        fs: &impl FsProbe,
        watches: &mut impl DirWatches,
        rules: &Rules,
        scan: &mut Scan,
    ) {
        let previous = self.take_subtree(dir);
        for (path, entry) in &previous {
            if entry.is_dir() {
                watches.unwatch(path);
            }
        }
        if fs.entry(dir).is_some_and(Entry::is_dir) {
            // The walk records quietly; what it found is reported by the diff below.
            let reports = std::mem::replace(&mut scan.reports, false);
            self.discover(dir, fs, watches, rules, scan);
            scan.reports = reports;
        }
        for (path, old) in &previous {
            match (old, self.entries.get(path)) {
                (Entry::File(_), None | Some(Entry::Dir)) => scan.record(path, ChangeKind::Remove),
                (Entry::File(a), Some(Entry::File(b))) if a != b => {
                    scan.record(path, ChangeKind::Change)
                }
                _ => {}
            }
        }
        let added: Vec<PathBuf> = self
            .subtree(dir)
            .filter(|(path, entry)| !entry.is_dir() && !previous.contains_key(*path))
            .map(|(path, _)| path.clone())
            .collect();
        for path in added {
            scan.record(&path, ChangeKind::Add);
        }
    }

    fn subtree<'a>(&'a self, dir: &'a Path) -> impl Iterator<Item = (&'a PathBuf, &'a Entry)> {
        self.entries
            .range(dir.to_path_buf()..)
            .take_while(move |(path, _)| path.starts_with(dir))
    }

    fn take_subtree(&mut self, dir: &Path) -> BTreeMap<PathBuf, Entry> {
        let mut below = self.entries.split_off(dir);
        let after: Vec<PathBuf> = below
            .keys()
            .skip_while(|path| path.starts_with(dir))
            .cloned()
            .collect();
        for path in after {
            if let Some(entry) = below.remove(&path) {
                self.entries.insert(path, entry);
            }
        }
        below
    }
}

/// Net changes of one pass, merged per path, and the errors met.
#[derive(Debug, Default)]
struct Scan {
    changes: BTreeMap<PathBuf, ChangeKind>,
    errors: Vec<WatchError>,
    reports: bool,
}

impl Scan {
    /// A scan that reports added files (a batch).
    fn reporting() -> Self {
        Scan {
            reports: true,
            ..Scan::default()
        }
    }

    /// A scan that only records what it finds (the first walk).
    fn quiet() -> Self {
        Scan::default()
    }

    /// Merges `kind` into what is already recorded for `path`: a file removed then added in
    /// one batch was changed; one added then removed never happened.
    fn record(&mut self, path: &Path, kind: ChangeKind) {
        if !self.reports {
            return;
        }
        use ChangeKind::{Add, Change, Remove};
        let merged = match (self.changes.get(path).copied(), kind) {
            (Some(Add), Remove) => None,
            (Some(Add), Change) => Some(Add),
            (Some(Remove), Add | Change) => Some(Change),
            (Some(Change), Add) => Some(Change),
            (_, kind) => Some(kind),
        };
        match merged {
            Some(kind) => self.changes.insert(path.to_path_buf(), kind),
            None => self.changes.remove(path),
        };
    }

    fn into_outcome(self) -> Outcome {
        Outcome {
            changes: self
                .changes
                .into_iter()
                .map(|(path, kind)| Change { path, kind })
                .collect(),
            errors: self.errors,
        }
    }
}

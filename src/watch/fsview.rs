//! The file system as the resolver sees it: what is at a path now, and what a directory holds.
//! A trait, so the coalescing logic is tested on a fake file system without the OS.

use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Size and modification time of a file, to tell after lost events (a rescan) which files
/// changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStamp {
    /// Size in bytes.
    pub len: u64,
    /// Last modification time, when the platform gives one.
    pub modified: Option<SystemTime>,
}

/// What is at a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A file (or a symlink to one).
    File(FileStamp),
    /// A directory (not a symlink to one: those are not followed, so no cycles).
    Dir,
}

impl Entry {
    /// Whether this is a directory.
    pub fn is_dir(self) -> bool {
        matches!(self, Entry::Dir)
    }
}

/// Read access to the file system.
pub trait FsProbe {
    /// What is at `path` now; `None` when nothing is (or it cannot be read).
    fn entry(&self, path: &Path) -> Option<Entry>;
    /// The entries directly in `dir`.
    fn list(&self, dir: &Path) -> io::Result<Vec<(PathBuf, Entry)>>;
}

/// The real file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct RealFs;

impl FsProbe for RealFs {
    fn entry(&self, path: &Path) -> Option<Entry> {
        let meta = std::fs::symlink_metadata(path).ok()?;
        if meta.is_dir() {
            return Some(Entry::Dir);
        }
        // A symlink counts as the file it points to; one to a directory is not followed.
        let meta = if meta.file_type().is_symlink() {
            std::fs::metadata(path).ok().filter(|m| !m.is_dir())?
        } else {
            meta
        };
        Some(Entry::File(FileStamp {
            len: meta.len(),
            modified: meta.modified().ok(),
        }))
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<(PathBuf, Entry)>> {
        let mut entries = Vec::new();
        for item in std::fs::read_dir(dir)? {
            let path = item?.path();
            // Gone between readdir and stat: it is not there.
            if let Some(entry) = self.entry(&path) {
                entries.push((path, entry));
            }
        }
        Ok(entries)
    }
}

//! Watch failures, sorted into the kinds JS gives distinct codes.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Why watching failed; each kind maps to its own stable JS error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchErrorKind {
    /// An OS limit on watches or watcher instances is reached (inotify `ENOSPC` / `EMFILE`).
    LimitReached,
    /// A root does not exist.
    NotFound,
    /// Any other I/O failure (permission, not a directory, …).
    Io,
    /// A bug: the watcher thread panicked.
    Internal,
}

/// A watch failure naming the path it concerns and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchError {
    /// What kind of failure this is.
    pub kind: WatchErrorKind,
    /// The path being watched or read when it failed.
    pub path: PathBuf,
    /// The cause, in words, with the fix when there is a known one.
    pub cause: String,
}

impl fmt::Display for WatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.cause)
    }
}

impl std::error::Error for WatchError {}

/// Linux's `EMFILE`: from `inotify_init` it means `max_user_instances` is used up.
const EMFILE: i32 = 24;

impl WatchError {
    /// A failure of `kind` about `path`.
    pub fn new(kind: WatchErrorKind, path: impl Into<PathBuf>, cause: impl Into<String>) -> Self {
        WatchError {
            kind,
            path: path.into(),
            cause: cause.into(),
        }
    }

    /// The error for a watch refused because the per-user watch limit is reached.
    pub fn watch_limit(path: &Path) -> Self {
        Self::new(
            WatchErrorKind::LimitReached,
            path,
            format!(
                "the system limit on watched directories is reached{}; raise it \
                 (`sudo sysctl fs.inotify.max_user_watches=524288`, kept across reboots in \
                 /etc/sysctl.d/) or ignore more directories",
                current_limit("max_user_watches")
            ),
        )
    }

    /// The error for a watcher that could not be created because the per-user instance limit is
    /// reached.
    pub fn instance_limit(path: &Path) -> Self {
        Self::new(
            WatchErrorKind::LimitReached,
            path,
            format!(
                "the system limit on file watchers per user is reached{}; raise it \
                 (`sudo sysctl fs.inotify.max_user_instances=1024`) or stop other watchers",
                current_limit("max_user_instances")
            ),
        )
    }

    /// Sorts an I/O error about `path` into a kind.
    pub fn from_io(error: &io::Error, path: &Path) -> Self {
        match error.kind() {
            io::ErrorKind::NotFound => {
                Self::new(WatchErrorKind::NotFound, path, "no such directory")
            }
            io::ErrorKind::StorageFull => Self::watch_limit(path),
            _ => Self::new(WatchErrorKind::Io, path, error.to_string()),
        }
    }

    /// Sorts an error from creating the OS watcher (`inotify_init`).
    pub fn from_watcher_init(error: notify::Error, path: &Path) -> Self {
        match &error.kind {
            notify::ErrorKind::Io(io) if io.raw_os_error() == Some(EMFILE) => {
                Self::instance_limit(path)
            }
            _ => Self::from_notify(error, path),
        }
    }

    /// Sorts an error reported by `notify`; `fallback` names the path when notify gives none.
    pub fn from_notify(error: notify::Error, fallback: &Path) -> Self {
        let path = error
            .paths
            .first()
            .map_or(fallback, PathBuf::as_path)
            .to_path_buf();
        match error.kind {
            notify::ErrorKind::MaxFilesWatch => Self::watch_limit(&path),
            notify::ErrorKind::PathNotFound => {
                Self::new(WatchErrorKind::NotFound, path, "no such directory")
            }
            notify::ErrorKind::Io(io) => Self::from_io(&io, &path),
            notify::ErrorKind::Generic(message) => Self::new(WatchErrorKind::Io, path, message),
            other => Self::new(WatchErrorKind::Io, path, format!("{other:?}")),
        }
    }
}

/// The limit in force, as [`limit_note`] words it, from /proc: the machine's
/// (`fs.inotify.NAME`) and, since Linux 5.11, the user namespace's own
/// (`/proc/sys/user/max_inotify_*`), which its owner may set lower.
fn current_limit(name: &str) -> String {
    let read = |path: String| {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|value| value.trim().parse::<u64>().ok())
    };
    let machine = read(format!("/proc/sys/fs/inotify/{name}"));
    let namespace = read(format!(
        "/proc/sys/user/{}",
        name.replace("max_user_", "max_inotify_")
    ));
    limit_note(name, machine, namespace)
}

/// `" (fs.inotify.NAME = value)"`, plus the user namespace's limit when that one is lower (then
/// it is the one reached); nothing when neither is known.
pub(crate) fn limit_note(name: &str, machine: Option<u64>, namespace: Option<u64>) -> String {
    let namespace_name = name.replace("max_user_", "max_inotify_");
    match (machine, namespace) {
        (Some(machine), Some(namespace)) if namespace < machine => format!(
            " (fs.inotify.{name} = {machine}, and {namespace} in this user namespace: \
             user.{namespace_name})"
        ),
        (Some(machine), _) => format!(" (fs.inotify.{name} = {machine})"),
        (None, Some(namespace)) => format!(" (user.{namespace_name} = {namespace})"),
        (None, None) => String::new(),
    }
}

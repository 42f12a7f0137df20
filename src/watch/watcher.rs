//! The watcher thread: receives notify's events, batches them, resolves each batch against the
//! known tree and hands the changes to a callback.

use super::batch::{Batcher, ReadyPaths};
use super::error::{WatchError, WatchErrorKind};
use super::fsview::RealFs;
use super::rules::Rules;
use super::tree::{DirWatches, KnownTree, Outcome};
use super::{Change, WatchConfig};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Instant;

/// What the callback receives: a batch of changes, or an error met while watching (a new
/// directory over the watch limit, lost events, …). Watching goes on after an error.
pub type BatchResult = Result<Vec<Change>, WatchError>;

/// inotify watches one directory's entries per watch, so the tree adds one per directory and
/// ignored directories cost none. FSEvents and Windows watch a whole tree natively: there the
/// roots are watched recursively and ignored paths are dropped as their events arrive.
const WATCH_EACH_DIRECTORY: bool = cfg!(any(target_os = "linux", target_os = "android"));

enum Message {
    Event(notify::Result<notify::Event>),
    Stop,
}

/// A running watcher. Dropping it stops it.
pub struct ProjectWatcher {
    sender: Sender<Message>,
    thread: Option<JoinHandle<()>>,
    roots: Vec<PathBuf>,
}

impl ProjectWatcher {
    /// Watches `config.roots` and calls `on_batch` from the watcher thread with every batch of
    /// changes. Fails at once when a root is missing or the OS refuses a watch; every
    /// directory is watched when this returns, so a change made afterwards is reported.
    pub fn start(
        config: WatchConfig,
        on_batch: impl FnMut(BatchResult) + Send + 'static,
    ) -> Result<Self, WatchError> {
        let roots = resolve_roots(&config.roots)?;
        let rules = Rules::new(&roots, &config.ignore, &config.extensions);
        let (sender, receiver) = channel();
        let events = sender.clone();
        let watcher = notify::recommended_watcher(move |event| {
            // Fails only once the loop has stopped, when nobody wants the event.
            let _ = events.send(Message::Event(event));
        })
        .map_err(|error| WatchError::from_watcher_init(error, &roots[0]))?;
        let mut watches = NotifyWatches {
            watcher,
            roots: roots.clone(),
        };
        let mut tree = KnownTree::new();
        for root in &roots {
            tree.add_root(root, &RealFs, &mut watches, &rules)?;
        }
        let watch_loop = WatchLoop {
            receiver,
            batcher: Batcher::new(config.timing),
            tree,
            watches,
            rules,
            roots: roots.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("modswap-watch".to_owned())
            .spawn(move || watch_loop.run_guarded(on_batch))
            .map_err(|error| WatchError::new(WatchErrorKind::Io, &roots[0], error.to_string()))?;
        Ok(ProjectWatcher {
            sender,
            thread: Some(thread),
            roots,
        })
    }

    /// The watched roots, absolute and with symlinks resolved (the paths changes are under).
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Stops watching and waits for the thread to end; no callback runs after this returns.
    /// Calling it again does nothing.
    pub fn close(&mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = self.sender.send(Message::Stop);
            let _ = thread.join();
        }
    }
}

impl Drop for ProjectWatcher {
    fn drop(&mut self) {
        self.close();
    }
}

/// Roots made absolute with symlinks resolved, as Node names modules; a root inside another
/// root is dropped (its files are watched already).
fn resolve_roots(roots: &[PathBuf]) -> Result<Vec<PathBuf>, WatchError> {
    if roots.is_empty() {
        return Err(WatchError::new(
            WatchErrorKind::Io,
            "",
            "no directory to watch",
        ));
    }
    let mut resolved = Vec::with_capacity(roots.len());
    for root in roots {
        let real = std::fs::canonicalize(root).map_err(|e| WatchError::from_io(&e, root))?;
        if !real.is_dir() {
            return Err(WatchError::new(WatchErrorKind::Io, root, "not a directory"));
        }
        resolved.push(real);
    }
    resolved.sort();
    resolved.dedup();
    let outermost = resolved
        .iter()
        .filter(|root| {
            !resolved
                .iter()
                .any(|other| other != *root && root.starts_with(other))
        })
        .cloned()
        .collect();
    Ok(outermost)
}

/// notify's watcher as the tree's per-directory watches.
struct NotifyWatches {
    watcher: RecommendedWatcher,
    roots: Vec<PathBuf>,
}

impl NotifyWatches {
    /// How `dir` is watched, or `None` when a recursive root watch covers it.
    fn mode_for(&self, dir: &Path) -> Option<RecursiveMode> {
        if WATCH_EACH_DIRECTORY {
            Some(RecursiveMode::NonRecursive)
        } else {
            self.roots
                .iter()
                .any(|r| r == dir)
                .then_some(RecursiveMode::Recursive)
        }
    }
}

impl DirWatches for NotifyWatches {
    fn watch(&mut self, dir: &Path) -> Result<(), WatchError> {
        match self.mode_for(dir) {
            Some(mode) => self
                .watcher
                .watch(dir, mode)
                .map_err(|error| WatchError::from_notify(error, dir)),
            None => Ok(()),
        }
    }

    fn unwatch(&mut self, dir: &Path) {
        if self.mode_for(dir).is_some() {
            // notify drops the watch of a deleted or moved directory itself.
            let _ = self.watcher.unwatch(dir);
        }
    }
}

/// The state the watcher thread owns.
struct WatchLoop {
    receiver: Receiver<Message>,
    batcher: Batcher,
    tree: KnownTree,
    watches: NotifyWatches,
    rules: Rules,
    roots: Vec<PathBuf>,
}

impl WatchLoop {
    /// Runs until stopped; a panic ends watching with an `Internal` error instead of a silent
    /// dead thread.
    fn run_guarded(mut self, mut on_batch: impl FnMut(BatchResult)) {
        let root = self.roots[0].clone();
        let outcome = catch_unwind(AssertUnwindSafe(|| self.run(&mut on_batch)));
        if let Err(payload) = outcome {
            let cause = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "unknown panic".to_owned());
            on_batch(Err(WatchError::new(
                WatchErrorKind::Internal,
                root,
                format!("the watcher thread panicked ({cause}); watching stopped"),
            )));
        }
    }

    fn run(&mut self, on_batch: &mut impl FnMut(BatchResult)) {
        loop {
            match self.next_message() {
                Next::Stop => return,
                Next::Event(Ok(event)) => {
                    let rules = &self.rules;
                    self.batcher
                        .record(&event, Instant::now(), |p| rules.is_ignored(p));
                }
                Next::Event(Err(error)) => {
                    on_batch(Err(WatchError::from_notify(error, &self.roots[0])));
                }
                Next::Timeout => {}
            }
            if let Some(ready) = self.batcher.take_ready(Instant::now()) {
                self.flush(ready, on_batch);
            }
        }
    }

    /// Waits for the next event, or until the batch is due.
    fn next_message(&self) -> Next {
        let received = match self.batcher.deadline() {
            None => self
                .receiver
                .recv()
                .map_err(|_| RecvTimeoutError::Disconnected),
            Some(due) => self
                .receiver
                .recv_timeout(due.saturating_duration_since(Instant::now())),
        };
        match received {
            Ok(Message::Event(event)) => Next::Event(event),
            Ok(Message::Stop) | Err(RecvTimeoutError::Disconnected) => Next::Stop,
            Err(RecvTimeoutError::Timeout) => Next::Timeout,
        }
    }

    fn flush(&mut self, ready: ReadyPaths, on_batch: &mut impl FnMut(BatchResult)) {
        let outcome: Outcome = if ready.rescan {
            self.tree
                .rescan(&self.roots, &RealFs, &mut self.watches, &self.rules)
        } else {
            self.tree
                .apply(&ready.paths, &RealFs, &mut self.watches, &self.rules)
        };
        for error in outcome.errors {
            on_batch(Err(error));
        }
        if !outcome.changes.is_empty() {
            on_batch(Ok(outcome.changes));
        }
    }
}

enum Next {
    Event(notify::Result<notify::Event>),
    Timeout,
    Stop,
}

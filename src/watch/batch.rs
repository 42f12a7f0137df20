//! Groups raw events into batches: a batch ends after a short quiet time, and a file whose data
//! is still being written (no close yet) is held back until its writer closes it, so a slow
//! save (vim fsyncs between write and close) is one batch and a half-written file is not one.

use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
use notify::{Event, EventKind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::DEFAULT_DEBOUNCE;

/// How events are grouped into batches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchTiming {
    /// A batch ends once this long has passed without an event.
    pub debounce: Duration,
    /// A batch ends this long after its first event at the latest, even if events keep coming.
    pub max_wait: Duration,
    /// How long a file with data written but not yet closed is held back, waiting for the close.
    pub close_wait: Duration,
    /// Whether the OS reports closes of written files (inotify does; FSEvents and Windows do
    /// not, so there a write is never held back).
    pub waits_for_close: bool,
}

impl Default for BatchTiming {
    fn default() -> Self {
        BatchTiming {
            debounce: DEFAULT_DEBOUNCE,
            max_wait: Duration::from_millis(100),
            // vim's save measured here: 20–70 ms between its write and its close (an fsync).
            close_wait: Duration::from_millis(250),
            waits_for_close: cfg!(any(target_os = "linux", target_os = "android")),
        }
    }
}

impl BatchTiming {
    /// The default timing with another debounce; `max_wait` grows with it so it stays the larger.
    pub fn with_debounce(debounce: Duration) -> Self {
        let default = BatchTiming::default();
        BatchTiming {
            debounce,
            max_wait: default.max_wait.max(debounce * 4),
            ..default
        }
    }
}

/// What one event says about a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Effect {
    /// Nothing worth a look (a file opened or read).
    None,
    /// Something may have changed: look at the path when the batch ends.
    Touched,
    /// Data was written and the writer may still be writing.
    Writing,
    /// The writer is done with the path (closed it, or it was removed or renamed away).
    Released,
}

/// The effect of `kind` on the `index`-th of its paths.
fn effect_of(kind: &EventKind, index: usize) -> Effect {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => Effect::Released,
        EventKind::Access(_) | EventKind::Other => Effect::None,
        EventKind::Modify(ModifyKind::Data(_)) => Effect::Writing,
        EventKind::Modify(ModifyKind::Name(RenameMode::From)) => Effect::Released,
        // `Both` names the source first, then the target.
        EventKind::Modify(ModifyKind::Name(RenameMode::Both)) if index == 0 => Effect::Released,
        EventKind::Remove(_) => Effect::Released,
        EventKind::Any | EventKind::Create(_) | EventKind::Modify(_) => Effect::Touched,
    }
}

/// The paths of a batch that are ready to be looked at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadyPaths {
    /// Paths touched, sorted.
    pub paths: Vec<PathBuf>,
    /// Events were lost (the OS queue overflowed): everything must be compared with the disk.
    pub rescan: bool,
}

/// Touched paths of the batch being collected, with when each writer started writing.
#[derive(Debug)]
pub struct Batcher {
    timing: BatchTiming,
    /// Path → when data was first written to it without a close since (if it was).
    pending: BTreeMap<PathBuf, Option<Instant>>,
    first_event: Option<Instant>,
    last_event: Option<Instant>,
    rescan: bool,
}

impl Batcher {
    /// An empty batcher.
    pub fn new(timing: BatchTiming) -> Self {
        Batcher {
            timing,
            pending: BTreeMap::new(),
            first_event: None,
            last_event: None,
            rescan: false,
        }
    }

    /// Whether nothing is waiting to be flushed.
    pub fn is_idle(&self) -> bool {
        self.first_event.is_none()
    }

    /// Adds `event`, received at `now`, to the batch; paths for which `ignored` holds are
    /// dropped.
    pub fn record(&mut self, event: &Event, now: Instant, ignored: impl Fn(&Path) -> bool) {
        if event.need_rescan() {
            self.rescan = true;
            self.mark(now);
            return;
        }
        for (index, path) in event.paths.iter().enumerate() {
            let effect = effect_of(&event.kind, index);
            if effect == Effect::None || ignored(path) {
                continue;
            }
            let writing_since = self.pending.entry(path.clone()).or_insert(None);
            match effect {
                Effect::Writing if self.timing.waits_for_close => {
                    writing_since.get_or_insert(now);
                }
                Effect::Released => *writing_since = None,
                _ => {}
            }
            self.mark(now);
        }
    }

    fn mark(&mut self, now: Instant) {
        self.first_event.get_or_insert(now);
        self.last_event = Some(now);
    }

    /// When the batch (or part of it) is due; `None` when nothing is pending.
    pub fn deadline(&self) -> Option<Instant> {
        let (first, last) = (self.first_event?, self.last_event?);
        let due = (last + self.timing.debounce).min(first + self.timing.max_wait);
        if self.rescan || self.pending.values().any(|w| self.ready_by(*w, due)) {
            return Some(due);
        }
        // Every path is a write still open: due when the first of them stops waiting.
        let first_release = self
            .pending
            .values()
            .flatten()
            .map(|since| *since + self.timing.close_wait)
            .min()?;
        Some(due.max(first_release))
    }

    fn ready_by(&self, writing_since: Option<Instant>, at: Instant) -> bool {
        writing_since.is_none_or(|since| since + self.timing.close_wait <= at)
    }

    /// Takes the paths that are due at `now`, leaving writes still open for a later batch.
    pub fn take_ready(&mut self, now: Instant) -> Option<ReadyPaths> {
        if now < self.deadline()? {
            return None;
        }
        let (ready, held): (BTreeMap<_, _>, BTreeMap<_, _>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|(_, since)| self.ready_by(*since, now));
        self.pending = held;
        if self.pending.is_empty() {
            self.first_event = None;
            self.last_event = None;
        } else {
            self.first_event = Some(now);
        }
        Some(ReadyPaths {
            paths: ready.into_keys().collect(),
            rescan: std::mem::take(&mut self.rescan),
        })
    }
}

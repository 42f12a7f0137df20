//! Progress of a long heap job, readable from another thread while it runs: the job stores its
//! phase and counters in atomics, the reader (the JS thread, polling) loads them. Nothing is
//! called back, so no JS value is ever touched off the main thread.

#![deny(missing_docs)]

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// The phases a job reports, in the order they usually run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Phase {
    /// Nothing started yet.
    Waiting = 0,
    /// Opening and parsing a snapshot file into columns.
    Parse = 1,
    /// Essential edges, retainers, dominator tree, retained sizes, class aggregates.
    Dominators = 2,
    /// Suspects and retainer paths.
    Paths = 3,
    /// Comparing snapshots (diff or leak search).
    Compare = 4,
    /// Finished.
    Done = 5,
}

impl Phase {
    /// The phase's name as shown to people.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Waiting => "waiting",
            Phase::Parse => "parse",
            Phase::Dominators => "dominators",
            Phase::Paths => "paths",
            Phase::Compare => "compare",
            Phase::Done => "done",
        }
    }

    fn from_u32(value: u32) -> Phase {
        match value {
            1 => Phase::Parse,
            2 => Phase::Dominators,
            3 => Phase::Paths,
            4 => Phase::Compare,
            5 => Phase::Done,
            _ => Phase::Waiting,
        }
    }
}

/// A job's progress: its phase, which of its files it is on, and the work done in the phase.
#[derive(Debug, Default)]
pub struct Progress {
    phase: AtomicU32,
    file: AtomicU32,
    files: AtomicU32,
    done: AtomicU64,
    total: AtomicU64,
}

/// What a reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgressState {
    /// The current phase.
    pub phase: Phase,
    /// The file being worked on (1-based) and how many the job has.
    pub file: u32,
    /// Files in the job.
    pub files: u32,
    /// Work done in this phase, in the phase's units (bytes for parsing); 0 when unknown.
    pub done: u64,
    /// Work in the whole phase; 0 when unknown.
    pub total: u64,
}

impl Progress {
    /// A job over `files` snapshot files.
    pub fn new(files: u32) -> Progress {
        let progress = Progress::default();
        progress.files.store(files, Ordering::Relaxed);
        progress
    }

    /// Enters `phase` on file `file` (1-based) with `total` units of work (0: unknown).
    pub fn start(&self, phase: Phase, file: u32, total: u64) {
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
        self.file.store(file, Ordering::Relaxed);
        self.phase.store(phase as u32, Ordering::Release);
    }

    /// Adds `units` of work done in the current phase.
    pub fn advance(&self, units: u64) {
        self.done.fetch_add(units, Ordering::Relaxed);
    }

    /// The current state (fields are read one by one: a reader may see a phase change
    /// half-way, which a progress display can afford).
    pub fn state(&self) -> ProgressState {
        let phase = Phase::from_u32(self.phase.load(Ordering::Acquire));
        ProgressState {
            phase,
            file: self.file.load(Ordering::Relaxed),
            files: self.files.load(Ordering::Relaxed),
            done: self.done.load(Ordering::Relaxed),
            total: self.total.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_sees_phases_and_counters() {
        let p = Progress::new(3);
        assert_eq!(p.state().phase, Phase::Waiting);
        p.start(Phase::Parse, 2, 1000);
        p.advance(250);
        p.advance(250);
        let s = p.state();
        assert_eq!(
            (s.phase, s.file, s.files, s.done, s.total),
            (Phase::Parse, 2, 3, 500, 1000)
        );
        p.start(Phase::Dominators, 2, 0);
        let s = p.state();
        assert_eq!((s.phase.name(), s.done, s.total), ("dominators", 0, 0));
    }
}

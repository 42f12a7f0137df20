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
    /// Page-owned flags, class names and the essential-edge bits (units: nodes walked plus
    /// edges classified).
    Essential = 2,
    /// The dominator tree (units: nodes numbered by the DFS plus nodes given a dominator).
    Dominators = 3,
    /// Retained sizes and class aggregates (units: nodes summed plus nodes walked).
    Retained = 4,
    /// Suspects and retainer paths.
    Paths = 5,
    /// Comparing snapshots (diff or leak search).
    Compare = 6,
    /// Finished.
    Done = 7,
}

impl Phase {
    /// Every phase, by value.
    const ALL: [Phase; 8] = [
        Phase::Waiting,
        Phase::Parse,
        Phase::Essential,
        Phase::Dominators,
        Phase::Retained,
        Phase::Paths,
        Phase::Compare,
        Phase::Done,
    ];

    /// The phase's name as shown to people.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Waiting => "waiting",
            Phase::Parse => "parse",
            Phase::Essential => "essential edges",
            Phase::Dominators => "dominators",
            Phase::Retained => "retained sizes",
            Phase::Paths => "paths",
            Phase::Compare => "compare",
            Phase::Done => "done",
        }
    }

    fn from_u32(value: u32) -> Phase {
        Phase::ALL
            .get(value as usize)
            .copied()
            .unwrap_or(Phase::Waiting)
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

/// Reports a loop's work to a [`Progress`] in coarse steps: a power of two of units near 1 %
/// of the phase, so that the check per item is one mask and the shared counter is touched
/// about a hundred times per phase (nothing measurable, even in the tightest loops). Without a
/// progress it does nothing.
#[derive(Debug)]
pub struct Ticker<'a> {
    progress: Option<&'a Progress>,
    /// Step size minus one.
    mask: u64,
    /// Units this ticker has reported.
    reported: u64,
}

impl<'a> Ticker<'a> {
    /// A ticker for a loop in a phase of `phase_total` units.
    pub fn new(progress: Option<&'a Progress>, phase_total: u64) -> Self {
        let step = (phase_total / 100).max(1).next_power_of_two();
        Ticker {
            progress,
            mask: step - 1,
            reported: 0,
        }
    }

    /// Called once per item with the number of items done so far: reports a step each time
    /// that number reaches a multiple of the step.
    #[inline]
    pub fn at(&mut self, done: u64) {
        if done & self.mask == 0 && done != 0 {
            self.report(self.mask + 1);
        }
    }

    /// Reports what is left of the loop's `units` (its share of the phase) at its end.
    pub fn finish(&mut self, units: u64) {
        self.report(units.saturating_sub(self.reported));
    }

    fn report(&mut self, units: u64) {
        if let Some(progress) = self.progress {
            progress.advance(units);
            self.reported += units;
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

    #[test]
    fn phases_round_trip_through_their_values() {
        for phase in Phase::ALL {
            assert_eq!(Phase::from_u32(phase as u32), phase);
        }
        assert_eq!(Phase::from_u32(99), Phase::Waiting);
        assert_eq!(Phase::Retained.name(), "retained sizes");
    }

    #[test]
    fn a_ticker_reports_about_a_hundred_steps_and_the_rest_at_the_end() {
        let p = Progress::new(1);
        p.start(Phase::Dominators, 1, 20_000);
        let mut ticks = 0;
        let mut last = 0;
        let mut ticker = Ticker::new(Some(&p), 20_000);
        for i in 1..=10_000u64 {
            ticker.at(i);
            let done = p.state().done;
            if done != last {
                ticks += 1;
                // Never ahead of the work.
                assert!(done <= i, "{done} > {i}");
                last = done;
            }
        }
        // 20,000 / 100 = 200 → steps of 256: 39 steps in 10,000 items.
        assert_eq!((ticks, p.state().done), (39, 39 * 256));
        ticker.finish(10_000);
        assert_eq!(p.state().done, 10_000);
        ticker.finish(10_000);
        assert_eq!(p.state().done, 10_000, "finishing twice adds nothing");
        let mut silent = Ticker::new(None, 10);
        silent.at(1);
        silent.finish(10);
    }
}

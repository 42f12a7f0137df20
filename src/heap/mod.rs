//! V8 heap snapshots: reading and analysis, in three layers (the folders):
//!
//! * [`reader`]: one incremental walk of the `.heapsnapshot` format that feeds sinks — the
//!   graph columns ([`HeapGraphBuilder`]) and the nodes-only summary ([`reader::nodes`], for
//!   HeapDiff) — plus the parallel driver for a whole file in memory (`reader/parallel.rs`)
//!   that shares its header, row and string decoding; every path reports [`SnapshotError`].
//! * [`graph`]: [`HeapGraph`], the whole snapshot in compact columns, and its builders.
//! * [`analyses`]: [`HeapAnalysis`] and the rest, with DevTools' rules (dominator tree,
//!   retained sizes, class aggregates, diffs, leaks, paths, explain).
//!
//! [`progress`] is shared by all three: atomics a long job updates and the JS thread polls.

pub mod analyses;
#[cfg(test)]
mod engine_tests;
pub mod graph;
pub mod progress;
pub mod reader;
#[cfg(test)]
mod testsnap;

pub use analyses::aggregate::ClassAggregate;
pub use analyses::analysis::{AnalysisTimings, HeapAnalysis, Reachability};
pub use graph::builder::HeapGraphBuilder;
pub use graph::{
    EdgeIndex, EdgeKind, EdgeName, HeapGraph, LoadTimings, Location, NodeIndex, NodeKind,
};
pub use reader::background::{BackgroundParser, ChunkParser};
pub use reader::nodes::{parse_file, NodeSummary, NodeSummaryParser};
pub use reader::SnapshotError;

//! V8 heap snapshots: reading and analysis, in three layers.
//!
//! * reader: `reader/` walks the format once, incrementally, and feeds sinks: the graph
//!   columns (`chunked.rs`, [`HeapGraphBuilder`]) and the nodes-only summary ([`stream`], for
//!   HeapDiff). `load.rs` is the parallel driver for a whole file in memory (`meta.rs`,
//!   `numbers.rs`, `columns.rs`); every path reports [`SnapshotError`].
//! * graph: [`HeapGraph`], the whole snapshot in compact columns.
//! * analyses: [`HeapAnalysis`] and the rest, with DevTools' rules (dominator tree, retained
//!   sizes, class aggregates, diffs, leaks, paths).

pub mod aggregate;
pub mod analysis;
pub mod background;
pub mod bits;
mod chunked;
pub mod classes;
mod columns;
pub mod diff;
pub mod dominators;
#[cfg(test)]
mod engine_tests;
pub mod essential;
pub mod explain;
#[cfg(test)]
mod explain_tests;
pub mod graph;
pub mod holder;
#[cfg(test)]
mod leak_tests;
pub mod leaks;
mod load;
mod meta;
mod numbers;
pub mod paths;
pub mod progress;
mod reader;
#[cfg(test)]
mod report_tests;
pub mod retainers;
pub mod scripts;
pub mod shallow;
pub mod stream;
pub mod summary;
pub mod suspects;
#[cfg(test)]
mod testsnap;

pub use aggregate::ClassAggregate;
pub use analysis::{AnalysisTimings, HeapAnalysis, Reachability};
pub use background::{BackgroundParser, ChunkParser};
pub use chunked::HeapGraphBuilder;
pub use graph::{
    EdgeIndex, EdgeKind, EdgeName, HeapGraph, LoadTimings, Location, NodeIndex, NodeKind,
};
pub use reader::SnapshotError;
pub use stream::{parse_file, NodeSummary, NodeSummaryParser};

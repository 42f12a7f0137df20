//! V8 heap snapshots: streaming parsing and analysis.
//!
//! Two engines share the error type [`SnapshotError`]:
//!
//! * [`stream`]: an incremental, nodes-only parser (HeapDiff);
//! * [`HeapGraph`] + [`HeapAnalysis`]: the whole graph in compact columns, analysed with
//!   DevTools' rules (dominator tree, retained sizes, class aggregates).

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
pub use stream::{parse_file, NodeSummary, NodeSummaryParser, SnapshotError};

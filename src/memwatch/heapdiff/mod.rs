//! memwatch's `HeapDiff` (lloyd/node-memwatch `src/heapdiff.cc`) over two parsed snapshots.
//!
//! A [`HeapSample`] keeps, per node, its id, a `what` key and its self size, sorted by id
//! (about 10 bytes per node). [`diff`] merges two samples by id: ids only in `before` were
//! freed, ids only in `after` were allocated (V8 ids are stable within one isolate), and the
//! result is aggregated per `what` exactly like memwatch's `end()` result.
//!
//! Differences from the reference, on purpose: every node of the snapshot counts (the reference
//! walks from the root and reaches practically the same set), and totals are 64-bit (the
//! reference sums into a C `int`).
//!
//! One file per concern:
//!
//! * `sample`: a snapshot reduced to a [`HeapSample`], and the [`SeenFilter`] that parses a
//!   later snapshot against an earlier sample. The only file that touches the snapshot parser
//!   (`crate::heap::reader::nodes`), so a change of the parser stays in one place;
//! * `seen`: [`SeenNodes`], which of an earlier sample's nodes a later snapshot still holds;
//! * `diff`: [`diff`] and [`diff_with_seen`], the per-`what` [`HeapDiffResult`];
//! * `output`: [`HeapDiffResult::to_json`], memwatch's result object as JSON.

mod diff;
mod output;
mod sample;
mod seen;
#[cfg(test)]
mod tests;

pub use diff::{diff, diff_with_seen, Change, Detail, HeapDiffResult};
pub use sample::{HeapSample, SeenFilter, Totals, WhatInterner, OWN_CONSTRUCTOR};
pub use seen::SeenNodes;

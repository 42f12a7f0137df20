//! What the engine computes from a [`HeapGraph`](crate::heap::HeapGraph), with DevTools'
//! rules where DevTools has one.
//!
//! | module | computes |
//! |---|---|
//! | [`analysis`] | one snapshot's analysis: runs the passes below, [`HeapAnalysis`](analysis::HeapAnalysis) |
//! | [`essential`], [`dominators`], [`retainers`] | essential edges, the dominator tree, retained sizes, retainers |
//! | [`classes`], [`aggregate`], [`scripts`] | class names and keys, per-class aggregates, script names for locations |
//! | [`shallow`], [`summary`] | shallow sizes; the plain-data result `heap.analyze` returns |
//! | [`paths`], [`suspects`] | retainer paths from the GC roots; leak suspects in one snapshot |
//! | [`diff`], [`leaks`] | two snapshots compared; leaks over three snapshots, grouped by path |
//! | [`explain`], [`holder`] | why a module generation is alive (issue H): paths to markers, holder kinds |

pub mod aggregate;
pub mod analysis;
pub mod classes;
pub mod diff;
pub mod dominators;
pub mod essential;
pub mod explain;
#[cfg(test)]
mod explain_tests;
pub mod holder;
#[cfg(test)]
mod leak_tests;
pub mod leaks;
pub mod paths;
#[cfg(test)]
mod report_tests;
pub mod retainers;
pub mod scripts;
pub mod shallow;
pub mod summary;
pub mod suspects;

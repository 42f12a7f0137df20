//! modswap: safe hot module swapping for Node.js.
//!
//! `graph` is the napi-free core (tested with `cargo test`); `binding` is the only module that
//! knows about N-API.

#![deny(clippy::all)]

pub mod graph;
pub mod heap;
pub mod memwatch;
pub mod watch;

mod binding;

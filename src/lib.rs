//! modswap: safe hot module swapping for Node.js.
//!
//! `graph` (CommonJS), `esm` (ES modules) and the other modules are the napi-free core (tested
//! with `cargo test`); `binding` is the only module that knows about N-API.

#![deny(clippy::all)]

pub mod esm;
pub mod graph;
pub mod heap;
pub mod memwatch;
pub mod watch;

mod binding;

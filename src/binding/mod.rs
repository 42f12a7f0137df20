//! The N-API surface: conversions and errors only. Every entry point catches panics, and every
//! error's message starts with a stable `ERR_MODSWAP_*` code that `lib/native.js` lifts into
//! `error.code`.

mod esm;
mod explain;
mod graph;
mod heap;
mod heapdiff;
mod memwatch;
mod profile;
mod watch;

use napi::{Error, Status};

/// An error whose message starts with its stable code, as `lib/native.js` expects.
fn coded(code: &str, message: String) -> Error {
    Error::new(Status::GenericFailure, format!("{code}: {message}"))
}

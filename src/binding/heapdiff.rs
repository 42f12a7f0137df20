use crate::heap::stream::parse_file;
use crate::memwatch::heapdiff::{diff, HeapSample, WhatInterner};
use napi::{Error, Result, Status};
use napi_derive::napi;
use std::path::Path;

use super::graph::guarded;

fn coded(code: &str, message: String) -> Error {
    Error::new(Status::GenericFailure, format!("{code}: {message}"))
}

/// Holds one side of a HeapDiff. Created empty *before* the snapshot is taken, so the JS object
/// exists in both snapshots and does not show up in the diff.
#[napi(js_name = "HeapSampleSlot")]
pub struct BindingHeapSampleSlot {
    sample: Option<HeapSample>,
}

impl Default for BindingHeapSampleSlot {
    fn default() -> Self {
        Self::new()
    }
}

#[napi]
impl BindingHeapSampleSlot {
    /// An empty slot.
    #[napi(constructor)]
    pub fn new() -> Self {
        Self { sample: None }
    }

    /// Parses the `.heapsnapshot` file at `path` in chunks, keeping id, type, name and size per
    /// object.
    #[napi]
    pub fn load(&mut self, path: String) -> Result<()> {
        guarded("HeapSampleSlot.load", || {
            let summary = parse_file(Path::new(&path))
                .map_err(|e| coded("ERR_MODSWAP_BAD_SNAPSHOT", format!("{path}: {e}")))?;
            let mut interner = WhatInterner::new();
            self.sample = Some(HeapSample::new(&summary, &mut interner));
            Ok(())
        })
    }
}

/// node-memwatch's HeapDiff result of two loaded slots, as a JSON string.
#[napi]
#[cfg_attr(test, allow(dead_code))] // only the generated registration calls it
pub fn diff_heap_samples(
    before: &BindingHeapSampleSlot,
    after: &BindingHeapSampleSlot,
    before_time: String,
    after_time: String,
) -> Result<String> {
    guarded("diffHeapSamples", || {
        let (Some(before), Some(after)) = (&before.sample, &after.sample) else {
            return Err(coded(
                "ERR_MODSWAP_INVALID_ARG",
                "both heap samples must be loaded before diffing".to_owned(),
            ));
        };
        Ok(diff(before, after).to_json(Some(before_time), Some(after_time)))
    })
}

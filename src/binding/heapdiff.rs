use crate::heap::ChunkParser;
use crate::memwatch::heapdiff::{
    diff, diff_with_seen, HeapSample, SeenFilter, SeenNodes, WhatInterner,
};
use napi::bindgen_prelude::BufferSlice;
use napi::{Error, Result};
use napi_derive::napi;
use std::sync::Arc;

use super::coded;
use super::graph::guarded;

/// Holds one side of a HeapDiff. Created empty *before* the snapshot is taken, so the JS object
/// exists in both snapshots and does not show up in the diff.
#[napi(js_name = "HeapSampleSlot")]
pub struct BindingHeapSampleSlot {
    parser: Option<ChunkParser>,
    sample: Option<HeapSample>,
    /// Set when this slot was parsed against an earlier one: `sample` then holds only the new
    /// nodes, and this which of the earlier slot's nodes are still there.
    seen: Option<Arc<SeenNodes>>,
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
        Self {
            parser: None,
            sample: None,
            seen: None,
        }
    }

    /// Starts parsing a snapshot (in place); [`write`](Self::write) feeds it.
    #[napi]
    pub fn begin(&mut self) -> Result<()> {
        guarded("HeapSampleSlot.begin", || {
            self.parser = Some(ChunkParser::in_place());
            self.sample = None;
            self.seen = None;
            Ok(())
        })
    }

    /// Like [`begin`](Self::begin) for the later snapshot of a diff against `earlier` (loaded):
    /// only nodes that are not in `earlier` are kept, so this slot stays small.
    #[napi]
    pub fn begin_after(&mut self, earlier: &BindingHeapSampleSlot) -> Result<()> {
        guarded("HeapSampleSlot.beginAfter", || {
            let earlier = earlier.sample.as_ref().ok_or_else(|| {
                coded(
                    "ERR_MODSWAP_INVALID_ARG",
                    "the earlier heap sample is not loaded".to_owned(),
                )
            })?;
            let seen = SeenNodes::of(earlier);
            let filter = Box::new(SeenFilter(Arc::clone(&seen)));
            let parser = ChunkParser::background_filtered(filter)
                .map_err(|e| coded("ERR_MODSWAP_INTERNAL", format!("heap snapshot parser: {e}")))?;
            self.parser = Some(parser);
            self.sample = None;
            self.seen = Some(seen);
            Ok(())
        })
    }

    /// Queues the next chunk of the snapshot's JSON (copied: the buffer may be reused).
    #[napi]
    pub fn write(&mut self, chunk: BufferSlice) -> Result<()> {
        guarded("HeapSampleSlot.write", || {
            let parser = self.parser.as_mut().ok_or_else(not_begun)?;
            parser.feed(&chunk);
            Ok(())
        })
    }

    /// Ends the snapshot and keeps id, type, name and size per object.
    #[napi]
    pub fn end(&mut self) -> Result<()> {
        guarded("HeapSampleSlot.end", || {
            let parser = self.parser.take().ok_or_else(not_begun)?;
            let summary = parser
                .finish()
                .map_err(|e| coded("ERR_MODSWAP_BAD_SNAPSHOT", format!("V8 heap snapshot: {e}")))?;
            let mut interner = WhatInterner::new();
            self.sample = Some(HeapSample::new(&summary, &mut interner));
            Ok(())
        })
    }
}

fn not_begun() -> Error {
    coded(
        "ERR_MODSWAP_INVALID_ARG",
        "HeapSampleSlot.begin() must be called first".to_owned(),
    )
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
        let seen = after.seen.as_deref();
        let (Some(before), Some(after)) = (&before.sample, &after.sample) else {
            return Err(coded(
                "ERR_MODSWAP_INVALID_ARG",
                "both heap samples must be loaded before diffing".to_owned(),
            ));
        };
        let result = match seen {
            Some(seen) => diff_with_seen(before, seen, after),
            None => diff(before, after),
        };
        Ok(result.to_json(Some(before_time), Some(after_time)))
    })
}

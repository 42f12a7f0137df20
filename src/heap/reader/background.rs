//! Parsing a snapshot on a thread of its own while the producer (V8 serializing the snapshot, on
//! the JS thread) keeps writing: the producer only copies each chunk into a bounded channel, so
//! the parse overlaps the serialization instead of adding to it.

use crate::heap::graph::builder::HeapGraphBuilder;
use crate::heap::graph::HeapGraph;
use crate::heap::progress::Progress;
use crate::heap::reader::nodes::{NodeFilter, NodeSummary, NodeSummaryParser};
use crate::heap::reader::SnapshotError;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

/// Chunks in flight before [`BackgroundParser::feed`] blocks. The parser is several times
/// faster than V8 writes, so this only bounds memory if it ever falls behind (64 KiB chunks:
/// ~4 MiB).
const CHANNEL_CHUNKS: usize = 64;

/// A parser that consumes a snapshot chunk by chunk.
pub trait ChunkSink: Send + 'static {
    /// What the whole snapshot parses into.
    type Output: Send + 'static;
    /// Consumes the next chunk.
    fn feed(&mut self, chunk: &[u8]) -> Result<(), SnapshotError>;
    /// Ends the input.
    fn finish(self) -> Result<Self::Output, SnapshotError>;
}

impl ChunkSink for NodeSummaryParser {
    type Output = NodeSummary;
    fn feed(&mut self, chunk: &[u8]) -> Result<(), SnapshotError> {
        NodeSummaryParser::feed(self, chunk)
    }
    fn finish(self) -> Result<NodeSummary, SnapshotError> {
        NodeSummaryParser::finish(self)
    }
}

impl ChunkSink for HeapGraphBuilder {
    type Output = HeapGraph;
    fn feed(&mut self, chunk: &[u8]) -> Result<(), SnapshotError> {
        self.push(chunk)
    }
    fn finish(self) -> Result<HeapGraph, SnapshotError> {
        HeapGraphBuilder::finish(self)
    }
}

/// A [`ChunkSink`] running on its own thread (by default the [`NodeSummaryParser`]).
///
/// Chunk buffers travel back to the producer once parsed and are reused: a snapshot is
/// thousands of chunks, and fresh 64 KiB allocations on every one interleave with V8's own
/// allocations in the same malloc heap, which measurably raised the process's peak RSS.
#[derive(Debug)]
pub struct BackgroundParser<P: ChunkSink = NodeSummaryParser> {
    chunks: Option<SyncSender<Vec<u8>>>,
    spare: Receiver<Vec<u8>>,
    worker: Option<JoinHandle<Result<P::Output, SnapshotError>>>,
    parsed: Arc<Mutex<Parsed>>,
}

/// Bytes the parsing thread has parsed, and the progress they are reported to once one is
/// known (the chunks usually arrive before anyone asks for progress).
#[derive(Debug, Default)]
struct Parsed {
    bytes: u64,
    progress: Option<Arc<Progress>>,
}

impl BackgroundParser<NodeSummaryParser> {
    /// Starts the parsing thread.
    pub fn start() -> Result<Self, SnapshotError> {
        Self::spawn(NodeSummaryParser::new())
    }

    /// Starts the parsing thread with a parser that keeps only the nodes `filter` accepts.
    pub fn start_with_filter(filter: Box<dyn NodeFilter>) -> Result<Self, SnapshotError> {
        Self::spawn(NodeSummaryParser::with_filter(filter))
    }
}

impl<P: ChunkSink> BackgroundParser<P> {
    /// Starts a thread feeding `parser`.
    pub fn spawn(mut parser: P) -> Result<Self, SnapshotError> {
        let (chunks, received) = sync_channel::<Vec<u8>>(CHANNEL_CHUNKS);
        // Room for every buffer in flight, so handing one back never blocks the parser.
        let (give_back, spare) = sync_channel::<Vec<u8>>(CHANNEL_CHUNKS + 2);
        let parsed = Arc::new(Mutex::new(Parsed::default()));
        let counter = Arc::clone(&parsed);
        let worker = std::thread::Builder::new()
            .name("modswap-snapshot-parser".to_owned())
            .spawn(move || {
                for chunk in received {
                    // Returning drops the receiver: the producer's later sends fail and stop.
                    parser.feed(&chunk)?;
                    let mut parsed = counter.lock().unwrap_or_else(PoisonError::into_inner);
                    parsed.bytes += chunk.len() as u64;
                    if let Some(progress) = &parsed.progress {
                        progress.advance(chunk.len() as u64);
                    }
                    drop(parsed);
                    let _ = give_back.try_send(chunk);
                }
                parser.finish()
            })?;
        Ok(Self {
            chunks: Some(chunks),
            spare,
            worker: Some(worker),
            parsed,
        })
    }

    /// Reports the bytes parsed so far to `progress`, and each chunk parsed from now on.
    pub fn report_to(&self, progress: Arc<Progress>) {
        let mut parsed = self.parsed.lock().unwrap_or_else(PoisonError::into_inner);
        progress.advance(parsed.bytes);
        parsed.progress = Some(progress);
    }

    /// Queues a copy of the next chunk. Once the parser has failed, chunks are dropped and
    /// [`finish`](Self::finish) returns the error.
    pub fn feed(&mut self, chunk: &[u8]) {
        let Some(chunks) = &self.chunks else { return };
        let mut buffer = self.spare.try_recv().unwrap_or_default();
        buffer.clear();
        buffer.extend_from_slice(chunk);
        if chunks.send(buffer).is_err() {
            // The thread stopped early (it failed): nothing more to send.
            self.chunks = None;
        }
    }

    /// The parsing thread stopped before the end of the input (the parser failed): later chunks
    /// are dropped, and [`finish`](Self::finish) returns the error. Seen from the first chunk
    /// sent after the failure.
    pub fn stopped(&self) -> bool {
        self.chunks.is_none()
    }

    /// Ends the input and waits for the result. A panic on the parsing thread comes back as
    /// [`SnapshotError::ParserPanicked`].
    pub fn finish(mut self) -> Result<P::Output, SnapshotError> {
        self.chunks = None;
        let worker = self.worker.take().expect("finish() consumes the parser");
        worker.join().unwrap_or_else(|payload| {
            let cause = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(SnapshotError::ParserPanicked { cause })
        })
    }
}

impl<P: ChunkSink> Drop for BackgroundParser<P> {
    fn drop(&mut self) {
        // Abandoned without finish(): close the channel and let the thread end on its own.
        self.chunks = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// Where a streamed snapshot is parsed: on the thread that feeds it, or on a thread of its own.
///
/// In place costs the feeding thread the parse (~0.2 s per 60 MB) but allocates the result in
/// that thread's malloc arena, where the memory is reused later (e.g. by V8's next snapshot); a
/// summary built on another thread stays in that thread's arena after it is freed (measured:
/// +22 MiB peak RSS for a 0.85 M-node sample). So: in place for a full summary, in the
/// background when a filter keeps it small.
#[derive(Debug)]
pub enum ChunkParser {
    /// Parsed by the thread that feeds the chunks.
    InPlace(Box<NodeSummaryParser>),
    /// Parsed on a thread of its own.
    Background(BackgroundParser),
}

impl ChunkParser {
    /// A full summary, parsed on the feeding thread.
    pub fn in_place() -> Self {
        ChunkParser::InPlace(Box::default())
    }

    /// Only the nodes `filter` keeps, parsed on a thread of its own.
    pub fn background_filtered(filter: Box<dyn NodeFilter>) -> Result<Self, SnapshotError> {
        BackgroundParser::start_with_filter(filter).map(ChunkParser::Background)
    }

    /// Consumes the next chunk. Errors surface in [`finish`](Self::finish).
    pub fn feed(&mut self, chunk: &[u8]) {
        match self {
            // The parser keeps its first error and finish() reports it.
            ChunkParser::InPlace(parser) => {
                let _ = parser.feed(chunk);
            }
            ChunkParser::Background(parser) => parser.feed(chunk),
        }
    }

    /// Ends the input and returns the summary.
    pub fn finish(self) -> Result<NodeSummary, SnapshotError> {
        match self {
            ChunkParser::InPlace(parser) => parser.finish(),
            ChunkParser::Background(parser) => parser.finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::reader::nodes::parse_reader;

    const SNAPSHOT: &str = r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],"node_types":[["hidden","array","string","object"],"string","number","number","number","number","number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element"],"string_or_number","node"]},"node_count":2,"edge_count":0,"trace_function_count":0},"nodes":[3,1,1,40,0,0,0,2,2,3,24,0,0,0],"edges":[],"trace_function_infos":[],"trace_tree":[],"samples":[],"locations":[],"strings":["","Foo","bar"]}"#;

    #[test]
    fn gives_the_same_summary_as_parsing_in_place_whatever_the_chunking() {
        let expected = parse_reader(SNAPSHOT.as_bytes()).unwrap();
        for chunk_size in [1, 3, 17, SNAPSHOT.len()] {
            let mut parser = BackgroundParser::start().unwrap();
            for chunk in SNAPSHOT.as_bytes().chunks(chunk_size) {
                parser.feed(chunk);
            }
            let summary = parser.finish().unwrap();
            assert_eq!(summary.ids(), expected.ids(), "chunks of {chunk_size}");
            assert_eq!(summary.self_sizes(), &[40, 24]);
            assert_eq!(summary.name_of(0), Some("Foo"));
        }
    }

    #[test]
    fn a_syntax_error_is_reported_by_finish_and_later_chunks_are_ignored() {
        let mut parser = BackgroundParser::start().unwrap();
        parser.feed(b"{\"snapshot\":{\"meta\":[}");
        for _ in 0..(CHANNEL_CHUNKS * 4) {
            parser.feed(b"more bytes that must not block the producer");
        }
        let error = parser.finish().unwrap_err();
        assert!(
            matches!(
                error,
                SnapshotError::Syntax { .. } | SnapshotError::InvalidHeader { .. }
            ),
            "{error}"
        );
    }

    #[test]
    fn truncated_input_is_an_error() {
        let mut parser = BackgroundParser::start().unwrap();
        parser.feed(&SNAPSHOT.as_bytes()[..SNAPSHOT.len() / 2]);
        let error = parser.finish().unwrap_err();
        assert!(matches!(error, SnapshotError::Truncated { .. }), "{error}");
    }

    #[test]
    fn builds_the_same_graph_on_its_thread_as_from_bytes() {
        use crate::heap::testsnap::Snap;
        let (mut s, global) = Snap::with_global();
        for i in 0..50 {
            let n = s.node("object", &format!("C{}", i % 3), 10 + i);
            s.edge(global, "property", &format!("p{i}"), n);
        }
        let text = s.build();
        let expected = HeapGraph::from_bytes(text.as_bytes()).unwrap();
        for chunk_size in [1, 7, 100, text.len()] {
            let mut parser = BackgroundParser::spawn(HeapGraphBuilder::new()).unwrap();
            for chunk in text.as_bytes().chunks(chunk_size) {
                parser.feed(chunk);
            }
            let graph = parser.finish().unwrap();
            assert!(graph.same_content(&expected), "chunks of {chunk_size}");
        }
    }

    #[test]
    fn parse_progress_reaches_the_bytes_fed() {
        use crate::heap::progress::Phase;
        let text = SNAPSHOT.as_bytes();
        let progress = Arc::new(Progress::new(1));
        progress.start(Phase::Parse, 1, text.len() as u64);
        let mut parser = BackgroundParser::start().unwrap();
        // Half the chunks before anyone asks for progress, half after.
        let (first, second) = text.split_at(text.len() / 2);
        for chunk in first.chunks(7) {
            parser.feed(chunk);
        }
        parser.report_to(Arc::clone(&progress));
        for chunk in second.chunks(7) {
            parser.feed(chunk);
        }
        parser.finish().unwrap();
        let state = progress.state();
        assert_eq!(
            (state.done, state.total),
            (text.len() as u64, text.len() as u64)
        );
    }

    #[test]
    fn dropping_an_unfinished_parser_ends_its_thread() {
        let mut parser = BackgroundParser::start().unwrap();
        parser.feed(&SNAPSHOT.as_bytes()[..10]);
        drop(parser);
    }
}

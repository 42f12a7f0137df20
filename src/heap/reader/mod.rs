//! The one reader of the `.heapsnapshot` format: an incremental walk of the top-level object
//! that accepts chunks split anywhere (inside numbers, strings, escapes or multi-byte UTF-8)
//! and hands what it decodes to a [`Sink`]:
//!
//! * `snapshot`: buffered (a few KiB) and decoded by [`Meta::parse`];
//! * `nodes`, `edges`, `locations`: scanned into rows ([`arrays`]); every row is checked
//!   against `meta` (types, u32 fields, node offsets, names against the strings) before the
//!   sink sees it;
//! * `strings`: decoded by [`StringsArray`] into a buffer the sink chooses (or only
//!   validated);
//! * everything else, and the sections the sink does not want: validated and dropped.
//!
//! A number array that comes before the header (V8 never writes one) is kept as raw bytes and
//! read when the header arrives, so any section order works. The sinks: the graph columns
//! (`graph/builder.rs`, [`HeapGraphBuilder`](super::HeapGraphBuilder)), the nodes-only summary
//! (`nodes.rs`, [`NodeSummaryParser`](super::NodeSummaryParser)), and the parallel loader's
//! locator (`parallel.rs`: one walk over the mapped file that only delimits the arrays, which
//! are then parsed on all threads with the same row checks, [`Facts`], and decoded with the
//! same [`StringsArray`]).
//!
//! | file | role |
//! |---|---|
//! | `mod.rs` | the top-level walk, [`Sink`], [`StringsArray`] |
//! | `json.rs` | string, skip and digit scanners |
//! | `arrays.rs` | number rows, read incrementally, and their checks |
//! | `meta.rs` | the `snapshot.meta` header |
//! | `numbers.rs` | number rows parsed in parallel (the mmap path) |
//! | `parallel.rs` | the whole-file driver: locate the sections, parse them on all threads |
//! | `background.rs` | a sink fed on a thread of its own while V8 is still writing |
//! | `nodes.rs` | the nodes-only sink ([`NodeSummaryParser`](super::NodeSummaryParser), HeapDiff) |
//! | `error.rs` | [`SnapshotError`], every path's error |

#![deny(missing_docs)]

mod arrays;
pub mod background;
pub(crate) mod error;
pub(crate) mod json;
pub(crate) mod meta;
pub mod nodes;
pub(crate) mod numbers;
pub(crate) mod parallel;

pub(crate) use arrays::{grow, EdgeRow, Facts, NodeRow};
pub use error::SnapshotError;

use crate::heap::graph::Location;
use crate::heap::progress::Progress;
use crate::heap::reader::meta::{Meta, Needs, MAX_HEADER_BYTES};
use crate::heap::reader::numbers::{first_non_number, first_non_number_in, not_a_number_byte};
use arrays::NumArray;
use error::syntax;
use json::{describe, is_ws, Skipper, StrScan};
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};

/// Top-level keys longer than this are not sections this crate reads.
const MAX_KEY_BYTES: usize = 64;
/// Raw number bytes are searched on two threads from this many bytes on (one file in memory).
const PARALLEL_SCAN_BYTES: usize = 8 << 20;

/// The sections a sink may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    /// The `nodes` array.
    Nodes,
    /// The `edges` array.
    Edges,
    /// The `locations` array.
    Locations,
    /// The `strings` array.
    Strings,
}

impl Section {
    fn name(self) -> &'static str {
        match self {
            Section::Nodes => "nodes",
            Section::Edges => "edges",
            Section::Locations => "locations",
            Section::Strings => "strings",
        }
    }

    fn array(self) -> &'static str {
        match self {
            Section::Nodes => "the \"nodes\" array",
            Section::Edges => "the \"edges\" array",
            Section::Locations => "the \"locations\" array",
            Section::Strings => "the \"strings\" array",
        }
    }
}

/// Where the decoded `strings` go.
pub(crate) trait StringSink {
    /// Whether string `index`, starting now, is decoded (into [`string_buf`](Self::string_buf))
    /// or only validated.
    fn string_start(&mut self, index: u64) -> bool;
    /// The buffer a kept string is decoded into (appended).
    fn string_buf(&mut self) -> &mut Vec<u8>;
    /// Kept string `index` ended at byte `at`.
    fn string_end(&mut self, index: u64, at: u64) -> Result<(), SnapshotError>;
}

/// What the reader feeds: checked rows and decoded strings, in file order.
pub(crate) trait Sink: StringSink {
    /// The header's parts the sink needs.
    const NEEDS: Needs;
    /// Whether the sink only wants to know where the arrays are ([`span`](Self::span)):
    /// number arrays are then only checked to hold number bytes, and strings are skipped
    /// undecoded (the parallel loader decodes them afterwards).
    const LOCATE: bool = false;
    /// The sections that must be present; those not listed are skipped unread unless
    /// [`wants`](Self::wants) them.
    const REQUIRED: &'static [Section];
    /// Whether the sink reads `section` (otherwise it is validated as JSON and dropped).
    fn wants(&self, section: Section) -> bool;
    /// The header was decoded.
    fn header(&mut self, _meta: &Meta) {}
    /// A checked node row; `room` is how many more rows the header allows.
    fn node(&mut self, row: NodeRow, room: u64);
    /// The `nodes` array ended.
    fn nodes_done(&mut self) {}
    /// A checked edge row.
    fn edge(&mut self, _row: EdgeRow, _room: u64) {}
    /// A checked location row.
    fn location(&mut self, _location: Location) {}
    /// The `strings` array ended.
    fn strings_done(&mut self) {}
    /// Where array `section` is: the offsets of its `[` and `]` (when locating).
    fn span(&mut self, _section: Section, _open: u64, _close: u64) {}
}

/// Where the top-level walk is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Top {
    Start,
    KeyOrEnd,
    KeyStart,
    Key,
    Colon,
    Value,
    Header,
    Numbers,
    /// A number array before the header: kept raw until the header arrives.
    Stash,
    /// `locations` when `meta` has no usable `location_fields`: skipped to its `]` unread.
    SkipArray,
    Strings,
    Skip,
    CommaOrEnd,
    Done,
}

/// A number array that came before the header: its bytes after `[` up to its `]`, and the
/// offset of the first of them.
#[derive(Debug)]
struct Stash {
    section: Section,
    base: u64,
    bytes: Vec<u8>,
    /// Whether the bytes are kept (else the array is only located).
    keep: bool,
}

/// The largest name index read before the strings were known, with its row and offset.
type MaxName = Option<(u32, u64, u64)>;

/// What a [`Reader`] ends with.
pub(crate) struct Finished<S> {
    /// The sink, filled.
    pub(crate) sink: S,
    /// The header.
    pub(crate) meta: Meta,
    /// Edge rows read, and the offset of the `edges` array's `]`.
    pub(crate) edge_rows: u64,
    pub(crate) edges_close: u64,
    /// Length of the `strings` array.
    pub(crate) strings: u64,
}

/// Reads a snapshot pushed in chunks into the sink `S`. After an error every call fails.
#[derive(Debug)]
pub(crate) struct Reader<S> {
    /// Bytes consumed by earlier `push` calls.
    offset: u64,
    state: Top,
    failed: Option<String>,
    key: Vec<u8>,
    key_overflow: bool,
    text: StrScan,
    skip: Skipper,
    header_raw: Vec<u8>,
    header_at: u64,
    /// Sections seen so far (duplicates are errors): header, nodes, edges, locations, strings.
    seen: [bool; 5],
    meta: Option<Meta>,
    facts: Option<Facts>,
    stashes: Vec<Stash>,
    stash: Option<Stash>,
    num: NumArray,
    node_rows: u64,
    edge_rows: u64,
    /// Offset of the `edges` array's `]`.
    edges_close: u64,
    max_node_name: MaxName,
    max_edge_name: MaxName,
    strings: StringsArray,
    strings_count: Option<u64>,
    /// Where the rows and strings go.
    pub(crate) sink: S,
}

impl<S: Sink> Reader<S> {
    /// A reader waiting for the first chunk.
    pub(crate) fn new(sink: S) -> Self {
        Reader {
            offset: 0,
            state: Top::Start,
            failed: None,
            key: Vec::with_capacity(MAX_KEY_BYTES),
            key_overflow: false,
            text: StrScan::default(),
            skip: Skipper::new(),
            header_raw: Vec::new(),
            header_at: 0,
            seen: [false; 5],
            meta: None,
            facts: None,
            stashes: Vec::new(),
            stash: None,
            num: NumArray::new(Section::Nodes, 1),
            node_rows: 0,
            edge_rows: 0,
            edges_close: 0,
            max_node_name: None,
            max_edge_name: None,
            strings: StringsArray::default(),
            strings_count: None,
            sink,
        }
    }

    /// Bytes pushed so far.
    pub(crate) fn bytes(&self) -> u64 {
        self.offset
    }

    /// Heap bytes of the reader's own buffers (the header, early arrays).
    pub(crate) fn buffer_bytes(&self) -> usize {
        self.header_raw.capacity()
            + self
                .stashes
                .iter()
                .map(|s| s.bytes.capacity())
                .sum::<usize>()
            + self.stash.as_ref().map_or(0, |s| s.bytes.capacity())
    }

    /// Consumes the next chunk (any length, split anywhere).
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Result<(), SnapshotError> {
        if let Some(first) = &self.failed {
            return Err(SnapshotError::AlreadyFailed {
                first: first.clone(),
            });
        }
        match self.push_inner(chunk) {
            Ok(()) => {
                self.offset += chunk.len() as u64;
                Ok(())
            }
            Err(err) => {
                self.failed = Some(err.to_string());
                Err(err)
            }
        }
    }

    /// Ends the input: the top-level object must be closed.
    pub(crate) fn finish(mut self) -> Result<Finished<S>, SnapshotError> {
        if let Some(first) = self.failed.take() {
            return Err(SnapshotError::AlreadyFailed { first });
        }
        match self.state {
            Top::Done => {}
            Top::Start => {
                return Err(SnapshotError::NotASnapshot {
                    offset: self.offset,
                    reason: "the input is empty".into(),
                })
            }
            state => {
                return Err(SnapshotError::Truncated {
                    offset: self.offset,
                    inside: self.describe_state(state),
                })
            }
        }
        Ok(Finished {
            meta: self
                .meta
                .take()
                .expect("checked when the top-level object closed"),
            edge_rows: self.edge_rows,
            edges_close: self.edges_close,
            strings: self.strings.count,
            sink: self.sink,
        })
    }

    fn describe_state(&self, state: Top) -> &'static str {
        match state {
            Top::Start | Top::Done => "nothing",
            Top::KeyOrEnd | Top::KeyStart | Top::Colon | Top::Value | Top::CommaOrEnd => {
                "the top-level object"
            }
            Top::Key => "a top-level key",
            Top::Header => "the \"snapshot\" header",
            Top::Stash => self.stash.as_ref().map_or("nothing", |s| s.section.array()),
            Top::SkipArray => Section::Locations.array(),
            Top::Numbers => self.num.section.array(),
            Top::Strings => Section::Strings.array(),
            Top::Skip => "a skipped section",
        }
    }

    fn push_inner(&mut self, buf: &[u8]) -> Result<(), SnapshotError> {
        let base = self.offset;
        let mut i = 0;
        while i < buf.len() {
            let b = buf[i];
            let at = base + i as u64;
            match self.state {
                Top::Start => {
                    i += 1;
                    match b {
                        b' ' | b'\t' | b'\n' | b'\r' => {}
                        b'{' => self.state = Top::KeyOrEnd,
                        _ => {
                            return Err(SnapshotError::NotASnapshot {
                                offset: at,
                                reason: format!("expected a JSON object, found {}", describe(b)),
                            })
                        }
                    }
                }
                Top::KeyOrEnd | Top::KeyStart => {
                    i += 1;
                    match b {
                        b' ' | b'\t' | b'\n' | b'\r' => {}
                        b'"' => {
                            self.key.clear();
                            self.key_overflow = false;
                            self.text = StrScan::default();
                            self.state = Top::Key;
                        }
                        b'}' if self.state == Top::KeyOrEnd => self.close_top(at)?,
                        _ => {
                            return Err(syntax(
                                at,
                                format!("expected a top-level key, found {}", describe(b)),
                            ))
                        }
                    }
                }
                Top::Key => {
                    let out = (!self.key_overflow).then_some(&mut self.key);
                    let (n, done) = self.text.feed(&buf[i..], out, at)?;
                    i += n;
                    if self.key.len() > MAX_KEY_BYTES {
                        self.key_overflow = true;
                        self.key.clear();
                    }
                    if done {
                        self.state = Top::Colon;
                    }
                }
                Top::Colon => {
                    i += 1;
                    match b {
                        b' ' | b'\t' | b'\n' | b'\r' => {}
                        b':' => self.state = Top::Value,
                        _ => {
                            return Err(syntax(at, format!("expected ':', found {}", describe(b))))
                        }
                    }
                }
                Top::Value if is_ws(b) => i += 1,
                Top::Value => i += self.start_value(b, at)?,
                Top::Header => {
                    let (n, done) = self.skip.feed(&buf[i..], at)?;
                    if self.header_raw.len() + n > MAX_HEADER_BYTES {
                        return Err(SnapshotError::InvalidHeader {
                            offset: self.header_at,
                            message: format!("more than {MAX_HEADER_BYTES} bytes"),
                        });
                    }
                    self.header_raw.extend_from_slice(&buf[i..i + n]);
                    i += n;
                    if done {
                        self.state = Top::CommaOrEnd;
                        self.header_done()?;
                    }
                }
                Top::Numbers => {
                    let (n, done) = self.feed_numbers(&buf[i..], at)?;
                    i += n;
                    if done {
                        self.state = Top::CommaOrEnd;
                    }
                }
                Top::Stash | Top::SkipArray => i += self.feed_raw(&buf[i..], at)?,
                Top::Strings => {
                    let (n, done) = self.strings.feed(&buf[i..], at, &mut self.sink)?;
                    i += n;
                    if done {
                        self.sink
                            .span(Section::Strings, self.strings.open, at + n as u64 - 1);
                        self.strings_done()?;
                        self.state = Top::CommaOrEnd;
                    }
                }
                Top::Skip => {
                    let (n, done) = self.skip.feed(&buf[i..], at)?;
                    i += n;
                    if done {
                        self.state = Top::CommaOrEnd;
                    }
                }
                Top::CommaOrEnd => {
                    i += 1;
                    match b {
                        b' ' | b'\t' | b'\n' | b'\r' => {}
                        b',' => self.state = Top::KeyStart,
                        b'}' => self.close_top(at)?,
                        _ => {
                            return Err(syntax(
                                at,
                                format!(
                                    "expected ',' or '}}' after a top-level value, found {}",
                                    describe(b)
                                ),
                            ))
                        }
                    }
                }
                Top::Done if is_ws(b) => i += 1,
                Top::Done => return Err(syntax(at, "data after the end of the snapshot object")),
            }
        }
        Ok(())
    }

    /// The bytes of an array kept raw or skipped: only checked to be number bytes here (as the
    /// parallel loader does); a stash is parsed when the header arrives. Returns the bytes
    /// consumed.
    fn feed_raw(&mut self, rest: &[u8], at: u64) -> Result<usize, SnapshotError> {
        let first = if rest.len() >= PARALLEL_SCAN_BYTES {
            first_non_number(rest)
        } else {
            first_non_number_in(rest)
        };
        let (n, done) = match first {
            Some(k) if rest[k] == b']' => (k + 1, true),
            Some(k) => {
                let section = self
                    .stash
                    .as_ref()
                    .map_or(Section::Locations, |s| s.section);
                return Err(not_a_number_byte(at + k as u64, section.name(), rest[k]));
            }
            None => (rest.len(), false),
        };
        if let Some(stash) = self.stash.as_mut().filter(|s| s.keep) {
            stash.bytes.extend_from_slice(&rest[..n]);
        }
        if done {
            match self.stash.take() {
                Some(s) if !s.keep => self.sink.span(s.section, s.base - 1, at + n as u64 - 1),
                stash => self.stashes.extend(stash),
            }
            self.state = Top::CommaOrEnd;
        }
        Ok(n)
    }

    /// Starts the value of the key just read at its first byte `b` (at offset `at`); returns
    /// the bytes consumed (the opening bracket of an array, else nothing).
    fn start_value(&mut self, b: u8, at: u64) -> Result<usize, SnapshotError> {
        let key: &[u8] = if self.key_overflow { b"" } else { &self.key };
        let (section, slot) = match key {
            b"snapshot" => (None, 0),
            b"nodes" => (Some(Section::Nodes), 1),
            b"edges" => (Some(Section::Edges), 2),
            b"locations" => (Some(Section::Locations), 3),
            b"strings" => (Some(Section::Strings), 4),
            _ => (None, 5),
        };
        let read = match section {
            Some(section) => self.sink.wants(section),
            None => slot == 0,
        };
        if !read {
            self.skip = Skipper::new();
            self.state = Top::Skip;
            return Ok(0);
        }
        if self.seen[slot] {
            let name = section.map_or("snapshot", Section::name);
            return Err(SnapshotError::Structure {
                offset: at,
                message: format!("duplicate \"{name}\" section"),
            });
        }
        self.seen[slot] = true;
        let Some(section) = section else {
            if b != b'{' {
                return Err(SnapshotError::InvalidHeader {
                    offset: at,
                    message: format!("\"snapshot\" is not an object (found {})", describe(b)),
                });
            }
            self.skip = Skipper::new();
            self.header_raw.clear();
            self.header_at = at;
            self.state = Top::Header;
            return Ok(0);
        };
        if b != b'[' {
            let message = match section {
                Section::Strings => "\"strings\" is not an array".to_owned(),
                _ => format!(
                    "\"{}\" is not an array (found {})",
                    section.name(),
                    describe(b)
                ),
            };
            return Err(SnapshotError::Structure {
                offset: at,
                message,
            });
        }
        self.state = match (section, &self.facts) {
            (Section::Strings, _) => {
                self.strings = StringsArray {
                    raw: S::LOCATE,
                    open: at,
                    ..StringsArray::default()
                };
                Top::Strings
            }
            (_, _) if S::LOCATE => {
                self.stash = Some(Stash {
                    section,
                    base: at + 1,
                    bytes: Vec::new(),
                    keep: false,
                });
                Top::Stash
            }
            (_, None) => {
                self.stash = Some(Stash {
                    section,
                    base: at + 1,
                    bytes: Vec::new(),
                    keep: true,
                });
                Top::Stash
            }
            (_, Some(facts)) => match facts.stride(section) {
                Some(stride) => {
                    self.num = NumArray::new(section, stride);
                    Top::Numbers
                }
                None => Top::SkipArray,
            },
        };
        Ok(1)
    }

    /// The header object is complete: read `meta`, then the arrays that came before it.
    fn header_done(&mut self) -> Result<(), SnapshotError> {
        let meta = Meta::parse(&self.header_raw, self.header_at as usize, S::NEEDS)?;
        self.header_raw = Vec::new();
        self.sink.header(&meta);
        let facts = Facts::new(&meta);
        self.meta = Some(meta);
        for stash in std::mem::take(&mut self.stashes) {
            let Some(stride) = facts.stride(stash.section) else {
                continue;
            };
            self.num = NumArray::new(stash.section, stride);
            self.facts = Some(facts.clone());
            let (n, done) = self.feed_numbers(&stash.bytes, stash.base)?;
            debug_assert!(done && n == stash.bytes.len());
        }
        self.facts = Some(facts);
        Ok(())
    }

    /// The strings are all known: check the names read so far; later ones are checked as
    /// they come.
    fn strings_done(&mut self) -> Result<(), SnapshotError> {
        let strings = self.strings.count;
        self.strings_count = Some(strings);
        self.sink.strings_done();
        if let Some((name, node, offset)) = self.max_node_name.take() {
            if u64::from(name) >= strings {
                return Err(SnapshotError::NameOutOfRange {
                    offset,
                    node,
                    name: u64::from(name),
                    strings,
                });
            }
        }
        if let Some((name, edge, offset)) = self.max_edge_name.take() {
            if u64::from(name) >= strings {
                return Err(SnapshotError::EdgeNameOutOfRange {
                    offset,
                    edge,
                    name: u64::from(name),
                    strings,
                });
            }
        }
        Ok(())
    }

    /// The top-level object closed at `at` (its `}`): every required section must be there.
    fn close_top(&mut self, at: u64) -> Result<(), SnapshotError> {
        if !self.seen[0] {
            return Err(SnapshotError::NotASnapshot {
                offset: at,
                reason: "no \"snapshot\" header".into(),
            });
        }
        let seen = |s: &Section| match s {
            Section::Nodes => self.seen[1],
            Section::Edges => self.seen[2],
            Section::Locations => self.seen[3],
            Section::Strings => self.seen[4],
        };
        if let Some(missing) = S::REQUIRED.iter().find(|s| !seen(s)) {
            return Err(SnapshotError::Structure {
                offset: at,
                message: format!("no \"{}\" array", missing.name()),
            });
        }
        self.state = Top::Done;
        Ok(())
    }
}

/// Scan state of a `strings` array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StrSt {
    FirstOrClose,
    Value,
    InString,
    After,
}

/// Reads the body of a `strings` array (after `[`), in chunks split anywhere.
#[derive(Debug)]
pub(crate) struct StringsArray {
    st: StrSt,
    text: StrScan,
    /// Strings read so far.
    pub(crate) count: u64,
    /// Whether the current string is decoded (else only validated).
    keep: bool,
    /// Whether strings are skipped unchecked (when locating), and a backslash just skipped.
    raw: bool,
    escaped: bool,
    /// Offset of the array's `[`.
    open: u64,
}

impl Default for StringsArray {
    fn default() -> Self {
        StringsArray {
            st: StrSt::FirstOrClose,
            text: StrScan::default(),
            count: 0,
            keep: false,
            raw: false,
            escaped: false,
            open: 0,
        }
    }
}

impl StringsArray {
    /// Skips string body bytes to the closing quote without decoding them; returns the bytes
    /// consumed and whether the quote was one of them.
    fn skip_raw(&mut self, buf: &[u8]) -> (usize, bool) {
        let mut i = usize::from(self.escaped).min(buf.len());
        self.escaped = self.escaped && buf.is_empty();
        while let Some(k) = memchr::memchr2(b'"', b'\\', &buf[i..]) {
            let j = i + k;
            if buf[j] == b'"' {
                return (j + 1, true);
            }
            // An escape: its next byte cannot end the string.
            if j + 1 == buf.len() {
                self.escaped = true;
                return (buf.len(), false);
            }
            i = j + 2;
        }
        (buf.len(), false)
    }

    /// Consumes array bytes (`buf` starts at byte `base`); returns the bytes consumed and
    /// whether the closing `]` was one of them.
    pub(crate) fn feed(
        &mut self,
        buf: &[u8],
        base: u64,
        sink: &mut impl StringSink,
    ) -> Result<(usize, bool), SnapshotError> {
        let mut i = 0;
        while i < buf.len() {
            let b = buf[i];
            let at = base + i as u64;
            match self.st {
                StrSt::InString => {
                    let (n, done) = if self.raw {
                        self.skip_raw(&buf[i..])
                    } else {
                        let out = self.keep.then(|| sink.string_buf());
                        self.text.feed(&buf[i..], out, at)?
                    };
                    i += n;
                    if done {
                        let end = base + i as u64;
                        if self.count > u64::from(u32::MAX) {
                            return Err(SnapshotError::TooLarge {
                                offset: end,
                                message: "more than 2^32 strings".into(),
                            });
                        }
                        if self.keep {
                            sink.string_end(self.count, end)?;
                        }
                        self.count += 1;
                        self.st = StrSt::After;
                    }
                }
                StrSt::FirstOrClose | StrSt::Value => {
                    i += 1;
                    match b {
                        b' ' | b'\t' | b'\n' | b'\r' => {}
                        b'"' => {
                            self.text = StrScan::default();
                            self.keep = sink.string_start(self.count);
                            self.st = StrSt::InString;
                        }
                        b']' if self.st == StrSt::FirstOrClose => return Ok((i, true)),
                        _ => {
                            return Err(syntax(
                                at,
                                format!("expected a string in \"strings\", found {}", describe(b)),
                            ))
                        }
                    }
                }
                StrSt::After => {
                    i += 1;
                    match b {
                        b' ' | b'\t' | b'\n' | b'\r' => {}
                        b',' => self.st = StrSt::Value,
                        b']' => return Ok((i, true)),
                        _ => {
                            return Err(syntax(
                                at,
                                format!(
                                    "expected ',' or ']' in \"strings\", found {}",
                                    describe(b)
                                ),
                            ))
                        }
                    }
                }
            }
        }
        Ok((i, false))
    }
}

/// Pushes everything `reader` delivers, `chunk` bytes at a time into one reused buffer,
/// stopping at the first error; reports each chunk to `progress` once it is pushed.
pub(crate) fn read_all(
    reader: &mut impl Read,
    chunk: usize,
    progress: Option<&Progress>,
    mut push: impl FnMut(&[u8]) -> Result<(), SnapshotError>,
) -> Result<(), SnapshotError> {
    let mut buf = vec![0u8; chunk];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err.into()),
        };
        push(&buf[..n])?;
        if let Some(progress) = progress {
            progress.advance(n as u64);
        }
    }
}

/// Bytes read, added up from any thread and reported to a [`Progress`] as they come; with a
/// file map, the pages of each parsed range are handed back to the kernel.
#[derive(Debug)]
pub(crate) struct ByteCount<'a> {
    progress: Option<&'a Progress>,
    done: AtomicU64,
    map: Option<&'a memmap2::Mmap>,
}

impl<'a> ByteCount<'a> {
    /// A count reporting to `progress` (or to nothing).
    pub(crate) fn new(progress: Option<&'a Progress>) -> Self {
        ByteCount {
            progress,
            done: AtomicU64::new(0),
            map: None,
        }
    }

    /// A count that also releases the pages of `map` that [`range_done`](Self::range_done)
    /// names: the parsed text is not needed again, and keeping the mapped file resident
    /// while the columns grow is what set the loader's peak RSS (file + columns).
    pub(crate) fn releasing(progress: Option<&'a Progress>, map: &'a memmap2::Mmap) -> Self {
        ByteCount {
            map: Some(map),
            ..ByteCount::new(progress)
        }
    }

    /// The bytes `start..end` of the input are parsed: counted, and released when mapped.
    pub(crate) fn range_done(&self, start: usize, end: usize) {
        self.add(end.saturating_sub(start) as u64);
        #[cfg(unix)]
        if let Some(map) = self.map {
            // SAFETY: the map is a private read-only file map that is never written, so
            // dropping its pages loses nothing: a later read (an error's offset, a neighbour
            // piece sharing the edge page) faults them in again from the file.
            let _ = unsafe {
                map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
            };
        }
    }

    /// `n` more bytes are read.
    pub(crate) fn add(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
        if let Some(progress) = self.progress {
            progress.advance(n);
        }
    }

    /// Everything up to `total` is read (the bytes between the sections).
    pub(crate) fn fill(&self, total: u64) {
        self.add(total.saturating_sub(self.done.load(Ordering::Relaxed)));
    }
}

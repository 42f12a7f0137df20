//! The nodes-only summary of a V8 `.heapsnapshot`, read incrementally: the summary sink of the
//! [reader](crate::heap::reader), for HeapDiff.
//!
//! The file is fed in chunks split anywhere (inside numbers, strings, escapes or multi-byte
//! UTF-8). Only three sections matter:
//!
//! * `snapshot`: the header (`meta` and counts);
//! * `nodes`: four columns (id, type, name, self size: 17 bytes per node);
//! * `strings`: only the strings used as the name of an `object` node (constructor names) are
//!   kept.
//!
//! `edges` and every other section are validated as JSON and dropped. Memory is proportional
//! to the node count plus the kept strings, never to the file size, and nothing is reserved
//! from a declared count beyond what the input has actually delivered. `strings` normally
//! comes last; if it comes before `nodes`, which strings are needed is not known yet and all
//! of them are kept.

use crate::heap::reader::error::syntax;
use crate::heap::reader::meta::{Meta, Needs};
use crate::heap::reader::{grow, read_all, NodeRow, Reader, Section, Sink, StringSink};
use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::Path;

pub use crate::heap::reader::SnapshotError;

/// `parse_file` reads this much at a time into one reused buffer.
const READ_CHUNK: usize = 1 << 20;

/// Per-node columns of a parsed snapshot plus the constructor names of `object` nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSummary {
    node_types: Vec<String>,
    ids: Vec<u32>,
    types: Vec<u8>,
    names: Vec<u32>,
    self_sizes: Vec<u64>,
    strings_count: u64,
    /// Indices (into `strings`) of the kept strings, ascending.
    kept_index: Vec<u32>,
    /// End of each kept string in `arena`.
    kept_end: Vec<usize>,
    arena: String,
}

impl NodeSummary {
    /// Number of nodes (equals the header's `snapshot.node_count`).
    pub fn node_count(&self) -> usize {
        self.ids.len()
    }

    /// Node type names from `meta.node_types` (`"hidden"`, `"array"`, `"object"`, ...).
    pub fn node_types(&self) -> &[String] {
        &self.node_types
    }

    /// Index of a node type name in [`node_types`](Self::node_types).
    pub fn type_index_of(&self, name: &str) -> Option<u8> {
        self.node_types
            .iter()
            .position(|t| t == name)
            .and_then(|i| u8::try_from(i).ok())
    }

    /// Node ids, in snapshot order.
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// Node type indices into [`node_types`](Self::node_types), in snapshot order.
    pub fn type_indices(&self) -> &[u8] {
        &self.types
    }

    /// Node name string indices, in snapshot order.
    pub fn names(&self) -> &[u32] {
        &self.names
    }

    /// Node self sizes in bytes, in snapshot order.
    pub fn self_sizes(&self) -> &[u64] {
        &self.self_sizes
    }

    /// Type name of node `node` (ordinal).
    pub fn type_name(&self, node: usize) -> Option<&str> {
        let ty = *self.types.get(node)?;
        self.node_types.get(usize::from(ty)).map(String::as_str)
    }

    /// Name of node `node` (ordinal) if it was kept: the parser keeps the names of `object`
    /// nodes (their constructor names) only, so other nodes give `None`.
    pub fn name_of(&self, node: usize) -> Option<&str> {
        self.string(*self.names.get(node)?)
    }

    /// A kept entry of the `strings` array.
    pub fn string(&self, index: u32) -> Option<&str> {
        let slot = self.kept_index.binary_search(&index).ok()?;
        let start = if slot == 0 {
            0
        } else {
            self.kept_end[slot - 1]
        };
        self.arena.get(start..self.kept_end[slot])
    }

    /// Length of the `strings` array in the file.
    pub fn strings_count(&self) -> u64 {
        self.strings_count
    }

    /// How many strings were kept.
    pub fn kept_strings(&self) -> usize {
        self.kept_index.len()
    }
}

/// Parses a `.heapsnapshot` file in ~1 MiB reads into one reused buffer.
pub fn parse_file(path: &Path) -> Result<NodeSummary, SnapshotError> {
    parse_reader(File::open(path)?)
}

/// Parses a snapshot from any reader in ~1 MiB reads.
pub fn parse_reader(mut reader: impl Read) -> Result<NodeSummary, SnapshotError> {
    let mut parser = NodeSummaryParser::new();
    read_all(&mut reader, READ_CHUNK, None, |chunk| parser.feed(chunk))?;
    parser.finish()
}

/// Which strings to keep while streaming the `strings` array.
#[derive(Debug)]
enum Needed {
    /// Before the nodes are known (strings before nodes): keep everything.
    All,
    /// Bit per string index.
    Bits(Vec<u64>),
    /// Sorted unique indices and a cursor (strings arrive in index order).
    Sorted(Vec<u32>, usize),
}

impl Needed {
    fn wants(&mut self, index: u64) -> bool {
        match self {
            Needed::All => index <= u64::from(u32::MAX),
            Needed::Bits(bits) => usize::try_from(index / 64)
                .ok()
                .and_then(|w| bits.get(w))
                .is_some_and(|word| word & (1 << (index % 64)) != 0),
            Needed::Sorted(list, cursor) => {
                while *cursor < list.len() && u64::from(list[*cursor]) < index {
                    *cursor += 1;
                }
                list.get(*cursor).is_some_and(|&v| u64::from(v) == index)
            }
        }
    }
}

/// Decides, node by node, which nodes a [`NodeSummaryParser`] keeps; the others are validated
/// and counted but not stored. Runs on the parsing thread.
pub trait NodeFilter: Send + fmt::Debug {
    /// `true` to keep the node in the summary.
    fn keep(&mut self, id: u32, self_size: u64) -> bool;
}

/// Incremental snapshot parser: [`feed`](Self::feed) chunks split anywhere, then
/// [`finish`](Self::finish). After an error every further call fails.
/// The summary's columns and kept strings as the rows arrive.
#[derive(Debug)]
struct SummarySink {
    filter: Option<Box<dyn NodeFilter>>,
    /// Index of the `object` node type.
    object_type: Option<u8>,
    node_types: Vec<String>,
    ids: Vec<u32>,
    types: Vec<u8>,
    names: Vec<u32>,
    sizes: Vec<u64>,
    needed: Needed,
    str_buf: Vec<u8>,
    kept_index: Vec<u32>,
    kept_end: Vec<usize>,
    arena: String,
}

impl StringSink for SummarySink {
    fn string_start(&mut self, index: u64) -> bool {
        self.str_buf.clear();
        self.needed.wants(index)
    }

    fn string_buf(&mut self) -> &mut Vec<u8> {
        &mut self.str_buf
    }

    fn string_end(&mut self, index: u64, at: u64) -> Result<(), SnapshotError> {
        let text = std::str::from_utf8(&self.str_buf)
            .map_err(|_| syntax(at, "invalid UTF-8 in a string"))?;
        self.arena.push_str(text);
        self.kept_index.push(index as u32);
        self.kept_end.push(self.arena.len());
        Ok(())
    }
}

impl Sink for SummarySink {
    const NEEDS: Needs = Needs::Nodes;
    const REQUIRED: &'static [Section] = &[Section::Nodes, Section::Strings];

    fn wants(&self, section: Section) -> bool {
        matches!(section, Section::Nodes | Section::Strings)
    }

    fn header(&mut self, meta: &Meta) {
        self.node_types = meta.node_types.clone();
        self.object_type = meta
            .node_types
            .iter()
            .position(|t| t == "object")
            .and_then(|i| u8::try_from(i).ok());
    }

    fn node(&mut self, row: NodeRow, room: u64) {
        if let Some(filter) = self.filter.as_mut() {
            if !filter.keep(row.id, row.self_size) {
                return;
            }
        }
        // Grow with the input, never past the declared count.
        grow(&mut self.ids, room);
        grow(&mut self.types, room);
        grow(&mut self.names, room);
        grow(&mut self.sizes, room);
        self.ids.push(row.id);
        self.types.push(row.ty);
        self.names.push(row.name);
        self.sizes.push(row.self_size);
    }

    fn nodes_done(&mut self) {
        self.needed = self.needed_strings();
    }

    fn strings_done(&mut self) {
        self.str_buf = Vec::new();
    }
}

impl SummarySink {
    /// The string indices used as names of `object` nodes.
    fn needed_strings(&self) -> Needed {
        let Some(object) = self.object_type else {
            return Needed::Sorted(Vec::new(), 0);
        };
        let object_names = || {
            self.types
                .iter()
                .zip(&self.names)
                .filter(move |(&t, _)| t == object)
                .map(|(_, &n)| n)
        };
        let Some(max) = object_names().max() else {
            return Needed::Sorted(Vec::new(), 0);
        };
        let words = max as usize / 64 + 1;
        // A bitset unless it would be larger than ~4 bytes per node.
        if words <= self.ids.len() / 2 + 1024 {
            let mut bits = vec![0u64; words];
            for n in object_names() {
                bits[n as usize / 64] |= 1 << (n % 64);
            }
            Needed::Bits(bits)
        } else {
            let mut list: Vec<u32> = object_names().collect();
            list.sort_unstable();
            list.dedup();
            Needed::Sorted(list, 0)
        }
    }
}

/// Incremental snapshot parser: [`feed`](Self::feed) chunks split anywhere, then
/// [`finish`](Self::finish). After an error every further call fails.
#[derive(Debug)]
pub struct NodeSummaryParser(Reader<SummarySink>);

impl Default for NodeSummaryParser {
    fn default() -> Self {
        Self::new()
    }
}

impl NodeSummaryParser {
    /// A parser that keeps every node.
    pub fn new() -> Self {
        Self::with(None)
    }

    /// A parser that keeps only the nodes `filter` accepts (node counts are still checked
    /// against the header, and every name index against the strings).
    pub fn with_filter(filter: Box<dyn NodeFilter>) -> Self {
        Self::with(Some(filter))
    }

    fn with(filter: Option<Box<dyn NodeFilter>>) -> Self {
        NodeSummaryParser(Reader::new(SummarySink {
            filter,
            object_type: None,
            node_types: Vec::new(),
            ids: Vec::new(),
            types: Vec::new(),
            names: Vec::new(),
            sizes: Vec::new(),
            needed: Needed::All,
            str_buf: Vec::new(),
            kept_index: Vec::new(),
            kept_end: Vec::new(),
            arena: String::new(),
        }))
    }

    /// Bytes fed so far.
    pub fn bytes_seen(&self) -> u64 {
        self.0.bytes()
    }

    /// Consumes the next chunk of the file.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), SnapshotError> {
        self.0.push(chunk)
    }

    /// Ends the input and returns the summary.
    pub fn finish(self) -> Result<NodeSummary, SnapshotError> {
        let done = self.0.finish()?;
        let sink = done.sink;
        Ok(NodeSummary {
            node_types: done.meta.node_types,
            ids: sink.ids,
            types: sink.types,
            names: sink.names,
            self_sizes: sink.sizes,
            strings_count: done.strings,
            kept_index: sink.kept_index,
            kept_end: sink.kept_end,
            arena: sink.arena,
        })
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Builds small but valid snapshots for tests.

    /// One node: type name, name, id, self size.
    pub type TestNode<'a> = (&'a str, &'a str, u32, u64);

    pub const NODE20_FIELDS: &[&str] = &[
        "type",
        "name",
        "id",
        "self_size",
        "edge_count",
        "trace_node_id",
        "detachedness",
    ];
    pub const OLD_FIELDS: &[&str] = &[
        "type",
        "name",
        "id",
        "self_size",
        "edge_count",
        "trace_node_id",
    ];
    pub const NODE_TYPES: &[&str] = &[
        "hidden",
        "array",
        "string",
        "object",
        "code",
        "closure",
        "regexp",
        "number",
        "native",
        "synthetic",
        "concatenated string",
        "sliced string",
        "symbol",
        "bigint",
        "object shape",
        "wasm object",
    ];

    /// JSON string literal the way V8 writes it: ASCII only, `\uXXXX` for the rest.
    pub fn v8_quote(text: &str) -> String {
        let mut out = String::from("\"");
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    /// A snapshot with the given node fields (any order; must include the four we read), nodes
    /// and edges (from node ordinal, to node ordinal). `raw_strings` are extra entries of the
    /// strings array written verbatim (already JSON-encoded); `ascii` selects V8's `\u` style
    /// for names, otherwise names are written as raw UTF-8 (serde_json style).
    pub fn build_snapshot(
        fields: &[&str],
        nodes: &[TestNode],
        edges: &[(usize, usize)],
        raw_strings: &[&str],
        ascii: bool,
    ) -> String {
        let mut strings: Vec<String> = vec!["<dummy>".into()];
        let name_index = |name: &str, strings: &mut Vec<String>| -> usize {
            match strings.iter().position(|s| s == name) {
                Some(i) => i,
                None => {
                    strings.push(name.to_owned());
                    strings.len() - 1
                }
            }
        };
        let type_pos = fields.iter().position(|f| *f == "type").unwrap();
        let mut edge_count = vec![0usize; nodes.len()];
        for &(from, _) in edges {
            edge_count[from] += 1;
        }
        let mut node_rows = Vec::new();
        for (ordinal, &(ty, name, id, size)) in nodes.iter().enumerate() {
            let ty_index = NODE_TYPES.iter().position(|t| *t == ty).unwrap();
            let name = name_index(name, &mut strings);
            let row: Vec<String> = fields
                .iter()
                .map(|f| match *f {
                    "type" => ty_index.to_string(),
                    "name" => name.to_string(),
                    "id" => id.to_string(),
                    "self_size" => size.to_string(),
                    "edge_count" => edge_count[ordinal].to_string(),
                    "detachedness" => "0".into(),
                    _ => "0".into(),
                })
                .collect();
            node_rows.push(row.join(","));
        }
        let prop = name_index("prop", &mut strings);
        let mut sorted_edges = edges.to_vec();
        sorted_edges.sort_by_key(|e| e.0);
        let edge_rows: Vec<String> = sorted_edges
            .iter()
            .map(|&(_, to)| format!("2,{prop},{}", to * fields.len()))
            .collect();
        let node_types: Vec<String> = fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                if i == type_pos {
                    serde_json::to_string(NODE_TYPES).unwrap()
                } else if *f == "name" {
                    "\"string\"".into()
                } else {
                    "\"number\"".into()
                }
            })
            .collect();
        let quote = |s: &String| {
            if ascii {
                v8_quote(s)
            } else {
                serde_json::to_string(s).unwrap()
            }
        };
        let mut string_rows: Vec<String> = strings.iter().map(quote).collect();
        string_rows.extend(raw_strings.iter().map(|s| s.to_string()));
        let mut out = String::new();
        out.push_str("{\"snapshot\":{\"meta\":{\"node_fields\":");
        out.push_str(&serde_json::to_string(fields).unwrap());
        out.push_str(",\"node_types\":[");
        out.push_str(&node_types.join(","));
        out.push_str("],\"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],");
        out.push_str("\"edge_types\":[[\"context\",\"element\",\"property\",\"internal\",");
        out.push_str("\"hidden\",\"shortcut\",\"weak\"],\"string_or_number\",\"node\"],");
        out.push_str("\"trace_function_info_fields\":[\"function_id\",\"name\",\"script_name\",");
        out.push_str("\"script_id\",\"line\",\"column\"],\"location_fields\":[\"object_index\",");
        out.push_str("\"script_id\",\"line\",\"column\"]},\n");
        out.push_str(&format!(
            "\"node_count\":{},\"edge_count\":{},\"trace_function_count\":0}},\n",
            nodes.len(),
            edges.len()
        ));
        out.push_str("\"nodes\":[");
        out.push_str(&node_rows.join("\n,"));
        out.push_str("],\n\"edges\":[");
        out.push_str(&edge_rows.join("\n,"));
        out.push_str("],\n\"trace_function_infos\":[],\n\"trace_tree\":[],\n\"samples\":[],\n");
        out.push_str("\"locations\":[],\n\"strings\":[");
        out.push_str(&string_rows.join("\n,"));
        out.push_str("]}");
        out
    }

    /// Parses a whole text in one feed.
    pub fn parse(text: &[u8]) -> Result<super::NodeSummary, super::SnapshotError> {
        let mut parser = super::NodeSummaryParser::new();
        parser.feed(text)?;
        parser.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use crate::heap::reader::json::digit_run;

    /// Tiny deterministic PRNG (xorshift64*).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn parse_chunked(
        text: &[u8],
        sizes: &mut dyn FnMut() -> usize,
    ) -> Result<NodeSummary, SnapshotError> {
        let mut parser = NodeSummaryParser::new();
        let mut pos = 0;
        while pos < text.len() {
            let end = (pos + sizes().max(1)).min(text.len());
            parser.feed(&text[pos..end])?;
            pos = end;
        }
        parser.finish()
    }

    /// Parses whole, byte by byte and in random chunks; all must agree.
    fn parse_all_ways(text: &[u8]) -> NodeSummary {
        let whole = parse(text).unwrap_or_else(|e| panic!("{e}"));
        let bytes = parse_chunked(text, &mut || 1).unwrap();
        assert_eq!(whole, bytes);
        for seed in 1..=8u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let max = [2, 3, 7, 16, 64, 200, 1000, 4096][seed as usize - 1];
            let chunked = parse_chunked(text, &mut || 1 + rng.below(max)).unwrap();
            assert_eq!(whole, chunked, "seed {seed}");
        }
        whole
    }

    fn sample_nodes() -> Vec<TestNode<'static>> {
        vec![
            ("synthetic", "", 1, 0),
            ("synthetic", "(GC roots)", 3, 0),
            ("object", "LeakingClass", 101, 32),
            ("object", "LeakingClass", 103, 32),
            ("array", "", 105, 16),
            ("string", "hello", 107, 24),
            ("closure", "onData", 109, 56),
            ("object", "Object", 111, 3_000_000_000_000),
            ("hidden", "system / Context", 2, 40),
            ("code", "(code)", 4, 120),
        ]
    }

    fn check_against(summary: &NodeSummary, nodes: &[TestNode]) {
        assert_eq!(summary.node_count(), nodes.len());
        for (i, &(ty, name, id, size)) in nodes.iter().enumerate() {
            assert_eq!(summary.ids()[i], id);
            assert_eq!(summary.type_name(i), Some(ty));
            assert_eq!(summary.self_sizes()[i], size);
            if ty == "object" {
                assert_eq!(summary.name_of(i), Some(name), "node {i}");
            }
        }
    }

    /// Only the names of object nodes are kept.
    fn check_only_object_names_kept(summary: &NodeSummary, nodes: &[TestNode]) {
        for (i, &(ty, name, ..)) in nodes.iter().enumerate() {
            if ty != "object" && !nodes.iter().any(|n| n.0 == "object" && n.1 == name) {
                assert_eq!(
                    summary.name_of(i),
                    None,
                    "node {i} ({name}) must not be kept"
                );
            }
        }
    }

    #[test]
    fn parses_node20_layout_all_chunkings() {
        let nodes = sample_nodes();
        let text = build_snapshot(
            NODE20_FIELDS,
            &nodes,
            &[(0, 1), (0, 2), (2, 3), (3, 4)],
            &[],
            true,
        );
        let summary = parse_all_ways(text.as_bytes());
        check_against(&summary, &nodes);
        check_only_object_names_kept(&summary, &nodes);
        assert_eq!(summary.node_types().len(), 16);
        assert_eq!(summary.type_index_of("object"), Some(3));
        assert_eq!(summary.type_indices()[2], 3);
        // "<dummy>", "", "(GC roots)", "LeakingClass", "hello", ... ; only object names kept.
        assert_eq!(summary.kept_strings(), 2);
        assert_eq!(summary.strings_count(), 10);
    }

    #[test]
    fn offsets_come_from_meta() {
        let nodes = sample_nodes();
        let old = build_snapshot(OLD_FIELDS, &nodes, &[(0, 1)], &[], true);
        check_against(&parse_all_ways(old.as_bytes()), &nodes);
        // A shuffled layout with the type column last but one.
        let shuffled = [
            "id",
            "edge_count",
            "self_size",
            "name",
            "type",
            "detachedness",
        ];
        let text = build_snapshot(&shuffled, &nodes, &[(1, 2)], &[], false);
        let summary = parse_all_ways(text.as_bytes());
        check_against(&summary, &nodes);
        check_only_object_names_kept(&summary, &nodes);
        let minimal = build_snapshot(&["self_size", "type", "id", "name"], &nodes, &[], &[], true);
        assert_eq!(parse_all_ways(minimal.as_bytes()), summary);
    }

    #[test]
    fn decodes_escapes_unicode_and_markup() {
        let names = [
            "quote\" backslash\\ slash/",
            "ctl\u{8}\u{c}\n\r\t",
            "caf\u{e9} \u{65e5}\u{672c}\u{8a9e}",
            "emoji \u{1F600}\u{1F4A9}",
            "<script>alert(1)</script>",
            "",
        ];
        let nodes: Vec<TestNode> = names
            .iter()
            .enumerate()
            .map(|(i, n)| ("object", *n, 2 * i as u32 + 1, 8 + i as u64))
            .collect();
        // V8 style (\u escapes, surrogate pairs) and raw UTF-8 (split across chunks when fed
        // byte by byte).
        for ascii in [true, false] {
            let text = build_snapshot(NODE20_FIELDS, &nodes, &[], &[], ascii);
            check_against(&parse_all_ways(text.as_bytes()), &nodes);
        }
    }

    /// Names written by hand: `\/`, upper-case hex, lone and mismatched surrogates.
    #[test]
    fn hand_written_escapes() {
        let cases: &[(&str, &str)] = &[
            (r#""a\/b\u00E9\u00e9""#, "a/b\u{e9}\u{e9}"),
            (r#""\ud83d\ude00""#, "\u{1F600}"),
            (r#""\uD83D\uDE00x""#, "\u{1F600}x"),
            (r#""lone \ud83d end""#, "lone \u{FFFD} end"),
            (r#""lone \ude00""#, "lone \u{FFFD}"),
            (r#""\ud83d""#, "\u{FFFD}"),
            (r#""\ud83d\ud83d\ude00""#, "\u{FFFD}\u{1F600}"),
            (r#""\ud83d\n""#, "\u{FFFD}\n"),
            (r#""\ud83d\u0041""#, "\u{FFFD}A"),
            (r#""\u0000\u001f""#, "\u{0}\u{1f}"),
        ];
        for (raw, expected) in cases {
            // Node 0 named by strings[1] = the raw case.
            let text = build_snapshot(NODE20_FIELDS, &[("object", "x", 1, 1)], &[], &[], true)
                .replace("\"x\"", raw);
            let summary = parse_all_ways(text.as_bytes());
            assert_eq!(summary.name_of(0), Some(*expected), "{raw}");
        }
    }

    #[test]
    fn skips_unknown_and_missing_sections() {
        let nodes = sample_nodes();
        let text = build_snapshot(NODE20_FIELDS, &nodes, &[(0, 1)], &[], true);
        let expected = parse(text.as_bytes()).unwrap();
        // Only snapshot, nodes and strings; extra header keys; unknown sections of every kind.
        let header_end = text.find("\"nodes\"").unwrap();
        let nodes_part = &text[header_end..text.find(",\n\"edges\"").unwrap()];
        let strings_part = &text[text.find("\"strings\"").unwrap()..];
        let header = text[..header_end].replace(
            "\"trace_function_count\":0",
            "\"trace_function_count\":0,\"extra_native_bytes\":12,\"root_index\":0",
        );
        let variants = [
            format!("{header}{nodes_part},{strings_part}"),
            format!(
                "{header}\"future\":{future},{nodes_part},{scalars},\"trace_tree\":{tree},\
                 {strings_part}",
                future = r#"{"a":[true,false,null,-1.5e+3,0,0.25,1E9,"x\"]}"],"b":{},"c":[[]]}"#,
                scalars = r#""n":-0,"t":true,"f":false,"z":null,"s":"\u1234""#,
                tree = "[1,[2,[3,[]]]]",
            ),
            format!(" \n\t{header}{nodes_part} , {strings_part}\n \r\n"),
            // Strings before nodes are kept in full.
            format!(
                "{header}{strings_open},{nodes_part}}}",
                strings_open = &strings_part[..strings_part.len() - 1]
            ),
        ];
        for text in &variants {
            let summary = parse_all_ways(text.as_bytes());
            check_against(&summary, &nodes);
            assert_eq!(summary.ids(), expected.ids());
            assert_eq!(summary.self_sizes(), expected.self_sizes());
        }
    }

    #[test]
    fn digit_run_matches_a_naive_scan() {
        let mut rng = Rng(99);
        let alphabet = b"0123456789,/:\n \x00\x7f\x80\xb9\xff.e";
        for _ in 0..2000 {
            let len = rng.below(40);
            let buf: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            for start in 0..=len {
                let naive = start
                    + buf[start..]
                        .iter()
                        .take_while(|b| b.is_ascii_digit())
                        .count();
                assert_eq!(digit_run(&buf, start), naive, "{buf:?} from {start}");
            }
        }
    }

    #[test]
    fn skipped_arrays_mix_fast_and_general_paths() {
        let good = build_snapshot(NODE20_FIELDS, &sample_nodes(), &[(0, 1)], &[], true);
        let with =
            |samples: &str| good.replacen("\"samples\":[]", &format!("\"samples\":{samples}"), 1);
        let expected = parse(good.as_bytes()).unwrap();
        for valid in [
            "[0, 10 ,0.5,1e3,-1,[2,3],{\"a\":[0]},\"s\",true,0,\n7]",
            "[ 0 ]",
            "[1234567890123456789012345678901234567890, 0 , 00.0e-0]"
                .replace("00.0", "0.0")
                .as_str(),
            "[[],[[]],[1,[2,[3]]],{}]",
            "[0\r\n,\t1]",
        ] {
            assert_eq!(parse_all_ways(with(valid).as_bytes()), expected, "{valid}");
        }
        for invalid in [
            "[00]", "[01]", "[1,,2]", "[1 2]", "[0 1]", "[1,]", "[,1]", "[1.]", "[-]", "[1e]",
            "[1e+]", "[.5]", "[+1]", "[1]]", "[1}", "[0x10]", "[1,2",
        ] {
            let text = with(invalid);
            let e = err(text.as_bytes());
            assert!(matches!(e, SnapshotError::Syntax { .. }), "{invalid}: {e}");
        }
    }

    #[test]
    fn empty_snapshot() {
        let text = build_snapshot(NODE20_FIELDS, &[], &[], &[], true);
        let summary = parse_all_ways(text.as_bytes());
        assert_eq!(summary.node_count(), 0);
        assert_eq!(summary.name_of(0), None);
    }

    fn err(text: &[u8]) -> SnapshotError {
        let whole = parse(text).expect_err("must fail");
        // Same verdict (variant) when fed byte by byte.
        let bytes = parse_chunked(text, &mut || 1).expect_err("must fail");
        assert_eq!(
            std::mem::discriminant(&whole),
            std::mem::discriminant(&bytes),
            "{whole} vs {bytes}"
        );
        assert!(whole.to_string().contains("byte"), "{whole}");
        whole
    }

    #[test]
    fn truncated_input_is_an_error_at_every_cut() {
        let nodes = sample_nodes();
        let text = build_snapshot(
            NODE20_FIELDS,
            &nodes,
            &[(0, 1), (2, 3)],
            &["\"\\ud83d\\ude00 tail\""],
            true,
        );
        let bytes = text.as_bytes();
        for cut in 0..bytes.len() {
            let result = parse(&bytes[..cut]);
            match result {
                Err(SnapshotError::Truncated { offset, .. }) => assert_eq!(offset, cut as u64),
                Err(SnapshotError::NotASnapshot { .. }) if cut == 0 => {}
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
        // 30 random cuts in a bigger snapshot, fed in random chunks.
        let many: Vec<TestNode> = (0..2000u32)
            .map(|i| {
                (
                    NODE_TYPES[i as usize % 16],
                    ["A", "B\u{e9}", "C\\\"", "D"][i as usize % 4],
                    2 * i + 1,
                    u64::from(i) * 7,
                )
            })
            .collect();
        let text = build_snapshot(NODE20_FIELDS, &many, &[(0, 1), (5, 9), (3, 7)], &[], false);
        let mut rng = Rng(42);
        for _ in 0..30 {
            let cut = rng.below(text.len());
            let result = parse_chunked(&text.as_bytes()[..cut], &mut || 1 + rng.below(97));
            assert!(
                matches!(
                    result,
                    Err(SnapshotError::Truncated { .. }) | Err(SnapshotError::NotASnapshot { .. })
                ),
                "cut at {cut}: {result:?}"
            );
        }
        assert_eq!(parse(text.as_bytes()).unwrap().node_count(), 2000);
    }

    #[test]
    fn rejects_what_is_not_a_snapshot() {
        for text in [
            &b""[..],
            b"   ",
            b"garbage",
            b"\x00\xff\xfe",
            b"[1,2,3]",
            b"\"snapshot\"",
            b"{}",
            b" { } ",
            b"{\"foo\":{\"bar\":[1,2]},\"baz\":\"qux\"}",
        ] {
            let e = parse(text).expect_err("must fail");
            assert!(
                matches!(e, SnapshotError::NotASnapshot { .. }),
                "{:?}: {e}",
                String::from_utf8_lossy(text)
            );
        }
        assert!(matches!(
            err(b"garbage"),
            SnapshotError::NotASnapshot { offset: 0, .. }
        ));
        assert!(matches!(
            err(b"{}"),
            SnapshotError::NotASnapshot { offset: 1, .. }
        ));
    }

    #[test]
    fn rejects_malformed_json() {
        let good = build_snapshot(
            NODE20_FIELDS,
            &sample_nodes(),
            &[(0, 1)],
            &["\"plain\""],
            true,
        );
        let cases: Vec<(String, &str)> = vec![
            (
                good.replacen("\"nodes\":[", "\"nodes\":[,", 1),
                "leading comma",
            ),
            (good.replacen("\n,", ",,", 1), "double comma"),
            (good.replacen("\"nodes\":[", "\"nodes\":[-", 1), "negative"),
            (
                good.replacen("\"nodes\":[9", "\"nodes\":[1.5,9", 1),
                "float",
            ),
            (
                good.replacen("\"nodes\":[9", "\"nodes\":[09", 1),
                "leading zero",
            ),
            (
                good.replacen("\"edges\":[", "\"edges\":[1,,", 1),
                "skipped array",
            ),
            (
                good.replacen("\"samples\":[]", "\"samples\":[tru]", 1),
                "bad literal",
            ),
            (
                good.replacen("\"samples\":[]", "\"samples\":[1.]", 1),
                "bad number",
            ),
            (
                good.replacen("\"samples\":[]", "\"samples\":{1:2}", 1),
                "bad key",
            ),
            (
                good.replacen("\"samples\":[]", "\"samples\":[}", 1),
                "mismatched close",
            ),
            (
                good.replacen("\"plain\"", "\"bad \\x escape\"", 1),
                "bad escape",
            ),
            (good.replacen("\"plain\"", "\"bad \\u12G4\"", 1), "bad hex"),
            (
                good.replacen("\"plain\"", "\"raw \n newline\"", 1),
                "control char",
            ),
            (good.replacen("\"plain\"", "plain", 1), "unquoted"),
            (
                good.replacen("\"strings\"", "\"strings\" ", 1).replacen(
                    "\"strings\" :",
                    "\"strings\" ;",
                    1,
                ),
                "colon",
            ),
            (format!("{good}x"), "trailing"),
            (format!("{good}}}"), "trailing brace"),
        ];
        for (text, what) in &cases {
            let e = err(text.as_bytes());
            assert!(matches!(e, SnapshotError::Syntax { .. }), "{what}: {e}");
        }
        // Invalid UTF-8: a lone continuation byte, an overlong form, a surrogate, a truncated
        // sequence in a kept name and in a skipped string.
        for bad in [
            &b"\x80"[..],
            b"\xc0\xaf",
            b"\xed\xa0\x80",
            b"\xe6\x97",
            b"\xf5\x80\x80\x80",
        ] {
            for target in ["\"plain\"", "\"LeakingClass\""] {
                let mut text = Vec::new();
                let at = good.find(target).unwrap() + 1;
                text.extend_from_slice(&good.as_bytes()[..at]);
                text.extend_from_slice(bad);
                text.extend_from_slice(&good.as_bytes()[at..]);
                assert!(
                    matches!(err(&text), SnapshotError::Syntax { .. }),
                    "{bad:?}"
                );
            }
        }
    }

    #[test]
    fn rejects_bad_structure_and_header() {
        let good = build_snapshot(NODE20_FIELDS, &sample_nodes(), &[], &[], true);
        let nodes_at = good.find("\"nodes\"").unwrap();
        let header = &good[1..nodes_at];
        let rest = &good[nodes_at..];
        // Sections may come in any order (the reader keeps early arrays until the header), so
        // a file without any header is not a snapshot, and a header after the nodes is read.
        assert!(matches!(
            err(format!("{{{rest}").as_bytes()),
            SnapshotError::NotASnapshot { .. }
        ));
        let late = format!(
            "{{{},{}}}",
            &rest[..rest.len() - 1],
            header.trim_end_matches(",\n")
        );
        check_against(&parse_all_ways(late.as_bytes()), &sample_nodes());
        let structure = [
            format!("{{{header}{header}{rest}"), // duplicate header
            good.replacen(",\n\"strings\":[", ",\n\"other\":[", 1), // no strings
            good.replacen("\"nodes\":[", "\"nodez\":[", 1), // no nodes
        ];
        for text in &structure {
            assert!(
                matches!(err(text.as_bytes()), SnapshotError::Structure { .. }),
                "{text}"
            );
        }
        let headers = [
            good.replacen("\"snapshot\":{", "\"snapshot\":[{", 1),
            good.replacen("\"node_fields\"", "\"node_fieldz\"", 1),
            good.replacen("\"self_size\"", "\"selfsize\"", 1),
            good.replacen("\"node_count\":10", "\"node_count\":-10", 1),
            good.replacen("\"node_count\":10", "\"node_count\":10.5", 1),
            good.replacen("\"node_count\":10,", "", 1),
            good.replacen("\"node_types\":[[", "\"node_types\":[[1,", 1),
        ];
        for text in &headers {
            assert!(
                matches!(err(text.as_bytes()), SnapshotError::InvalidHeader { .. }),
                "{text}"
            );
        }
        assert!(matches!(
            err(b"{\"snapshot\":{\"meta\":{}}}"),
            SnapshotError::InvalidHeader { .. }
        ));
    }

    #[test]
    fn rejects_lying_node_counts() {
        let good = build_snapshot(NODE20_FIELDS, &sample_nodes(), &[], &[], true);
        let more = good.replacen("\"node_count\":10", "\"node_count\":11", 1);
        match err(more.as_bytes()) {
            SnapshotError::NodeCountMismatch {
                declared: 11,
                actual: 10,
                ..
            } => {}
            e => panic!("{e}"),
        }
        let fewer = good.replacen("\"node_count\":10", "\"node_count\":9", 1);
        match err(fewer.as_bytes()) {
            SnapshotError::NodeCountMismatch {
                declared: 9,
                actual: 10,
                ..
            } => {}
            e => panic!("{e}"),
        }
        // Not a multiple of the stride.
        let odd = good.replacen("\"nodes\":[", "\"nodes\":[1,", 1);
        match err(odd.as_bytes()) {
            SnapshotError::NodeArrayLength {
                values: 71,
                stride: 7,
                ..
            } => {}
            e => panic!("{e}"),
        }
    }

    #[test]
    fn huge_declared_count_allocates_nothing_big() {
        let good = build_snapshot(NODE20_FIELDS, &sample_nodes(), &[], &[], true);
        let huge = good.replacen("\"node_count\":10", "\"node_count\":4000000000", 1);
        let start = std::time::Instant::now();
        match err(huge.as_bytes()) {
            SnapshotError::NodeCountMismatch {
                declared: 4_000_000_000,
                actual: 10,
                ..
            } => {}
            e => panic!("{e}"),
        }
        assert!(start.elapsed().as_secs() < 5);
        let mut parser = NodeSummaryParser::new();
        let cut = huge.find("\"edges\"").unwrap() - 3;
        parser.feed(&huge.as_bytes()[..cut]).unwrap();
        assert!(parser.0.sink.ids.capacity() <= 1 << 16);
        assert!(parser.0.sink.sizes.capacity() <= 1 << 16);
        // An honest count is reserved at most once the input delivers the nodes.
        let honest = parse(good.as_bytes()).unwrap();
        assert!(honest.ids.capacity() <= 10);
    }

    #[test]
    fn rejects_out_of_range_indices_and_numbers() {
        let nodes = [("object", "A", 1, 8), ("string", "b", 3, 16)];
        let good = build_snapshot(NODE20_FIELDS, &nodes, &[], &[], true);
        // strings: "<dummy>", "A", "b", "prop" -> 4 entries.
        assert_eq!(parse(good.as_bytes()).unwrap().strings_count(), 4);
        let name_oob = good.replacen("\"nodes\":[3,1,", "\"nodes\":[3,4,", 1);
        match err(name_oob.as_bytes()) {
            SnapshotError::NameOutOfRange {
                node: 0,
                name: 4,
                strings: 4,
                offset,
            } => assert_eq!(offset as usize, name_oob.find("[3,4,").unwrap() + 3),
            e => panic!("{e}"),
        }
        let type_oob = good.replacen("\"nodes\":[3,1,", "\"nodes\":[16,1,", 1);
        match err(type_oob.as_bytes()) {
            SnapshotError::TypeOutOfRange {
                node: 0,
                type_index: 16,
                types: 16,
                offset,
            } => {
                assert_eq!(offset as usize, type_oob.find("[16,").unwrap() + 1)
            }
            e => panic!("{e}"),
        }
        let type_huge = good.replacen("\"nodes\":[3,1,", "\"nodes\":[300,1,", 1);
        assert!(matches!(
            err(type_huge.as_bytes()),
            SnapshotError::TypeOutOfRange { .. }
        ));
        let id_big = good.replacen("[3,1,1,8,", "[3,1,4294967296,8,", 1);
        match err(id_big.as_bytes()) {
            SnapshotError::NumberTooLarge { field, limit, .. } => {
                assert_eq!((field.as_str(), limit), ("id", u64::from(u32::MAX)))
            }
            e => panic!("{e}"),
        }
        let name_big = good.replacen("[3,1,1,8,", "[3,99999999999,1,8,", 1);
        assert!(matches!(
            err(name_big.as_bytes()),
            SnapshotError::NumberTooLarge { .. }
        ));
        let size_big = good.replacen("[3,1,1,8,", "[3,1,1,18446744073709551616,", 1);
        assert!(matches!(
            err(size_big.as_bytes()),
            SnapshotError::NumberTooLarge { .. }
        ));
        let edge_big = good.replacen("[3,1,1,8,0,", "[3,1,1,8,99999999999999999999999,", 1);
        assert!(matches!(
            err(edge_big.as_bytes()),
            SnapshotError::NumberTooLarge { .. }
        ));
        // Largest values that fit.
        let max = good.replacen("[3,1,1,8,", "[3,1,4294967295,18446744073709551615,", 1);
        let summary = parse_all_ways(max.as_bytes());
        assert_eq!(summary.ids()[0], u32::MAX);
        assert_eq!(summary.self_sizes()[0], u64::MAX);
    }

    #[test]
    fn fails_for_good_after_an_error() {
        let mut parser = NodeSummaryParser::new();
        assert!(parser.feed(b"nope").is_err());
        assert!(matches!(
            parser.feed(b"{"),
            Err(SnapshotError::AlreadyFailed { .. })
        ));
        assert!(matches!(
            parser.finish(),
            Err(SnapshotError::AlreadyFailed { .. })
        ));
    }

    #[test]
    fn random_garbage_never_panics() {
        let good = build_snapshot(
            NODE20_FIELDS,
            &sample_nodes(),
            &[(0, 1)],
            &["\"\\ud83d\""],
            true,
        );
        let mut rng = Rng(7);
        for _ in 0..300 {
            let mut bytes = good.clone().into_bytes();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len());
                bytes[at] = b"{}[],:\"\\0123456789-eE.u \x80\xff"[rng.below(24)];
            }
            let _ = parse(&bytes);
            let _ = parse_chunked(&bytes, &mut || 1 + rng.below(13));
        }
    }

    #[test]
    fn parse_file_reads_in_chunks() {
        let nodes: Vec<TestNode> = (0..120_000u32)
            .map(|i| {
                (
                    ["object", "array", "string"][i as usize % 3],
                    ["Foo", "Bar", "Baz\u{e9}"][i as usize % 3],
                    2 * i + 1,
                    u64::from(i % 100),
                )
            })
            .collect();
        let text = build_snapshot(NODE20_FIELDS, &nodes, &[(0, 1)], &[], true);
        assert!(text.len() > READ_CHUNK, "spans several reads");
        let path = std::env::temp_dir().join(format!(
            "modswap-stream-{}.heapsnapshot",
            std::process::id()
        ));
        std::fs::write(&path, &text).unwrap();
        let from_file = parse_file(&path);
        std::fs::remove_file(&path).unwrap();
        let from_file = from_file.unwrap();
        assert_eq!(from_file, parse(text.as_bytes()).unwrap());
        check_against(&from_file, &nodes);
        assert!(matches!(
            parse_file(Path::new("/nonexistent/x.heapsnapshot")),
            Err(SnapshotError::Io(_))
        ));
    }

    /// By hand, on a snapshot written by Node (`v8.writeHeapSnapshot`):
    /// `MODSWAP_SNAPSHOT=/tmp/x.heapsnapshot cargo test --release real_snapshot -- --ignored
    /// --nocapture`. Prints node count, parse throughput (best of 3) and the top `what`s.
    #[test]
    #[ignore]
    fn real_snapshot() {
        let Ok(path) = std::env::var("MODSWAP_SNAPSHOT") else {
            eprintln!("MODSWAP_SNAPSHOT not set");
            return;
        };
        let bytes = std::fs::metadata(&path).unwrap().len();
        // Best of three (page cache warm after the first).
        let mut elapsed = f64::INFINITY;
        let mut parsed = None;
        for _ in 0..3 {
            let start = std::time::Instant::now();
            let summary = parse_file(Path::new(&path)).unwrap_or_else(|e| panic!("{e}"));
            elapsed = elapsed.min(start.elapsed().as_secs_f64());
            parsed = Some(summary);
        }
        let summary = parsed.unwrap();
        // The header's node_count (checked by the parser too).
        let head = {
            let mut f = File::open(&path).unwrap();
            let mut buf = vec![0u8; 4096];
            let n = f.read(&mut buf).unwrap();
            String::from_utf8_lossy(&buf[..n]).into_owned()
        };
        let declared: usize = head
            .split("\"node_count\":")
            .nth(1)
            .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|s| s.parse().ok())
            .unwrap();
        assert_eq!(summary.node_count(), declared);
        let mut counts: std::collections::HashMap<&str, (u64, u64)> = Default::default();
        for node in 0..summary.node_count() {
            let key = match summary.name_of(node) {
                Some(name) if summary.type_name(node) == Some("object") => name,
                _ => summary.type_name(node).unwrap(),
            };
            let entry = counts.entry(key).or_default();
            entry.0 += 1;
            entry.1 += summary.self_sizes()[node];
        }
        let mut top: Vec<_> = counts.into_iter().collect();
        top.sort_by_key(|(_, (count, _))| std::cmp::Reverse(*count));
        println!(
            "{path}: {bytes} bytes, {} nodes, {} strings ({} kept), {:.3} s, {:.1} MB/s",
            summary.node_count(),
            summary.strings_count(),
            summary.kept_strings(),
            elapsed,
            bytes as f64 / 1e6 / elapsed
        );
        for (what, (count, size)) in top.iter().take(15) {
            println!("{count:>10} {size:>12} {what}");
        }
    }
}

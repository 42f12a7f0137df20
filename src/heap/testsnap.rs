//! Builds small `.heapsnapshot` texts for tests: any node field layout, any edge types and
//! names, locations, and header extras.

use crate::heap::graph::HeapGraph;
use crate::heap::reader::nodes::test_support::{v8_quote, NODE20_FIELDS, NODE_TYPES};

/// Edge types as Node 20 lists them.
pub const EDGE_TYPES: &[&str] = &[
    "context", "element", "property", "internal", "hidden", "shortcut", "weak",
];

/// A node: type name, name, id, self size.
#[derive(Debug, Clone)]
pub struct TNode {
    pub ty: &'static str,
    pub name: String,
    pub id: u64,
    pub size: u64,
    pub detachedness: u64,
}

/// An edge: source ordinal, type name, name (a string, or an index for element/hidden), target.
#[derive(Debug, Clone)]
pub struct TEdge {
    pub from: usize,
    pub ty: &'static str,
    pub name: String,
    pub to: usize,
}

/// A snapshot under construction.
#[derive(Debug, Clone)]
pub struct Snap {
    pub node_fields: Vec<&'static str>,
    pub nodes: Vec<TNode>,
    pub edges: Vec<TEdge>,
    /// (node ordinal, script, line, column).
    pub locations: Vec<(usize, u64, u64, u64)>,
    /// Extra `"key":value` pairs for the `snapshot` object (e.g. `"root_index":7`).
    pub header_extra: String,
}

impl Default for Snap {
    fn default() -> Self {
        Snap::new()
    }
}

impl Snap {
    /// An empty snapshot with Node 20's node fields.
    pub fn new() -> Self {
        Snap {
            node_fields: NODE20_FIELDS.to_vec(),
            nodes: Vec::new(),
            edges: Vec::new(),
            locations: Vec::new(),
            header_extra: String::new(),
        }
    }

    /// The usual top of a Node heap: node 0 is the synthetic root, node 1 the global object
    /// (a root shortcut makes it a user root). Returns the global's ordinal.
    pub fn with_global() -> (Self, usize) {
        let mut s = Snap::new();
        let root = s.node("synthetic", "", 0);
        let global = s.node("object", "global", 10);
        s.edge(root, "shortcut", "1", global);
        (s, global)
    }

    /// Adds a node (id `2 * ordinal + 1`); returns its ordinal.
    pub fn node(&mut self, ty: &'static str, name: &str, size: u64) -> usize {
        let id = 2 * self.nodes.len() as u64 + 1;
        self.nodes.push(TNode {
            ty,
            name: name.to_owned(),
            id,
            size,
            detachedness: 0,
        });
        self.nodes.len() - 1
    }

    /// Adds an edge.
    pub fn edge(&mut self, from: usize, ty: &'static str, name: &str, to: usize) {
        self.edges.push(TEdge {
            from,
            ty,
            name: name.to_owned(),
            to,
        });
    }

    /// The snapshot text.
    pub fn build(&self) -> String {
        let mut strings: Vec<String> = vec!["<dummy>".into()];
        let mut intern = |s: &str| match strings.iter().position(|x| x == s) {
            Some(i) => i,
            None => {
                strings.push(s.to_owned());
                strings.len() - 1
            }
        };
        let stride = self.node_fields.len();
        let mut edges = self.edges.clone();
        edges.sort_by_key(|e| e.from);
        let mut edge_count = vec![0usize; self.nodes.len()];
        for e in &edges {
            edge_count[e.from] += 1;
        }
        let node_rows: Vec<String> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let ty = NODE_TYPES
                    .iter()
                    .position(|t| *t == n.ty)
                    .expect("node type");
                let name = intern(&n.name);
                let row: Vec<String> = self
                    .node_fields
                    .iter()
                    .map(|f| match *f {
                        "type" => ty.to_string(),
                        "name" => name.to_string(),
                        "id" => n.id.to_string(),
                        "self_size" => n.size.to_string(),
                        "edge_count" => edge_count[i].to_string(),
                        "detachedness" => n.detachedness.to_string(),
                        _ => "0".into(),
                    })
                    .collect();
                row.join(",")
            })
            .collect();
        let edge_rows: Vec<String> = edges
            .iter()
            .map(|e| {
                let ty = EDGE_TYPES
                    .iter()
                    .position(|t| *t == e.ty)
                    .expect("edge type");
                let name = if e.ty == "element" || e.ty == "hidden" {
                    e.name.parse::<u64>().expect("index name")
                } else {
                    intern(&e.name) as u64
                };
                format!("{ty},{name},{}", e.to * stride)
            })
            .collect();
        let location_rows: Vec<String> = self
            .locations
            .iter()
            .map(|&(n, s, l, c)| format!("{},{s},{l},{c}", n * stride))
            .collect();
        let types: Vec<String> = self
            .node_fields
            .iter()
            .map(|f| match *f {
                "type" => serde_json::to_string(NODE_TYPES).unwrap_or_default(),
                "name" => "\"string\"".into(),
                _ => "\"number\"".into(),
            })
            .collect();
        let mut out = String::new();
        out.push_str("{\"snapshot\":{\"meta\":{\"node_fields\":");
        out.push_str(&serde_json::to_string(&self.node_fields).unwrap_or_default());
        out.push_str(&format!(",\"node_types\":[{}],", types.join(",")));
        out.push_str("\"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],");
        out.push_str(&format!(
            "\"edge_types\":[{},\"string_or_number\",\"node\"],",
            serde_json::to_string(EDGE_TYPES).unwrap_or_default()
        ));
        out.push_str("\"trace_function_info_fields\":[\"function_id\",\"name\",\"script_name\",\"script_id\",\"line\",\"column\"],");
        out.push_str("\"trace_node_fields\":[\"id\",\"function_info_index\",\"count\",\"size\",\"children\"],");
        out.push_str("\"sample_fields\":[\"timestamp_us\",\"last_assigned_id\"],");
        out.push_str(
            "\"location_fields\":[\"object_index\",\"script_id\",\"line\",\"column\"]},\n",
        );
        out.push_str(&format!(
            "\"node_count\":{},\"edge_count\":{},\"trace_function_count\":0{}}},\n",
            self.nodes.len(),
            edges.len(),
            self.header_extra
        ));
        out.push_str(&format!("\"nodes\":[{}],\n", node_rows.join("\n,")));
        out.push_str(&format!("\"edges\":[{}],\n", edge_rows.join("\n,")));
        out.push_str("\"trace_function_infos\":[],\n\"trace_tree\":[],\n\"samples\":[],\n");
        out.push_str(&format!("\"locations\":[{}],\n", location_rows.join("\n,")));
        let quoted: Vec<String> = strings.iter().map(|s| v8_quote(s)).collect();
        out.push_str(&format!("\"strings\":[{}]}}", quoted.join("\n,")));
        out
    }

    /// Builds and loads the snapshot.
    pub fn load(&self) -> HeapGraph {
        HeapGraph::from_bytes(self.build().as_bytes()).expect("test snapshot loads")
    }
}

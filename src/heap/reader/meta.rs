//! The `snapshot` header: field positions and type names from `meta`, and the counts.
//! Every offset is read from `meta` (V8 versions differ: 6 or 7 node fields, extra fields).

use crate::heap::reader::SnapshotError;
use serde_json::Value;

/// Which parts of `snapshot` a reader needs: a nodes-only reader ignores the edge fields,
/// `edge_count`, `root_index` and `extra_native_bytes`, and needs no `edge_count` node field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Needs {
    /// The node columns only.
    Nodes,
    /// The whole graph.
    Graph,
}

/// The `snapshot` header is a few KiB in practice; refuse to parse an absurd one.
pub(crate) const MAX_HEADER_BYTES: usize = 16 << 20;
/// More fields than this per node or edge is not a V8 snapshot (rows are parsed on the stack).
pub(crate) const MAX_FIELDS: usize = 64;

/// Field positions of the `locations` rows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LocationMeta {
    pub(crate) stride: usize,
    pub(crate) index: usize,
    pub(crate) script: usize,
    pub(crate) line: usize,
    pub(crate) column: usize,
}

/// Positions of the node fields this crate reads (DevTools' `indexOf`: the first field with
/// the name; any other field is skipped).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeLayout {
    pub(crate) stride: usize,
    pub(crate) ty: usize,
    pub(crate) name: usize,
    pub(crate) id: usize,
    pub(crate) self_size: usize,
    pub(crate) edge_count: usize,
    pub(crate) detachedness: Option<usize>,
}

/// Positions of the edge fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EdgeLayout {
    pub(crate) stride: usize,
    pub(crate) ty: usize,
    pub(crate) name: usize,
    pub(crate) to: usize,
}

/// Everything read from `snapshot`.
#[derive(Debug)]
pub(crate) struct Meta {
    /// What the header was read for.
    pub(crate) needs: Needs,
    pub(crate) offset: u64,
    pub(crate) node: NodeLayout,
    pub(crate) node_field_names: Vec<String>,
    pub(crate) node_types: Vec<String>,
    pub(crate) edge: EdgeLayout,
    pub(crate) edge_field_names: Vec<String>,
    pub(crate) edge_types: Vec<String>,
    pub(crate) locations: Option<LocationMeta>,
    pub(crate) node_count: u64,
    pub(crate) edge_count: u64,
    pub(crate) root_index: Option<u64>,
    pub(crate) extra_native_bytes: u64,
}

fn string_list(value: Option<&Value>) -> Option<Vec<String>> {
    value?
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect()
}

impl Meta {
    /// Parses the header object `raw`, found at byte `offset`, for a reader that `needs` it.
    /// What a nodes-only reader ignores is left empty (edge layout) or zero.
    pub(crate) fn parse(raw: &[u8], offset: usize, needs: Needs) -> Result<Meta, SnapshotError> {
        let graph = needs == Needs::Graph;
        let offset = offset as u64;
        let bad = |message: String| SnapshotError::InvalidHeader { offset, message };
        if raw.len() > MAX_HEADER_BYTES {
            return Err(bad(format!(
                "{} bytes (at most {MAX_HEADER_BYTES})",
                raw.len()
            )));
        }
        let value: Value = serde_json::from_slice(raw).map_err(|err| bad(format!("{err}")))?;
        let meta = value
            .get("meta")
            .filter(|m| m.is_object())
            .ok_or_else(|| bad("no \"meta\" object".into()))?;
        let count = |name: &str| {
            value
                .get(name)
                .and_then(Value::as_u64)
                .ok_or_else(|| bad(format!("{name} is missing or not a non-negative integer")))
        };
        let optional = |name: &str| -> Result<Option<u64>, SnapshotError> {
            match value.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_u64()
                    .map(Some)
                    .ok_or_else(|| bad(format!("{name} is not a non-negative integer"))),
            }
        };
        let node_required = ["type", "name", "id", "self_size", "edge_count"];
        let node_required = &node_required[..if graph { 5 } else { 4 }];
        let (node_field_names, node_types) =
            fields_and_types(meta, "node_fields", "node_types", node_required, &bad)?;
        let edge_required = ["type", "name_or_index", "to_node"];
        let (edge_field_names, edge_types) = if graph {
            fields_and_types(meta, "edge_fields", "edge_types", &edge_required, &bad)?
        } else {
            (Vec::new(), Vec::new())
        };
        // The required names were checked, so the positions exist.
        let at = |fields: &[String], name: &str| fields.iter().position(|f| f == name);
        let nf = |name| at(&node_field_names, name).unwrap_or(0);
        let ef = |name| at(&edge_field_names, name).unwrap_or(0);
        Ok(Meta {
            needs,
            offset,
            node: NodeLayout {
                stride: node_field_names.len(),
                ty: nf("type"),
                name: nf("name"),
                id: nf("id"),
                self_size: nf("self_size"),
                edge_count: nf("edge_count"),
                detachedness: at(&node_field_names, "detachedness"),
            },
            edge: EdgeLayout {
                stride: edge_field_names.len(),
                ty: ef("type"),
                name: ef("name_or_index"),
                to: ef("to_node"),
            },
            node_field_names,
            node_types,
            edge_field_names,
            edge_types,
            locations: location_meta(meta),
            node_count: count("node_count")?,
            edge_count: if graph { count("edge_count")? } else { 0 },
            root_index: if graph { optional("root_index")? } else { None },
            extra_native_bytes: if graph {
                optional("extra_native_bytes")?.unwrap_or(0)
            } else {
                0
            },
        })
    }
}

/// The field list `fields_key` and the type names listed for field `type_field`.
fn fields_and_types(
    meta: &Value,
    fields_key: &str,
    types_key: &str,
    required: &[&str],
    bad: &dyn Fn(String) -> SnapshotError,
) -> Result<(Vec<String>, Vec<String>), SnapshotError> {
    let fields = string_list(meta.get(fields_key))
        .ok_or_else(|| bad(format!("meta.{fields_key} is not an array of strings")))?;
    if fields.len() > MAX_FIELDS {
        return Err(bad(format!(
            "meta.{fields_key} lists {} fields (at most {MAX_FIELDS})",
            fields.len()
        )));
    }
    for name in required {
        if !fields.iter().any(|f| f == name) {
            return Err(bad(format!("meta.{fields_key} has no \"{name}\"")));
        }
    }
    let type_field = fields.iter().position(|f| f == "type").unwrap_or(0);
    let types =
        string_list(meta.get(types_key).and_then(|t| t.get(type_field))).ok_or_else(|| {
            bad(format!(
                "meta.{types_key}[{type_field}] (the \"type\" field) is not an array of strings"
            ))
        })?;
    if types.len() > 256 {
        return Err(bad(format!(
            "meta.{types_key} lists {} types (at most 256)",
            types.len()
        )));
    }
    Ok((fields, types))
}

/// `meta.location_fields`, if it names all four fields (otherwise locations are ignored, as
/// DevTools cannot use them either).
pub(crate) fn location_meta(meta: &Value) -> Option<LocationMeta> {
    let fields = string_list(meta.get("location_fields"))?;
    let at = |name: &str| fields.iter().position(|f| f == name);
    if fields.is_empty() || fields.len() > MAX_FIELDS {
        return None;
    }
    Some(LocationMeta {
        stride: fields.len(),
        index: at("object_index")?,
        script: at("script_id")?,
        line: at("line")?,
        column: at("column")?,
    })
}

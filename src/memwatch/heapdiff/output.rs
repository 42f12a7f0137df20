//! memwatch's result object as JSON, written by hand so the keys keep the reference's order.

use std::fmt::Write as _;

use super::diff::HeapDiffResult;
use super::sample::Totals;
use crate::memwatch::format::nice_size;

fn json_string(out: &mut String, text: &str) {
    out.push_str(&serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into()));
}

fn totals_json(out: &mut String, totals: &Totals, time: Option<&str>) {
    let _ = write!(
        out,
        "{{\"nodes\":{},\"size_bytes\":{},\"size\":",
        totals.nodes, totals.size_bytes
    );
    json_string(out, &nice_size(totals.size_bytes as f64));
    if let Some(time) = time {
        out.push_str(",\"time\":");
        json_string(out, time);
    }
    out.push('}');
}

impl HeapDiffResult {
    /// memwatch's result object as JSON, keys in the reference order:
    /// `{"before":{"nodes","size_bytes","size"[,"time"]},"after":{…},"change":{"size_bytes",
    /// "size","freed_nodes","allocated_nodes","details":[{"what","size_bytes","size","+","-"}]}}`.
    /// `time` is included only when given (lloyd's memwatch has it, memwatch-next does not).
    pub fn to_json(&self, before_time: Option<String>, after_time: Option<String>) -> String {
        let mut out = String::with_capacity(256 + 80 * self.change.details.len());
        out.push_str("{\"before\":");
        totals_json(&mut out, &self.before, before_time.as_deref());
        out.push_str(",\"after\":");
        totals_json(&mut out, &self.after, after_time.as_deref());
        let change = &self.change;
        let _ = write!(
            out,
            ",\"change\":{{\"size_bytes\":{},\"size\":",
            change.size_bytes
        );
        json_string(&mut out, &nice_size(change.size_bytes as f64));
        let _ = write!(
            out,
            ",\"freed_nodes\":{},\"allocated_nodes\":{},\"details\":[",
            change.freed_nodes, change.allocated_nodes
        );
        for (k, detail) in change.details.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            out.push_str("{\"what\":");
            json_string(&mut out, &detail.what);
            let _ = write!(out, ",\"size_bytes\":{},\"size\":", detail.size_bytes);
            json_string(&mut out, &nice_size(detail.size_bytes as f64));
            let _ = write!(out, ",\"+\":{},\"-\":{}}}", detail.plus, detail.minus);
        }
        out.push_str("]}}");
        out
    }
}

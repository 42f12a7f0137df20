//! Production attribution without a heap snapshot: checkpoints of V8's sampling heap profile
//! (`HeapProfiler.getSamplingProfile`, all taken in one sampling session) folded by allocation
//! site, and the sites whose live bytes keep growing from one checkpoint to the next.
//!
//! A sampling profile is a call tree whose nodes carry the bytes of the sampled objects still
//! alive that were allocated with that stack. V8 records the *function* of each frame (its
//! `url`, and the line and column where the function starts), not the allocating line, and a
//! function TurboFan inlined is reported as its caller: a site here is the innermost frame with
//! a script URL, and builtins (`push`, `JSON.parse`) fold into the script frame that called them.

use std::fmt;

use rustc_hash::FxHashMap;
use serde_json::Value;

/// Deepest JSON nesting accepted: a 128-frame stack (V8's default depth) nests about 260
/// levels; far deeper input is not a profile, and would only cost stack.
const MAX_NESTING: usize = 2048;
/// Frames kept per reported stack.
const MAX_STACK: usize = 32;

/// Why a profile text was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileError(pub String);

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One call frame as V8 describes it; `line` and `column` are 0-based, -1 when unknown.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Frame {
    pub function: String,
    pub url: String,
    pub line: i64,
    pub column: i64,
}

impl Frame {
    /// A frame of a script (as opposed to a builtin, the VM's own work, or the root).
    fn is_script(&self) -> bool {
        !self.url.is_empty()
    }

    /// Frames that say nothing about who allocated: the root and nameless VM frames.
    fn is_noise(&self) -> bool {
        (self.url.is_empty() && self.function.is_empty()) || self.function == "(root)"
    }
}

/// The frames of all checkpoints of one analysis, shared so that sites compare by index.
#[derive(Debug, Default)]
pub struct FrameTable {
    frames: Vec<Frame>,
    index: FxHashMap<Frame, u32>,
    /// Scripts whose allocations, and their callees', are left out: the profiler's own.
    exclude: Vec<String>,
    excluded: Vec<bool>,
}

impl FrameTable {
    /// A table that leaves out what is allocated under frames of the `exclude` scripts.
    pub fn excluding(exclude: Vec<String>) -> Self {
        Self {
            exclude,
            ..Self::default()
        }
    }

    fn intern(&mut self, frame: Frame) -> u32 {
        if let Some(&id) = self.index.get(&frame) {
            return id;
        }
        let id = self.frames.len() as u32;
        self.excluded
            .push(!frame.url.is_empty() && self.exclude.contains(&frame.url));
        self.frames.push(frame.clone());
        self.index.insert(frame, id);
        id
    }

    fn is_excluded(&self, id: u32) -> bool {
        self.excluded[id as usize]
    }

    pub fn get(&self, id: u32) -> &Frame {
        &self.frames[id as usize]
    }
}

/// Live sampled bytes of one checkpoint, per site and per (site, stack).
#[derive(Debug, Default, Clone)]
pub struct Folded {
    /// Site frame → live bytes.
    pub sites: FxHashMap<u32, f64>,
    /// Stack (site frame first, then its callers) → live bytes.
    pub stacks: FxHashMap<Vec<u32>, f64>,
    /// All live sampled bytes.
    pub total: f64,
}

/// Refuses nesting deeper than [`MAX_NESTING`] before serde_json recurses into it.
fn check_nesting(text: &str) -> Result<(), ProfileError> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &byte in text.as_bytes() {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(ProfileError(format!(
                        "nested deeper than {MAX_NESTING} levels: not a sampling heap profile"
                    )));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn parse_json(text: &str) -> Result<Value, ProfileError> {
    check_nesting(text)?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    deserializer.disable_recursion_limit();
    let value = serde::Deserialize::deserialize(&mut deserializer)
        .map_err(|error| ProfileError(format!("not JSON: {error}")))?;
    deserializer
        .end()
        .map_err(|error| ProfileError(format!("not JSON: {error}")))?;
    Ok(value)
}

fn frame_of(node: &Value) -> Result<Frame, ProfileError> {
    let call = node
        .get("callFrame")
        .and_then(Value::as_object)
        .ok_or_else(|| ProfileError("a node has no callFrame object".to_owned()))?;
    let text = |key: &str| {
        call.get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let number = |key: &str| call.get(key).and_then(Value::as_i64).unwrap_or(-1);
    Ok(Frame {
        function: text("functionName"),
        url: text("url"),
        line: number("lineNumber"),
        column: number("columnNumber"),
    })
}

/// The site of a node: its innermost script frame, else its innermost named frame; and the
/// stack from that frame outwards. `path` runs from the root to the node.
fn site_and_stack(path: &[u32], table: &FrameTable) -> Option<Vec<u32>> {
    let start = path
        .iter()
        .rposition(|&id| table.get(id).is_script())
        .or_else(|| path.iter().rposition(|&id| !table.get(id).is_noise()))?;
    Some(
        path[..=start]
            .iter()
            .rev()
            .copied()
            .filter(|&id| !table.get(id).is_noise())
            .take(MAX_STACK)
            .collect(),
    )
}

/// Parses one sampling heap profile (`{ head, samples }` or a bare `head` node) and folds its
/// live bytes by allocation site.
pub fn fold_profile(text: &str, table: &mut FrameTable) -> Result<Folded, ProfileError> {
    let value = parse_json(text)?;
    let head = match value.get("head") {
        Some(head) => head,
        None if value.get("callFrame").is_some() => &value,
        None => {
            return Err(ProfileError(
                "no 'head' node: not a V8 sampling heap profile".to_owned(),
            ))
        }
    };
    let mut folded = Folded::default();
    // (node, depth of its frame in `path`): an explicit stack, as call trees can be deep.
    let mut pending: Vec<(&Value, usize)> = vec![(head, 0)];
    let mut path: Vec<u32> = Vec::new();
    // Whether each frame of `path` is, or runs under, an excluded frame.
    let mut excluded: Vec<bool> = Vec::new();
    while let Some((node, depth)) = pending.pop() {
        path.truncate(depth);
        excluded.truncate(depth);
        let id = table.intern(frame_of(node)?);
        path.push(id);
        excluded.push(table.is_excluded(id) || depth > 0 && excluded[depth - 1]);
        let bytes = node.get("selfSize").and_then(Value::as_f64).unwrap_or(0.0);
        if !(bytes.is_finite() && bytes >= 0.0) {
            return Err(ProfileError(format!("a node has a bad selfSize ({bytes})")));
        }
        if bytes > 0.0 && !excluded[depth] {
            if let Some(stack) = site_and_stack(&path, table) {
                *folded.sites.entry(stack[0]).or_default() += bytes;
                *folded.stacks.entry(stack).or_default() += bytes;
                folded.total += bytes;
            }
        }
        match node.get("children") {
            None | Some(Value::Null) => {}
            Some(Value::Array(children)) => {
                pending.extend(children.iter().rev().map(|child| (child, depth + 1)))
            }
            Some(_) => return Err(ProfileError("a node's children is not an array".to_owned())),
        }
    }
    Ok(folded)
}

/// How frames are named and what counts as growing.
#[derive(Debug, Clone)]
pub struct ProfileOptions {
    /// Prefix removed from script paths (the app's directory, with its trailing `/`).
    pub root: String,
    /// Least growth, first to last checkpoint, for a site to be named.
    pub min_growth: f64,
    /// Largest drop between two checkpoints still counted as growing (sampling noise: one
    /// sampling interval).
    pub tolerance: f64,
    /// Length of the `largest` list.
    pub top: usize,
    /// Script URLs whose allocations (their callees' included) are left out.
    pub exclude: Vec<String>,
}

/// A site and its live bytes at each checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteReport {
    /// `path:line function`, e.g. `lib/events.js:12 send` (line of the function's start).
    pub site: String,
    pub function: String,
    /// Script path or URL as V8 gave it (empty for builtins and VM work).
    pub url: String,
    /// 1-based line and column of the function's start, 0 when unknown.
    pub line: u32,
    pub column: u32,
    /// The heaviest stack to the site (by growth, then by live bytes): site first.
    pub stack: Vec<String>,
    /// Live sampled bytes at each checkpoint.
    pub bytes: Vec<f64>,
    /// `bytes[last] - bytes[0]`.
    pub growth: f64,
}

/// What the checkpoints of one sampling session show.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileAnalysis {
    /// Live sampled bytes of all sites, per checkpoint.
    pub totals: Vec<f64>,
    /// Sites whose live bytes grew across the checkpoints, largest growth first.
    pub growing: Vec<SiteReport>,
    /// Sites holding the most live bytes at the last checkpoint.
    pub largest: Vec<SiteReport>,
}

fn display_path<'a>(url: &'a str, root: &str) -> &'a str {
    let path = url.strip_prefix("file://").unwrap_or(url);
    match path.strip_prefix(root) {
        Some(rest) if !root.is_empty() && !rest.is_empty() => rest,
        _ => path,
    }
}

/// `path:line function` for a script frame, the bare name for the others.
pub fn frame_label(frame: &Frame, root: &str) -> String {
    let function = if frame.function.is_empty() {
        "(anonymous)"
    } else {
        &frame.function
    };
    if !frame.is_script() {
        return function.to_owned();
    }
    let path = display_path(&frame.url, root);
    format!("{path}:{} {function}", frame.line + 1)
}

/// Each step may not fall by more than `tolerance`; the last must rise; the whole must rise
/// by `min_growth` at least.
fn keeps_growing(bytes: &[f64], options: &ProfileOptions) -> bool {
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    let steady = bytes.windows(2).all(|w| w[1] >= w[0] - options.tolerance);
    let still_rising = bytes.len() < 2 || bytes[bytes.len() - 1] > bytes[bytes.len() - 2];
    bytes.len() >= 2
        && steady
        && still_rising
        && last - first >= options.min_growth.max(f64::MIN_POSITIVE)
}

fn site_series(site: u32, checkpoints: &[Folded]) -> Vec<f64> {
    checkpoints
        .iter()
        .map(|c| c.sites.get(&site).copied().unwrap_or(0.0))
        .collect()
}

fn stack_series(stack: &[u32], checkpoints: &[Folded]) -> Vec<f64> {
    checkpoints
        .iter()
        .map(|c| c.stacks.get(stack).copied().unwrap_or(0.0))
        .collect()
}

/// The stack of `site` that grew most (then holds most at the end).
fn heaviest_stack(site: u32, checkpoints: &[Folded]) -> Vec<u32> {
    let mut best: Option<(f64, f64, &Vec<u32>)> = None;
    let last = checkpoints.last().map(|c| &c.stacks);
    for stack in last
        .into_iter()
        .flat_map(|m| m.keys())
        .filter(|s| s[0] == site)
    {
        let bytes = stack_series(stack, checkpoints);
        let rank = (bytes[bytes.len() - 1] - bytes[0], bytes[bytes.len() - 1]);
        if best.is_none_or(|(g, b, s)| rank > (g, b) || (rank == (g, b) && stack < s)) {
            best = Some((rank.0, rank.1, stack));
        }
    }
    best.map(|(_, _, stack)| stack.clone())
        .unwrap_or_else(|| vec![site])
}

fn report(site: u32, checkpoints: &[Folded], table: &FrameTable, root: &str) -> SiteReport {
    let bytes = site_series(site, checkpoints);
    let frame = table.get(site);
    let one_based = |n: i64| if n >= 0 { (n + 1) as u32 } else { 0 };
    SiteReport {
        site: frame_label(frame, root),
        function: frame.function.clone(),
        url: frame.url.clone(),
        line: one_based(frame.line),
        column: one_based(frame.column),
        stack: heaviest_stack(site, checkpoints)
            .iter()
            .map(|&id| frame_label(table.get(id), root))
            .collect(),
        growth: bytes[bytes.len() - 1] - bytes[0],
        bytes,
    }
}

/// Compares checkpoints of one sampling session, oldest first.
pub fn analyze_folded(
    checkpoints: &[Folded],
    table: &FrameTable,
    options: &ProfileOptions,
) -> ProfileAnalysis {
    let totals = checkpoints.iter().map(|c| c.total).collect();
    let Some(last) = checkpoints.last() else {
        return ProfileAnalysis {
            totals,
            growing: Vec::new(),
            largest: Vec::new(),
        };
    };
    let mut growing: Vec<u32> = last
        .sites
        .keys()
        .copied()
        .filter(|&site| keeps_growing(&site_series(site, checkpoints), options))
        .collect();
    let first = &checkpoints[0].sites;
    let growth = |site: &u32| last.sites[site] - first.get(site).copied().unwrap_or(0.0);
    growing.sort_by(|a, b| growth(b).total_cmp(&growth(a)).then(a.cmp(b)));
    let mut largest: Vec<u32> = last.sites.keys().copied().collect();
    largest.sort_by(|a, b| last.sites[b].total_cmp(&last.sites[a]).then(a.cmp(b)));
    largest.truncate(options.top);
    let root = options.root.as_str();
    ProfileAnalysis {
        totals,
        growing: growing
            .into_iter()
            .map(|site| report(site, checkpoints, table, root))
            .collect(),
        largest: largest
            .into_iter()
            .map(|site| report(site, checkpoints, table, root))
            .collect(),
    }
}

/// Parses and compares the profile texts of one sampling session, oldest first.
pub fn analyze(
    texts: &[String],
    options: &ProfileOptions,
) -> Result<ProfileAnalysis, ProfileError> {
    let mut table = FrameTable::excluding(options.exclude.clone());
    let checkpoints = texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            fold_profile(text, &mut table)
                .map_err(|ProfileError(why)| ProfileError(format!("profile {}: {why}", i + 1)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(analyze_folded(&checkpoints, &table, options))
}

#[cfg(test)]
#[path = "profile_tests.rs"]
mod tests;

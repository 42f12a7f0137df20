//! Loads and analyses a `.heapsnapshot` with modswap's engine and prints the results as JSON
//! on stdout (per-node retained sizes, dominators and shallow sizes in node order, plus the
//! class aggregates), and the time of each phase and the peak RSS on stderr.
//!
//! ```text
//! cargo run --release --example heap_dump -- FILE [--no-nodes] [--quiet]
//! ```
//!
//! `--no-nodes` leaves out the per-node arrays; `--quiet` prints no JSON at all (timings only).
//!
//! `wall` on stderr is the load and the analysis, the span `heap.analyze()` times from Node
//! (which also builds its summary). The JSON comes after it and is timed on a line of its own:
//! with the per-node arrays it adds 0.4-1.1 s on a 400 MB snapshot, so time `--quiet` to
//! compare with `heap.analyze()`. Run the built binary (`target/release/examples/heap_dump`)
//! to time it: `cargo run` adds its own check, and after any source change a rebuild with LTO
//! (one to two minutes here) before the run.

use modswap::heap::analyses::paths::{RetainerTree, NO_DISTANCE};
use modswap::heap::{HeapAnalysis, HeapGraph};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

struct Options {
    file: PathBuf,
    nodes: bool,
    json: bool,
}

fn parse_args() -> Result<Options, String> {
    let mut file = None;
    let (mut nodes, mut json) = (true, true);
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--no-nodes" => nodes = false,
            "--quiet" => json = false,
            _ if arg.starts_with("--") => return Err(format!("unknown option {arg}")),
            _ => file = Some(PathBuf::from(arg)),
        }
    }
    let file = file.ok_or("usage: heap_dump FILE [--no-nodes] [--quiet]")?;
    Ok(Options { file, nodes, json })
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(o) => o,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let graph = match HeapGraph::load(&options.file) {
        Ok(g) => g,
        Err(err) => {
            eprintln!("{}: {err}", options.file.display());
            return ExitCode::FAILURE;
        }
    };
    let analysis = HeapAnalysis::new(&graph);
    let wall = started.elapsed();
    report_timings(&graph, &analysis, wall);
    if options.json {
        let json_started = Instant::now();
        let out = io::stdout().lock();
        if let Err(err) = write_json(BufWriter::new(out), &graph, &analysis, options.nodes) {
            eprintln!("writing JSON: {err}");
            return ExitCode::FAILURE;
        }
        eprintln!(
            "JSON {:.0} ms (after wall), {:.0} ms since start",
            ms(json_started.elapsed()),
            ms(started.elapsed())
        );
    }
    ExitCode::SUCCESS
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Peak resident set size in KiB, from /proc (Linux only).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn report_timings(graph: &HeapGraph, analysis: &HeapAnalysis, wall: Duration) {
    let l = graph.timings();
    let a = analysis.timings();
    eprintln!(
        "nodes {} edges {} strings {} | graph {:.1} MiB, analysis {:.1} MiB",
        graph.node_count(),
        graph.edge_count(),
        graph.strings().len(),
        graph.heap_bytes() as f64 / 1048576.0,
        analysis.heap_bytes() as f64 / 1048576.0
    );
    eprintln!(
        // A mapped file is read as the parser touches it: on a cold page cache the reading
        // shows up in `scan`, `strings` and `numbers`, not in `map`.
        "load: map {:.0} ms, scan {:.0} ms, strings {:.0} ms, numbers {:.0} ms",
        ms(l.read),
        ms(l.scan),
        ms(l.strings),
        ms(l.numbers)
    );
    eprintln!(
        "analysis: essential edges {:.0} ms, next to it: classes {:.0} ms | dominators {:.0} ms, \
         next to it: shallow sizes {:.0} ms + class counts | retained {:.0} ms | aggregates \
         {:.0} ms (incl. counts) | total {:.0} ms",
        ms(a.essential_edges),
        ms(a.classes),
        ms(a.dominators),
        ms(a.shallow_sizes),
        ms(a.retained),
        ms(a.aggregates),
        ms(a.total)
    );
    let rss = peak_rss_kib().map_or("?".to_owned(), |k| format!("{:.0} MiB", k as f64 / 1024.0));
    eprintln!("wall {:.0} ms, peak RSS {rss}", ms(wall));
}

fn write_json(
    mut out: impl Write,
    graph: &HeapGraph,
    analysis: &HeapAnalysis,
    nodes: bool,
) -> io::Result<()> {
    let r = analysis.reachability();
    write!(
        out,
        "{{\"nodes\":{},\"edges\":{},\"root\":{},\"total_size\":{},\
         \"unreachable_from_root\":{},\"unreachable_from_orphans\":{}",
        graph.node_count(),
        graph.edge_count(),
        graph.root(),
        analysis.total_size(),
        r.unreachable_from_root,
        r.unreachable_from_orphans
    )?;
    if nodes {
        let n = graph.node_count() as u32;
        write_array(
            &mut out,
            "retained",
            (0..n).map(|i| analysis.retained_size(i)),
        )?;
        write_array(
            &mut out,
            "dominators",
            (0..n).map(|i| u64::from(analysis.dominator(i))),
        )?;
        write_array(
            &mut out,
            "self_sizes",
            (0..n).map(|i| analysis.self_size(i)),
        )?;
        // DevTools writes -5 for "no distance".
        let tree = RetainerTree::build(graph);
        write_array(
            &mut out,
            "distances",
            tree.distances()
                .iter()
                .map(|&d| if d == NO_DISTANCE { -5 } else { i64::from(d) }),
        )?;
    }
    out.write_all(b",\"aggregates\":[")?;
    for (i, agg) in analysis.class_aggregates().iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write!(
            out,
            "{{\"key\":{},\"name\":{},\"count\":{},\"self\":{},\"retained\":{},\"first_node\":{}}}",
            serde_json::to_string(&agg.key).unwrap_or_default(),
            serde_json::to_string(&agg.name).unwrap_or_default(),
            agg.count,
            agg.self_size,
            agg.retained_size,
            agg.first_node
        )?;
    }
    out.write_all(b"]}\n")?;
    out.flush()
}

fn write_array(
    out: &mut impl Write,
    name: &str,
    values: impl Iterator<Item = impl std::fmt::Display>,
) -> io::Result<()> {
    write!(out, ",\"{name}\":[")?;
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write!(out, "{v}")?;
    }
    out.write_all(b"]")
}

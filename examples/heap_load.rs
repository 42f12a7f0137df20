//! Loads a `.heapsnapshot` one way and reports the time, the graph's size and the peak RSS
//! (no analysis): for comparing the loaders' memory.
//!
//! ```text
//! cargo run --release --example heap_load -- FILE [mmap|bytes|reader|chunks=N|compare]
//! ```
//!
//! `mmap` is `HeapGraph::load`; `bytes` reads the whole file then calls `from_bytes`;
//! `reader` is `HeapGraph::from_reader` on the file (64 KiB reads); `chunks=N` pushes N-byte
//! chunks into a `HeapGraphBuilder` and also prints the builder's largest heap use; `compare`
//! loads with `load` and `from_reader` and fails unless the graphs are identical.

use modswap::heap::{HeapGraph, HeapGraphBuilder};
use std::fs::File;
use std::io::Read;
use std::process::ExitCode;
use std::time::Instant;

/// Peak resident set size in KiB, from /proc (Linux only).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn chunked(path: &str, size: usize, peak: &mut usize) -> Result<HeapGraph, String> {
    let mut file = File::open(path).map_err(|e| e.to_string())?;
    let mut builder = HeapGraphBuilder::new();
    let mut buf = vec![0u8; size.max(1)];
    loop {
        let n = file.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        builder.push(&buf[..n]).map_err(|e| e.to_string())?;
        *peak = (*peak).max(builder.heap_bytes());
    }
    builder.finish().map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: heap_load FILE [mmap|bytes|reader|chunks=N|compare]");
        return ExitCode::from(2);
    };
    let mode = args.get(1).map_or("mmap", String::as_str);
    let started = Instant::now();
    let mut builder_peak = 0;
    let graph = match mode {
        "mmap" => HeapGraph::load(path).map_err(|e| e.to_string()),
        "bytes" => std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|b| HeapGraph::from_bytes(&b).map_err(|e| e.to_string())),
        "compare" => HeapGraph::load(path)
            .and_then(|a| File::open(path).map_err(Into::into).map(|f| (a, f)))
            .and_then(|(a, f)| HeapGraph::from_reader(f).map(|b| (a, b)))
            .map_err(|e| e.to_string())
            .and_then(|(a, b)| {
                if a.same_content(&b) {
                    Ok(b)
                } else {
                    Err("load and from_reader built different graphs".into())
                }
            }),
        "reader" => File::open(path)
            .map_err(|e| e.to_string())
            .and_then(|f| HeapGraph::from_reader(f).map_err(|e| e.to_string())),
        _ => match mode.strip_prefix("chunks=").and_then(|n| n.parse().ok()) {
            Some(size) => chunked(path, size, &mut builder_peak),
            None => Err(format!("unknown mode {mode}")),
        },
    };
    let wall = started.elapsed();
    match graph {
        Ok(graph) => {
            eprintln!(
                "{mode}: {} nodes, {} edges in {:.0} ms; graph {:.1} MB; builder peak {:.1} MB; \
                 peak RSS {:.1} MB",
                graph.node_count(),
                graph.edge_count(),
                wall.as_secs_f64() * 1000.0,
                graph.heap_bytes() as f64 / 1e6,
                builder_peak as f64 / 1e6,
                peak_rss_kib().unwrap_or(0) as f64 / 1024.0,
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("{path}: {err}");
            ExitCode::FAILURE
        }
    }
}

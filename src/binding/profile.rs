//! `analyzeHeapProfiles`: checkpoints of V8's sampling heap profile folded by allocation site
//! and compared, off the JS thread (libuv pool). Conversions only; the work is
//! `crate::memwatch::profile`.

use crate::memwatch::profile::{analyze, ProfileAnalysis, ProfileOptions, SiteReport};
use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Result, Task};
use napi_derive::napi;

use super::coded;
use super::graph::guarded;

/// How sites are named and what counts as growing.
#[napi(object)]
pub struct HeapProfileOptions {
    /// Prefix removed from script paths (the app's directory with its trailing separator).
    pub root: String,
    /// Least growth in bytes, first to last checkpoint, for a site to be named.
    pub min_growth: f64,
    /// Largest drop in bytes between two checkpoints still counted as growing.
    pub tolerance: f64,
    /// Length of the `largest` list.
    pub top: u32,
    /// Script URLs whose allocations (their callees' included) are left out.
    pub exclude: Vec<String>,
}

/// An allocation site and its live sampled bytes at each checkpoint.
#[napi(object)]
pub struct HeapProfileSite {
    /// `path:line function` (the line where the function starts).
    pub site: String,
    pub function_name: String,
    pub url: String,
    /// 1-based, 0 when unknown.
    pub line: u32,
    pub column: u32,
    /// The heaviest stack to the site, site first.
    pub stack: Vec<String>,
    pub bytes: Vec<f64>,
    pub growth: f64,
}

/// Totals per checkpoint, growing sites, largest sites.
#[napi(object)]
pub struct HeapProfileAnalysis {
    pub totals: Vec<f64>,
    pub growing: Vec<HeapProfileSite>,
    pub largest: Vec<HeapProfileSite>,
}

fn to_binding(site: SiteReport) -> HeapProfileSite {
    HeapProfileSite {
        site: site.site,
        function_name: site.function,
        url: site.url,
        line: site.line,
        column: site.column,
        stack: site.stack,
        bytes: site.bytes,
        growth: site.growth,
    }
}

pub struct HeapProfileTask {
    texts: Vec<String>,
    options: ProfileOptions,
}

impl Task for HeapProfileTask {
    type Output = ProfileAnalysis;
    type JsValue = HeapProfileAnalysis;

    fn compute(&mut self) -> Result<Self::Output> {
        guarded("analyzing heap profiles", || {
            analyze(&self.texts, &self.options)
                .map_err(|error| coded("ERR_MODSWAP_BAD_PROFILE", error.to_string()))
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(HeapProfileAnalysis {
            totals: output.totals,
            growing: output.growing.into_iter().map(to_binding).collect(),
            largest: output.largest.into_iter().map(to_binding).collect(),
        })
    }
}

/// Folds V8 sampling heap profiles (JSON texts of one sampling session, oldest first) by
/// allocation site and names the sites whose live bytes keep growing. Rejects with
/// `ERR_MODSWAP_BAD_PROFILE` (naming the profile) when a text is not such a profile.
#[napi]
#[cfg_attr(test, allow(dead_code))] // only the generated registration calls it
pub fn analyze_heap_profiles(
    texts: Vec<String>,
    options: HeapProfileOptions,
) -> AsyncTask<HeapProfileTask> {
    AsyncTask::new(HeapProfileTask {
        texts,
        options: ProfileOptions {
            root: options.root,
            min_growth: options.min_growth,
            tolerance: options.tolerance,
            top: options.top as usize,
            exclude: options.exclude,
        },
    })
}

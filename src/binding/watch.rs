//! `FileWatcher`: the project watcher (`crate::watch`) for `lib/dev/watcher.js`. Each batch
//! crosses into JS as one threadsafe-function call carrying two parallel values (paths, and one
//! kind letter per path), never one call per event.

use crate::watch::{
    BatchResult, BatchTiming, Change, ChangeKind, ProjectWatcher, WatchConfig, WatchError,
    WatchErrorKind,
};
use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Error, Result, Status};
use napi_derive::napi;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::coded;
use super::graph::guarded;

/// Options of a `FileWatcher`, already checked by `lib/dev/watcher.js`.
#[napi(object, js_name = "FileWatcherOptions")]
pub struct BindingWatchOptions {
    /// Directories watched recursively (absolute).
    pub roots: Vec<String>,
    /// Patterns left out besides `node_modules` and `.git`: a name (`dist`, `*.log`) matches at
    /// any depth, a path with `/` (`src/gen`) from the root.
    pub ignore: Option<Vec<String>>,
    /// Extensions reported (`js` or `.js`); none reports every file.
    pub extensions: Option<Vec<String>>,
    /// Quiet time that ends a batch, in milliseconds.
    pub debounce_ms: Option<f64>,
}

/// One batch: `paths[i]` was added, changed or removed as `kinds[i]` says (`a`, `c`, `r`).
#[napi(object, js_name = "FileWatcherBatch")]
pub struct BindingBatch {
    pub paths: Vec<String>,
    pub kinds: String,
}

/// Calls `(error, batch)` on the JS thread; errors carry `ERR_MODSWAP_*` codes.
type BatchCallback = ThreadsafeFunction<Vec<Change>, (), BindingBatch, Status, true>;

fn to_binding(changes: Vec<Change>) -> BindingBatch {
    let kinds = changes
        .iter()
        .map(|change| match change.kind {
            ChangeKind::Add => 'a',
            ChangeKind::Change => 'c',
            ChangeKind::Remove => 'r',
        })
        .collect();
    let paths = changes
        .into_iter()
        .map(|change| change.path.to_string_lossy().into_owned())
        .collect();
    BindingBatch { paths, kinds }
}

/// The error JS sees: its message starts with the stable code `lib/errors.js` lifts.
fn coded_watch_error(error: &WatchError) -> Error {
    let code = match error.kind {
        WatchErrorKind::LimitReached => "ERR_MODSWAP_WATCH_LIMIT",
        WatchErrorKind::NotFound => "ERR_MODSWAP_NOT_FOUND",
        WatchErrorKind::Io => "ERR_MODSWAP_WATCH",
        WatchErrorKind::Internal => "ERR_MODSWAP_INTERNAL",
    };
    coded(code, error.to_string())
}

fn config_of(options: BindingWatchOptions) -> Result<WatchConfig> {
    let mut config = WatchConfig::new(options.roots.into_iter().map(PathBuf::from).collect());
    config.ignore = options.ignore.unwrap_or_default();
    config.extensions = options.extensions.unwrap_or_default();
    if let Some(ms) = options.debounce_ms {
        if !(ms.is_finite() && (0.0..=60_000.0).contains(&ms)) {
            return Err(coded(
                "ERR_MODSWAP_INVALID_OPTIONS",
                format!("debounceMs must be a number of milliseconds from 0 to 60000, got {ms}"),
            ));
        }
        config.timing = BatchTiming::with_debounce(Duration::from_secs_f64(ms / 1000.0));
    }
    Ok(config)
}

/// Watches directories recursively and calls back with each batch of net changes.
#[napi(js_name = "FileWatcher")]
pub struct BindingFileWatcher {
    watcher: Option<ProjectWatcher>,
    callback: Option<Arc<BatchCallback>>,
    roots: Vec<String>,
}

#[napi]
impl BindingFileWatcher {
    /// Starts watching; every directory is watched when this returns. Throws
    /// `ERR_MODSWAP_NOT_FOUND` for a missing root, `ERR_MODSWAP_WATCH_LIMIT` when the OS watch
    /// limit is reached, `ERR_MODSWAP_WATCH` for other failures.
    #[napi(constructor)]
    pub fn new(
        options: BindingWatchOptions,
        #[napi(ts_arg_type = "(error: Error | null, batch: FileWatcherBatch) => void")]
        on_batch: Function<'_, BindingBatch, ()>,
    ) -> Result<Self> {
        guarded("FileWatcher", || {
            let config = config_of(options)?;
            let callback: Arc<BatchCallback> = Arc::new(
                on_batch
                    .build_threadsafe_function::<Vec<Change>>()
                    .callee_handled::<true>()
                    .build_callback(|ctx| Ok(to_binding(ctx.value)))?,
            );
            let sender = Arc::clone(&callback);
            let watcher = ProjectWatcher::start(config, move |batch| deliver(&sender, batch))
                .map_err(|error| coded_watch_error(&error))?;
            let roots = watcher
                .roots()
                .iter()
                .map(|root| root.to_string_lossy().into_owned())
                .collect();
            Ok(BindingFileWatcher {
                watcher: Some(watcher),
                callback: Some(callback),
                roots,
            })
        })
    }

    /// The watched roots, absolute with symlinks resolved: changed paths start with one.
    #[napi(getter)]
    pub fn roots(&self) -> Vec<String> {
        self.roots.clone()
    }

    /// Stops watching: the watcher thread has ended when this returns, and the callback no
    /// longer holds the event loop open. Calling it again does nothing.
    #[napi]
    pub fn close(&mut self) {
        if let Some(mut watcher) = self.watcher.take() {
            watcher.close();
        }
        self.callback = None;
    }

    /// Keeps the process alive while watching (the default).
    #[napi(js_name = "ref")]
    pub fn keep_alive(&self, env: Env) -> Result<()> {
        self.set_keeps_alive(&env, true)
    }

    /// Lets the process exit while watching, as `fs.watch(…, { persistent: false })` does.
    #[napi]
    pub fn unref(&self, env: Env) -> Result<()> {
        self.set_keeps_alive(&env, false)
    }

    fn set_keeps_alive(&self, env: &Env, keep: bool) -> Result<()> {
        let Some(callback) = &self.callback else {
            return Ok(()); // closed: holds nothing any more
        };
        callback.handle.with_read_aborted(|aborted| {
            if aborted {
                return Ok(()); // the environment is shutting down
            }
            // SAFETY: on the JS thread, with a threadsafe function that is neither released
            // (we hold a reference) nor aborted (checked under the handle's lock).
            let status = unsafe {
                if keep {
                    napi::sys::napi_ref_threadsafe_function(env.raw(), callback.raw())
                } else {
                    napi::sys::napi_unref_threadsafe_function(env.raw(), callback.raw())
                }
            };
            napi::check_status!(
                status,
                "could not change whether the watcher keeps Node alive"
            )
        })
    }
}

/// Queues one batch or error for the JS thread without waiting for it.
fn deliver(callback: &BatchCallback, batch: BatchResult) {
    let value = batch.map_err(|error| coded_watch_error(&error));
    // Fails only while Node is shutting down, when nobody is listening.
    let _ = callback.call(value, ThreadsafeFunctionCallMode::NonBlocking);
}

//! What the watcher leaves out: `node_modules` and `.git` anywhere, editors' temp and backup
//! files, the user's patterns, and files outside the extension list.

use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};

/// Directory names never watched, at any depth.
const ALWAYS_IGNORED_DIRS: [&str; 2] = ["node_modules", ".git"];

/// Suffixes of files editors write beside the real one while saving or editing (vim swap files,
/// `~` backups, JetBrains "safe write", generic `.tmp`). Never modules, so never reported.
const EDITOR_TEMP_SUFFIXES: [&str; 9] = [
    "~",
    ".swp",
    ".swo",
    ".swx",
    ".tmp",
    ".crswap",
    ".kate-swp",
    "___jb_tmp___",
    "___jb_old___",
];

/// vim creates and deletes a file named `4913` to probe whether it may write in a directory.
const VIM_PROBE: &str = "4913";

/// Ignore and extension rules for paths under the watched roots.
///
/// A user pattern is a path with `*` wildcards (any run of characters within one segment):
/// without a `/` it matches any single segment at any depth (`dist`, `*.log`, `tmp-*`); with a
/// `/` it matches the leading segments of the path relative to a root (`src/generated`,
/// `test/*.snap`). A matching directory is not watched at all.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    roots: Vec<PathBuf>,
    any_segment: Vec<String>,
    anchored: Vec<Vec<String>>,
    extensions: Vec<String>,
}

impl Rules {
    /// Rules for paths under `roots`; `extensions` empty means every file.
    pub fn new(roots: &[PathBuf], ignore: &[String], extensions: &[String]) -> Self {
        let mut rules = Rules {
            roots: roots.to_vec(),
            ..Rules::default()
        };
        for pattern in ignore {
            let segments = pattern_segments(pattern);
            match segments.len() {
                0 => {}
                1 => rules.any_segment.extend(segments),
                _ => rules.anchored.push(segments),
            }
        }
        rules.extensions = extensions
            .iter()
            .map(|ext| ext.trim_start_matches('.').to_owned())
            .filter(|ext| !ext.is_empty())
            .collect();
        rules
    }

    /// Whether events about `path` (file or directory) are dropped outright: it is, or is under,
    /// an ignored directory, or it is an editor's temp file.
    pub fn is_ignored(&self, path: &Path) -> bool {
        let relative = self.relative(path);
        let segments: Vec<&str> = relative
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => s.to_str(),
                _ => None,
            })
            .collect();
        if segments.iter().any(|s| self.segment_ignored(s)) {
            return true;
        }
        if self.anchored.iter().any(|p| anchored_match(p, &segments)) {
            return true;
        }
        path.file_name().is_some_and(is_editor_temp)
    }

    /// Whether a directory at `path` is watched and walked.
    pub fn watches_dir(&self, path: &Path) -> bool {
        !self.is_ignored(path)
    }

    /// Whether a file at `path` is reported.
    pub fn reports_file(&self, path: &Path) -> bool {
        !self.is_ignored(path) && self.extension_listed(path)
    }

    fn segment_ignored(&self, segment: &str) -> bool {
        ALWAYS_IGNORED_DIRS.contains(&segment)
            || self.any_segment.iter().any(|p| wildcard_match(p, segment))
    }

    fn extension_listed(&self, path: &Path) -> bool {
        if self.extensions.is_empty() {
            return true;
        }
        let Some(name) = path.file_name().and_then(OsStr::to_str) else {
            return false;
        };
        // `name` is `<something>.<ext>`; a bare `.js` is a hidden file, not a `.js` file.
        self.extensions.iter().any(|ext| {
            name.strip_suffix(ext.as_str())
                .is_some_and(|stem| stem.len() > 1 && stem.ends_with('.'))
        })
    }

    /// `path` relative to the root it is under (the longest matching root), or as given.
    fn relative<'p>(&self, path: &'p Path) -> &'p Path {
        self.roots
            .iter()
            .filter_map(|root| path.strip_prefix(root).ok())
            .min_by_key(|rel| rel.components().count())
            .unwrap_or(path)
    }
}

/// `"./src/gen/"` → `["src", "gen"]`.
fn pattern_segments(pattern: &str) -> Vec<String> {
    pattern
        .split(['/', '\\'])
        .filter(|s| !s.is_empty() && *s != ".")
        .map(str::to_owned)
        .collect()
}

fn anchored_match(pattern: &[String], segments: &[&str]) -> bool {
    pattern.len() <= segments.len()
        && pattern
            .iter()
            .zip(segments)
            .all(|(p, s)| wildcard_match(p, s))
}

/// `*` matches any run of characters (including none); everything else matches itself.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let middle_and_last: Vec<&str> = parts.collect();
    let Some((last, middle)) = middle_and_last.split_last() else {
        return rest.is_empty(); // no `*` at all: exact match
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

fn is_editor_temp(name: &OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    name == VIM_PROBE
        || EDITOR_TEMP_SUFFIXES.iter().any(|s| name.ends_with(s))
        || name.starts_with(".#") // emacs lock file
        || (name.len() > 1 && name.starts_with('#') && name.ends_with('#')) // emacs auto-save
}

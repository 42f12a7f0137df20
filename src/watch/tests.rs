//! The coalescing and ignore logic on synthetic event sequences and a fake file system, plus one
//! smoke test on the real OS.

use super::*;
use notify::event::{
    AccessKind, AccessMode, CreateKind, DataChange, Flag, ModifyKind, RemoveKind, RenameMode,
};
use notify::{Event, EventKind};
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

const ROOT: &str = "/proj";

fn p(relative: &str) -> PathBuf {
    Path::new(ROOT).join(relative)
}

/// An in-memory file system; every write gives the file a new stamp.
#[derive(Default)]
struct FakeFs {
    entries: BTreeMap<PathBuf, Entry>,
    writes: u64,
}

impl FakeFs {
    fn with_root() -> Self {
        let mut fs = FakeFs::default();
        fs.entries.insert(p(""), Entry::Dir);
        fs
    }

    fn write(&mut self, relative: &str) {
        self.writes += 1;
        let stamp = FileStamp {
            len: self.writes,
            modified: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(self.writes)),
        };
        self.entries.insert(p(relative), Entry::File(stamp));
    }

    fn mkdir(&mut self, relative: &str) {
        self.entries.insert(p(relative), Entry::Dir);
    }

    fn remove(&mut self, relative: &str) {
        let gone = p(relative);
        self.entries.retain(|path, _| !path.starts_with(&gone));
    }

    fn rename(&mut self, from: &str, to: &str) {
        let (from, to) = (p(from), p(to));
        let moved: Vec<(PathBuf, Entry)> = self
            .entries
            .iter()
            .filter(|(path, _)| path.starts_with(&from))
            .map(|(path, entry)| (to.join(path.strip_prefix(&from).unwrap()), *entry))
            .collect();
        self.entries.retain(|path, _| !path.starts_with(&from));
        self.entries.retain(|path, _| !path.starts_with(&to));
        self.entries.extend(moved);
    }
}

impl FsProbe for FakeFs {
    fn entry(&self, path: &Path) -> Option<Entry> {
        self.entries.get(path).copied()
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<(PathBuf, Entry)>> {
        if self.entries.get(dir) != Some(&Entry::Dir) {
            return Err(io::ErrorKind::NotFound.into());
        }
        Ok(self
            .entries
            .iter()
            .filter(|(path, _)| path.parent() == Some(dir))
            .map(|(path, entry)| (path.clone(), *entry))
            .collect())
    }
}

/// Records watch calls in order; refuses watches past `limit`.
#[derive(Default)]
struct FakeWatches {
    watched: BTreeSet<PathBuf>,
    log: Vec<String>,
    limit: Option<usize>,
}

impl DirWatches for FakeWatches {
    fn watch(&mut self, dir: &Path) -> Result<(), WatchError> {
        if self.limit.is_some_and(|limit| self.watched.len() >= limit) {
            return Err(WatchError::watch_limit(dir));
        }
        self.watched.insert(dir.to_path_buf());
        self.log.push(format!("watch {}", dir.display()));
        Ok(())
    }

    fn unwatch(&mut self, dir: &Path) {
        self.watched.remove(dir);
        self.log.push(format!("unwatch {}", dir.display()));
    }
}

fn ev(kind: EventKind, paths: &[&str]) -> Event {
    paths
        .iter()
        .fold(Event::new(kind), |event, path| event.add_path(p(path)))
}

fn create(path: &str) -> Event {
    ev(EventKind::Create(CreateKind::File), &[path])
}
fn create_dir(path: &str) -> Event {
    ev(EventKind::Create(CreateKind::Folder), &[path])
}
fn write(path: &str) -> Event {
    ev(
        EventKind::Modify(ModifyKind::Data(DataChange::Any)),
        &[path],
    )
}
fn close_write(path: &str) -> Event {
    ev(
        EventKind::Access(AccessKind::Close(AccessMode::Write)),
        &[path],
    )
}
fn open(path: &str) -> Event {
    ev(
        EventKind::Access(AccessKind::Open(AccessMode::Any)),
        &[path],
    )
}
fn remove(path: &str) -> Event {
    ev(EventKind::Remove(RemoveKind::File), &[path])
}
fn attrib(path: &str) -> Event {
    ev(
        EventKind::Modify(ModifyKind::Metadata(notify::event::MetadataKind::Any)),
        &[path],
    )
}
/// A rename as inotify reports it through notify: `From`, `To`, then `Both`.
fn rename(from: &str, to: &str) -> Vec<Event> {
    vec![
        ev(
            EventKind::Modify(ModifyKind::Name(RenameMode::From)),
            &[from],
        ),
        ev(EventKind::Modify(ModifyKind::Name(RenameMode::To)), &[to]),
        ev(
            EventKind::Modify(ModifyKind::Name(RenameMode::Both)),
            &[from, to],
        ),
    ]
}

/// A watched project: known tree, fake disk and watches, batcher.
struct Project {
    fs: FakeFs,
    watches: FakeWatches,
    tree: KnownTree,
    rules: Rules,
    batcher: Batcher,
    clock: Instant,
}

impl Project {
    /// A project whose disk holds `files` (and their directories) when watching starts.
    fn with(files: &[&str]) -> Self {
        Self::with_rules(files, &[], &[])
    }

    fn with_rules(files: &[&str], ignore: &[&str], extensions: &[&str]) -> Self {
        let mut fs = FakeFs::with_root();
        for file in files {
            let mut dir = Path::new(file).parent();
            while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
                fs.mkdir(d.to_str().unwrap());
                dir = d.parent();
            }
            fs.write(file);
        }
        let strings = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let rules = Rules::new(&[p("")], &strings(ignore), &strings(extensions));
        let mut watches = FakeWatches::default();
        let mut tree = KnownTree::new();
        tree.add_root(&p(""), &fs, &mut watches, &rules).unwrap();
        watches.log.clear();
        Project {
            fs,
            watches,
            tree,
            rules,
            batcher: Batcher::new(timing()),
            clock: Instant::now(),
        }
    }

    /// Feeds events 0.1 ms apart.
    fn events(&mut self, events: impl IntoIterator<Item = Event>) {
        for event in events {
            self.clock += Duration::from_micros(100);
            let rules = &self.rules;
            self.batcher
                .record(&event, self.clock, |path| rules.is_ignored(path));
        }
    }

    /// Lets time pass until the batch is due and resolves it; `None` when nothing is pending.
    fn flush(&mut self) -> Option<Outcome> {
        let due = self.batcher.deadline()?;
        self.clock = self.clock.max(due);
        let ready = self
            .batcher
            .take_ready(self.clock)
            .expect("due batch is ready");
        Some(if ready.rescan {
            self.tree
                .rescan(&[p("")], &self.fs, &mut self.watches, &self.rules)
        } else {
            self.tree
                .apply(&ready.paths, &self.fs, &mut self.watches, &self.rules)
        })
    }

    /// The changes of the next batch as `"kind relative/path"` strings.
    fn batch(&mut self) -> Vec<String> {
        let outcome = self.flush().expect("a batch is pending");
        assert_eq!(outcome.errors, vec![], "no watch errors expected");
        outcome
            .changes
            .iter()
            .map(|c| {
                let relative = c.path.strip_prefix(ROOT).unwrap();
                format!("{} {}", c.kind.as_str(), relative.display())
            })
            .collect()
    }
}

fn timing() -> BatchTiming {
    BatchTiming {
        debounce: Duration::from_millis(5),
        max_wait: Duration::from_millis(100),
        close_wait: Duration::from_millis(250),
        waits_for_close: true,
    }
}

#[test]
fn a_plain_write_is_one_change() {
    let mut project = Project::with(&["x.js"]);
    project.fs.write("x.js");
    project.events([open("x.js"), write("x.js"), close_write("x.js")]);
    assert_eq!(project.batch(), ["change x.js"]);
    assert!(project.batcher.is_idle());
}

#[test]
fn a_rename_save_is_one_change_of_the_original() {
    let mut project = Project::with(&["src/x.js"]);
    // write-file-atomic's temp name matches no editor pattern: only the net effect removes it.
    project.fs.write("src/x.js.3af2c1");
    project.events([
        create("src/x.js.3af2c1"),
        write("src/x.js.3af2c1"),
        close_write("src/x.js.3af2c1"),
    ]);
    project.fs.rename("src/x.js.3af2c1", "src/x.js");
    project.events(rename("src/x.js.3af2c1", "src/x.js"));
    assert_eq!(project.batch(), ["change src/x.js"]);
}

#[test]
fn truncate_then_write_is_one_change() {
    let mut project = Project::with(&["x.js"]);
    project.fs.write("x.js");
    project.events([
        write("x.js"),
        write("x.js"),
        write("x.js"),
        close_write("x.js"),
    ]);
    assert_eq!(project.batch(), ["change x.js"]);
}

#[test]
fn unlink_then_create_is_one_change() {
    let mut project = Project::with(&["x.js"]);
    project.fs.remove("x.js");
    project.events([remove("x.js")]);
    project.fs.write("x.js");
    project.events([create("x.js"), write("x.js"), close_write("x.js")]);
    assert_eq!(project.batch(), ["change x.js"]);
}

#[test]
fn a_deleted_file_is_a_remove_and_a_new_one_an_add() {
    let mut project = Project::with(&["old.js"]);
    project.fs.remove("old.js");
    project.fs.write("new.js");
    project.events([
        remove("old.js"),
        create("new.js"),
        write("new.js"),
        close_write("new.js"),
    ]);
    assert_eq!(project.batch(), ["add new.js", "remove old.js"]);
    assert!(project.tree.knows_file(&p("new.js")));
    assert!(!project.tree.knows_file(&p("old.js")));
}

#[test]
fn a_file_created_and_deleted_within_a_batch_is_not_reported() {
    let mut project = Project::with(&["x.js"]);
    project.events([
        create("scratch.js"),
        write("scratch.js"),
        close_write("scratch.js"),
        remove("scratch.js"),
    ]);
    let outcome = project.flush().expect("paths were touched");
    assert_eq!(outcome.changes, vec![]);
}

#[test]
fn a_vim_save_with_backup_is_one_change() {
    // vim: probe file 4913, original renamed to the `~` backup, new file written, fsync'd for
    // 40 ms, closed, attributes set, backup deleted.
    let mut project = Project::with(&["x.js"]);
    project.events([create("4913"), close_write("4913"), remove("4913")]);
    project.fs.rename("x.js", "x.js~");
    project.events(rename("x.js", "x.js~"));
    project.fs.write("x.js");
    project.events([create("x.js"), write("x.js")]);
    project.clock += Duration::from_millis(40);
    project.events([attrib("x.js"), close_write("x.js"), attrib("x.js")]);
    project.fs.remove("x.js~");
    project.events([remove("x.js~")]);
    assert_eq!(project.batch(), ["change x.js"]);
    assert!(
        project.flush().is_none(),
        "the save left nothing for a second batch"
    );
}

#[test]
fn swap_and_backup_files_never_enter_a_batch() {
    let mut project = Project::with(&["x.js"]);
    project.fs.write(".x.js.swp");
    project.fs.write("x.js~");
    project.events([
        create(".x.js.swp"),
        write(".x.js.swp"),
        create("x.js~"),
        create("4913"),
    ]);
    assert!(project.batcher.is_idle());
    assert_eq!(project.flush(), None);
}

#[test]
fn node_modules_and_git_are_never_reported_nor_watched() {
    let mut project = Project::with(&[
        "a.js",
        "node_modules/dep/index.js",
        ".git/HEAD",
        "lib/node_modules/x.js",
    ]);
    assert!(!project
        .watches
        .watched
        .iter()
        .any(|d| d.ends_with("node_modules") || d.ends_with(".git")));
    assert_eq!(project.tree.file_count(), 1, "only a.js is known");
    project.fs.write("node_modules/dep/index.js");
    project.fs.write(".git/index");
    project.events([
        write("node_modules/dep/index.js"),
        create(".git/index"),
        create_dir("lib/node_modules/y"),
    ]);
    assert!(project.batcher.is_idle());
}

#[test]
fn a_write_still_open_is_held_until_its_close() {
    let mut project = Project::with(&["big.js"]);
    project.fs.write("big.js");
    project.events([write("big.js")]);
    let start = project.clock;
    assert_eq!(
        project.batcher.deadline(),
        Some(start + timing().close_wait)
    );
    project.clock += Duration::from_millis(30);
    assert_eq!(
        project.batcher.take_ready(project.clock),
        None,
        "held while open"
    );
    project.events([write("big.js"), close_write("big.js")]);
    assert_eq!(
        project.batcher.deadline(),
        Some(project.clock + timing().debounce)
    );
    assert_eq!(project.batch(), ["change big.js"]);
}

#[test]
fn a_write_never_closed_is_reported_after_close_wait() {
    let mut project = Project::with(&["app.js"]);
    project.fs.write("app.js");
    project.events([write("app.js")]);
    let due = project.batcher.deadline().unwrap();
    assert_eq!(due, project.clock + timing().close_wait);
    assert_eq!(project.batch(), ["change app.js"]);
}

#[test]
fn an_open_write_does_not_delay_other_files() {
    let mut project = Project::with(&["server.log.js", "a.js"]);
    project.fs.write("server.log.js");
    project.fs.write("a.js");
    project.events([write("server.log.js"), write("a.js"), close_write("a.js")]);
    assert_eq!(project.batch(), ["change a.js"]);
    assert_eq!(project.batch(), ["change server.log.js"]);
}

#[test]
fn a_batch_ends_after_the_debounce_of_quiet() {
    let mut project = Project::with(&["a.js"]);
    project.events([attrib("a.js")]);
    let first = project.clock;
    assert_eq!(project.batcher.deadline(), Some(first + timing().debounce));
    project.clock += Duration::from_millis(3);
    project.events([attrib("a.js")]);
    assert_eq!(
        project.batcher.deadline(),
        Some(project.clock + timing().debounce)
    );
    assert_eq!(
        project
            .batcher
            .take_ready(project.clock + Duration::from_millis(4)),
        None
    );
    assert!(project
        .batcher
        .take_ready(project.clock + timing().debounce)
        .is_some());
}

#[test]
fn events_that_never_pause_still_flush_by_max_wait() {
    let mut project = Project::with(&["a.js"]);
    project.events([attrib("a.js")]);
    let first = project.clock;
    for _ in 0..100 {
        project.clock += Duration::from_millis(2);
        project.events([attrib("a.js")]);
    }
    assert_eq!(project.batcher.deadline(), Some(first + timing().max_wait));
}

#[test]
fn a_burst_over_many_files_is_one_batch_naming_each_once() {
    let names: Vec<String> = (0..10).map(|i| format!("f{i}.js")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut project = Project::with(&refs);
    for round in 0..5 {
        for name in &refs {
            project.fs.write(name);
            project.events([write(name), close_write(name)]);
        }
        assert!(round < 5);
    }
    let batch = project.batch();
    assert_eq!(batch.len(), 10);
    assert_eq!(batch[0], "change f0.js");
    assert!(project.flush().is_none());
}

#[test]
fn opening_and_reading_files_is_not_a_change() {
    let mut project = Project::with(&["a.js"]);
    project.events([open("a.js")]);
    assert!(project.batcher.is_idle());
}

#[test]
fn a_new_directory_is_watched_and_its_files_are_added() {
    let mut project = Project::with(&["a.js"]);
    project.fs.mkdir("lib");
    project.fs.mkdir("lib/deep");
    project.fs.write("lib/b.js");
    project.fs.write("lib/deep/c.js");
    project.events([create_dir("lib")]);
    assert_eq!(project.batch(), ["add lib/b.js", "add lib/deep/c.js"]);
    assert!(project.watches.watched.contains(&p("lib")));
    assert!(project.watches.watched.contains(&p("lib/deep")));
}

#[test]
fn a_new_directory_and_events_of_its_files_give_one_add_each() {
    let mut project = Project::with(&["a.js"]);
    project.fs.mkdir("lib");
    project.fs.write("lib/b.js");
    project.events([
        create_dir("lib"),
        create("lib/b.js"),
        write("lib/b.js"),
        close_write("lib/b.js"),
    ]);
    assert_eq!(project.batch(), ["add lib/b.js"]);
}

#[test]
fn a_deleted_directory_removes_every_file_under_it() {
    let mut project = Project::with(&["lib/b.js", "lib/deep/c.js", "a.js"]);
    project.fs.remove("lib");
    project.events([ev(EventKind::Remove(RemoveKind::Folder), &["lib"])]);
    assert_eq!(project.batch(), ["remove lib/b.js", "remove lib/deep/c.js"]);
    assert!(!project.watches.watched.contains(&p("lib/deep")));
}

#[test]
fn a_directory_moved_within_the_tree_drops_the_old_watch_before_adding_the_new() {
    let mut project = Project::with(&["z/a.js"]);
    project.fs.rename("z", "y");
    project.events(rename("z", "y"));
    assert_eq!(project.batch(), ["add y/a.js", "remove z/a.js"]);
    assert_eq!(
        project.watches.log,
        [
            format!("unwatch {}", p("z").display()),
            format!("watch {}", p("y").display())
        ]
    );
}

#[test]
fn ignore_patterns_and_extensions_filter_what_is_reported() {
    let mut project = Project::with_rules(
        &[
            "src/a.js",
            "src/a.ts",
            "dist/b.js",
            "src/gen/c.js",
            "test/gen/d.js",
            "e.log",
            "f.json",
            "g.d.ts",
        ],
        &["dist", "*.log", "src/gen"],
        &["js", ".json"],
    );
    assert!(!project.watches.watched.contains(&p("dist")));
    assert!(!project.watches.watched.contains(&p("src/gen")));
    for file in [
        "src/a.js",
        "src/a.ts",
        "dist/b.js",
        "src/gen/c.js",
        "test/gen/d.js",
        "e.log",
        "f.json",
        "g.d.ts",
    ] {
        project.fs.write(file);
        project.events([write(file), close_write(file)]);
    }
    assert_eq!(
        project.batch(),
        ["change f.json", "change src/a.js", "change test/gen/d.js"]
    );
}

#[test]
fn wildcards_match_within_one_segment() {
    let rules = Rules::new(
        &[p("")],
        &[
            "tmp-*".into(),
            "*.snap".into(),
            "a*c*e".into(),
            "test/*/out".into(),
        ],
        &[],
    );
    assert!(rules.is_ignored(&p("tmp-1/x.js")));
    assert!(rules.is_ignored(&p("lib/x.snap")));
    assert!(rules.is_ignored(&p("abcde")));
    assert!(rules.is_ignored(&p("test/unit/out/x.js")));
    assert!(!rules.is_ignored(&p("lib/tmp/x.js")));
    assert!(!rules.is_ignored(&p("x.snap.js")));
    assert!(!rules.is_ignored(&p("abcd")));
    assert!(
        !rules.is_ignored(&p("src/test/unit/out/x.js")),
        "anchored at the root"
    );
}

#[test]
fn a_lost_event_queue_rescans_and_reports_the_difference() {
    let mut project = Project::with(&["same.js", "edited.js", "gone.js"]);
    project.fs.write("edited.js");
    project.fs.remove("gone.js");
    project.fs.mkdir("new");
    project.fs.write("new/n.js");
    project.events([Event::new(EventKind::Other).set_flag(Flag::Rescan)]);
    assert_eq!(
        project.batch(),
        ["change edited.js", "remove gone.js", "add new/n.js"]
    );
}

#[test]
fn a_new_directory_over_the_watch_limit_is_an_error_and_others_still_report() {
    let mut project = Project::with(&["a.js"]);
    project.watches.limit = Some(project.watches.watched.len());
    project.fs.mkdir("lib");
    project.fs.write("lib/b.js");
    project.fs.write("a.js");
    project.events([create_dir("lib"), write("a.js"), close_write("a.js")]);
    let outcome = project.flush().unwrap();
    assert_eq!(
        outcome.changes,
        vec![Change {
            path: p("a.js"),
            kind: ChangeKind::Change
        }]
    );
    assert_eq!(outcome.errors.len(), 1);
    assert_eq!(outcome.errors[0].kind, WatchErrorKind::LimitReached);
    assert_eq!(outcome.errors[0].path, p("lib"));
    assert!(outcome.errors[0]
        .cause
        .contains("fs.inotify.max_user_watches"));
}

#[test]
fn the_limit_note_names_a_lower_user_namespace_limit() {
    use super::error::limit_note;
    assert_eq!(
        limit_note("max_user_watches", Some(8192), None),
        " (fs.inotify.max_user_watches = 8192)"
    );
    assert_eq!(
        limit_note("max_user_watches", Some(8192), Some(2147483647)),
        " (fs.inotify.max_user_watches = 8192)"
    );
    assert_eq!(
        limit_note("max_user_watches", Some(8192), Some(3)),
        " (fs.inotify.max_user_watches = 8192, and 3 in this user namespace: \
         user.max_inotify_watches)"
    );
    assert_eq!(
        limit_note("max_user_instances", None, Some(0)),
        " (user.max_inotify_instances = 0)"
    );
    assert_eq!(limit_note("max_user_instances", None, None), "");
}

#[test]
fn a_missing_root_is_not_found_and_a_file_root_is_refused() {
    let mut fs = FakeFs::with_root();
    fs.write("file.js");
    let rules = Rules::new(&[], &[], &[]);
    let mut watches = FakeWatches::default();
    let missing = KnownTree::new()
        .add_root(&p("nope"), &fs, &mut watches, &rules)
        .unwrap_err();
    assert_eq!(missing.kind, WatchErrorKind::NotFound);
    assert_eq!(missing.path, p("nope"));
    let file = KnownTree::new()
        .add_root(&p("file.js"), &fs, &mut watches, &rules)
        .unwrap_err();
    assert_eq!(
        (file.kind, file.cause.as_str()),
        (WatchErrorKind::Io, "not a directory")
    );
}

#[test]
fn notify_errors_are_sorted_into_kinds() {
    let dir = Path::new("/proj/lib");
    let limit = WatchError::from_notify(notify::Error::new(notify::ErrorKind::MaxFilesWatch), dir);
    assert_eq!(
        (limit.kind, limit.path.as_path()),
        (WatchErrorKind::LimitReached, dir)
    );
    let enospc = WatchError::from_notify(notify::Error::io(io::Error::from_raw_os_error(28)), dir);
    assert_eq!(enospc.kind, WatchErrorKind::LimitReached);
    let emfile =
        WatchError::from_watcher_init(notify::Error::io(io::Error::from_raw_os_error(24)), dir);
    assert_eq!(emfile.kind, WatchErrorKind::LimitReached);
    assert!(emfile.cause.contains("max_user_instances"));
    let missing = WatchError::from_notify(notify::Error::path_not_found().add_path(p("x")), dir);
    assert_eq!(
        (missing.kind, missing.path),
        (WatchErrorKind::NotFound, p("x"))
    );
    let denied = WatchError::from_notify(notify::Error::io(io::Error::from_raw_os_error(13)), dir);
    assert_eq!(denied.kind, WatchErrorKind::Io);
    assert_eq!(
        denied.to_string(),
        format!("/proj/lib: {}", io::Error::from_raw_os_error(13))
    );
}

/// The real OS: a rename-save replaces the inode, and the next save is still seen.
#[test]
fn real_rename_saves_are_seen_twice() {
    use std::sync::mpsc;
    let dir = std::env::temp_dir().join(format!("modswap-watch-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("x.js"), "1").unwrap();
    let (sender, receiver) = mpsc::channel();
    let mut watcher = ProjectWatcher::start(WatchConfig::new(vec![dir.clone()]), move |batch| {
        let _ = sender.send(batch);
    })
    .unwrap();
    let x = watcher.roots()[0].join("x.js");
    for save in 0..2 {
        std::fs::write(dir.join("x.js.tmp"), format!("{save}")).unwrap();
        std::fs::rename(dir.join("x.js.tmp"), dir.join("x.js")).unwrap();
        let batch = receiver
            .recv_timeout(Duration::from_secs(5))
            .expect("a batch within 5 s");
        assert_eq!(
            batch.unwrap(),
            vec![Change {
                path: x.clone(),
                kind: ChangeKind::Change
            }],
            "save {save}"
        );
    }
    watcher.close();
    watcher.close();
    std::fs::write(dir.join("x.js"), "after close").unwrap();
    assert!(
        receiver.recv_timeout(Duration::from_millis(100)).is_err(),
        "nothing after close"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

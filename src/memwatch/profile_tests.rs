use super::*;
use serde_json::json;

fn options() -> ProfileOptions {
    ProfileOptions {
        root: "/app/".to_owned(),
        min_growth: 1000.0,
        tolerance: 100.0,
        top: 10,
        exclude: vec!["/app/node_modules/modswap/lib/memwatch/profile.js".to_owned()],
    }
}

fn frame(function: &str, url: &str, line: i64) -> Value {
    json!({ "functionName": function, "scriptId": "1", "url": url, "lineNumber": line, "columnNumber": 4 })
}

/// A node with its own bytes and children, V8's shape.
fn node(call: Value, self_size: f64, children: Vec<Value>) -> Value {
    json!({ "callFrame": call, "selfSize": self_size, "id": 1, "children": children })
}

/// root → (anonymous VM frame) → handle (server.js:20) → send (events.js:12) → push (builtin),
/// plus an `other` function in server.js holding `other` bytes.
fn service(send: f64, push: f64, other: f64) -> String {
    let push = node(frame("push", "", -1), push, vec![]);
    let send = node(frame("send", "/app/lib/events.js", 11), send, vec![push]);
    let handle = node(
        frame("handle", "file:///app/server.js", 19),
        0.0,
        vec![send],
    );
    let other = node(frame("other", "/app/server.js", 30), other, vec![]);
    let program = node(frame("", "", -1), 0.0, vec![handle, other]);
    let root = node(frame("(root)", "", -1), 0.0, vec![program]);
    json!({ "head": root, "samples": [] }).to_string()
}

#[test]
fn folds_builtins_into_their_script_caller_and_names_the_site() {
    let mut table = FrameTable::default();
    let folded = fold_profile(&service(3000.0, 500.0, 700.0), &mut table).unwrap();
    assert_eq!(folded.total, 4200.0);
    let analysis = analyze_folded(&[folded], &table, &options());
    let send = &analysis.largest[0];
    assert_eq!(send.site, "lib/events.js:12 send");
    assert_eq!(send.bytes, vec![3500.0]);
    assert_eq!((send.line, send.column), (12, 5));
    assert_eq!(send.url, "/app/lib/events.js");
    assert_eq!(
        send.stack,
        vec!["lib/events.js:12 send", "server.js:20 handle"]
    );
    assert_eq!(analysis.largest[1].site, "server.js:31 other");
}

#[test]
fn names_the_site_that_keeps_growing_and_not_the_steady_one() {
    let texts: Vec<String> = [1000.0, 2000.0, 3000.0, 4000.0]
        .iter()
        .map(|&send| service(send, 0.0, 5000.0))
        .collect();
    let analysis = analyze(&texts, &options()).unwrap();
    assert_eq!(analysis.totals, vec![6000.0, 7000.0, 8000.0, 9000.0]);
    assert_eq!(analysis.growing.len(), 1);
    let site = &analysis.growing[0];
    assert_eq!(site.site, "lib/events.js:12 send");
    assert_eq!(site.bytes, vec![1000.0, 2000.0, 3000.0, 4000.0]);
    assert_eq!(site.growth, 3000.0);
}

#[test]
fn a_site_that_stops_growing_or_falls_is_not_named() {
    let stopped: Vec<String> = [1000.0, 3000.0, 5000.0, 5000.0]
        .iter()
        .map(|&send| service(send, 0.0, 0.0))
        .collect();
    assert!(analyze(&stopped, &options()).unwrap().growing.is_empty());
    // A drop bigger than the tolerance in the middle: a sawtooth, not a leak.
    let sawtooth: Vec<String> = [1000.0, 4000.0, 1500.0, 4500.0]
        .iter()
        .map(|&send| service(send, 0.0, 0.0))
        .collect();
    assert!(analyze(&sawtooth, &options()).unwrap().growing.is_empty());
    // Growth below min_growth is noise.
    let small: Vec<String> = [1000.0, 1300.0, 1600.0, 1900.0]
        .iter()
        .map(|&send| service(send, 0.0, 0.0))
        .collect();
    assert!(analyze(&small, &options()).unwrap().growing.is_empty());
}

#[test]
fn a_drop_within_the_tolerance_still_counts_as_growing() {
    let texts: Vec<String> = [1000.0, 2000.0, 1950.0, 3000.0]
        .iter()
        .map(|&send| service(send, 0.0, 0.0))
        .collect();
    let growing = analyze(&texts, &options()).unwrap().growing;
    assert_eq!(growing.len(), 1);
    assert_eq!(growing[0].growth, 2000.0);
}

#[test]
fn a_site_new_since_the_first_checkpoint_counts_from_zero() {
    let texts = vec![service(0.0, 0.0, 100.0), service(1500.0, 0.0, 100.0)];
    let growing = analyze(&texts, &options()).unwrap().growing;
    assert_eq!(growing[0].bytes, vec![0.0, 1500.0]);
    assert_eq!(growing[0].growth, 1500.0);
}

#[test]
fn picks_the_stack_that_grew_most() {
    let make = |via_a: f64, via_b: f64| {
        let send_a = node(frame("send", "/app/lib/events.js", 11), via_a, vec![]);
        let send_b = node(frame("send", "/app/lib/events.js", 11), via_b, vec![]);
        let a = node(frame("a", "/app/a.js", 0), 0.0, vec![send_a]);
        let b = node(frame("b", "/app/b.js", 0), 0.0, vec![send_b]);
        json!({ "head": node(frame("(root)", "", -1), 0.0, vec![a, b]) }).to_string()
    };
    let texts = vec![make(9000.0, 100.0), make(9000.0, 5000.0)];
    let growing = analyze(&texts, &options()).unwrap().growing;
    assert_eq!(growing[0].bytes, vec![9100.0, 14000.0]);
    assert_eq!(growing[0].stack, vec!["lib/events.js:12 send", "b.js:1 b"]);
}

#[test]
fn vm_work_without_a_script_frame_is_named_by_its_frame() {
    let gc = node(frame("(V8 API)", "", -1), 2048.0, vec![]);
    let text = json!({ "head": node(frame("(root)", "", -1), 0.0, vec![gc]) }).to_string();
    let analysis = analyze(&[text], &options()).unwrap();
    assert_eq!(analysis.largest[0].site, "(V8 API)");
    assert_eq!(
        (analysis.largest[0].line, analysis.largest[0].url.as_str()),
        (0, "")
    );
}

#[test]
fn paths_outside_the_root_are_kept_whole() {
    let f = Frame {
        function: String::new(),
        url: "file:///srv/other/x.mjs".to_owned(),
        line: 0,
        column: 0,
    };
    assert_eq!(frame_label(&f, "/app/"), "/srv/other/x.mjs:1 (anonymous)");
    assert_eq!(frame_label(&f, ""), "/srv/other/x.mjs:1 (anonymous)");
}

#[test]
fn accepts_a_bare_head_node_and_deep_trees() {
    // 300 nested frames: deeper than serde_json's default recursion limit.
    let mut deep = node(frame("leaf", "/app/deep.js", 0), 64.0, vec![]);
    for i in 0..300 {
        deep = node(frame(&format!("f{i}"), "/app/deep.js", i), 0.0, vec![deep]);
    }
    let analysis = analyze(&[deep.to_string()], &options()).unwrap();
    assert_eq!(analysis.largest[0].site, "deep.js:1 leaf");
    assert_eq!(analysis.largest[0].stack.len(), MAX_STACK);
}

#[test]
fn refuses_what_is_not_a_profile() {
    let refuse = |text: &str| analyze(&[text.to_owned()], &options()).unwrap_err().0;
    assert!(refuse("{").starts_with("profile 1: not JSON"));
    assert!(refuse("[]").contains("no 'head' node"));
    assert!(refuse(r#"{"head":{"selfSize":1}}"#).contains("no callFrame"));
    let bad_size = json!({ "head": node(frame("f", "/a.js", 0), -5.0, vec![]) }).to_string();
    assert!(refuse(&bad_size).contains("bad selfSize"));
    let bad_children = r#"{"head":{"callFrame":{},"selfSize":1,"children":3}}"#;
    assert!(refuse(bad_children).contains("children is not an array"));
    let too_deep = format!(
        "{}{}",
        "[".repeat(MAX_NESTING + 1),
        "]".repeat(MAX_NESTING + 1)
    );
    assert!(refuse(&too_deep).contains("nested deeper"));
    // Brackets inside strings do not count as nesting.
    let in_string = format!(
        r#"{{"head":{{"callFrame":{{"functionName":"{}"}}}}}}"#,
        "[".repeat(5000)
    );
    assert!(analyze(&[in_string], &options()).is_ok());
}

#[test]
fn the_second_failing_profile_is_named() {
    let texts = vec![service(1.0, 0.0, 0.0), "nope".to_owned()];
    assert!(analyze(&texts, &options())
        .unwrap_err()
        .0
        .starts_with("profile 2:"));
}

#[test]
fn no_checkpoints_gives_an_empty_analysis() {
    let analysis = analyze(&[], &options()).unwrap();
    assert!(
        analysis.totals.is_empty() && analysis.growing.is_empty() && analysis.largest.is_empty()
    );
}

#[test]
fn leaves_out_what_the_excluded_scripts_allocate() {
    let make = |own: f64| {
        let json = node(frame("parse", "", -1), own, vec![]);
        let own = node(
            frame(
                "checkpoint",
                "/app/node_modules/modswap/lib/memwatch/profile.js",
                90,
            ),
            own,
            vec![json],
        );
        let send = node(frame("send", "/app/lib/events.js", 11), 2000.0, vec![]);
        json!({ "head": node(frame("(root)", "", -1), 0.0, vec![own, send]) }).to_string()
    };
    let analysis = analyze(&[make(1000.0), make(90000.0)], &options()).unwrap();
    assert!(analysis.growing.is_empty());
    assert_eq!(analysis.totals, vec![2000.0, 2000.0]);
    assert_eq!(analysis.largest.len(), 1);
}

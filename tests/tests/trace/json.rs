//! `trace --json` (one JSON object per call) and `trace --perfetto FILE` (Chrome trace-event
//! JSON): both parse with a standard JSON parser for real programs' whole runs.

use serde_json::Value;
use sysgate_tests::{require_tools, Cmd, TestDir};

#[test]
fn json_lines_parse_for_a_whole_real_run() {
    let t = TestDir::new("json-lines");
    let out = t.trace_file("json");
    let o = t.run_sysgate(
        &["trace", "-f", "--json", "-o", out.to_str().unwrap()],
        &Cmd::sh("ls -la / | sort | head -3 >/dev/null; printf 'a\\tb\\\"c\\\\\\n' > /dev/null; cat /nonexistent 2>/dev/null; true"),
        Some(&out),
    );
    o.assert_exit_code(0);
    let mut calls = 0;
    let mut pids = std::collections::BTreeSet::new();
    let mut saw_enoent = false;
    let mut exits = 0;
    for line in o.trace_text().lines() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        pids.insert(v["pid"].as_i64().unwrap());
        if v.get("exited").is_some() {
            exits += 1;
            continue;
        }
        calls += 1;
        for k in [
            "pid", "tid", "time", "name", "args", "result", "errno", "duration",
        ] {
            assert!(v.get(k).is_some(), "{k} missing: {line}");
        }
        assert!(v["args"].is_array());
        if v["name"] == "openat" && v["errno"] == "ENOENT" && v["args"][1] == "\"/nonexistent\"" {
            saw_enoent = true;
            assert_eq!(v["result"], -1);
        }
        // Calls that do not return to their caller have no duration.
        if !["execve", "exit_group", "exit", "rt_sigreturn"].contains(&v["name"].as_str().unwrap())
        {
            assert!(v["duration"].as_f64().is_some(), "{line}");
        }
    }
    assert!(calls > 100, "{calls} calls");
    assert!(pids.len() >= 4, "children are in it: {pids:?}");
    assert!(
        saw_enoent,
        "a failed call carries its errno\n{}",
        o.trace_text()
    );
    assert!(exits >= 4);
}

#[test]
fn perfetto_file_is_valid_trace_event_json() {
    if !require_tools("perfetto python", &["python3"]) {
        return;
    }
    let t = TestDir::new("json-perfetto");
    let out = t.trace_file("perfetto");
    let o = t.run_sysgate(
        &["trace", "--perfetto", out.to_str().unwrap()],
        &Cmd::new("python3").args(["-c", "import threading,subprocess\nth=threading.Thread(target=lambda: open('/etc/hostname').read()); th.start(); th.join()\nsubprocess.run(['true'])"]),
        Some(&out),
    );
    o.assert_exit_code(0);
    let v: Value = serde_json::from_str(o.trace_text()).unwrap_or_else(|e| panic!("{e}"));
    let events = v["traceEvents"].as_array().unwrap();
    assert!(events.len() > 100);
    let mut tids = std::collections::BTreeSet::new();
    for e in events {
        let ph = e["ph"].as_str().unwrap();
        assert!(["X", "i", "M"].contains(&ph), "{e}");
        assert!(
            e["pid"].is_i64() && e["tid"].is_i64() && e["name"].is_string(),
            "{e}"
        );
        if ph == "X" {
            assert!(
                e["ts"].as_f64().unwrap() > 0.0 && e["dur"].as_f64().unwrap() >= 0.0,
                "{e}"
            );
            assert!(
                e["args"]["call"]
                    .as_str()
                    .unwrap()
                    .starts_with(e["name"].as_str().unwrap()),
                "{e}"
            );
            tids.insert(e["tid"].as_i64().unwrap());
        }
    }
    assert!(
        tids.len() >= 3,
        "main thread, python's thread and the child: {tids:?}"
    );
}

#[test]
fn json_marks_injected_calls_and_killed_processes() {
    let t = TestDir::new("json-inject");
    let out = t.trace_file("json");
    let o = t.run_sysgate(
        &[
            "trace",
            "--json",
            "-e",
            "trace=getppid",
            "-e",
            "inject=getppid:error=EPERM",
            "-o",
            out.to_str().unwrap(),
        ],
        &Cmd::sh("kill -SEGV $$"),
        Some(&out),
    );
    assert_eq!(o.signal(), Some(11));
    let last: Value = serde_json::from_str(o.trace_text().lines().last().unwrap()).unwrap();
    assert_eq!(last["killed"], "SIGSEGV");
    let o = t.run_sysgate(
        &[
            "trace",
            "--json",
            "-e",
            "trace=getppid",
            "-e",
            "inject=getppid:error=EPERM",
            "-o",
            out.to_str().unwrap(),
        ],
        &Cmd::new("python3").args(["-c", "import os\ntry: os.getppid()\nexcept OSError: pass"]),
        Some(&out),
    );
    let first: Value = serde_json::from_str(o.trace_text().lines().next().unwrap()).unwrap();
    assert_eq!(first["name"], "getppid");
    assert_eq!(first["errno"], "EPERM");
    assert_eq!(first["injected"], true);
}

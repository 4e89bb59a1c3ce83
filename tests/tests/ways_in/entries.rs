//! Every way into the kernel is seen: the entries probe makes one marker
//! syscall from each origin (inline asm in the main binary, libc, a thread,
//! fork and vfork children, JIT code, a dlopen'ed library, signal handlers,
//! after exec), and each must appear in the trace exactly once, from the
//! right process, formatted as strace formats it.

use std::collections::HashMap;

use sysgate_tests::{probe, probe_lib, Cmd, Mode, Outcome, TestDir, TraceLine};

/// Origins made by the main process (same pid as the traced program).
const MAIN_ORIGINS: &[&str] = &[
    "main-asm",
    "libc",
    "jit",
    "jit-again",
    "jit-rewritten",
    "dlopen-asm",
    "dlopen-libc",
    "signal",
    "sigaltstack",
    "after-exec",
];

/// Origins made by another thread or process (each its own tid).
const OTHER_ORIGINS: &[&str] = &["thread", "fork", "vfork", "vfork-exec"];

fn marker_line(origin: &str) -> String {
    format!(
        "openat(AT_FDCWD, \"/nonexistent/sysgate-marker-{origin}\", O_RDONLY) = -1 ENOENT (No such file or directory)"
    )
}

fn entries_cmd() -> Cmd {
    Cmd::new(probe("every_origin")).arg(probe_lib("dlopen_sites_lib"))
}

/// For each origin, the single line carrying its marker; panics with the
/// trace when one is missing, duplicated or misformatted.
fn find_markers<'a>(o: &Outcome, lines: &'a [TraceLine]) -> HashMap<&'static str, &'a TraceLine> {
    let mut found = HashMap::new();
    let mut problems = Vec::new();
    for &origin in MAIN_ORIGINS.iter().chain(OTHER_ORIGINS) {
        let path = format!("\"/nonexistent/sysgate-marker-{origin}\"");
        let hits: Vec<&TraceLine> = lines.iter().filter(|l| l.text.contains(&path)).collect();
        match hits.as_slice() {
            [] => problems.push(format!("marker {origin}: missing")),
            [one] if one.text == marker_line(origin) => {
                found.insert(origin, *one);
            }
            [one] => problems.push(format!(
                "marker {origin}: expected\n    {}\n  got\n    {}",
                marker_line(origin),
                one.text
            )),
            many => problems.push(format!(
                "marker {origin}: {} lines instead of one:\n    {}",
                many.len(),
                many.iter()
                    .map(|l| l.text.as_str())
                    .collect::<Vec<_>>()
                    .join("\n    ")
            )),
        }
    }
    assert!(
        problems.is_empty(),
        "{}: \n{}\n{o}",
        o.label,
        problems.join("\n")
    );
    found
}

fn assert_probe_passed(o: &Outcome) {
    let out = o.stdout_str();
    assert!(
        o.code() == Some(0) && !out.contains("FAILED") && out.contains("exec kept the pid"),
        "{}: the entries probe reported failures\n{o}",
        o.label
    );
}

#[test]
fn probe_behaves_natively() {
    let t = TestDir::new("entries-native");
    let o = t.run(&entries_cmd(), Mode::Native);
    assert_probe_passed(&o);
}

#[test]
fn probe_behaves_under_run() {
    let t = TestDir::new("entries-run");
    let cmd = entries_cmd();
    let native = t.run(&cmd, Mode::Native);
    assert_probe_passed(&native);
    let o = t.run(&cmd, Mode::Run);
    assert_probe_passed(&o);
    assert_eq!(
        o.stdout, native.stdout,
        "{}: stdout differs from native\n{o}",
        o.label
    );
    assert!(
        o.stderr.is_empty(),
        "{}: `sysgate run` printed something of its own\n{o}",
        o.label
    );
}

#[test]
fn every_marker_in_followed_trace_file() {
    let t = TestDir::new("entries-trace");
    let cmd = entries_cmd();
    let native = t.run(&cmd, Mode::Native);
    let o = t.run(&cmd, Mode::Trace);
    assert_probe_passed(&o);
    assert_eq!(
        o.stdout, native.stdout,
        "{}: stdout differs from native\n{o}",
        o.label
    );
    o.assert_trace_shape();

    let lines = o.trace_lines();
    let main_pid = lines[0].pid.unwrap_or_else(|| {
        panic!(
            "{}: with -f -o every line starts with a pid: {}\n{o}",
            o.label, lines[0].text
        )
    });
    for l in &lines {
        assert!(
            l.pid.is_some(),
            "{}: line without a pid prefix: {}\n{o}",
            o.label,
            l.text
        );
    }
    let markers = find_markers(&o, &lines);

    for origin in MAIN_ORIGINS {
        let pid = markers[origin].pid;
        assert_eq!(
            pid,
            Some(main_pid),
            "{}: marker {origin} should come from the main process {main_pid}\n{o}",
            o.label
        );
    }
    let mut seen = vec![main_pid];
    for origin in OTHER_ORIGINS {
        let pid = markers[origin].pid.expect("checked above");
        assert!(
            !seen.contains(&pid),
            "{}: marker {origin} carries pid {pid}, which is not a task of its own (seen: {seen:?})\n{o}",
            o.label
        );
        seen.push(pid);
    }
}

#[test]
fn followed_trace_on_stderr_prefixes_other_tasks() {
    let t = TestDir::new("entries-stderr");
    let o = t.run_sysgate(&["trace", "-f"], &entries_cmd(), None);
    assert_probe_passed(&o);
    let lines = o.stderr_trace_lines();
    let first = lines
        .first()
        .unwrap_or_else(|| panic!("{}: no trace on stderr\n{o}", o.label));
    assert!(
        first.pid.is_none() && first.syscall_name() == Some("execve"),
        "{}: the first stderr line should be the program's execve without a prefix: {}\n{o}",
        o.label,
        first.text
    );
    let markers = find_markers(&o, &lines);
    for origin in MAIN_ORIGINS {
        assert_eq!(
            markers[origin].pid, None,
            "{}: marker {origin} of the first process should have no [pid N] prefix\n{o}",
            o.label
        );
    }
    for origin in OTHER_ORIGINS {
        assert!(
            markers[origin].pid.is_some(),
            "{}: marker {origin} of another task should start with [pid N]\n{o}",
            o.label
        );
    }
    let last = lines.last().expect("non-empty");
    assert!(
        last.pid.is_none() && last.text == "+++ exited with 0 +++",
        "{}: stderr should end with the first process's \"+++ exited with 0 +++\": {}\n{o}",
        o.label,
        last.text
    );
}

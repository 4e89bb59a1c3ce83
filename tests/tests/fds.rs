//! A program that closes and dup2()s over every descriptor above stderr. The
//! runtime's own descriptors (the trace file) must be invisible to it — the
//! probe sees exactly what it sees natively — and must survive it: the trace
//! goes on to the last marker and the exit line.

use sysgate_tests::{probe, Cmd, Mode, Outcome, TestDir};

fn assert_all_passed(o: &Outcome) {
    let out = o.stdout_str();
    let failed: Vec<&str> = out.lines().filter(|l| l.ends_with("FAILED")).collect();
    assert!(
        o.code() == Some(0) && failed.is_empty() && out.ends_with("all fd checks passed\n"),
        "{}: fd checks failed: {failed:?}\n{o}",
        o.label
    );
}

fn marker(origin: &str, errno: &str) -> String {
    let text = match errno {
        "ENOENT" => "No such file or directory",
        "EMFILE" => "Too many open files",
        _ => unreachable!("only these two are used"),
    };
    format!("openat(AT_FDCWD, \"/nonexistent/sysgate-marker-{origin}\", O_RDONLY) = -1 {errno} ({text})")
}

#[test]
fn probe_passes_natively() {
    let t = TestDir::new("fds-native");
    assert_all_passed(&t.run(&Cmd::new(probe("fds")), Mode::Native));
}

#[test]
fn same_under_run_and_trace() {
    let t = TestDir::new("fds");
    let outs = t.assert_same_everywhere(&Cmd::new(probe("fds")));
    for o in &outs {
        assert_all_passed(o);
    }
}

#[test]
fn trace_survives_to_the_end() {
    let t = TestDir::new("fds-trace");
    let o = t.run(&Cmd::new(probe("fds")), Mode::Trace);
    assert_all_passed(&o);
    o.assert_trace_shape();
    let lines = o.trace_lines();
    let main_pid = lines[0].pid;
    let expected = [
        ("fds-start", "ENOENT", true),
        ("fds-after-close-loop", "ENOENT", true),
        ("fds-after-close-range", "ENOENT", true),
        ("fds-table-full", "EMFILE", true),
        ("fds-after-dup2", "ENOENT", true),
        ("fds-child", "ENOENT", false),
        ("fds-child-after-close-range", "ENOENT", false),
        ("fds-end", "ENOENT", true),
    ];
    let mut last_index = 0;
    for (origin, errno, in_main) in expected {
        let want = marker(origin, errno);
        let hits: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.text == want)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(
            hits.len(),
            1,
            "{}: expected the line `{want}` once, found {} times\n{o}",
            o.label,
            hits.len()
        );
        let l = &lines[hits[0]];
        assert_eq!(
            l.pid == main_pid,
            in_main,
            "{}: marker {origin} from pid {:?}, main process is {main_pid:?}\n{o}",
            o.label,
            l.pid
        );
        if in_main {
            assert!(
                hits[0] > last_index || last_index == 0,
                "{}: marker {origin} out of order\n{o}",
                o.label
            );
            last_index = hits[0];
        }
    }
    // Nothing but the exit of the main process may follow the end marker
    // apart from the probe's own last syscalls (write of its output, exit_group).
    let end = lines
        .iter()
        .position(|l| l.text == marker("fds-end", "ENOENT"))
        .expect("checked");
    for l in &lines[end + 1..] {
        let name = l.syscall_name();
        assert!(
            matches!(name, Some("write" | "exit_group" | "newfstatat" | "fstat"))
                || l.text.starts_with("+++ exited with 0 +++"),
            "{}: unexpected line after the end marker: {}\n{o}",
            o.label,
            l.text
        );
    }
}

//! The benchmark probe gives the right answers under sysgate: every one of
//! its getppid calls (inline `syscall` and libc) returns the parent's pid,
//! and a trace shows each call. Not timed — benchmarks measure speed.

use sysgate_tests::{probe, Cmd, Mode, TestDir};

const CALLS: usize = 2000;

#[test]
fn getppid_answers_are_right() {
    let t = TestDir::new("getppid");
    for variant in ["asm", "libc"] {
        let cmd = Cmd::new(probe("getppid_loop"))
            .arg(CALLS.to_string())
            .arg(variant);
        for mode in Mode::ALL {
            let o = t.run(&cmd, mode);
            o.assert_exit_code(0);
            let out = o.stdout_str();
            assert!(
                out.starts_with(&format!("{variant} {CALLS} calls "))
                    && out.trim_end().ends_with(" ns/call"),
                "{}: unexpected output\n{o}",
                o.label
            );
            if mode == Mode::Trace {
                o.assert_trace_shape();
                let results: Vec<String> = o
                    .trace_lines()
                    .into_iter()
                    .filter(|l| l.syscall_name() == Some("getppid"))
                    .map(|l| match l.event {
                        sysgate_tests::Event::Syscall { result, .. } => result.unwrap_or_default(),
                        _ => unreachable!(),
                    })
                    .collect();
                // One call for the expected value, then the loop.
                assert_eq!(
                    results.len(),
                    CALLS + 1,
                    "{}: getppid lines in the trace\n{o}",
                    o.label
                );
                assert!(
                    results
                        .iter()
                        .all(|r| r == &results[0] && r.parse::<u32>().is_ok()),
                    "{}: getppid results differ: {:?}\n{o}",
                    o.label,
                    results.iter().take(5).collect::<Vec<_>>()
                );
            }
        }
    }
}

/// `trace -o FILE` writes whole chunks, not a `write` per line: under strace, the traced
/// process makes far fewer writes than the trace file has lines, and the file is complete.
#[test]
fn trace_to_a_file_is_written_in_chunks() {
    if !sysgate_tests::require_tools("trace_to_a_file_is_written_in_chunks", &["strace"]) {
        return;
    }
    let t = TestDir::new("getppid-chunks");
    let file = t.trace_file("chunks");
    let strace_out = t.join("strace.txt");
    let cmd = Cmd::new("strace")
        .args(["-f", "-qq", "-e", "trace=write", "-o"])
        .arg(&strace_out)
        .arg(sysgate_tests::sysgate_bin())
        .args(["trace", "-o"])
        .arg(&file)
        .arg("--")
        .arg(probe("getppid_loop"))
        .args(["20000", "libc"]);
    let o = t.run_plain("strace of sysgate trace -o", &cmd, None);
    o.assert_exit_code(0);
    let trace = std::fs::read_to_string(&file).expect("trace file");
    let lines = trace.lines().count();
    assert!(lines > 20000, "{lines} lines\n{o}");
    assert!(trace.ends_with("+++ exited with 0 +++\n"), "{o}");
    let writes = std::fs::read_to_string(&strace_out).expect("strace output");
    // Writes of the traced process other than its own stdout line.
    let trace_writes = writes
        .lines()
        .filter(|l| l.contains(" write(") && !l.contains(" write(1, "))
        .count();
    assert!(
        trace_writes * 100 < lines,
        "{trace_writes} writes for {lines} lines\n{o}"
    );
}

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

/// `trace -o FILE`: the traced program writes no trace output at all (its threads hand their
/// lines to the `sysgate` process), and `sysgate` writes the file in chunks: under strace, the
/// file's writes all come from a thread other than the program's, and are far fewer than its
/// lines.
#[test]
fn trace_to_a_file_is_written_by_sysgate_in_chunks() {
    if !sysgate_tests::require_tools(
        "trace_to_a_file_is_written_by_sysgate_in_chunks",
        &["strace"],
    ) {
        return;
    }
    let t = TestDir::new("getppid-chunks");
    let file = t.trace_file("chunks");
    let strace_out = t.join("strace.txt");
    let cmd = Cmd::new("strace")
        .args(["-f", "-qq", "-y", "-e", "trace=write", "-o"])
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
    let tid = |l: &str| l.split_whitespace().next().unwrap_or("").to_string();
    // The program is the thread that prints its result on stdout.
    let program = writes
        .lines()
        .find(|l| l.contains(" write(1<") && l.contains("calls"))
        .map(tid)
        .unwrap_or_else(|| panic!("no write of the program's result\n{writes}"));
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("?");
    let to_file: Vec<&str> = writes.lines().filter(|l| l.contains(name)).collect();
    assert!(!to_file.is_empty(), "nobody wrote the trace file\n{writes}");
    assert!(
        to_file.iter().all(|l| tid(l) != program),
        "the program itself wrote trace output\n{}",
        to_file.join("\n")
    );
    assert!(
        to_file.len() * 100 < lines,
        "{} writes for {lines} lines\n{o}",
        to_file.len()
    );
}

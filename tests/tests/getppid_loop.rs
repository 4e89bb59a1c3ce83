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

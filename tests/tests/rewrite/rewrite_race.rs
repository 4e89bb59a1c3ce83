//! Rewriting is safe while other threads execute the same code: threads released together hit
//! sites nobody executed before, so traps, rewrites and executions of the rewritten bytes race.
//! Repeated runs, every result checked by the probe.

use sysgate_tests::{probe, Cmd, Mode, TestDir};

#[test]
fn concurrent_first_executions_are_correct() {
    let t = TestDir::new("rewrite-race");
    for round in 0..10 {
        let o = t.run(
            &Cmd::new(probe("rewrite_race")).arg("16").arg("5000"),
            Mode::Run,
        );
        assert_eq!(o.code(), Some(0), "round {round}\n{o}");
        assert_eq!(
            o.stdout_str(),
            "16 threads, 25000 calls each: 0 wrong results\n",
            "round {round}\n{o}"
        );
    }
    let o = t.run(
        &Cmd::new(probe("rewrite_race")).arg("8").arg("2000"),
        Mode::Trace,
    );
    assert_eq!(o.code(), Some(0), "{o}");
    o.assert_trace_shape();
    let lines = o
        .trace_lines()
        .iter()
        .filter(|l| l.syscall_name() == Some("getppid"))
        .count();
    assert_eq!(
        lines,
        8 * 2000 * 2 + 1,
        "every getppid of every thread is in the trace\n{o}"
    );
}

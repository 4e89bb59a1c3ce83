//! Signal semantics under sysgate: the signals probe checks SA_RESTART and
//! EINTR, sigaltstack, siglongjmp out of handlers (also out of a blocking
//! read), handlers that make syscalls, the signal mask, and a program that
//! blocks, ignores and handles SIGSYS itself. It prints one line per check;
//! natively, under `sysgate run` and under `sysgate trace -f -o` the lines and
//! the exit status must be the same, and every check must pass.

use sysgate_tests::{probe, Cmd, Mode, Outcome, TestDir};

fn assert_all_passed(o: &Outcome) {
    let out = o.stdout_str();
    let failed: Vec<&str> = out.lines().filter(|l| l.ends_with("FAILED")).collect();
    assert!(
        o.code() == Some(0) && failed.is_empty() && out.ends_with("all signal checks passed\n"),
        "{}: signal checks failed: {failed:?}\n{o}",
        o.label
    );
}

#[test]
fn probe_passes_natively() {
    let t = TestDir::new("signals-native");
    assert_all_passed(&t.run(&Cmd::new(probe("signals")), Mode::Native));
}

#[test]
fn same_under_run_and_trace() {
    let t = TestDir::new("signals");
    let outs = t.assert_same_everywhere(&Cmd::new(probe("signals")));
    for o in &outs {
        assert_all_passed(o);
    }
    let trace = outs[2].trace_text();
    assert!(
        trace.contains("\"/nonexistent/sysgate-signals\""),
        "the trace should show the probe's own syscalls\n{}",
        outs[2]
    );
}

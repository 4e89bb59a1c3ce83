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
    assert_all_passed(&t.run(&Cmd::new(probe("signal_semantics")), Mode::Native));
}

#[test]
fn same_under_run_and_trace() {
    let t = TestDir::new("signals");
    let outs = t.assert_same_everywhere(&Cmd::new(probe("signal_semantics")));
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

/// Handlers on an alternate signal stack making syscalls (which the entry serves on its own
/// stack) while other signals keep arriving: a nested delivery must not land on the live
/// frames on the alternate stack (it used to, and the program crashed or looped in
/// rt_sigreturn); sigaltstack answers as natively; a handler left by siglongjmp leaves the
/// alternate stack usable.
#[test]
fn alternate_stack_handlers_under_signal_storms() {
    let t = TestDir::new("altstack");
    let outs = t.assert_same_everywhere(&Cmd::new(probe("altstack_handlers")));
    for o in &outs {
        assert_eq!(
            o.stdout_str(),
            "storm: ok\nqueries: ok\nsiglongjmp: ok\n",
            "{o}"
        );
        // A nested signal that arrives in the few instructions between the entry's switch to
        // its own stack and the loan of the alternate stack runs on the entry stack: rare.
        let err = o.stderr_str();
        let counts = err
            .lines()
            .find_map(|l| l.strip_prefix("storm counts: "))
            .unwrap_or_else(|| panic!("no counts\n{o}"));
        let num = |key: &str| -> u64 {
            counts
                .split_whitespace()
                .find_map(|f| f.strip_prefix(key))
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{key}\n{o}"))
        };
        let (total, off) = (num("deliveries="), num("off="));
        assert!(
            off * 100 <= total,
            "{}: {off} of {total} handlers ran off the alternate stack\n{o}",
            o.label
        );
    }
}

/// Faults handled on the alternate stack and left with `siglongjmp`, 500 times, the handler
/// making a call each time (stress-ng's mprotect stressor does this): every delivery must land
/// at the top of the alternate stack, as natively. A loan of the stack below a handler's call
/// used to outlive the handler, each delivery landed a frame lower, and the stressor died of
/// SIGSEGV when the stack ran out.
#[test]
fn faults_left_by_siglongjmp_keep_the_whole_alternate_stack() {
    let t = TestDir::new("altstack-faults");
    let outs = t.assert_same_everywhere(&Cmd::new(probe("altstack_faults")));
    for o in &outs {
        assert_eq!(o.stdout_str(), "faults: 500, handler depths: 1\n", "{o}");
    }
    let delivered = outs[2]
        .trace_text()
        .lines()
        .filter(|l| l.contains("--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_ACCERR"))
        .count();
    assert_eq!(delivered, 500, "{}", outs[2]);
    // SIGUSR1 from raise(): under trace the runtime serves raise's own call, from the
    // program's stack, and gives the whole alternate stack back there (under run that call
    // takes the fast path: README, "Not yet").
    let cmd = Cmd::new(probe("altstack_faults")).arg("kill");
    let native = t.run(&cmd, Mode::Native);
    assert_eq!(
        native.stdout_str(),
        "signals: 500, handler depths: 1\n",
        "{native}"
    );
    let file = t.trace_file("altstack_kill");
    let f = file.to_string_lossy().into_owned();
    let o = t.run_sysgate(&["trace", "-o", &f], &cmd, Some(&file));
    assert_eq!(o.stdout_str(), "signals: 500, handler depths: 1\n", "{o}");
}

//! Bad pointers: every syscall given one fails with EFAULT exactly as it does
//! natively, nothing crashes, the program's own SIGSEGV handler still catches
//! its own faults, and the trace prints the bad addresses as strace does.

use sysgate_tests::{probe, Cmd, Mode, Outcome, TestDir};

fn assert_all_passed(o: &Outcome) {
    let out = o.stdout_str();
    let failed: Vec<&str> = out.lines().filter(|l| l.ends_with("FAILED")).collect();
    assert!(
        o.code() == Some(0)
            && failed.is_empty()
            && out.ends_with("all bad pointer checks passed\n"),
        "{}: bad pointer checks failed: {failed:?}\n{o}",
        o.label
    );
}

#[test]
fn probe_passes_natively() {
    let t = TestDir::new("badptr-native");
    assert_all_passed(&t.run(&Cmd::new(probe("bad_pointers_efault")), Mode::Native));
}

#[test]
fn same_under_run_and_trace() {
    let t = TestDir::new("badptr");
    let outs = t.assert_same_everywhere(&Cmd::new(probe("bad_pointers_efault")));
    for o in &outs {
        assert_all_passed(o);
    }
}

#[test]
fn trace_shows_bad_addresses() {
    let t = TestDir::new("badptr-trace");
    let o = t.run(&Cmd::new(probe("bad_pointers_efault")), Mode::Trace);
    assert_all_passed(&o);
    let texts: Vec<String> = o.trace_lines().into_iter().map(|l| l.text).collect();
    let count = |pred: &dyn Fn(&str) -> bool| texts.iter().filter(|l| pred(l)).count();
    let efault = "= -1 EFAULT (Bad address)";
    let checks: [(&str, usize, usize); 5] = [
        (
            "openat(AT_FDCWD, 0x1, O_RDONLY) ",
            2,
            count(&|l| l.starts_with("openat(AT_FDCWD, 0x1, O_RDONLY)") && l.ends_with(efault)),
        ),
        (
            "newfstatat(AT_FDCWD, \"/\", 0x8, 0) ",
            1,
            count(&|l| l.starts_with("newfstatat(AT_FDCWD, \"/\", 0x8, 0)") && l.ends_with(efault)),
        ),
        (
            "write(N, 0x8, 10) ",
            1,
            count(&|l| l.starts_with("write(") && l.contains(", 0x8, 10)") && l.ends_with(efault)),
        ),
        (
            "read(N, 0x8, 10) ",
            1,
            count(&|l| l.starts_with("read(") && l.contains(", 0x8, 10)") && l.ends_with(efault)),
        ),
        (
            "rt_sigaction(SIGUSR1, 0x8, NULL, 8) ",
            1,
            count(&|l| l.starts_with("rt_sigaction(SIGUSR1, 0x8, NULL, 8)") && l.ends_with(efault)),
        ),
    ];
    for (what, want, got) in checks {
        assert_eq!(
            got, want,
            "{}: expected {want} line(s) `{what}{efault}`, found {got}\n{o}",
            o.label
        );
    }
}

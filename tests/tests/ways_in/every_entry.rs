//! Nothing escapes: the `every_entry` probe enters the kernel by `int $0x80`, the three legacy
//! vsyscall entry points and the vDSO functions, from the main thread, a new thread, a fork
//! child and a signal handler, and checks every result against the truth. Under `sysgate run`
//! (with and without rewriting) it must pass as natively; under `sysgate trace -f -o` every one
//! of those calls must appear, with its name and arguments, between its context's markers.

use sysgate_tests::{probe, Cmd, Event, Mode, Outcome, TestDir, TraceLine};

fn assert_passed(o: &Outcome) {
    let out = o.stdout_str();
    let failed: Vec<&str> = out.lines().filter(|l| l.ends_with("FAILED")).collect();
    assert!(
        o.code() == Some(0) && failed.is_empty() && out.ends_with("all entries passed\n"),
        "{}: checks failed: {failed:?}\n{o}",
        o.label
    );
}

/// The lines of the process that wrote `ctx`'s begin marker, from that marker to its end one.
fn context<'a>(lines: &'a [TraceLine], ctx: &str) -> Vec<&'a TraceLine> {
    let begin = format!("sysgate-marker-{ctx}-begin");
    let end = format!("sysgate-marker-{ctx}-end");
    let Some(start) = lines.iter().position(|l| l.text.contains(&begin)) else {
        return Vec::new();
    };
    let pid = lines[start].pid;
    let mut out = Vec::new();
    for l in &lines[start..] {
        if l.pid != pid {
            continue;
        }
        out.push(l);
        if l.text.contains(&end) {
            break;
        }
    }
    out
}

/// Each expected line prefix must appear, in this order, among `lines`.
fn assert_in_order(lines: &[&TraceLine], expected: &[String], what: &str, o: &Outcome) {
    let mut at = 0;
    for want in expected {
        match lines[at..].iter().position(|l| {
            matches!(l.event, Event::Syscall { .. }) && l.text.starts_with(want.as_str())
        }) {
            Some(i) => at += i + 1,
            None => {
                panic!("{what}: no line starting with {want:?} after line {at} of the context\n{o}")
            }
        }
    }
}

#[test]
fn probe_passes_natively_and_under_run() {
    let t = TestDir::new("every-entry");
    assert_passed(&t.run(&Cmd::new(probe("every_entry")), Mode::Native));
    assert_passed(&t.run(&Cmd::new(probe("every_entry")), Mode::Run));
    for extra in [
        &["--no-rewrite"][..],
        &["--vdso=syscall"],
        &["--vdso=native"],
    ] {
        let mut args = vec!["run"];
        args.extend_from_slice(extra);
        assert_passed(&t.run_sysgate(&args, &Cmd::new(probe("every_entry")), None));
    }
}

/// The vDSO kept and patched (default) or dropped (libc makes the syscalls): both are seen.
#[test]
fn every_entry_is_in_the_trace() {
    let t = TestDir::new("every-entry-trace");
    let o = t.run(&Cmd::new(probe("every_entry")), Mode::Trace);
    check_trace(&o);
    let file = t.trace_file("dropped");
    let f = file.to_string_lossy().into_owned();
    let o = t.run_sysgate(
        &["trace", "--vdso=syscall", "-f", "-o", &f],
        &Cmd::new(probe("every_entry")),
        Some(&file),
    );
    check_trace(&o);
}

fn check_trace(o: &Outcome) {
    assert_passed(o);
    o.assert_trace_shape();
    let lines = o.trace_lines();
    for ctx in ["main", "thread", "fork", "signal"] {
        let c = context(&lines, ctx);
        assert!(!c.is_empty(), "no lines for context {ctx}\n{o}");
        let expected: Vec<String> = vec![
            format!("access(\"/nonexistent/sysgate-marker-{ctx}-int80\", F_OK) = -1 ENOENT"),
            "getppid()".into(),
            "gettimeofday({tv_sec=".into(),
            "time(0x".into(),
            "getcpu(0x".into(),
            format!("openat(AT_FDCWD, \"/nonexistent/sysgate-marker-{ctx}-vdso\""),
            "clock_gettime(CLOCK_BOOTTIME, {tv_sec=".into(),
            "gettimeofday({tv_sec=".into(),
            "time(NULL)".into(),
            "getcpu(0x".into(),
            "clock_getres(CLOCK_MONOTONIC, {tv_sec=0, tv_nsec=".into(),
        ];
        assert_in_order(&c, &expected, ctx, o);
    }
}

/// The same probe linked statically: every way in is seen there too (sysgate's loader puts
/// the runtime in before the program's first instruction).
#[test]
fn static_variant_passes_and_is_traced() {
    let t = TestDir::new("every-entry-static");
    let exe = t.join("every_entry.static");
    let src = sysgate_tests::probe::probes_dir().join("every_entry.c");
    let st = std::process::Command::new("gcc")
        .args(["-O1", "-static", "-pthread", "-o"])
        .arg(&exe)
        .arg(&src)
        .output()
        .expect("gcc");
    assert!(
        st.status.success(),
        "gcc -static every_entry.c: {}",
        String::from_utf8_lossy(&st.stderr)
    );
    assert_passed(&t.run(&Cmd::new(&exe), Mode::Native));
    assert_passed(&t.run(&Cmd::new(&exe), Mode::Run));
    check_trace(&t.run(&Cmd::new(&exe), Mode::Trace));
}

/// The vsyscall filter costs every syscall of the program, so by default (`--vsyscall=auto`) it
/// goes in only when the code of the program or its interpreter names a vsyscall entry point:
/// the probe does, `grep` does not. `trap` puts it in whatever the code says, `native` never
/// (then the probe's vsyscall calls run in the kernel's emulation, unseen, and still work).
#[test]
fn the_vsyscall_filter_goes_in_where_the_code_names_the_page() {
    if !has_cap_sys_admin() {
        eprintln!(
            "skipped: the vsyscall filter needs CAP_SYS_ADMIN (it is never installed without it)"
        );
        return;
    }
    let t = TestDir::new("vsyscall-modes");
    let grep = Cmd::new("grep").args(["^Seccomp:", "/proc/self/status"]);
    for (mode, want) in [("auto", "0"), ("trap", "2"), ("native", "0")] {
        let file = t.trace_file(mode);
        let f = file.to_string_lossy().into_owned();
        let flag = format!("--vsyscall={mode}");
        let o = t.run_sysgate(&["trace", &flag, "-o", &f], &grep, Some(&file));
        assert_eq!(
            o.stdout_str().trim(),
            format!("Seccomp:\t{want}"),
            "grep under trace {flag}\n{o}"
        );
    }
    // A vsyscall `time(&t)` passes a pointer (`time(0x…)`); the vDSO's in this probe passes NULL.
    // One per context (main, thread, fork, signal) when the filter is in.
    for (mode, want) in [("auto", 4), ("trap", 4), ("native", 0)] {
        let file = t.trace_file(mode);
        let f = file.to_string_lossy().into_owned();
        let flag = format!("--vsyscall={mode}");
        let o = t.run_sysgate(
            &["trace", &flag, "-f", "-o", &f],
            &Cmd::new(probe("every_entry")),
            Some(&file),
        );
        assert_passed(&o);
        let n = o
            .trace_lines()
            .iter()
            .filter(|l| l.text.starts_with("time(0x"))
            .count();
        assert_eq!(n, want, "vsyscall time() lines under trace {flag}\n{o}");
    }
}

/// Whether this process has CAP_SYS_ADMIN (bit 21 of CapEff).
fn has_cap_sys_admin() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << 21) != 0)
}

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
        match lines[at..].iter().position(|l| matches!(l.event, Event::Syscall { .. }) && l.text.starts_with(want.as_str())) {
            Some(i) => at += i + 1,
            None => panic!("{what}: no line starting with {want:?} after line {at} of the context\n{o}"),
        }
    }
}

#[test]
fn probe_passes_natively_and_under_run() {
    let t = TestDir::new("every-entry");
    assert_passed(&t.run(&Cmd::new(probe("every_entry")), Mode::Native));
    assert_passed(&t.run(&Cmd::new(probe("every_entry")), Mode::Run));
    for extra in [&["--no-rewrite"][..], &["--vdso=syscall"], &["--vdso=native"]] {
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
    let o = t.run_sysgate(&["trace", "--vdso=syscall", "-f", "-o", &f], &Cmd::new(probe("every_entry")), Some(&file));
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
    assert!(st.status.success(), "gcc -static every_entry.c: {}", String::from_utf8_lossy(&st.stderr));
    assert_passed(&t.run(&Cmd::new(&exe), Mode::Native));
    assert_passed(&t.run(&Cmd::new(&exe), Mode::Run));
    check_trace(&t.run(&Cmd::new(&exe), Mode::Trace));
}

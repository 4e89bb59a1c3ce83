//! Fault injection (`-e inject=`, `-e fault=`) on `run` and `trace`, checked against strace's
//! own injection on the same programs: the same invocations are hit, per syscall and per
//! thread; the program behaves as it does on that error; the trace marks the call as strace
//! does.

use sysgate_tests::{probe, require_tools, Cmd, TestDir};

#[test]
fn second_openat_fails_and_cat_behaves_as_on_enoent() {
    let t = TestDir::new("inject-openat");
    let f = t.write("hello.txt", "hello\n");
    let cmd = Cmd::new("cat").arg(&f).env("LC_ALL", "C");
    let native = t.run_plain("native", &cmd, None);
    native.assert_exit_code(0);
    // Which openat opens the file (the dynamic loader's come first; how many depends on the
    // environment, e.g. LD_LIBRARY_PATH).
    let out = t.trace_file("plain");
    let o = t.run_sysgate(
        &["trace", "-e", "trace=openat", "-o", out.to_str().unwrap()],
        &cmd,
        Some(&out),
    );
    let nth = o
        .trace_text()
        .lines()
        .position(|l| l.contains("hello.txt"))
        .expect("cat opens the file")
        + 1;
    let o = t.run_sysgate(
        &[
            "run",
            "-e",
            &format!("inject=openat:error=ENOENT:when={nth}"),
        ],
        &cmd,
        None,
    );
    o.assert_exit_code(1);
    assert_eq!(o.stdout_str(), "");
    assert_eq!(
        o.stderr_str(),
        format!("cat: {}: No such file or directory\n", f.display())
    );
    // The second openat is libc's own: the dynamic loader looks further along its path.
    let out = t.trace_file("second");
    let o = t.run_sysgate(
        &[
            "trace",
            "-e",
            "trace=openat",
            "-e",
            "inject=openat:error=ENOENT:when=2",
            "-o",
            out.to_str().unwrap(),
        ],
        &cmd,
        Some(&out),
    );
    o.assert_exit_code(0);
    assert_eq!(o.stdout_str(), "hello\n");
    let text = o.trace_text();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[1].ends_with(" = -1 ENOENT (No such file or directory) (INJECTED)"),
        "{text}"
    );
    assert_eq!(text.matches("(INJECTED)").count(), 1, "{text}");
}

#[test]
fn trace_lines_match_strace_inject() {
    if !require_tools("trace_lines_match_strace_inject", &["strace"]) {
        return;
    }
    let t = TestDir::new("inject-strace");
    for expr in [
        "inject=openat:error=ENOENT:when=2",
        "fault=openat:when=2+2",
        "inject=openat:retval=99:when=1..2",
        "inject=%file:error=EACCES:when=4",
    ] {
        let cmd = |o: &std::path::Path| {
            vec![
                "-e".to_string(),
                "trace=openat".into(),
                "-e".into(),
                expr.into(),
                "-o".into(),
                o.display().to_string(),
            ]
        };
        let sf = t.trace_file("strace");
        let s = t.run_plain(
            "strace",
            &Cmd::new("strace")
                .args(cmd(&sf))
                .args(["cat", "/etc/hostname"])
                .env("LC_ALL", "C"),
            Some(&sf),
        );
        let gf = t.trace_file("sysgate");
        let args: Vec<String> = std::iter::once("trace".to_string())
            .chain(cmd(&gf))
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let g = t.run_sysgate(
            &args,
            &Cmd::new("cat").arg("/etc/hostname").env("LC_ALL", "C"),
            Some(&gf),
        );
        assert_eq!(s.status.code(), g.status.code(), "{expr}\n{s}\n{g}");
        assert_eq!(s.stdout, g.stdout, "{expr}");
        assert_eq!(s.stderr, g.stderr, "{expr}");
        let strip = |text: &str| {
            text.lines()
                .filter(|l| !l.starts_with("+++"))
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(s.trace_text()), strip(g.trace_text()), "{expr}");
    }
}

#[test]
fn counts_are_per_thread_fresh_in_children_and_kept_across_exec_as_in_strace() {
    let t = TestDir::new("inject-threads");
    let p = probe("inject_counts");
    for (when, want) in [
        ("2", "main1 0\nthread 0 1\nchild 0 1\nexecd 0 0\nmain2 1\n"),
        ("3", "main1 0\nthread 0 0\nchild 0 0\nexecd 1 0\nmain2 0\n"),
    ] {
        let o = t.run_sysgate(
            &[
                "run",
                "-e",
                &format!("inject=getppid:retval=42:when={when}"),
            ],
            &Cmd::new(&p),
            None,
        );
        o.assert_exit_code(0);
        assert_eq!(o.stdout_str(), want, "when={when}");
        if require_tools("inject per-thread vs strace", &["strace"]) {
            let s = t.run_plain(
                "strace",
                &Cmd::new("strace")
                    .args([
                        "-f",
                        "-qq",
                        "-o",
                        "/dev/null",
                        "-e",
                        &format!("inject=getppid:retval=42:when={when}"),
                    ])
                    .arg(&p),
                None,
            );
            assert_eq!(s.stdout_str(), want, "strace itself, when={when}");
        }
    }
}

#[test]
fn delays_signals_and_marks() {
    let t = TestDir::new("inject-delay");
    let out = t.trace_file("delay");
    let start = std::time::Instant::now();
    let o = t.run_sysgate(
        &[
            "trace",
            "-e",
            "trace=getppid",
            "-e",
            "inject=getppid:delay_enter=100ms:when=1",
            "-o",
            out.to_str().unwrap(),
        ],
        &Cmd::new(probe("inject_counts")),
        Some(&out),
    );
    assert!(start.elapsed() >= std::time::Duration::from_millis(100));
    o.assert_exit_code(0);
    assert!(
        o.trace_text()
            .lines()
            .next()
            .unwrap()
            .ends_with(" (DELAYED)"),
        "{}",
        o.trace_text()
    );
    let o = t.run_sysgate(
        &["run", "-e", "inject=getppid:signal=SIGUSR1:when=1"],
        &Cmd::new(probe("inject_counts")),
        None,
    );
    assert_eq!(
        o.signal(),
        Some(10),
        "the signal's default action ends the program\n{o}"
    );
}

#[test]
fn bad_expressions_get_clear_messages() {
    let t = TestDir::new("inject-bad");
    for (expr, msg) in [
        ("inject=getpid:when=1", "say what to inject"),
        ("inject=getpid:error=FOO", "invalid error 'FOO'"),
        (
            "inject=getpid:error=ENOENT:when=0",
            "invalid when= expression '0'",
        ),
        ("inject=nosuch:error=EPERM", "nosuch"),
        (
            "inject=getpid:error=EPERM:retval=1",
            "only one error= or retval=",
        ),
        ("trace=open", "only inject=… and fault=… apply to run"),
    ] {
        let o = t.run_sysgate(&["run", "-e", expr], &Cmd::new("true"), None);
        o.assert_exit_code(1);
        assert!(
            o.stderr_str().starts_with("sysgate: ") && o.stderr_str().contains(msg),
            "{expr}: {}",
            o.stderr_str()
        );
    }
}

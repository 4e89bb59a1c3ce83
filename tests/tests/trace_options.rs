//! `sysgate trace` options that change what is printed: `-e trace=SET`
//! selects syscalls, `-s N` limits printed string lengths — both as strace
//! does them.

use sysgate_tests::{probe, probe_lib, Cmd, Event, TestDir};

#[test]
fn filter_selects_only_named_syscalls() {
    let t = TestDir::new("opt-filter");
    let file = t.trace_file("filter");
    let f = file.display().to_string();
    let cmd = Cmd::new(probe("entries")).arg(probe_lib("dlib"));
    let o = t.run_sysgate(
        &["trace", "-f", "-e", "trace=openat", "-o", &f],
        &cmd,
        Some(&file),
    );
    o.assert_exit_code(0);
    let lines = o.trace_lines();
    for (i, l) in lines.iter().enumerate() {
        match l.syscall_name() {
            None | Some("openat") => {}
            // strace leaves out the execve too; a leading one is tolerated.
            Some("execve") if i == 0 => {}
            Some(other) => panic!(
                "{}: -e trace=openat printed a {other} line: {}\n{o}",
                o.label, l.text
            ),
        }
    }
    for origin in [
        "main-asm",
        "thread",
        "vfork",
        "jit",
        "dlopen-asm",
        "sigaltstack",
        "after-exec",
    ] {
        let want = format!(
            "openat(AT_FDCWD, \"/nonexistent/sysgate-marker-{origin}\", O_RDONLY) = -1 ENOENT (No such file or directory)"
        );
        assert!(
            lines.iter().any(|l| l.text == want),
            "{}: marker {origin} missing from the filtered trace\n{o}",
            o.label
        );
    }
    assert_eq!(
        lines.last().map(|l| &l.event),
        Some(&Event::Exited(0)),
        "{}\n{o}",
        o.label
    );
}

#[test]
fn string_limit_truncates_like_strace() {
    let t = TestDir::new("opt-strsize");
    let file = t.trace_file("s5");
    let f = file.display().to_string();
    let cmd = Cmd::new("/bin/echo").arg("abcdefghijklmnop");
    let o = t.run_sysgate(&["trace", "-s", "5", "-o", &f], &cmd, Some(&file));
    o.assert_exit_code(0);
    assert_eq!(o.stdout_str(), "abcdefghijklmnop\n");
    let writes: Vec<String> = o
        .trace_lines()
        .into_iter()
        .filter(|l| l.syscall_name() == Some("write"))
        .map(|l| match l.event {
            Event::Syscall { args, result, .. } => {
                format!("write({args}) = {}", result.unwrap_or_default())
            }
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        writes,
        ["write(1, \"abcde\"..., 17) = 17"],
        "{}\n{o}",
        o.label
    );

    // The default limit is strace's 32.
    let file = t.trace_file("default");
    let f = file.display().to_string();
    let long = "x".repeat(40);
    let o = t.run_sysgate(
        &["trace", "-o", &f],
        &Cmd::new("/bin/echo").arg(&long),
        Some(&file),
    );
    let want = format!("\"{}\"..., 41)", "x".repeat(32));
    assert!(
        o.trace_lines()
            .iter()
            .any(|l| l.syscall_name() == Some("write") && l.text.contains(&want)),
        "{}: expected a write line with {want}\n{o}",
        o.label
    );
}

//! strace's options around the program and its trace, each against strace 6.1 on the same
//! program where strace has the option: `-P`, `-b execve`, `-Y`, `-E`, `-u`, `-U`, `-I`,
//! `--syscall-limit`.

use std::process::{Command, Stdio};
use std::time::Duration;
use sysgate_tests::{blank_digits, require_tools, running_as_root, sysgate_bin, Cmd, TestDir};

/// `strace FLAGS -o A PROG` and `sysgate trace FLAGS -o B -- PROG`: both trace files' text.
fn strace_and_sysgate(t: &TestDir, flags: &[&str], prog: &[&str]) -> (String, String) {
    let a = t.trace_file("strace");
    let b = t.trace_file("sysgate");
    let st = Command::new("strace")
        .args(flags)
        .arg("-o")
        .arg(&a)
        .args(prog)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    let mut args = vec!["trace".to_string()];
    args.extend(flags.iter().map(|s| s.to_string()));
    args.extend(["-o".to_string(), b.display().to_string(), "--".to_string()]);
    let ss = Command::new(sysgate_bin())
        .args(&args)
        .args(prog)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(st.code(), ss.code(), "{flags:?}");
    (
        std::fs::read_to_string(a).unwrap(),
        std::fs::read_to_string(b).unwrap(),
    )
}

#[test]
fn trace_path_selects_the_calls_strace_selects() {
    if !require_tools("trace_path_selects_the_calls_strace_selects", &["strace"]) {
        return;
    }
    let t = TestDir::new("opt-trace-path");
    let file = t.write("data", "some data\n");
    let link = t.join("link");
    std::os::unix::fs::symlink(&file, &link).unwrap();
    let f = file.display().to_string();
    let l = link.display().to_string();
    let script = format!("cat {l}; cat {f} > /dev/null; cat /etc/hostname > /dev/null");
    let (strace, sysgate) = strace_and_sysgate(&t, &["-f", "-P", &l], &["/bin/sh", "-c", &script]);
    assert!(strace.contains("read(3, \"some data\\n\", "), "{strace}");
    assert!(!strace.contains("hostname"), "{strace}");
    assert_eq!(blank_digits(&sysgate, 'N'), blank_digits(&strace, 'N'));
}

#[test]
fn detach_on_execve_leaves_the_new_image_untraced() {
    if !require_tools(
        "detach_on_execve_leaves_the_new_image_untraced",
        &["strace"],
    ) {
        return;
    }
    let t = TestDir::new("opt-detach-exec");
    let (strace, sysgate) = strace_and_sysgate(
        &t,
        &["-f", "-b", "execve"],
        &["/bin/sh", "-c", "ls /dev/null; echo done"],
    );
    // strace: the first exec (of the program) is traced; the child's exec of ls is the last
    // line of the child, and none of ls's calls follow.
    let exec_of_ls = |text: &str| {
        text.lines()
            .position(|l| l.contains("execve(\"/usr/bin/ls\""))
            .unwrap_or_else(|| panic!("no exec of ls:\n{text}"))
    };
    for text in [&strace, &sysgate] {
        let at = exec_of_ls(text);
        let child = text.lines().nth(at).unwrap().split(' ').next().unwrap();
        assert!(
            !text
                .lines()
                .skip(at + 1)
                .any(|l| l.starts_with(&format!("{child} "))),
            "the detached child's calls are still traced:\n{text}"
        );
        assert!(text.contains("write(1, \"done\\n\", 5)"), "{text}");
    }
    // The line of the detaching exec: strace's `<detached ...>`, sysgate's ` = ?`.
    let line = sysgate.lines().nth(exec_of_ls(&sysgate)).unwrap();
    assert!(line.ends_with(" = ?"), "{line}");
    let names = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| l.split_once(' ').map_or(l, |(_, r)| r).trim_start())
            .filter(|l| !l.starts_with("---") && !l.starts_with("+++"))
            .map(|l| l.split('(').next().unwrap_or("").to_string())
            .collect()
    };
    // The parent goes on to its end in both.
    let (n, s) = (names(&strace), names(&sysgate));
    assert_eq!(n[n.len() - 2..], ["write", "exit_group"], "{strace}");
    assert_eq!(s[s.len() - 2..], ["write", "exit_group"], "{sysgate}");
}

#[test]
fn decode_pids_names_processes_as_strace_does() {
    if !require_tools("decode_pids_names_processes_as_strace_does", &["strace"]) {
        return;
    }
    let t = TestDir::new("opt-decode-pids");
    let (strace, sysgate) = strace_and_sysgate(
        &t,
        &[
            "-f",
            "-Y",
            "-e",
            "trace=kill,getpid,exit_group",
            "-e",
            "signal=none",
        ],
        &["/bin/sh", "-c", "kill -0 $$; /bin/true & wait"],
    );
    for text in [&strace, &sysgate] {
        assert!(
            text.contains("<sh> kill(") && text.contains("<sh>, 0)"),
            "{text}"
        );
        assert!(text.contains("<true> exit_group(0)"), "{text}");
    }
    assert_eq!(blank_digits(&sysgate, 'N'), blank_digits(&strace, 'N'));
}

#[test]
fn environment_and_user_of_the_program() {
    let t = TestDir::new("opt-env-user");
    let o = t.run_sysgate(
        &[
            "trace",
            "-o",
            "/dev/null",
            "-E",
            "SYSGATE_TEST_FOO=bar=1",
            "-E",
            "HOME",
        ],
        &Cmd::new("env"),
        None,
    );
    o.assert_exit_code(0);
    let out = o.stdout_str();
    assert!(out.lines().any(|l| l == "SYSGATE_TEST_FOO=bar=1"), "{o}");
    assert!(!out.lines().any(|l| l.starts_with("HOME=")), "{o}");
    let o = t.run_sysgate(&["trace", "-u", "nosuchuser-x"], &Cmd::new("true"), None);
    o.assert_exit_code(1);
    assert!(
        o.stderr_str().contains("Cannot find user 'nosuchuser-x'"),
        "{o}"
    );
    if !running_as_root() {
        eprintln!("skipping -u: needs root");
        return;
    }
    for cmd in ["trace", "count"] {
        let o = t.run_sysgate(
            &[cmd, "-f", "-o", "/dev/null", "-u", "nobody"],
            &Cmd::sh("id -u; id -g; cat /proc/self/status | grep -c CapEff"),
            None,
        );
        o.assert_exit_code(0);
        let lines: Vec<String> = o.stdout_str().lines().map(str::to_string).collect();
        let nobody = String::from_utf8(
            Command::new("id")
                .args(["-u", "nobody"])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        assert_eq!(lines[0], nobody.trim(), "{cmd}: {o}");
    }
}

#[test]
fn summary_columns_like_strace() {
    if !require_tools("summary_columns_like_strace", &["strace"]) {
        return;
    }
    let t = TestDir::new("opt-columns");
    for cols in [
        "calls,name,errors",
        "name,max-time,min-time,avg_time,total-time,time",
        "count",
    ] {
        let (strace, sysgate) =
            strace_and_sysgate(&t, &["-c", "-U", cols, "-S", "name"], &["/bin/true"]);
        // The header and the rules are strace's; so are the names, in name order.
        let head = |s: &str| s.lines().take(2).map(str::to_string).collect::<Vec<_>>();
        assert_eq!(head(&sysgate), head(&strace), "{cols}\n{strace}\n{sysgate}");
        assert!(
            sysgate.lines().last().unwrap().contains("total"),
            "{sysgate}"
        );
    }
    let o = t.run_sysgate(&["count", "-U", "bogus"], &Cmd::new("true"), None);
    o.assert_exit_code(1);
    assert!(
        o.stderr_str().contains("unknown column name: 'bogus'"),
        "{o}"
    );
}

/// `-I 3`: a SIGTERM sent to sysgate is blocked; the program runs to its end. `-I 1` (and the
/// default): it goes to the program.
#[test]
fn interruptible_levels() {
    for (level, killed) in [("3", false), ("4", false), ("1", true)] {
        let mut child = Command::new(sysgate_bin())
            .args([
                "trace",
                "-I",
                level,
                "-o",
                "/dev/null",
                "--",
                "sleep",
                "0.8",
            ])
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let st = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
        let status = child.wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        if killed {
            assert_eq!(status.signal(), Some(15), "-I {level}: {status:?}");
        } else {
            assert_eq!(status.code(), Some(0), "-I {level}: {status:?}");
        }
    }
    let t = TestDir::new("opt-interruptible");
    let o = t.run_sysgate(&["trace", "-I", "5"], &Cmd::new("true"), None);
    o.assert_exit_code(1);
    assert!(o.stderr_str().contains("invalid -I argument: '5'"), "{o}");
}

/// `--syscall-limit=N`: N call lines for the whole tree, then none; the program runs on.
#[test]
fn syscall_limit_stops_the_trace() {
    let t = TestDir::new("opt-syscall-limit");
    let f = t.trace_file("limit");
    let fs = f.display().to_string();
    let o = t.run_sysgate(
        &["trace", "-f", "--syscall-limit=7", "-o", &fs],
        &Cmd::sh("echo a; /bin/echo b; echo c"),
        Some(&f),
    );
    o.assert_exit_code(0);
    assert_eq!(o.stdout_str(), "a\nb\nc\n", "{o}");
    let text = o.trace_text();
    assert_eq!(text.lines().count(), 7, "{text}");
    assert!(text.lines().next().unwrap().contains("execve("), "{text}");
}

/// `-e read=`/`write=`: the data in strace's hex dump lines, byte for byte.
#[test]
fn read_and_write_dumps_like_strace() {
    if !require_tools("read_and_write_dumps_like_strace", &["strace"]) {
        return;
    }
    let t = TestDir::new("opt-dumps");
    let mut data: Vec<u8> = b"hello world, this is a test of the dump\n".to_vec();
    data.extend((0u8..=255).cycle().take(700));
    let f = t.write("data", &data);
    let fs = f.display().to_string();
    let (strace, sysgate) = strace_and_sysgate(
        &t,
        &["-e", "trace=read,write", "-e", "read=3", "-e", "write=1"],
        &["/bin/cat", &fs],
    );
    assert!(strace.contains(" | 00000  68 65 6c 6c 6f 20 "), "{strace}");
    assert!(strace.contains(" | 002b0  "), "{strace}");
    assert_eq!(sysgate, strace);
    // None of them: no dump.
    let (strace, sysgate) = strace_and_sysgate(
        &t,
        &["-e", "trace=read", "-e", "read=!3"],
        &["/bin/cat", &fs],
    );
    assert!(!strace.contains(" | 00000"), "{strace}");
    assert_eq!(sysgate, strace);
}

/// Every option of strace 6.1's `-h`, short and long, with a value where it takes one: each is
/// either run (exit 0, the program's output) or refused in one `sysgate:` line with exit 1.
/// None is ever the program (exit 127, "command not found").
#[test]
fn every_strace_option_is_parsed() {
    let t = TestDir::new("opt-every");
    let out = t.join("out");
    let o = out.display().to_string();
    let options: &[&[&str]] = &[
        &["--abbrev=all"],
        &["--absolute-timestamps"],
        &["--absolute-timestamps=format:unix"],
        &["--attach=1"],
        &["--columns=30"],
        &["--const-print-style=raw"],
        &["--daemonize"],
        &["--debug"],
        &["--decode-fds"],
        &["--decode-fds=all"],
        &["--decode-pids=comm"],
        &["--detach-on=execve"],
        &["--env=A=1"],
        &["--failed-only"],
        &["--fault=getpid"],
        &["--follow-forks"],
        &["--help"],
        &["--inject=getpid:retval=1"],
        &["--instruction-pointer"],
        &["--interruptible=3"],
        &["--kvm=vcpu"],
        &["--no-abbrev"],
        &["--output", &o],
        &["--output-append-mode", "-o", &o],
        &["--output-separately", "-o", &o],
        &["--quiet"],
        &["--quiet=all"],
        &["--raw=none"],
        &["--read=all"],
        &["--relative-timestamps"],
        &["--seccomp-bpf"],
        &["--signal=none"],
        &["--stack-traces"],
        &["--status=failed"],
        &["--string-limit=5"],
        &["--strings-in-hex"],
        &["--successful-only"],
        &["--summary"],
        &["--summary-columns=calls", "-c"],
        &["--summary-only"],
        &["--summary-sort-by=calls", "-c"],
        &["--summary-syscall-overhead=1"],
        &["--summary-wall-clock", "-c"],
        &["--syscall-number"],
        &["--syscall-times"],
        &["--tips"],
        &["--trace=write"],
        &["--trace-path=/etc/hostname"],
        &["--user=root"],
        &["--verbose=all"],
        &["--version"],
        &["--write=1"],
        &["-A", "-o", &o],
        &["-C"],
        &["-D"],
        &["-DD"],
        &["-DDD"],
        &["-E", "A"],
        &["-I", "2"],
        &["-O", "1"],
        &["-P", "/etc/hostname"],
        &["-S", "calls", "-c"],
        &["-T"],
        &["-U", "calls", "-c"],
        &["-V"],
        &["-X", "raw"],
        &["-Y"],
        &["-Z"],
        &["-a", "30"],
        &["-b", "execve"],
        &["-c"],
        &["-d"],
        &["-e", "trace=write"],
        &["-f"],
        &["-ff", "-o", &o],
        &["-h"],
        &["-i"],
        &["-k"],
        &["-n"],
        &["-o", &o],
        &["-p", "1"],
        &["-q"],
        &["-qq"],
        &["-qqq"],
        &["-r"],
        &["-s", "5"],
        &["-t"],
        &["-tt"],
        &["-ttt"],
        &["-u", "root"],
        &["-v"],
        &["-w", "-c"],
        &["-x"],
        &["-xx"],
        &["-y"],
        &["-yy"],
        &["-z"],
    ];
    let root = running_as_root();
    for opt in options {
        if !root && opt.iter().any(|o| o.starts_with("--user") || *o == "-u") {
            continue;
        }
        let mut args = vec!["trace"];
        args.extend_from_slice(opt);
        let o = t.run_sysgate(&args, &Cmd::new("/bin/echo").arg("marker"), None);
        let code = o.code();
        assert!(code == Some(0) || code == Some(1), "{opt:?}: {o}");
        let help = opt.contains(&"--help") || opt.contains(&"-h");
        let version = opt.contains(&"--version") || opt.contains(&"-V");
        if code == Some(0) && !help && !version {
            assert_eq!(o.stdout_str(), "marker\n", "{opt:?}: {o}");
        } else if code == Some(1) {
            sysgate_tests::run::assert_one_sysgate_error_line(&o);
            assert_eq!(o.stdout_str(), "", "{opt:?}: {o}");
        }
        assert!(
            !o.stderr_str().contains("command not found"),
            "{opt:?}: {o}"
        );
    }
}

//! `sysgate trace` options that change what is printed: `-e trace=SET`
//! selects syscalls, `-s N` limits printed string lengths — both as strace
//! does them.

use sysgate_tests::{probe, probe_lib, Cmd, Event, TestDir};

#[test]
fn filter_selects_only_named_syscalls() {
    let t = TestDir::new("opt-filter");
    let file = t.trace_file("filter");
    let f = file.display().to_string();
    let cmd = Cmd::new(probe("every_origin")).arg(probe_lib("dlopen_sites_lib"));
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

// ---- strace's everyday flags, each checked on a real program (against strace where the
// output can be compared line for line).

use sysgate_tests::run::assert_one_sysgate_error_line;
use sysgate_tests::{require_tools, Outcome};

/// Runs `strace FLAGS -o A -- cmd` and `sysgate trace FLAGS -o B -- cmd` in `t`.
fn both(t: &TestDir, flags: &[&str], cmd: &Cmd) -> (Outcome, Outcome) {
    let a = t.trace_file("strace");
    let b = t.trace_file("sysgate");
    let strace = t.run_plain(
        "strace",
        &Cmd::new("strace")
            .args(flags)
            .arg("-o")
            .arg(&a)
            .arg("--")
            .arg("/bin/cat")
            .arg("/etc/hostname"),
        Some(&a),
    );
    let bs = b.display().to_string();
    let mut args: Vec<&str> = vec!["trace"];
    args.extend_from_slice(flags);
    args.extend_from_slice(&["-o", &bs]);
    let sysgate = t.run_sysgate(&args, cmd, Some(&b));
    assert_eq!(sysgate.status, strace.status, "{sysgate}\n{strace}");
    (strace, sysgate)
}

fn cat_hostname() -> Cmd {
    Cmd::new("/bin/cat").arg("/etc/hostname")
}

/// The trace text from the first line sysgate also has (strace shows the dynamic loader's
/// calls before the runtime is armed), lines of `name` only.
fn lines_named(o: &Outcome, name: &str) -> Vec<String> {
    o.trace_text()
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .any(|w| w.starts_with(&format!("{name}(")))
        })
        .map(str::to_string)
        .collect()
}

/// Drops a leading timestamp column of the given form.
fn strip_prefix_words(l: &str, n: usize) -> String {
    l.splitn(n + 1, ' ')
        .last()
        .unwrap_or("")
        .trim_start()
        .to_string()
}

#[test]
fn fd_paths_like_strace() {
    if !require_tools("fd_paths_like_strace", &["strace"]) {
        return;
    }
    let t = TestDir::new("opt-y");
    let (s, g) = both(&t, &["-y"], &cat_hostname());
    for name in ["read", "close", "write"] {
        // Pipes get new inode numbers every run: the file's lines are compared.
        let want: Vec<String> = lines_named(&s, name)
            .into_iter()
            .filter(|l| l.contains("</etc/hostname>"))
            .collect();
        let got = lines_named(&g, name);
        assert!(
            !want.is_empty() || name == "write",
            "strace -y shows no {name} of /etc/hostname\n{s}"
        );
        for w in want.iter().rev().take(2) {
            assert!(
                got.contains(w),
                "-y: missing {w:?} in sysgate's {name} lines {got:?}\n{g}"
            );
        }
    }
    let open = lines_named(&g, "openat");
    assert!(
        open.iter()
            .any(|l| l.contains("\"/etc/hostname\", O_RDONLY) = 3</etc/hostname>")),
        "-y: openat's result has no path: {open:?}"
    );
}

#[test]
fn socket_endpoints_with_yy() {
    if !require_tools("socket_endpoints_with_yy", &["python3"]) {
        return;
    }
    let t = TestDir::new("opt-yy");
    let f = t.trace_file("yy");
    let fs = f.display().to_string();
    let py = sysgate_tests::run::native_stdout(
        &Cmd::new("python3").args(["-c", "import sys; print(sys.executable)"]),
    );
    let script = "import socket\ns=socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n\
                  c=socket.create_connection(s.getsockname()); a,_=s.accept(); c.send(b'x'); print(a.recv(1))";
    let o = t.run_sysgate(
        &["trace", "-yy", "-e", "trace=listen,sendto", "-o", &fs],
        &Cmd::new(py.trim()).args(["-c", script]),
        Some(&f),
    );
    o.assert_exit_code(0);
    let text = o.trace_text();
    assert!(
        text.lines()
            .any(|l| l.starts_with("listen(3<TCP:[127.0.0.1:")),
        "{o}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("sendto(4<TCP:[127.0.0.1:") && l.contains("->127.0.0.1:")),
        "-yy: no connected endpoint pair\n{o}"
    );
}

#[test]
fn time_flags_have_strace_shapes() {
    let t = TestDir::new("opt-time");
    let shape = |flags: &[&str], check: &dyn Fn(&str) -> bool, what: &str| {
        let f = t.trace_file("t");
        let fs = f.display().to_string();
        let mut args = vec!["trace"];
        args.extend_from_slice(flags);
        args.extend_from_slice(&["-o", &fs]);
        let o = t.run_sysgate(&args, &cat_hostname(), Some(&f));
        o.assert_exit_code(0);
        for l in o.trace_text().lines() {
            assert!(check(l), "{flags:?}: {what}: {l:?}\n{o}");
        }
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let hms = |w: &str| {
        let p: Vec<&str> = w.split(':').collect();
        p.len() == 3 && p.iter().all(|x| x.len() == 2 && digits(x))
    };
    shape(
        &["-t"],
        &|l| hms(l.split(' ').next().unwrap_or("")),
        "HH:MM:SS first",
    );
    shape(
        &["-tt"],
        &|l| {
            let w = l.split(' ').next().unwrap_or("");
            w.split_once('.')
                .is_some_and(|(a, b)| hms(a) && b.len() == 6 && digits(b))
        },
        "HH:MM:SS.uuuuuu first",
    );
    shape(
        &["-ttt"],
        &|l| {
            let w = l.split(' ').next().unwrap_or("");
            w.split_once('.')
                .is_some_and(|(a, b)| a.len() >= 10 && digits(a) && b.len() == 6 && digits(b))
        },
        "seconds.uuuuuu first",
    );
    shape(
        &["-r"],
        &|l| {
            // `%6ld.%06ld `: right-aligned seconds.
            l.len() > 14
                && l.as_bytes()[6] == b'.'
                && digits(l[..6].trim_start())
                && digits(&l[7..13])
                && &l[13..14] == " "
        },
        "relative time first",
    );
    shape(
        &["-T"],
        &|l| {
            l.starts_with("+++")
                || l.starts_with("execve(")
                || l.ends_with("= ?")
                || l.rsplit_once(" <").is_some_and(|(_, t)| {
                    t.strip_suffix('>')
                        .and_then(|t| t.split_once('.'))
                        .is_some_and(|(a, b)| digits(a) && b.len() == 6 && digits(b))
                })
        },
        "<s.uuuuuu> last",
    );
}

#[test]
fn time_in_call_matches_strace_apart_from_the_times() {
    if !require_tools(
        "time_in_call_matches_strace_apart_from_the_times",
        &["strace"],
    ) {
        return;
    }
    let t = TestDir::new("opt-T");
    let (s, g) = both(&t, &["-T"], &cat_hostname());
    let cut = |l: &str| {
        l.rsplit_once(" <")
            .map_or(l.to_string(), |(a, _)| a.to_string())
    };
    let sr: Vec<String> = lines_named(&s, "read").iter().map(|l| cut(l)).collect();
    let gr: Vec<String> = lines_named(&g, "read").iter().map(|l| cut(l)).collect();
    assert_eq!(sr.last(), gr.last(), "{g}");
    assert!(lines_named(&g, "read").iter().all(|l| l.ends_with('>')));
    // Timestamps sit before the call: same line after the first word.
    let (s, g) = both(&t, &["-tt"], &cat_hostname());
    let sw: Vec<String> = lines_named(&s, "write")
        .iter()
        .map(|l| strip_prefix_words(l, 1))
        .collect();
    let gw: Vec<String> = lines_named(&g, "write")
        .iter()
        .map(|l| strip_prefix_words(l, 1))
        .collect();
    assert_eq!(sw, gw, "{g}");
}

#[test]
fn status_filters_like_strace() {
    if !require_tools("status_filters_like_strace", &["strace"]) {
        return;
    }
    let t = TestDir::new("opt-status");
    let cmd = Cmd::new("/bin/cat").arg("/etc/hostname");
    for flags in [
        &["-Z"][..],
        &["-e", "status=failed"][..],
        &["-z"][..],
        &["-e", "status=successful"][..],
    ] {
        let (s, g) = both(&t, flags, &cmd);
        let failed = flags.contains(&"-Z") || flags.contains(&"status=failed");
        for l in g.trace_lines() {
            if let Event::Syscall {
                result: Some(r), ..
            } = &l.event
            {
                assert_eq!(r.starts_with("-1 "), failed, "{flags:?}: {}\n{g}", l.text);
            }
        }
        // The calls after the loader's: the same tail of names.
        let names = |o: &Outcome| sysgate_tests::trace::syscall_names(&o.trace_lines());
        let (sn, gn) = (names(&s), names(&g));
        let n = gn.len().min(sn.len()).min(6);
        assert_eq!(
            sn[sn.len() - n..],
            gn[gn.len() - n..],
            "{flags:?}\n{g}\n{s}"
        );
    }
}

#[test]
fn regex_selects_like_strace() {
    if !require_tools("regex_selects_like_strace", &["strace"]) {
        return;
    }
    let t = TestDir::new("opt-regex");
    let (s, g) = both(&t, &["-e", "trace=/^(read|write|close)$"], &cat_hostname());
    let names = |o: &Outcome| sysgate_tests::trace::syscall_names(&o.trace_lines());
    let gn = names(&g);
    assert!(
        gn.iter()
            .all(|n| ["read", "write", "close", "execve"].contains(&n.as_str())),
        "{gn:?}"
    );
    let sn = names(&s);
    let n = gn.len().min(4);
    assert_eq!(sn[sn.len() - n..], gn[gn.len() - n..], "{g}\n{s}");
    let o = t.run_sysgate(&["trace", "-e", "trace=/(unclosed"], &cat_hostname(), None);
    o.assert_exit_code(1);
    assert_one_sysgate_error_line(&o);
}

#[test]
fn hex_strings_like_strace() {
    if !require_tools("hex_strings_like_strace", &["strace"]) {
        return;
    }
    let t = TestDir::new("opt-x");
    let f = t.write("bytes", b"a\xffb\n");
    for flags in [&["-x"][..], &["-xx"][..]] {
        let a = t.trace_file("s");
        let strace = t.run_plain(
            "strace",
            &Cmd::new("strace")
                .args(flags)
                .arg("-o")
                .arg(&a)
                .arg("/bin/cat")
                .arg(&f),
            Some(&a),
        );
        let b = t.trace_file("g");
        let bs = b.display().to_string();
        let mut args = vec!["trace"];
        args.extend_from_slice(flags);
        args.extend_from_slice(&["-o", &bs]);
        let g = t.run_sysgate(&args, &Cmd::new("/bin/cat").arg(&f), Some(&b));
        assert_eq!(
            lines_named(&strace, "write"),
            lines_named(&g, "write"),
            "{flags:?}\n{g}"
        );
    }
}

#[test]
fn verbose_structs_like_strace() {
    if !require_tools("verbose_structs_like_strace", &["strace"]) {
        return;
    }
    let t = TestDir::new("opt-v");
    let (s, g) = both(&t, &["-v"], &cat_hostname());
    // The descriptor's stat in full; times may move between the runs, the rest may not.
    let until_times = |v: Vec<String>| -> Vec<String> {
        v.into_iter()
            .map(|l| l.split(", st_atime").next().unwrap_or("").to_string())
            .collect()
    };
    let sf = until_times(lines_named(&s, "newfstatat"));
    let gf = until_times(lines_named(&g, "newfstatat"));
    assert!(gf.iter().any(|l| l.contains("st_dev=makedev(")), "{g}");
    assert_eq!(sf.last(), gf.last(), "{g}");
}

#[test]
fn one_file_per_process_like_strace() {
    if !require_tools("one_file_per_process_like_strace", &["strace", "sh"]) {
        return;
    }
    let t = TestDir::new("opt-ff");
    let cmd = Cmd::sh("/bin/cat /etc/hostname; /bin/true");
    let count = |dir: &std::path::Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            .collect();
        v.sort();
        v
    };
    let sd = t.subdir("strace");
    let sp = sd.join("tr");
    let s = t.run_plain(
        "strace",
        &Cmd::new("strace")
            .arg("-ff")
            .arg("-o")
            .arg(&sp)
            .arg("/bin/sh")
            .arg("-c")
            .arg("/bin/cat /etc/hostname; /bin/true"),
        None,
    );
    let gd = t.subdir("sysgate");
    let gp = gd.join("tr").display().to_string();
    let g = t.run_sysgate(&["trace", "-ff", "-o", &gp], &cmd, None);
    assert_eq!(g.status, s.status, "{g}");
    let (sf, gf) = (count(&sd), count(&gd));
    assert_eq!(gf.len(), sf.len(), "one file per process: {gf:?}");
    for text in &gf {
        let first = text.lines().next().unwrap_or("");
        assert!(
            first.starts_with("execve(") || text.contains("+++ exited with"),
            "{text}"
        );
        // No pid prefixes inside a per-process file.
        assert!(
            text.lines()
                .all(|l| !l.starts_with(|c: char| c.is_ascii_digit())),
            "{text}"
        );
    }
    assert!(
        gf.iter()
            .any(|t| t.contains("write(1, \"") && t.contains("+++ exited with 0 +++")),
        "{gf:?}"
    );
}

#[test]
fn output_into_a_pipe() {
    let t = TestDir::new("opt-pipe");
    let f = t.join("piped.txt");
    let spec = format!("|cat > {}", f.display());
    let o = t.run_sysgate(&["trace", "-o", &spec], &cat_hostname(), None);
    o.assert_exit_code(0);
    // The command ends when the last writer has gone.
    let mut text = String::new();
    for _ in 0..200 {
        text = std::fs::read_to_string(&f).unwrap_or_default();
        if text.contains("+++ exited with 0 +++") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        text.starts_with("execve(\"/bin/cat\"") && text.contains("+++ exited with 0 +++"),
        "{text}\n{o}"
    );
}

#[test]
fn quiet_and_signal_set_accepted() {
    let t = TestDir::new("opt-quiet");
    let f = t.trace_file("q");
    let fs = f.display().to_string();
    let o = t.run_sysgate(
        &[
            "trace",
            "-q",
            "-e",
            "signal=SIGCHLD,PIPE,9",
            "-e",
            "signal=!SIGPIPE",
            "-o",
            &fs,
        ],
        &cat_hostname(),
        Some(&f),
    );
    o.assert_exit_code(0);
    assert!(o.trace_text().contains("+++ exited with 0 +++"));
    let f = t.trace_file("qq");
    let fs = f.display().to_string();
    let o = t.run_sysgate(&["trace", "-qq", "-o", &fs], &cat_hostname(), Some(&f));
    assert!(!o.trace_text().contains("+++"), "{o}");
    let o = t.run_sysgate(&["trace", "-e", "signal=SIGBOGUS"], &cat_hostname(), None);
    o.assert_exit_code(1);
    assert_one_sysgate_error_line(&o);
}

#[test]
fn unsupported_flags_are_refused() {
    let t = TestDir::new("opt-refused");
    // -c, -C, -S, -w, inject= and -k are supported now (tests/tests/tools/count.rs, inject.rs,
    // trace/stack_trace.rs); -X and inject's syscall= are not.
    for flags in [
        &["-X", "raw"][..],
        &["-e", "inject=getpid:syscall=getppid:error=ENOENT"][..],
    ] {
        let mut args = vec!["trace"];
        args.extend_from_slice(flags);
        let o = t.run_sysgate(&args, &cat_hostname(), None);
        o.assert_exit_code(1);
        assert_one_sysgate_error_line(&o);
        assert!(o.stderr_str().contains("not supported"), "{flags:?}: {o}");
    }
}

/// `exit_group` from a thread that is not the leader: the exit line carries the leader's id,
/// as strace's does, while the `exit_group` line carries the calling thread's.
#[test]
fn exit_group_from_a_thread_is_reported_under_the_leader() {
    let t = TestDir::new("thread-exit");
    let o = t.run(&Cmd::new(probe("thread_exit")), sysgate_tests::Mode::Trace);
    o.assert_exit_code(3);
    let lines = o.trace_lines();
    let leader = lines
        .first()
        .and_then(|l| l.pid)
        .expect("first line has a pid");
    let call = lines
        .iter()
        .find(|l| l.text.starts_with("exit_group(3)"))
        .expect("exit_group line");
    assert_ne!(
        call.pid,
        Some(leader),
        "exit_group is called by the second thread\n{o}"
    );
    let exit = lines.last().expect("a last line");
    assert_eq!(exit.text, "+++ exited with 3 +++", "{o}");
    assert_eq!(exit.pid, Some(leader), "the exit line is the leader's\n{o}");
}

/// No option is ever taken for the program: one sysgate does not know is an invalid option,
/// one of strace's it does not support yet says so, both with exit 1 and one line; strace's
/// long spellings of the options it supports work; every command that runs a program takes
/// the shared options (`--clock`).
#[test]
fn options_are_never_the_program() {
    let t = TestDir::new("opt-never-program");
    for (flags, says) in [
        (&["-Q"][..], "invalid option '-Q'"),
        (&["--bogus"][..], "invalid option '--bogus'"),
        (&["-U", "name"][..], "only apply to the summary"),
        (&["-O", "5"][..], "trace -O: not supported yet"),
        (&["-I", "9"][..], "invalid -I argument: '9'"),
        (
            &["-b", "clone"][..],
            "Syscall 'clone' for -b isn't supported",
        ),
        (&["--syscall-limit", "x"][..], "invalid value 'x'"),
    ] {
        let mut args = vec!["trace"];
        args.extend_from_slice(flags);
        let o = t.run_sysgate(&args, &cat_hostname(), None);
        o.assert_exit_code(1);
        assert_one_sysgate_error_line(&o);
        assert!(o.stderr_str().contains(says), "{flags:?}: {o}");
        assert_eq!(
            o.stdout_str(),
            "",
            "{flags:?}: the program did not run\n{o}"
        );
    }
    let f = t.trace_file("long");
    let fs = format!("--output={}", f.display());
    let o = t.run_sysgate(
        &[
            "trace",
            "--follow-forks",
            &fs,
            "--trace=read",
            "--string-limit=5",
            "--syscall-times",
        ],
        &Cmd::new("/bin/cat").arg("/etc/passwd"),
        Some(&f),
    );
    o.assert_exit_code(0);
    let lines = o.trace_lines();
    assert!(
        lines
            .iter()
            .any(|l| l.text.contains("read(3, \"root:\"...") && l.text.contains(" <0.")),
        "{o}"
    );
    assert!(
        lines
            .iter()
            .all(|l| l.text.contains("read(") || l.text.contains("+++")),
        "{o}"
    );
    for cmd in [
        &["trace", "-o", "/dev/null"][..],
        &["count", "-o", "/dev/null"],
        &["sandbox", "--deny", "ptrace"],
        &["run"],
    ] {
        let mut args = cmd.to_vec();
        args.push("--clock=2001-01-01T00:00:00Z");
        let o = t.run_sysgate(&args, &Cmd::new("date").args(["-u", "+%Y"]), None);
        o.assert_exit_code(0);
        assert_eq!(o.stdout_str(), "2001\n", "{cmd:?}: {o}");
    }
}

/// `-n` and `-i`: the syscall number and the instruction pointer before each line, as strace
/// prints them (`[ 231] [????????????????] +++ exited with 0 +++` on the exit line); the
/// instruction pointer of libc's `write` has strace's page offset.
#[test]
fn syscall_numbers_and_instruction_pointers_like_strace() {
    if !require_tools(
        "syscall_numbers_and_instruction_pointers_like_strace",
        &["strace"],
    ) {
        return;
    }
    let t = TestDir::new("opt-n-i");
    let cmd = Cmd::new("/bin/echo").arg("hi");
    let sf = t.trace_file("strace");
    let s = t.run_plain(
        "strace",
        &Cmd::new("strace")
            .args(["-n", "-i", "-e", "trace=write,exit_group", "-o"])
            .arg(&sf)
            .args(["/bin/echo", "hi"]),
        Some(&sf),
    );
    let gf = t.trace_file("sysgate");
    let g = t.run_sysgate(
        &[
            "trace",
            "-n",
            "-i",
            "-e",
            "trace=write,exit_group",
            "-o",
            gf.to_str().unwrap(),
        ],
        &cmd,
        Some(&gf),
    );
    g.assert_exit_code(0);
    // Addresses differ between runs (ASLR) but not their offset in the page.
    let norm = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| match l.find("] [") {
                Some(a) if l.len() > a + 19 && !l[a + 3..].starts_with('?') => {
                    format!("{}…{}", &l[..a + 3], &l[a + 16..])
                }
                _ => l.to_string(),
            })
            .collect()
    };
    assert_eq!(norm(g.trace_text()), norm(s.trace_text()), "{g}\n{s}");
    assert!(
        g.trace_text()
            .contains("[ 231] [????????????????] +++ exited with 0 +++"),
        "{g}"
    );
}

/// `-e quiet=exit` drops the exit lines as `-qq` does; `-e decode-fds=path` is `-y`.
#[test]
fn quiet_and_decode_fds_qualifiers() {
    let t = TestDir::new("opt-quiet-fds");
    let f = t.trace_file("q");
    let fs = f.display().to_string();
    let o = t.run_sysgate(
        &[
            "trace",
            "-e",
            "quiet=exit",
            "-e",
            "decode-fds=path",
            "-e",
            "trace=openat",
            "-o",
            &fs,
        ],
        &cat_hostname(),
        Some(&f),
    );
    o.assert_exit_code(0);
    let text = o.trace_text();
    assert!(!text.contains("+++ exited"), "{o}");
    assert!(
        text.contains("openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY) = 3</etc/hostname>"),
        "{o}"
    );
    let o = t.run_sysgate(&["trace", "-e", "quiet=bogus"], &cat_hostname(), None);
    o.assert_exit_code(1);
    assert_one_sysgate_error_line(&o);
}

/// `-a COLUMN`: results aligned where strace aligns them.
#[test]
fn result_column_like_strace() {
    if !require_tools("result_column_like_strace", &["strace"]) {
        return;
    }
    let t = TestDir::new("opt-a");
    for col in ["20", "50"] {
        let sf = t.trace_file(&format!("strace-{col}"));
        let s = t.run_plain(
            "strace",
            &Cmd::new("strace")
                .args(["-a", col, "-e", "trace=read,write", "-o"])
                .arg(&sf)
                .args(["/bin/cat", "/etc/hostname"]),
            Some(&sf),
        );
        let gf = t.trace_file(&format!("sysgate-{col}"));
        let g = t.run_sysgate(
            &[
                "trace",
                "-a",
                col,
                "-e",
                "trace=read,write",
                "-o",
                gf.to_str().unwrap(),
            ],
            &cat_hostname(),
            Some(&gf),
        );
        g.assert_exit_code(0);
        let tail = |text: &str| -> Vec<String> {
            let lines: Vec<&str> = text.lines().collect();
            let from = lines
                .iter()
                .position(|l| l.starts_with("read(3, "))
                .unwrap_or(0);
            lines[from..].iter().map(|l| l.to_string()).collect()
        };
        assert_eq!(
            tail(g.trace_text()),
            tail(s.trace_text()),
            "-a {col}\n{g}\n{s}"
        );
    }
}

//! sysgate's own loader: every program is entered through it before its first instruction, so
//! static, static-PIE, dynamic and Go programs are all traced from their first syscall; the
//! vDSO's functions are redirected (or, with `--vdso=syscall`, the vDSO is dropped), so time
//! calls become syscalls; every exec in the tree goes through it again;
//! and what cannot run gets one clear line and a shell's exit code.

use std::path::{Path, PathBuf};
use std::process::Command;
use sysgate_tests::{probe, require_tools, which, Cmd, Event, Mode, Outcome, TestDir, TraceLine};

/// Syscall names of the main process, after its first execve line.
fn names_after_execve(lines: &[TraceLine]) -> Vec<String> {
    let pid = lines.first().and_then(|l| l.pid);
    lines
        .iter()
        .filter(|l| l.pid == pid)
        .filter_map(|l| l.syscall_name().map(str::to_string))
        .skip_while(|n| n != "execve")
        .skip(1)
        .collect()
}

/// Runs `prog args` under `strace -f -o` and `sysgate trace -f -o` and returns both outcomes.
fn strace_and_sysgate(t: &TestDir, prog: &Path, args: &[&str]) -> (Outcome, Outcome) {
    let f = t.trace_file("strace");
    let sc = Cmd::new("strace")
        .arg("-f")
        .arg("-o")
        .arg(&f)
        .arg(prog)
        .args(args);
    let s = t.run_plain("strace", &sc, Some(&f));
    let g = t.run(&Cmd::new(prog).args(args), Mode::Trace);
    (s, g)
}

fn gcc(t: &TestDir, name: &str, flags: &[&str]) -> PathBuf {
    let out = t.join(name);
    let src =
        sysgate_tests::probe::probes_dir().join(format!("{}.c", name.split('.').next().unwrap()));
    let st = Command::new("gcc")
        .args(["-O1", "-o"])
        .arg(&out)
        .arg(&src)
        .args(flags)
        .status()
        .expect("gcc");
    assert!(st.success(), "gcc {name} {flags:?} failed");
    out
}

fn assert_same_names(s: &Outcome, g: &Outcome, what: &str) {
    let sn = names_after_execve(&s.trace_lines());
    let gn = names_after_execve(&g.trace_lines());
    assert!(!gn.is_empty(), "{what}: no syscalls traced\n{g}");
    assert_eq!(
        sn, gn,
        "{what}: syscall sequence differs from strace's from the first syscall on\n{g}"
    );
}

#[test]
fn static_busybox_is_traced_from_its_first_syscall() {
    if !require_tools(
        "static_busybox_is_traced_from_its_first_syscall",
        &["strace", "busybox"],
    ) {
        return;
    }
    let t = TestDir::new("loader-busybox");
    let bb = which("busybox").unwrap();
    let (s, g) = strace_and_sysgate(&t, &bb, &["echo", "from-static"]);
    assert_eq!(s.stdout, g.stdout);
    g.assert_trace_shape();
    assert_same_names(&s, &g, "busybox echo");
}

#[test]
fn static_and_static_pie_programs_are_traced() {
    if !require_tools(
        "static_and_static_pie_programs_are_traced",
        &["strace", "gcc"],
    ) {
        return;
    }
    let t = TestDir::new("loader-static");
    for (name, flags) in [
        ("clock_loop.static", &["-static"][..]),
        ("clock_loop.static-pie", &["-static-pie"]),
    ] {
        let exe = gcc(&t, name, flags);
        let (s, g) = strace_and_sysgate(&t, &exe, &["3"]);
        assert_eq!(g.code(), Some(0), "{name}\n{g}");
        assert_eq!(s.stdout, g.stdout, "{name}");
        g.assert_trace_shape();
        // strace sees the vDSO answer the time calls; under sysgate the vDSO's functions are
        // the syscalls: compare the rest, and count the time calls.
        let time_calls = ["clock_gettime", "gettimeofday", "time"];
        let strip = |o: &Outcome| -> Vec<String> {
            names_after_execve(&o.trace_lines())
                .into_iter()
                .filter(|n| !time_calls.contains(&n.as_str()))
                .collect()
        };
        assert_eq!(
            strip(&s),
            strip(&g),
            "{name}: syscall sequence differs from strace's\n{g}"
        );
        let gn = names_after_execve(&g.trace_lines());
        for c in time_calls {
            assert_eq!(
                gn.iter().filter(|n| *n == c).count(),
                3,
                "{name}: {c} calls\n{g}"
            );
        }
    }
}

#[test]
fn go_programs_run_and_are_traced() {
    if !require_tools("go_programs_run_and_are_traced", &["go"]) {
        return;
    }
    let t = TestDir::new("loader-go");
    let src = sysgate_tests::probe::probes_dir().join("../programs");
    for prog in ["gowork", "gonil"] {
        let exe = t.join(prog);
        let st = Command::new("go")
            .args(["build", "-o"])
            .arg(&exe)
            .arg(src.join(format!("{prog}.go")))
            .env("CGO_ENABLED", "0")
            .env("GOCACHE", t.join("gocache"))
            .env("GOPATH", t.join("gopath"))
            .env("GOFLAGS", "-mod=mod")
            .env("GO111MODULE", "off")
            .status()
            .expect("go build");
        assert!(st.success(), "go build {prog}");
        let outs = t.assert_same_everywhere(&Cmd::new(&exe));
        if prog == "gowork" {
            let lines = outs[2].trace_lines();
            assert!(
                lines.iter().any(|l| l.syscall_name() == Some("clone")),
                "Go's threads are traced\n{}",
                outs[2]
            );
            assert!(
                lines
                    .iter()
                    .any(|l| l.text.starts_with("execve(\"/usr/bin/echo\"")
                        || l.text.starts_with("execve(\"/bin/echo\"")),
                "Go's child exec is traced\n{}",
                outs[2]
            );
            assert!(
                outs[0]
                    .stdout_str()
                    .contains(&format!("exe: {}", exe.display())),
                "os.Executable names the program"
            );
        } else {
            assert!(
                outs[1]
                    .stdout_str()
                    .starts_with("recovered: runtime error: invalid memory address"),
                "{}",
                outs[1]
            );
        }
    }
}

#[test]
fn time_calls_become_syscalls() {
    // The program finds a vDSO by default, as natively (AT_SYSINFO_EHDR in its aux vector),
    // and none with `--vdso=syscall`.
    let t0 = TestDir::new("loader-auxv");
    let show = Cmd::new("python3").args([
        "-c",
        "import ctypes; print(ctypes.CDLL(None).getauxval(33) != 0)",
    ]);
    for (args, present) in [
        (&["run"][..], "True\n"),
        (&["run", "--vdso=syscall"], "False\n"),
        (&["run", "--vdso=native"], "True\n"),
    ] {
        let o = t0.run_sysgate(args, &show, None);
        assert_eq!(o.stdout_str(), present, "{args:?}\n{o}");
    }
    assert_eq!(t0.run(&show, Mode::Native).stdout_str(), "True\n");
    let t = TestDir::new("loader-time");
    let o = t.run(&Cmd::new(probe("clock_loop")).arg("5"), Mode::Trace);
    assert_eq!(o.code(), Some(0), "{o}");
    let names = names_after_execve(&o.trace_lines());
    for c in ["clock_gettime", "gettimeofday", "time"] {
        assert_eq!(names.iter().filter(|n| *n == c).count(), 5, "{c}\n{o}");
    }
    let o = t.run(&Cmd::new("date").arg("+%s"), Mode::Trace);
    assert!(
        o.trace_text()
            .contains("clock_gettime(CLOCK_REALTIME, {tv_sec="),
        "date reads the clock\n{o}"
    );
    if which("python3").is_some() {
        let o = t.run(
            &Cmd::new("python3").args(["-c", "import time; print(time.time() > 0)"]),
            Mode::Trace,
        );
        assert_eq!(o.stdout_str(), "True\n");
        assert!(
            o.trace_text().contains("clock_gettime(CLOCK_REALTIME"),
            "python's time.time()\n{o}"
        );
    }
    // Without a vDSO at all (`--vdso=syscall`), libc makes the same calls itself.
    let f = t.trace_file("no-vdso");
    let fs = f.display().to_string();
    let o = t.run_sysgate(
        &["trace", "--vdso=syscall", "-o", &fs],
        &Cmd::new(probe("clock_loop")).arg("5"),
        Some(&f),
    );
    let names = names_after_execve(&o.trace_lines());
    for c in ["clock_gettime", "gettimeofday", "time"] {
        assert_eq!(
            names.iter().filter(|n| *n == c).count(),
            5,
            "--vdso=syscall: {c}\n{o}"
        );
    }
    // With the kernel's vDSO kept, the same calls never enter the kernel.
    let f = t.trace_file("native-vdso");
    let fs = f.display().to_string();
    let o = t.run_sysgate(
        &["trace", "--vdso=native", "-o", &fs],
        &Cmd::new(probe("clock_loop")).arg("5"),
        Some(&f),
    );
    assert!(
        !o.trace_text().contains("gettimeofday("),
        "--vdso=native keeps the vDSO\n{o}"
    );
}

fn execve_lines(o: &Outcome) -> Vec<String> {
    o.trace_lines()
        .into_iter()
        .filter(|l| matches!(&l.event, Event::Syscall { name, result: Some(r), .. } if name == "execve" && r == "0"))
        .map(|l| l.text)
        .collect()
}

#[test]
fn every_exec_is_traced() {
    let t = TestDir::new("loader-exec");
    // exec from a shell
    let o = t.run(&Cmd::sh("exec ls /"), Mode::Trace);
    let ex = execve_lines(&o);
    assert!(
        ex.len() == 2 && ex[1].starts_with("execve(\"/usr/bin/ls\", [\"ls\", \"/\"]"),
        "{ex:?}\n{o}"
    );
    assert!(
        o.trace_lines()
            .iter()
            .any(|l| l.syscall_name() == Some("getdents64")),
        "ls itself is traced\n{o}"
    );
    // a #! script, started directly and from a shell
    let script = t.write("script.sh", "#!/bin/sh\necho script-ran \"$@\"\n");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let outs = t.assert_same_everywhere(&Cmd::new(&script).arg("x"));
    assert_eq!(outs[0].stdout_str(), "script-ran x\n");
    let ex = execve_lines(&outs[2]);
    // (argv strings are cut at -s 32, as strace cuts them)
    assert!(
        ex[0].starts_with(&format!("execve(\"{}\", [\"", script.display()))
            && ex[0].contains(", \"x\"], "),
        "{ex:?}"
    );
    assert!(
        outs[2]
            .trace_text()
            .contains("write(1, \"script-ran x\\n\", 13)"),
        "{}",
        outs[2]
    );
    // env chains
    let o = t.run(&Cmd::new("env").args(["env", "true"]), Mode::Trace);
    assert_eq!(o.code(), Some(0));
    assert_eq!(execve_lines(&o).len(), 3, "env, env, true\n{o}");
}

#[test]
fn exec_errors_reach_the_program_as_natively() {
    let t = TestDir::new("loader-exec-errors");
    let plain = t.write("plain.txt", "not a program\n");
    std::fs::set_permissions(&plain, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let noshebang = t.write("noshebang", "echo ran-by-sh\n");
    std::fs::set_permissions(
        &noshebang,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let badinterp = t.write("badinterp", "#!/nonexistent/interpreter\n");
    std::fs::set_permissions(
        &badinterp,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let script = format!(
        "/nonexistent/prog; echo $?; {p}; echo $?; {n}; echo $?; {b}; echo $?; {d}; echo $?",
        p = plain.display(),
        n = noshebang.display(),
        b = badinterp.display(),
        d = t.path().display()
    );
    let outs = t.assert_same_everywhere(&Cmd::new("bash").args(["-c", &script]));
    assert_eq!(
        outs[0].stdout_str(),
        "127\n126\nran-by-sh\n0\n127\n126\n",
        "native shell results"
    );
    let trace = outs[2].trace_text();
    assert!(
        trace.contains("execve(\"/nonexistent/prog\", [\"/nonexistent/prog\"], ")
            && trace.contains("= -1 ENOENT"),
        "{}",
        outs[2]
    );
    assert!(
        trace.contains("= -1 ENOEXEC (Exec format error)"),
        "{}",
        outs[2]
    );
}

/// A copy of a real program, changed by `edit`.
fn doctored(t: &TestDir, name: &str, edit: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut data = std::fs::read("/bin/true").unwrap();
    edit(&mut data);
    let p = t.write(name, &data);
    std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    p
}

fn assert_refused(t: &TestDir, prog: &Path, code: i32, says: &str) {
    for mode in [Mode::Run, Mode::Trace] {
        let o = t.run(&Cmd::new(prog), mode);
        let err = o.stderr_str();
        let lines: Vec<&str> = err.lines().collect();
        assert!(
            o.code() == Some(code)
                && lines.len() == 1
                && lines[0].starts_with("sysgate: ")
                && lines[0].contains(says),
            "{}: expected exit {code} and one `sysgate:` line mentioning {says:?}\n{o}",
            prog.display()
        );
    }
}

#[test]
fn bad_programs_get_one_clear_line() {
    let t = TestDir::new("loader-bad-input");
    let truncated = doctored(&t, "truncated", |d| d.truncate(100));
    assert_refused(&t, &truncated, 126, "truncated");
    let arm = doctored(&t, "aarch64", |d| d[18] = 183);
    assert_refused(&t, &arm, 126, "aarch64");
    let i386 = doctored(&t, "i386", |d| d[18] = 3);
    assert_refused(&t, &i386, 126, "i386");
    let nointerp = doctored(&t, "nointerp", |d| {
        let at = d
            .windows(4)
            .position(|w| w == b"/lib")
            .expect("PT_INTERP string");
        d[at..at + 4].copy_from_slice(b"/no/");
    });
    assert_refused(&t, &nointerp, 127, "interpreter");
    let garbage = doctored(&t, "garbage", |d| d[..4].copy_from_slice(b"\x7fELG"));
    assert_refused(&t, &garbage, 126, "Exec format error");
    assert_refused(&t, t.path(), 126, "Is a directory");
}

/// The process is named after the program (as the kernel names it after the file it runs),
/// not after sysgate's loader; a script after the script.
#[test]
fn process_names_are_the_programs() {
    let t = TestDir::new("loader-comm");
    let outs = t.assert_same_everywhere(&Cmd::new("cat").arg("/proc/self/comm"));
    assert_eq!(outs[1].stdout_str(), "cat\n");
    let script = t.write("named-script", "#!/bin/sh\ncat /proc/$$/comm\n");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let outs = t.assert_same_everywhere(&Cmd::new(&script));
    assert_eq!(outs[1].stdout_str(), "named-script\n");
}

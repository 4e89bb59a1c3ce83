//! Debuggers and other tracers under sysgate. A traced process would see each of the runtime's
//! traps (a SIGSYS at every first call of a site), and a debugger reads the image the kernel
//! started, which under sysgate is the loader. So the image a traced process execs runs outside
//! sysgate, as natively (a plain `run` says nothing, a tool that loses it says so in one line),
//! and a tracer under sysgate never sees a stop of the runtime's own.

use sysgate_tests::probe::probe_debug;
use sysgate_tests::{probe, require_tools, Cmd, Mode, TestDir};

/// gdb's output with pids blanked (`process 1234`).
fn blank_pids(s: &str) -> String {
    let mut out = String::new();
    for line in s.lines() {
        let mut words: Vec<String> = Vec::new();
        let mut after_process = false;
        for w in line.split(' ') {
            if after_process && w.trim_end_matches(')').parse::<u32>().is_ok() {
                words.push(w.replace(|c: char| c.is_ascii_digit(), "") + "N");
            } else {
                words.push(w.to_string());
            }
            after_process = w.ends_with("process");
        }
        out.push_str(&words.join(" "));
        out.push('\n');
    }
    out
}

#[test]
fn gdb_breakpoint_and_backtrace_are_as_native() {
    if !require_tools(
        "gdb_breakpoint_and_backtrace_are_as_native",
        &["gdb", "gcc"],
    ) {
        return;
    }
    let t = TestDir::new("gdb");
    let bin = probe_debug(t.path(), "gdb_target.c", "gdb_target", &[]);
    let gdb = Cmd::new("gdb")
        .args(["-nx", "-batch", "-ex", "break g", "-ex", "run", "-ex", "bt"])
        .args(["-ex", "finish", "-ex", "continue"])
        .arg(&bin)
        .env("HOME", t.path());
    let native = t.run(&gdb, Mode::Native);
    let out = native.stdout_str();
    // The native run is what the program does under gdb: the breakpoint, three frames, the
    // value `finish` returns, the program's own output and a normal exit.
    for want in [
        "Breakpoint 1, g (x=3)",
        "#1 ",
        "in f (x=2)",
        "in main ()",
        "Value returned is $1 = 6",
        "\n6\n",
        "exited normally]",
    ] {
        assert!(out.contains(want), "native gdb lacks {want:?}:\n{native}");
    }
    for mode in [Mode::Run, Mode::Trace] {
        let o = t.run(&gdb, mode);
        assert_eq!(o.status, native.status, "{o}");
        assert_eq!(
            blank_pids(&o.stdout_str()),
            blank_pids(&out),
            "{}: gdb's output differs from the native run\n{o}",
            o.label
        );
        let err = o.stderr_str();
        let (notes, rest): (Vec<&str>, Vec<&str>) =
            err.lines().partition(|l| l.starts_with("sysgate: "));
        assert_eq!(
            blank_pids(&rest.join("\n")),
            blank_pids(native.stderr_str().trim_end()),
            "{}: gdb's stderr differs\n{o}",
            o.label
        );
        if mode == Mode::Run {
            // A plain run loses nothing when the program runs outside it: no word.
            assert!(notes.is_empty(), "{o}");
        } else {
            // The inferior (gdb starts it through the shell) leaves the trace, once, saying so.
            assert_eq!(notes.len(), 1, "{o}");
            assert!(
                notes[0].contains(": traced by process ")
                    && notes[0].ends_with("(a debugger): it runs outside sysgate"),
                "{}",
                notes[0]
            );
            // gdb's own calls are traced, and the inferior's exec is shown as it succeeded.
            let trace = o.trace_text();
            assert!(
                trace.contains("ptrace(PTRACE_TRACEME, 0, NULL, NULL) = 0"),
                "{o}"
            );
            assert!(trace.contains("ptrace(PTRACE_CONT, "), "{o}");
            assert!(
                trace.lines().any(|l| l.contains("execve(\"/bin/")
                    && l.contains("\"-c\", \"exec ")
                    && l.ends_with(" = 0")),
                "{o}"
            );
        }
    }
}

/// strace run under sysgate: its tracee runs outside sysgate, so strace's trace is what it is
/// natively, with no SIGSYS line and none of the loader's calls.
#[test]
fn strace_under_sysgate_traces_what_it_traces_natively() {
    if !require_tools(
        "strace_under_sysgate_traces_what_it_traces_natively",
        &["strace"],
    ) {
        return;
    }
    let t = TestDir::new("strace-under");
    let names = |mode: Mode| {
        let f = t.trace_file(&format!("strace-{}", mode.slug()));
        let cmd = Cmd::new("strace")
            .args(["-f", "-qq", "-o"])
            .arg(&f)
            .args(["/bin/ls", "/"]);
        let o = t.run(&cmd, mode);
        assert_eq!(o.code(), Some(0), "{o}");
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(!text.contains("SIGSYS"), "{mode:?}: {text}");
        (
            o.stdout_str(),
            text.lines()
                .map(|l| {
                    let l = l.split_once(' ').map_or(l, |(_, r)| r).trim_start();
                    l.split('(').next().unwrap_or("").to_string()
                })
                .collect::<Vec<_>>(),
        )
    };
    let native = names(Mode::Native);
    assert!(
        native.1.len() > 20 && native.1[0] == "execve",
        "{:?}",
        native.1
    );
    for mode in [Mode::Run, Mode::Trace] {
        assert_eq!(names(mode), native, "{mode:?}");
    }
}

/// A tracer and its tracee, both under sysgate (a program that seizes its child, one whose
/// child asks to be traced, waits with waitpid and waitid, resumed with PTRACE_CONT and
/// PTRACE_SYSCALL, a traced exec): the tracer sees only the stops it sees natively, and the
/// image a traced child execs holds no descriptor of sysgate's.
#[test]
fn tracers_under_sysgate_see_no_stop_of_the_runtime() {
    let t = TestDir::new("tracers");
    for mode in ["seize", "traceme", "waitid", "syscall", "exec"] {
        let outcomes = t.assert_same_everywhere(&Cmd::new(probe("ptrace_tracees")).arg(mode));
        let out = outcomes[0].stdout_str();
        assert!(
            out.ends_with("child ended: 0\nok\n")
                || out.contains("syscall stops: at least 18\nok\n"),
            "{mode}: {out}"
        );
        assert!(
            !outcomes[1].stdout_str().contains("stop: SYS"),
            "{}",
            outcomes[1]
        );
    }
}

/// Under `sandbox` a traced program does not leave: its exec goes through the loader as any
/// other, and the policy holds in it.
#[test]
fn a_traced_program_stays_in_the_sandbox() {
    let t = TestDir::new("traced-sandbox");
    let victim = t.write("victim", "x");
    let rm = sysgate_tests::which("rm").unwrap();
    let cmd = Cmd::new(probe("ptrace_tracees"))
        .args(["exec"])
        .arg(&rm)
        .arg(&victim);
    let o = t.run_sysgate(&["sandbox", "--deny", "unlink,unlinkat"], &cmd, None);
    assert!(
        victim.exists(),
        "the traced rm removed the file under the sandbox\n{o}"
    );
    assert!(o.stderr_str().contains("Operation not permitted"), "{o}");
    // The tracer sees the exec's stop and rm's exit 1, and no stop of the runtime's.
    assert!(
        o.stdout_str().contains("stop: TRAP\nchild ended: 1\nok\n"),
        "{o}"
    );
    assert!(!o.stdout_str().contains("stop: SYS"), "{o}");
}

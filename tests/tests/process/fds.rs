//! A program that closes and dup2()s over every descriptor above stderr. The
//! runtime's own descriptors (the trace file) must be invisible to it — the
//! probe sees exactly what it sees natively — and must survive it: the trace
//! goes on to the last marker and the exit line.

use sysgate_tests::{probe, Cmd, Mode, Outcome, TestDir};

fn assert_all_passed(o: &Outcome) {
    let out = o.stdout_str();
    let failed: Vec<&str> = out.lines().filter(|l| l.ends_with("FAILED")).collect();
    assert!(
        o.code() == Some(0) && failed.is_empty() && out.ends_with("all fd checks passed\n"),
        "{}: fd checks failed: {failed:?}\n{o}",
        o.label
    );
}

fn marker(origin: &str, errno: &str) -> String {
    let text = match errno {
        "ENOENT" => "No such file or directory",
        "EMFILE" => "Too many open files",
        _ => unreachable!("only these two are used"),
    };
    format!("openat(AT_FDCWD, \"/nonexistent/sysgate-marker-{origin}\", O_RDONLY) = -1 {errno} ({text})")
}

#[test]
fn probe_passes_natively() {
    let t = TestDir::new("fds-native");
    assert_all_passed(&t.run(&Cmd::new(probe("own_fds_invisible")), Mode::Native));
}

#[test]
fn same_under_run_and_trace() {
    let t = TestDir::new("fds");
    let outs = t.assert_same_everywhere(&Cmd::new(probe("own_fds_invisible")));
    for o in &outs {
        assert_all_passed(o);
    }
}

#[test]
fn trace_survives_to_the_end() {
    let t = TestDir::new("fds-trace");
    let o = t.run(&Cmd::new(probe("own_fds_invisible")), Mode::Trace);
    assert_all_passed(&o);
    o.assert_trace_shape();
    let lines = o.trace_lines();
    let main_pid = lines[0].pid;
    let expected = [
        ("fds-start", "ENOENT", true),
        ("fds-after-close-loop", "ENOENT", true),
        ("fds-after-close-range", "ENOENT", true),
        ("fds-table-full", "EMFILE", true),
        ("fds-after-dup2", "ENOENT", true),
        ("fds-child", "ENOENT", false),
        ("fds-child-after-close-range", "ENOENT", false),
        ("fds-end", "ENOENT", true),
    ];
    let mut last_index = 0;
    for (origin, errno, in_main) in expected {
        let want = marker(origin, errno);
        let hits: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.text == want)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(
            hits.len(),
            1,
            "{}: expected the line `{want}` once, found {} times\n{o}",
            o.label,
            hits.len()
        );
        let l = &lines[hits[0]];
        assert_eq!(
            l.pid == main_pid,
            in_main,
            "{}: marker {origin} from pid {:?}, main process is {main_pid:?}\n{o}",
            o.label,
            l.pid
        );
        if in_main {
            assert!(
                hits[0] > last_index || last_index == 0,
                "{}: marker {origin} out of order\n{o}",
                o.label
            );
            last_index = hits[0];
        }
    }
    // Nothing but the exit of the main process may follow the end marker
    // apart from the probe's own last syscalls (write of its output, exit_group).
    let end = lines
        .iter()
        .position(|l| l.text == marker("fds-end", "ENOENT"))
        .expect("checked");
    for l in &lines[end + 1..] {
        let name = l.syscall_name();
        assert!(
            matches!(name, Some("write" | "exit_group" | "newfstatat" | "fstat"))
                || l.text.starts_with("+++ exited with 0 +++"),
            "{}: unexpected line after the end marker: {}\n{o}",
            o.label,
            l.text
        );
    }
}

/// The hard descriptor limit this test runs with (from /proc/self/limits).
fn hard_nofile_limit() -> u64 {
    let limits = std::fs::read_to_string("/proc/self/limits").expect("/proc/self/limits");
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("Max open files line");
    let hard = line.split_whitespace().nth(4).expect("hard limit column");
    hard.parse()
        .unwrap_or_else(|_| panic!("hard limit {hard:?}"))
}

fn field(o: &Outcome, key: &str) -> String {
    o.stdout_str()
        .lines()
        .find_map(|l| {
            l.strip_prefix(key)
                .and_then(|r| r.strip_prefix(' '))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| panic!("{}: no `{key}` line\n{o}", o.label))
}

/// A program that probes every descriptor below `sysconf(_SC_OPEN_MAX)` with fstat finds
/// exactly what it finds natively — with the soft limit below the hard one (the runtime's
/// descriptors sit above the soft limit) and with both equal (the usual case for root in
/// containers: they then sit at the top of the table, and the soft limit the program sees is
/// that much lower unless sysgate may raise the hard limit). In both cases sites are still
/// rewritten: the rewriter's own descriptor is placed beside the others.
#[test]
fn descriptor_probes_find_only_the_programs_own() {
    let t = TestDir::new("fd-limits");
    let hard = hard_nofile_limit();
    let probe = probe("fd_limits");
    let sg = sysgate_tests::sysgate_bin();
    for soft in [hard.min(1024), hard] {
        let limit = format!("--nofile={soft}:{hard}");
        let native = t.run_plain(
            "native",
            &Cmd::new("prlimit").args([limit.as_str(), "--"]).arg(&probe),
            None,
        );
        assert_eq!(native.code(), Some(0), "{native}");
        assert_eq!(
            field(&native, "limit"),
            format!("{soft} {hard}"),
            "{native}"
        );
        assert_eq!(field(&native, "rewritten"), "0", "{native}");
        for tool in ["run", "trace"] {
            let mut cmd = Cmd::new("prlimit")
                .args([limit.as_str(), "--"])
                .arg(&sg)
                .arg(tool);
            if tool == "trace" {
                cmd = cmd.args([
                    "-f",
                    "-o",
                    t.trace_file("fd-limits").to_str().expect("utf-8 path"),
                ]);
            }
            let o = t.run_plain(
                &format!("sysgate {tool}, soft {soft}"),
                &cmd.arg("--").arg(&probe),
                None,
            );
            assert_eq!(o.code(), Some(0), "{o}");
            assert_eq!(
                field(&o, "fds"),
                field(&native, "fds"),
                "{}: descriptors found\n{o}",
                o.label
            );
            assert_eq!(
                field(&o, "rewritten"),
                "1",
                "{}: site not rewritten\n{o}",
                o.label
            );
            let seen = field(&o, "limit");
            let lowered = format!("{} {hard}", hard - 64);
            assert!(
                seen == format!("{soft} {hard}")
                    || (soft == hard && hard >= 8000 && seen == lowered),
                "{}: limits {seen:?}, natively {soft} {hard}\n{o}",
                o.label
            );
        }
    }
}

/// `closeall` closes every descriptor up to its hard limit and dup2()s over the top 256, where
/// the runtime's descriptors live; the trace file must get every marker, from both threads,
/// whether or not the tool wants `close` and `dup2` (when it does not, the entry filters them
/// by number), with one file or one per process (`-ff`). `run` and `count` see what the
/// program sees natively.
#[test]
fn descriptors_moved_under_the_tracer_keep_every_line() {
    let t = TestDir::new("fds-closeall");
    let native = t.run(&Cmd::new(probe("close_every_fd")), Mode::Native);
    assert_eq!(native.code(), Some(0), "{native}");
    assert!(
        native.stdout_str().ends_with(", dup2 failures 0\n"),
        "{native}"
    );
    for args in [&["run"][..], &["count", "-o", "/dev/null"]] {
        let o = t.run_sysgate(args, &Cmd::new(probe("close_every_fd")), None);
        assert_eq!(o.code(), Some(0), "{o}");
        assert_eq!(
            o.stdout_str(),
            native.stdout_str(),
            "sysgate {}\n{o}",
            args.join(" ")
        );
    }
    let markers = [
        "closeall-thread",
        "closeall-start",
        "closeall-after-close",
        "closeall-after-dup2",
    ];
    for filter in [None, Some("trace=openat")] {
        for per_process in [false, true] {
            let tag = format!(
                "{}-{}",
                if per_process { "ff" } else { "f" },
                filter.map_or("all", |_| "openat")
            );
            let dir = t.subdir(&tag);
            let file = dir.join("trace");
            let f = file.to_string_lossy().into_owned();
            let mut args = vec!["trace", if per_process { "-ff" } else { "-f" }, "-o", &f];
            if let Some(e) = filter {
                args.extend(["-e", e]);
            }
            let o = t.run_sysgate(&args, &Cmd::new(probe("close_every_fd")), None);
            assert_eq!(o.code(), Some(0), "{o}");
            let mut text = String::new();
            for entry in std::fs::read_dir(&dir).expect("trace dir") {
                text.push_str(
                    &std::fs::read_to_string(entry.expect("entry").path()).unwrap_or_default(),
                );
            }
            // A marker's call may come out in two halves (`<unfinished ...>`, `<... openat
            // resumed>`) when the other thread's line ends while it runs, as under strace.
            let lines = sysgate_tests::trace::join_resumed(sysgate_tests::trace::parse(&text));
            for m in markers {
                let want_args = format!("AT_FDCWD, \"/nonexistent/sysgate-marker-{m}\", O_RDONLY");
                let found = lines
                    .iter()
                    .filter(|l| match &l.event {
                        sysgate_tests::Event::Syscall { name, args, result } => {
                            name == "openat"
                                && args.trim() == want_args
                                && result.as_deref()
                                    == Some("-1 ENOENT (No such file or directory)")
                        }
                        _ => false,
                    })
                    .count();
                assert_eq!(found, 1, "sysgate {}: marker {m}\n{text}", args.join(" "));
            }
            assert!(
                !o.stdout_str().contains("openat("),
                "no trace line reaches the program's stdout\n{o}"
            );
        }
    }
}

//! `sysgate count` and `sysgate trace -c`/`-C`: per-syscall calls, errors and time for the
//! whole process tree (threads, fork children, exec'd images), printed like `strace -c`.

use std::collections::BTreeMap;
use sysgate_tests::{probe, require_tools, Cmd, TestDir};

/// (calls, errors) of a row.
type Row = (u64, u64);

/// The rows of a summary table by syscall name, and the total row.
fn rows(text: &str) -> (BTreeMap<String, Row>, Option<Row>) {
    let mut m = BTreeMap::new();
    let mut total = None;
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 5 || f[0].parse::<f64>().is_err() {
            continue;
        }
        // % time, seconds, usecs/call, calls, [errors], name
        let calls: u64 = f[3].parse().unwrap();
        let (errors, name) = if f.len() == 6 {
            (f[4].parse().unwrap(), f[5])
        } else {
            (0, f[4])
        };
        if name == "total" {
            total = Some((calls, errors));
        } else {
            m.insert(name.to_string(), (calls, errors));
        }
    }
    (m, total)
}

/// The header, the rules and the column widths are strace's.
fn assert_strace_layout(text: &str) {
    let lines: Vec<&str> = text.lines().collect();
    let head = lines
        .iter()
        .position(|l| l.starts_with("% time"))
        .unwrap_or_else(|| panic!("no header\n{text}"));
    assert_eq!(
        lines[head],
        "% time     seconds  usecs/call     calls    errors syscall"
    );
    assert_eq!(
        lines[head + 1],
        "------ ----------- ----------- --------- --------- ----------------"
    );
    let end = lines.iter().rposition(|l| l.starts_with("------")).unwrap();
    assert!(lines[end + 1].ends_with(" total"), "{text}");
    assert!(lines[end + 1].starts_with("100.00 "), "{text}");
    for row in &lines[head + 2..end] {
        assert!(!row.ends_with(' '), "no trailing blanks: {row:?}");
        assert_eq!(&row[6..7], " ", "{row:?}");
    }
}

#[test]
fn count_matches_a_probes_known_counts_across_threads_fork_and_exec() {
    let t = TestDir::new("count-probe");
    let o = t.run_sysgate(&["count"], &Cmd::new(probe("count_calls")), None);
    o.assert_exit_code(0);
    assert_eq!(o.stdout_str(), "done 0\n");
    let text = o.stderr_str();
    assert_strace_layout(&text);
    let (m, total) = rows(&text);
    assert_eq!(
        m["getppid"],
        (175, 0),
        "100 main + 50 thread + 25 fork child\n{text}"
    );
    assert_eq!(m["fchdir"], (5, 5), "{text}");
    assert_eq!(
        m["umask"],
        (3, 0),
        "the exec'd image counts into the same table\n{text}"
    );
    assert_eq!(m["getpgrp"], (1, 0), "{text}");
    assert_eq!(
        m["execve"].0, 2,
        "the first image and the child's exec\n{text}"
    );
    assert!(
        !m.contains_key("exit_group"),
        "calls that do not return are not counted (as in strace)\n{text}"
    );
    let (calls, errors) = total.unwrap();
    assert_eq!(calls, m.values().map(|v| v.0).sum::<u64>());
    assert_eq!(errors, m.values().map(|v| v.1).sum::<u64>());
}

/// More threads alive at once than there are per-thread counter slots (the rest count into
/// the shared table), slots of threads that died without `exit` taken over, and signal
/// handlers counting in the middle of their thread's counting (past the first calls, in the
/// entry's counting stubs): every call is counted once, every failure as an error.
#[test]
fn count_is_exact_with_a_crowd_of_threads_and_signal_handlers() {
    let t = TestDir::new("count-crowd");
    let o = t.run_sysgate(
        &["count"],
        &Cmd::new(probe("count_calls")).arg("crowd"),
        None,
    );
    o.assert_exit_code(0);
    let handlers: u64 = o
        .stdout_str()
        .strip_prefix("handler ")
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no handler count\n{o}"));
    assert!(handlers > 0, "the timer never fired\n{o}");
    let text = o.stderr_str();
    let (m, _) = rows(&text);
    assert_eq!(m["getppid"], (100 * 7 + 300 * 7 + 100_000, 0), "{text}");
    assert_eq!(
        m["fchdir"],
        (10_000, 10_000),
        "every failed call an error\n{text}"
    );
    assert_eq!(m["getpgrp"], (handlers, 0), "one per handler run\n{text}");
}

#[test]
fn count_agrees_with_strace_c_on_the_probe() {
    if !require_tools("count_agrees_with_strace_c_on_the_probe", &["strace"]) {
        return;
    }
    let t = TestDir::new("count-strace");
    let f = t.trace_file("strace-c");
    let s = t.run_plain(
        "strace -c -f",
        &Cmd::new("strace")
            .args(["-f", "-c", "-o"])
            .arg(&f)
            .arg(probe("count_calls")),
        Some(&f),
    );
    let g = t.run_sysgate(&["count", "-f"], &Cmd::new(probe("count_calls")), None);
    let (sm, _) = rows(s.trace_text());
    let (gm, _) = rows(&g.stderr_str());
    for name in [
        "getppid", "fchdir", "umask", "getpgrp", "execve", "clone", "clone3", "wait4",
    ] {
        assert_eq!(
            sm.get(name),
            gm.get(name),
            "{name}: strace -c -f and sysgate count differ\n{}\n{}",
            s.trace_text(),
            g.stderr_str()
        );
    }
}

#[test]
fn trace_c_sorts_and_filters_like_strace() {
    let t = TestDir::new("count-trace-c");
    let out = t.trace_file("summary");
    let o = t.run_sysgate(
        &[
            "trace",
            "-f",
            "-c",
            "-S",
            "calls",
            "-e",
            "trace=getppid,fchdir,umask",
            "-o",
            out.to_str().unwrap(),
        ],
        &Cmd::new(probe("count_calls")),
        Some(&out),
    );
    o.assert_exit_code(0);
    let text = o.trace_text();
    assert_strace_layout(text);
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .filter(|n| !n.starts_with('-') && *n != "syscall")
        .collect();
    assert_eq!(
        names,
        ["getppid", "fchdir", "umask", "total"],
        "-S calls, only the -e trace= set\n{text}"
    );
    // Without -f only the first process's own thread is counted (strace's rule).
    let o = t.run_sysgate(
        &["trace", "-c", "-e", "trace=getppid"],
        &Cmd::new(probe("count_calls")),
        None,
    );
    let (m, _) = rows(&o.stderr_str());
    assert_eq!(m["getppid"], (100, 0), "{}", o.stderr_str());
}

#[test]
fn trace_cap_c_prints_the_trace_and_the_summary() {
    let t = TestDir::new("count-trace-cap-c");
    let out = t.trace_file("both");
    let o = t.run_sysgate(
        &[
            "trace",
            "-C",
            "-e",
            "trace=fchdir",
            "-o",
            out.to_str().unwrap(),
        ],
        &Cmd::new(probe("count_calls")),
        Some(&out),
    );
    o.assert_exit_code(0);
    let text = o.trace_text();
    assert_eq!(text.matches("fchdir(-1) ").count(), 5, "{text}");
    let (m, _) = rows(text);
    assert_eq!(m["fchdir"], (5, 5), "{text}");
    assert!(text.find("fchdir(-1)").unwrap() < text.find("% time").unwrap());
}

#[test]
fn count_refuses_bad_sort_keys() {
    let t = TestDir::new("count-bad");
    let o = t.run_sysgate(&["count", "-S", "bogus"], &Cmd::new("true"), None);
    o.assert_exit_code(1);
    assert_eq!(o.stderr_str(), "sysgate: invalid sortby: 'bogus'\n");
    let o = t.run_sysgate(&["trace", "-w"], &Cmd::new("true"), None);
    o.assert_exit_code(1);
    assert!(
        o.stderr_str().contains("only apply to the summary"),
        "{}",
        o.stderr_str()
    );
}

#[test]
fn count_wall_clock_and_real_programs() {
    let t = TestDir::new("count-wall");
    let o = t.run_sysgate(
        &["count", "-w"],
        &Cmd::sh("sleep 0.2; ls / >/dev/null"),
        None,
    );
    o.assert_exit_code(0);
    let text = o.stderr_str();
    assert_strace_layout(&text);
    // -w: the sleep's wall-clock time dominates.
    let first = text.lines().nth(2).unwrap();
    assert!(
        first.ends_with(" clock_nanosleep") || first.ends_with(" wait4"),
        "{text}"
    );
    let secs: f64 = first.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(secs >= 0.19, "{text}");
}

//! A fatal signal sent to `sysgate` (SIGTERM, SIGHUP, SIGINT from `kill`) goes to the program,
//! as strace's `-I` keeps its tracee supervised: the program dies of it, `sysgate` then ends the
//! same way, no program process is left running, and a trace ends with the program's
//! `+++ killed by SIG +++` line.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use sysgate_tests::{sysgate_bin, TestDir};

/// Processes whose command line is exactly `words`.
fn running(words: &[&str]) -> Vec<u32> {
    let want: Vec<u8> = words.iter().flat_map(|w| w.bytes().chain([0])).collect();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c == want))
        .collect()
}

fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `sysgate ARGS -- sleep N` (N unique to the case), sends `sig` to sysgate once the
/// program runs, and checks how everything ended.
fn case(t: &TestDir, args: &[&str], sig: i32, name: &str, n: u32, trace: Option<&Path>) {
    let secs = format!("{n}.5");
    let mut child = Command::new(sysgate_bin())
        .args(args)
        .args(["--", "sleep", &secs])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sysgate");
    wait_for("the program", || !running(&["sleep", &secs]).is_empty());
    if let Some(f) = trace {
        wait_for("the sleep in the trace", || {
            std::fs::read_to_string(f).is_ok_and(|s| s.contains("clock_nanosleep("))
        });
    }
    // kill(1) of sysgate alone, not of its process group.
    let st = Command::new("kill")
        .args([format!("-{sig}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{args:?} {name}: sysgate did not end"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(
        status.signal(),
        Some(sig),
        "{args:?} {name}: sysgate ends like the program"
    );
    assert!(
        running(&["sleep", &secs]).is_empty(),
        "{args:?} {name}: the program was left running"
    );
    if let Some(f) = trace {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(
            text.ends_with(&format!("+++ killed by {name} +++\n")),
            "{args:?}: the trace ends with the program's end\n{text}"
        );
    }
    let _ = t;
}

#[test]
fn fatal_signals_go_to_the_program() {
    let t = TestDir::new("fatal-signals");
    let policy = t.write(
        "p.toml",
        "[[rule]]\nsyscalls = [\"ptrace\"]\naction = \"errno:EPERM\"\n",
    );
    let mut n = 100 + std::process::id() % 800;
    for (sig, name) in [(15, "SIGTERM"), (1, "SIGHUP"), (2, "SIGINT")] {
        n += 1;
        let f = t.trace_file(&format!("trace-{name}"));
        let fs = f.to_str().unwrap();
        case(&t, &["trace", "-o", fs], sig, name, n, Some(&f));
        n += 1;
        case(&t, &["count", "-o", "/dev/null"], sig, name, n, None);
        n += 1;
        case(
            &t,
            &["sandbox", "--policy", policy.to_str().unwrap()],
            sig,
            name,
            n,
            None,
        );
    }
}

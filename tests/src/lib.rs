//! Harness for sysgate's integration tests.
//!
//! The tests run programs three ways — natively, under `sysgate run` and under
//! `sysgate trace -f -o FILE` — and compare what they see. This crate is the
//! only place that knows where the built `sysgate` lives ([`sysgate_bin`]), how
//! the C probes in `tests/probes/` are compiled ([`probe`]), how a command is
//! run with a time limit and its output captured ([`TestDir::run`]), and how a
//! strace-format trace is read back ([`trace`]).
//!
//! The tests expect `target/<profile>/sysgate` to exist: build it first with
//! `cargo build --release` (`scripts/test` does both).

#![forbid(unsafe_code)]

pub mod fidelity;
pub mod probe;
pub mod run;
pub mod sdk;
pub mod trace;

use std::env;
use std::path::{Path, PathBuf};

pub use probe::{probe, probe_lib, probe_static};
pub use run::{Cmd, Mode, Outcome, TestDir};
pub use trace::{Event, TraceLine};

/// `target/<profile>`: the directory holding the test binary's `deps/`.
///
/// `SYSGATE_TARGET_DIR` overrides it (the directory that holds `sysgate`).
pub fn target_dir() -> PathBuf {
    if let Some(dir) = env::var_os("SYSGATE_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let exe = env::current_exe().expect("current_exe");
    let dir = exe.parent().expect("test binary has a parent directory");
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.parent().expect("deps/ has a parent").to_path_buf()
    } else {
        dir.to_path_buf()
    }
}

/// The `sysgate` binary under test (`SYSGATE` overrides the path).
///
/// Panics with instructions when it has not been built.
pub fn sysgate_bin() -> PathBuf {
    let path = match env::var_os("SYSGATE") {
        Some(p) => PathBuf::from(p),
        None => target_dir().join("sysgate"),
    };
    if !path.is_file() {
        panic!(
            "sysgate binary not found at {}.\n\
             Build the workspace first: `cargo build --release` \
             (then `cargo test --release`), or run `scripts/test` which does both.",
            path.display()
        );
    }
    path
}

/// Whether the tests run as root (real uid 0): needed to make root-owned set-user-ID files and
/// to become another user.
pub fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|v| v.split_whitespace().next())
        == Some("0")
}

/// Runs `argv` as `nobody` (group `nogroup`, no supplementary groups, `HOME=/nonexistent`)
/// in `dir`, with `setpriv`.
pub fn as_nobody(dir: &Path, argv: &[&str]) -> std::process::Output {
    std::process::Command::new("setpriv")
        .args([
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            "env",
            "HOME=/nonexistent",
        ])
        .args(argv)
        .current_dir(dir)
        .output()
        .expect("setpriv")
}

/// Full path of `tool` found on PATH (or `tool` itself if it is a path to an executable).
pub fn which(tool: &str) -> Option<PathBuf> {
    if tool.contains('/') {
        let p = PathBuf::from(tool);
        return is_executable(&p).then_some(p);
    }
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// True when every tool is on PATH. Otherwise prints why `test` is skipped
/// (visible with `--nocapture` and in the captured output) and returns false.
pub fn require_tools(test: &str, tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| which(t).is_none())
        .collect();
    if missing.is_empty() {
        return true;
    }
    eprintln!(
        "SKIPPED {test}: {} not found on PATH (scripts/install-deps installs it)",
        missing.join(", ")
    );
    false
}

/// `s` with every run of decimal digits replaced by `with` (pids, times and addresses differ
/// between two runs).
pub fn blank_digits(s: &str, with: char) -> String {
    let mut out = String::with_capacity(s.len());
    let mut digits = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !digits {
                out.push(with);
            }
            digits = true;
        } else {
            digits = false;
            out.push(c);
        }
    }
    out
}

/// The name of signal `n` as strace prints it (`SIGSEGV`): the table the tracer prints from.
pub fn signal_name(n: i32) -> String {
    sysgate_abi::signal::name(n).map_or_else(|| n.to_string(), str::to_string)
}

/// A readable account of where two outputs first differ.
pub fn describe_difference(what: &str, expected: &[u8], actual: &[u8]) -> String {
    let e = String::from_utf8_lossy(expected);
    let a = String::from_utf8_lossy(actual);
    let el: Vec<&str> = e.split_inclusive('\n').collect();
    let al: Vec<&str> = a.split_inclusive('\n').collect();
    let first = el
        .iter()
        .zip(al.iter())
        .position(|(x, y)| x != y)
        .unwrap_or(el.len().min(al.len()));
    let context = |lines: &[&str]| -> String {
        let lo = first.saturating_sub(3);
        let hi = (first + 4).min(lines.len());
        lines[lo..hi]
            .iter()
            .enumerate()
            .map(|(i, l)| format!("  {:>6} | {}", lo + i + 1, l.trim_end_matches('\n')))
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "{what} differs at line {} (expected {} lines / {} bytes, got {} lines / {} bytes)\n\
         expected:\n{}\n\
         got:\n{}",
        first + 1,
        el.len(),
        expected.len(),
        al.len(),
        actual.len(),
        context(&el),
        context(&al),
    )
}

/// Asserts that a probe run exited 0, reported no `FAILED` check and ended its output with
/// `last` (the probe's "all … checks passed" line).
pub fn assert_probe_ok(o: &Outcome, last: &str) {
    let out = o.stdout_str();
    let failed: Vec<&str> = out.lines().filter(|l| l.ends_with("FAILED")).collect();
    assert!(
        o.code() == Some(0) && failed.is_empty() && out.ends_with(last),
        "{}: checks failed: {failed:?}\n{o}",
        o.label
    );
}

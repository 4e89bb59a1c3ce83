//! Trace output through the `sysgate` process: the program's threads hand their lines over as
//! they make them, so a program that dies in any way loses none; a call that blocks shows at
//! once, and in strace's `<unfinished ...>`/`<... NAME resumed>` halves when another thread's
//! lines come between.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use sysgate_tests::{probe, require_tools, sysgate_bin, Cmd, TestDir};

/// The `close(-N)` arguments of a trace, in order.
fn closes(text: &str) -> Vec<i64> {
    text.lines()
        .filter_map(|l| {
            let at = l.find("close(-")?;
            let rest = &l[at + 7..];
            let end = rest.find(')')?;
            rest[..end].parse::<i64>().ok()
        })
        .collect()
}

/// Runs the kill probe in `mode` under `sysgate trace -f -o`, and checks that `expect_calls`
/// close lines are all there, once each, and what the trace ends with.
fn kill_probe(mode: &str, signal: i32, expect_calls: i64) -> String {
    let t = TestDir::new(&format!("killed-{mode}"));
    let f = t.trace_file(mode);
    let fs = f.display().to_string();
    let o = t.run_sysgate(
        &["trace", "-f", "-o", &fs],
        &Cmd::new(probe("killed_mid_trace")).arg(mode),
        Some(&f),
    );
    assert_eq!(o.signal(), Some(signal), "{o}");
    let text = o.trace_text().to_string();
    let mut seen = closes(&text);
    seen.sort_unstable();
    let want: Vec<i64> = (1..=expect_calls).collect();
    assert!(
        seen == want,
        "{mode}: {} close lines of {expect_calls} (first missing: {:?})\n{o}",
        seen.len(),
        want.iter().find(|n| seen.binary_search(n).is_err())
    );
    text
}

fn last_line(text: &str) -> &str {
    text.lines().last().unwrap_or("")
}

#[test]
fn raise_sigkill_loses_no_line() {
    let text = kill_probe("raise", 9, 10000);
    let lines: Vec<&str> = text.lines().collect();
    let n = lines.len();
    assert!(n >= 2, "{text}");
    // strace's ending: the call the process died in, then its death.
    assert!(
        lines[n - 2].contains("tgkill(") && lines[n - 2].ends_with(" = ?"),
        "{}",
        lines[n - 2]
    );
    assert!(
        last_line(&text).ends_with("+++ killed by SIGKILL +++"),
        "{text}"
    );
}

#[test]
fn raise_sigkill_with_four_threads_loses_no_line() {
    let text = kill_probe("threads", 9, 10000);
    // Each worker died inside its read(): strace's `<... read resumed> <unfinished ...>) = ?`
    // (or `read(3,  <unfinished ...>) = ?` when its half was the last line).
    let died_in_read = text
        .lines()
        .filter(|l| l.contains("read") && l.contains("<unfinished ...>) = ?"))
        .count();
    assert_eq!(died_in_read, 4, "{text}");
    let killed: Vec<&str> = text
        .lines()
        .filter(|l| l.ends_with("+++ killed by SIGKILL +++"))
        .collect();
    assert_eq!(killed.len(), 5, "a killed line per thread\n{text}");
    assert!(
        last_line(&text).ends_with("+++ killed by SIGKILL +++"),
        "{text}"
    );
    // Every line is whole: a pid, then a call, a resumed call or a +++ line.
    for l in text.lines().skip(1) {
        let rest = l.split_once(' ').map_or(l, |(_, r)| r).trim_start();
        assert!(
            rest.starts_with("+++")
                || rest.starts_with("<...")
                || rest.starts_with("---")
                || rest.contains('('),
            "not a whole line: {l:?}"
        );
    }
}

#[test]
fn sigsegv_loses_no_line() {
    let text = kill_probe("segv", 11, 10000);
    assert!(
        text.contains("--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---"),
        "{text}"
    );
    assert!(
        last_line(&text).ends_with("+++ killed by SIGSEGV +++"),
        "{text}"
    );
}

/// `timeout -s KILL` kills the probe from outside while it makes calls as fast as it can (and
/// itself: it signals its whole process group). The probe counts its calls in a file; every
/// counted call has its line.
#[test]
fn killed_from_outside_mid_loop_loses_no_line() {
    if !require_tools("killed_from_outside_mid_loop_loses_no_line", &["timeout"]) {
        return;
    }
    let t = TestDir::new("killed-timeout");
    let f = t.trace_file("timeout");
    let count = t.join("count");
    let fs = f.display().to_string();
    let o = t.run_sysgate(
        &["trace", "-f", "-o", &fs],
        &Cmd::new("timeout")
            .args(["-s", "KILL", "0.5"])
            .arg(probe("killed_mid_trace"))
            .arg("loop")
            .arg(&count),
        Some(&f),
    );
    assert_eq!(o.signal(), Some(9), "{o}");
    let bytes = std::fs::read(&count).expect("the probe's count");
    let done = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as i64;
    assert!(done > 1000, "the probe made only {done} calls\n{o}");
    let text = o.trace_text();
    let seen = closes(text);
    // The calls come in order, one line each, none missing up to the last one counted.
    assert!(
        seen.len() as i64 >= done,
        "{} lines for {done} calls",
        seen.len()
    );
    for (i, n) in seen.iter().enumerate() {
        assert_eq!(*n, i as i64 + 1, "line {i} of the closes");
    }
    assert!(
        last_line(text).ends_with("+++ killed by SIGKILL +++"),
        "{}",
        last_line(text)
    );
}

/// A line with pids and addresses blanked and spaces collapsed.
fn normalise(l: &str) -> String {
    let mut out = String::new();
    let mut chars = l.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '0' && chars.peek() == Some(&'x') {
            chars.next();
            while chars.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                chars.next();
            }
            out.push_str("ADDR");
        } else {
            out.push(c);
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The probe's lines that matter, per thread (the reader's and the main thread's), in order.
fn per_thread(text: &str) -> BTreeMap<&'static str, Vec<String>> {
    let mut map = BTreeMap::new();
    for l in text.lines() {
        let Some((_, rest)) = l.split_once(' ') else {
            continue;
        };
        let rest = rest.trim_start();
        // (The dynamic loader's reads of libraries come before the pipe exists.)
        let pipe_read = rest.starts_with("read(3,") && !rest.contains("ELF");
        let role = if pipe_read || rest.starts_with("<... read resumed>") {
            "reader"
        } else if rest.starts_with("close(-") || rest.starts_with("write(4,") {
            "main"
        } else if let Some(end) = rest.strip_prefix("<... write resumed>") {
            // Whether the reader's line comes between the two halves of the main thread's
            // write is a race (in strace too): the main thread's write is compared whole.
            let lines: &mut Vec<String> = map.entry("main").or_default();
            if let Some(last) = lines.last_mut() {
                if let Some(head) = last.strip_suffix(" <unfinished ...>") {
                    *last = normalise(&format!("{head}{end}"));
                }
            }
            continue;
        } else {
            continue;
        };
        map.entry(role)
            .or_insert_with(Vec::new)
            .push(normalise(rest));
    }
    map
}

#[test]
fn blocked_read_shows_unfinished_and_resumed_as_strace_does() {
    if !require_tools(
        "blocked_read_shows_unfinished_and_resumed_as_strace_does",
        &["strace"],
    ) {
        return;
    }
    let t = TestDir::new("blocked-read");
    let prog = probe("blocked_read_pair");
    let f1 = t.trace_file("strace");
    let s = t.run_plain(
        "strace -f",
        &Cmd::new("strace").arg("-f").arg("-o").arg(&f1).arg(&prog),
        Some(&f1),
    );
    assert_eq!(s.code(), Some(0), "{s}");
    let f2 = t.trace_file("sysgate");
    let f2s = f2.display().to_string();
    let o = t.run_sysgate(&["trace", "-f", "-o", &f2s], &Cmd::new(&prog), Some(&f2));
    assert_eq!(o.code(), Some(0), "{o}");
    let want = per_thread(s.trace_text());
    let got = per_thread(o.trace_text());
    assert_eq!(
        want.get("reader").map(Vec::as_slice),
        Some(
            &[
                "read(3, <unfinished ...>".to_string(),
                "<... read resumed>\"x\", 16) = 1".to_string()
            ][..]
        ),
        "strace's own lines are not what this test expects\n{s}"
    );
    assert_eq!(got, want, "\n{o}\n{s}");
}

/// Whoever tails the file of a program blocked in a call sees the call: strace's entry half
/// `clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=3, tv_nsec=0}, ` is in the file while `sleep`
/// still sleeps, and its line ends when the call returns.
#[test]
fn a_sleeping_program_shows_the_call_it_sleeps_in() {
    let t = TestDir::new("sleep-entry");
    let f = t.trace_file("sleep");
    let started = Instant::now();
    let mut child = std::process::Command::new(sysgate_bin())
        .args(["trace", "-o"])
        .arg(&f)
        .args(["--", "sleep", "3"])
        .spawn()
        .expect("start sysgate");
    let entry = "clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=3, tv_nsec=0}, ";
    let mut seen_after = None;
    while started.elapsed() < Duration::from_millis(2500) {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        if text.ends_with(entry) {
            seen_after = Some(started.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = child.wait().expect("wait for sysgate");
    assert!(status.success(), "{status:?}");
    let text = std::fs::read_to_string(&f).expect("trace file");
    let seen_after = seen_after.unwrap_or_else(|| panic!("no entry half while sleeping\n{text}"));
    eprintln!(
        "entry half seen {} ms after the start",
        seen_after.as_millis()
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with(entry) && l.ends_with(" = 0")),
        "the line was not completed\n{text}"
    );
    assert!(text.ends_with("+++ exited with 0 +++\n"), "{text}");
}

/// The number of records a run's rings carried, from `--stats`.
fn records(o: &sysgate_tests::Outcome) -> u64 {
    let s = o.stderr_str();
    s.lines()
        .find_map(|l| l.strip_prefix("sysgate: ")?.split_once(" records;"))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("no records figure in stderr\n{o}"))
}

/// A read of a regular file on a local file system never waits on another process, so its
/// call is recorded once, whole, with no entry half; a read of a procfs file (some of which
/// wait on the kernel, as `/proc/kmsg` does) keeps its entry half. The lines are the same.
#[test]
fn reads_of_local_regular_files_carry_no_entry_half() {
    let t = TestDir::new("file-reads");
    let local = t.join("data");
    std::fs::write(&local, b"x").expect("write data file");
    let fstype = std::process::Command::new("stat")
        .args(["-f", "-c", "%T"])
        .arg(t.path())
        .output()
        .expect("stat -f");
    let fstype = String::from_utf8_lossy(&fstype.stdout).trim().to_string();
    let local = if ["ext2/ext3", "xfs", "btrfs", "tmpfs", "overlayfs"].contains(&fstype.as_str()) {
        local
    } else {
        eprintln!("test directory on {fstype}: using /dev/shm");
        let p = std::path::PathBuf::from(format!(
            "/dev/shm/sysgate-file-reads-{}",
            std::process::id()
        ));
        std::fs::write(&p, b"x").expect("write /dev/shm file");
        p
    };
    const N: u64 = 500;
    let run = |path: &std::path::Path| {
        let f = t.trace_file("reads");
        let fs = f.display().to_string();
        let o = t.run_sysgate(
            &["trace", "--stats", "-o", &fs],
            &Cmd::new(probe("file_reads")).arg(path).arg(N.to_string()),
            Some(&f),
        );
        o.assert_exit_code(0);
        let preads = o
            .trace_text()
            .lines()
            .filter(|l| l.starts_with("pread64(3, ") && l.ends_with(" = 1"))
            .count() as u64;
        assert_eq!(preads, N, "whole pread64 lines\n{o}");
        records(&o)
    };
    let on_file = run(&local);
    let on_proc = run(std::path::Path::new("/proc/self/stat"));
    if local.starts_with("/dev/shm") {
        let _ = std::fs::remove_file(&local);
    }
    eprintln!("records: {on_file} on a local file, {on_proc} on procfs");
    assert!(
        on_proc >= on_file + N,
        "{N} procfs reads should carry {N} entry halves more than local-file reads: {on_proc} vs {on_file}"
    );
}

/// Whether a file is local is asked of the kernel (`fstatfs`) once per block device, not
/// once per file: `cat` of 40 files of the test directory makes one or two `fstatfs` when
/// the directory is on a disk, one per file on an anonymous device (tmpfs, overlayfs), whose
/// numbers the kernel reuses. Counted by strace around sysgate; the reads carry no entry half
/// either way.
#[test]
fn local_file_check_is_made_once_per_block_device() {
    use std::os::unix::fs::MetadataExt;
    if !require_tools(
        "local_file_check_is_made_once_per_block_device",
        &["strace", "cat"],
    ) {
        return;
    }
    let t = TestDir::new("fstatfs-once");
    const FILES: usize = 40;
    let files: Vec<_> = (0..FILES)
        .map(|i| {
            let p = t.join(format!("f{i}"));
            std::fs::write(&p, format!("{i}\n")).expect("write file");
            p
        })
        .collect();
    let dev = std::fs::metadata(t.path()).expect("stat test dir").dev();
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let f = t.trace_file("cat");
    let s = t.trace_file("strace");
    let o = t.run_plain(
        "strace around sysgate",
        &Cmd::new("strace")
            .args(["-f", "-qq", "-e", "trace=fstatfs", "-o"])
            .arg(&s)
            .arg(sysgate_bin())
            .args(["trace", "-o"])
            .arg(&f)
            .args(["--", "cat"])
            .args(&files),
        Some(&s),
    );
    o.assert_exit_code(0);
    let asked = o
        .trace_text()
        .lines()
        .filter(|l| l.contains("fstatfs(") && l.ends_with("= 0"))
        .count();
    let trace = std::fs::read_to_string(&f).expect("read trace");
    let reads = trace.lines().filter(|l| l.starts_with("read(")).count();
    assert!(reads >= 2 * FILES, "reads of every file\n{trace}");
    eprintln!("device major {major}: {asked} fstatfs for {FILES} files");
    if major != 0 {
        assert!(
            asked <= 2,
            "{asked} fstatfs for {FILES} files of one disk\n{o}"
        );
    } else {
        assert!(
            asked >= FILES,
            "{asked} fstatfs for {FILES} files of an anonymous device\n{o}"
        );
    }
}

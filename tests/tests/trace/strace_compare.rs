//! sysgate's trace of `ls /` against strace's.
//!
//! strace sees the dynamic loader from the first instruction; sysgate's trace
//! starts at its execve line and then the syscalls made once the runtime is
//! armed. The comparison drops the loader's part of strace's list by finding
//! where sysgate's first syscalls occur in it, and from there on the two must
//! be the same sequence of syscalls — and, with addresses and random bytes
//! blanked out, the same lines.

use sysgate_tests::trace::{self, Event, TraceLine};
use sysgate_tests::{require_tools, Cmd, Outcome, TestDir};

/// How many of sysgate's first syscalls locate its start in strace's list.
const ANCHOR: usize = 12;

struct Pair {
    strace: Outcome,
    sysgate: Outcome,
}

/// `extra`: options for `sysgate trace` (e.g. `--vdso=native`, which gives the program the
/// kernel's own aux vector, vDSO included, for a line-by-line comparison).
fn trace_ls(t: &TestDir, extra: &[&str]) -> Pair {
    let f1 = t.trace_file("strace");
    let f2 = t.trace_file("sysgate");
    let strace = t.run_plain(
        "strace",
        &Cmd::new("strace").arg("-o").arg(&f1).args(["ls", "/"]),
        Some(&f1),
    );
    assert!(strace.status.success(), "strace ls / failed\n{strace}");
    let f2s = f2.display().to_string();
    let mut args = vec!["trace"];
    args.extend_from_slice(extra);
    args.extend(["-o", &f2s]);
    let sysgate = t.run_sysgate(&args, &Cmd::new("ls").arg("/"), Some(&f2));
    assert!(
        sysgate.status.success(),
        "sysgate trace ls / failed\n{sysgate}"
    );
    assert_eq!(
        sysgate.stdout, strace.stdout,
        "ls / printed different things\n{sysgate}"
    );
    Pair { strace, sysgate }
}

/// Syscall lines of a trace, without the execve line that opens it.
fn syscalls_after_execve(o: &Outcome) -> Vec<TraceLine> {
    let lines: Vec<TraceLine> = o
        .trace_lines()
        .into_iter()
        .filter(|l| l.syscall_name().is_some())
        .collect();
    assert!(
        lines.first().and_then(TraceLine::syscall_name) == Some("execve"),
        "{}: the trace does not start with execve\n{o}",
        o.label
    );
    lines[1..].to_vec()
}

fn names(lines: &[TraceLine]) -> Vec<String> {
    trace::syscall_names(lines)
}

/// Where sysgate's list starts inside strace's: every index `i` such that
/// `strace[i..]` begins with sysgate's first `ANCHOR` names.
fn anchors(strace: &[String], sysgate: &[String]) -> Vec<usize> {
    let n = ANCHOR.min(sysgate.len());
    (0..strace.len().saturating_sub(n) + 1)
        .filter(|&i| strace[i..].len() >= n && strace[i..i + n] == sysgate[..n])
        .collect()
}

fn side_by_side(a: &[String], b: &[String], at: usize) -> String {
    let lo = at.saturating_sub(8);
    let hi = (at + 12).max(lo).min(a.len().max(b.len()));
    let mut s = format!("  {:>5}  {:<32} {}\n", "#", "strace", "sysgate");
    for i in lo..hi {
        let x = a.get(i).map_or("-", String::as_str);
        let y = b.get(i).map_or("-", String::as_str);
        let mark = if x == y { ' ' } else { '*' };
        s.push_str(&format!("{mark} {i:>5}  {x:<32} {y}\n"));
    }
    s
}

fn first_difference<T: PartialEq>(a: &[T], b: &[T]) -> Option<usize> {
    (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i))
}

/// The offset into strace's list at which sysgate's list starts, the
/// anchor that best matches (fully, if any does).
fn align(p: &Pair, s: &[String], g: &[String]) -> usize {
    assert!(
        g.len() >= ANCHOR,
        "sysgate's trace of ls / has only {} syscalls after execve: {g:?}\n{}",
        g.len(),
        p.sysgate
    );
    let candidates = anchors(s, g);
    assert!(
        !candidates.is_empty(),
        "sysgate's first {ANCHOR} syscalls {:?} do not occur in that order in strace's trace {s:?}\n{}",
        &g[..ANCHOR],
        p.sysgate
    );
    *candidates
        .iter()
        .max_by_key(|&&i| first_difference(&s[i..], g).unwrap_or(usize::MAX))
        .expect("non-empty")
}

#[test]
fn ls_syscall_sequence_matches_strace() {
    if !require_tools("ls_syscall_sequence_matches_strace", &["strace", "ls"]) {
        return;
    }
    let t = TestDir::new("strace-names");
    let p = trace_ls(&t, &[]);
    let s = names(&syscalls_after_execve(&p.strace));
    let g = names(&syscalls_after_execve(&p.sysgate));
    let start = align(&p, &s, &g);
    // sysgate's loader arms the runtime before the dynamic loader's first instruction: the
    // trace starts with the same syscall as strace's, right after execve.
    assert_eq!(
        start, 0,
        "sysgate's trace should start where strace's does (the first brk)"
    );
    let s = &s[start..];
    if let Some(i) = first_difference(s, &g) {
        panic!(
            "after dropping strace's first {start} syscalls (the dynamic loader's), the sequences differ \
             at #{i} (strace has {}, sysgate {}):\n{}\nsysgate trace: {}",
            s.len(),
            g.len(),
            side_by_side(s, &g, i),
            p.sysgate.trace_path.as_ref().expect("trace file").display()
        );
    }
}

/// Syscalls whose text legitimately differs between two runs beyond addresses.
const VOLATILE: &[&str] = &["getrandom", "getpid", "gettid", "set_tid_address"];

/// A line as compared: `name(args) = result` without padding, with every hex
/// number blanked (addresses differ from run to run).
fn normalise(l: &TraceLine) -> String {
    let Event::Syscall { name, args, result } = &l.event else {
        return l.text.clone();
    };
    if VOLATILE.contains(&name.as_str()) {
        return format!("{name}(...)");
    }
    let line = format!(
        "{name}({args}) = {}",
        result.as_deref().unwrap_or("<unfinished>")
    );
    blank_hex(&line)
}

fn blank_hex(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'0'
            && b.get(i + 1) == Some(&b'x')
            && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
        {
            out.push_str("0x_");
            i += 2;
            while b.get(i).is_some_and(u8::is_ascii_hexdigit) {
                i += 1;
            }
        } else {
            let c = s[i..].chars().next().expect("in bounds");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

#[test]
fn ls_lines_match_strace() {
    if !require_tools("ls_lines_match_strace", &["strace", "ls"]) {
        return;
    }
    let t = TestDir::new("strace-lines");
    // The default drops the vDSO, which shifts the dynamic loader's own early allocations; with
    // the kernel's aux vector the lines must be the same.
    let p = trace_ls(&t, &["--vdso=native"]);
    let sl = syscalls_after_execve(&p.strace);
    let gl = syscalls_after_execve(&p.sysgate);
    let start = align(&p, &names(&sl), &names(&gl));
    let s: Vec<String> = sl[start..].iter().map(normalise).collect();
    let g: Vec<String> = gl.iter().map(normalise).collect();
    let diffs: Vec<String> = s
        .iter()
        .zip(&g)
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .take(10)
        .map(|(i, (a, b))| format!("  #{i}\n    strace:  {a}\n    sysgate: {b}"))
        .collect();
    assert!(
        diffs.is_empty() && s.len() == g.len(),
        "sysgate's lines differ from strace's (hex numbers blanked; {} vs {} lines):\n{}\n\
         sysgate trace: {}",
        s.len(),
        g.len(),
        diffs.join("\n"),
        p.sysgate.trace_path.as_ref().expect("trace file").display()
    );
    // Both end the same way.
    let exit_s = p.strace.trace_lines().last().map(|l| l.event.clone());
    let exit_g = p.sysgate.trace_lines().last().map(|l| l.event.clone());
    assert_eq!(exit_g, exit_s, "the traces end differently\n{}", p.sysgate);
    assert_eq!(exit_g, Some(Event::Exited(0)));
}

#[test]
fn alignment_finds_the_start() {
    let v = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    let s = v("brk mmap openat read close mmap a b c d e f g h i j k l m");
    let g = v("a b c d e f g h i j k l m");
    assert_eq!(anchors(&s, &g), vec![6]);
    assert_eq!(anchors(&s, &v("x y z")), Vec::<usize>::new());
    assert_eq!(
        blank_hex("mmap(0x7f00aa, 4096) = 0xdead0"),
        "mmap(0x_, 4096) = 0x_"
    );
}

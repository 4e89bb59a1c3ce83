//! Comparing a `sysgate trace -f -o` file with a `strace -f -o` file of the same program, line
//! by line, after normalising what legitimately differs between two runs of one program.
//!
//! What is normalised, and why:
//! - **Tasks.** Lines are grouped per task (pid/tid prefix). Tasks are paired through the
//!   process tree: the roots (first line) pair up, and the k-th successful `clone`/`clone3`/
//!   `fork`/`vfork` of a task pairs the k-th of its partner, through their return values.
//!   Every tid that occurs in a line (return values, `kill`, `wait4`, …) is replaced by the
//!   pair's name `<Pn>`: pids differ from run to run.
//! - **Pre-runtime syscalls.** strace sees a new image from its first instruction; sysgate's
//!   runtime is armed once the dynamic loader has finished (its `execve` line is printed from
//!   the new image). After each successful `execve` of a task the part of strace's lines before
//!   the first line sysgate also has is dropped (and reported as "pre-runtime", not compared).
//! - **Split lines.** strace's `<unfinished ...>` / `<... resumed>` halves are joined; sysgate
//!   prints each call whole when it returns. A call that never returned (the task was killed
//!   in it) has only a first half in strace and no line in sysgate: it is dropped.
//! - **Signal lines** (`--- SIGCHLD {...} ---`): sysgate does not print signal delivery yet;
//!   they are dropped from strace's side and counted separately.
//! - **Addresses.** Every `0x…` number is blanked: mappings and heap addresses differ.
//! - **Random bytes.** `getrandom`'s buffer is blanked (its size and flags are kept).
//! - **Ephemeral ports.** `htons(N)` with N ≥ 32768 (the kernel's ephemeral range) becomes
//!   `htons(<eph>)`: the client side of a loopback connection gets a new port every run.
//! - **A signal that arrives as a call returns.** The kernel runs the handler on the way back
//!   to user space: strace has already printed the call (its line comes first, then
//!   `--- SIGCHLD ---` and the handler's calls up to `rt_sigreturn`), while sysgate formats the
//!   call only once the handler has returned into its entry, so the handler's lines come
//!   first. strace's line of the call a signal followed is moved after the handler's
//!   `rt_sigreturn` where exactly that is the order sysgate has (a signal may also arrive
//!   while the task runs its own code; then nothing moves). Counted as "reordered": printing
//!   strace's order needs the runtime to report a finished call before a program handler runs.
//! - **Machine-wide state.** `sysinfo` (load, free memory, process count) and the free counts
//!   of `statfs` change between any two runs: their numbers are blanked.
//! - **The tracer's own pid.** The first process's parent and process group leader is the
//!   tracer (strace, or sysgate's command): `getppid`/`getpgrp`/`getpgid`/`getsid` results
//!   that are not pids of the trace become `<ext>`.
//! - **Temporary names.** `mkstemp` fills the `XXXXXX` at the end of a name with random
//!   letters: two lines that differ only in up to six letters or digits right before a
//!   string's closing quote are the same.
//! - **Padding.** Lines are compared as `name(args) = result`: strace pads the call to column
//!   40 *including* the pid prefix, whose width depends on the pid.
//!
//! Within each task (and each image of it) the two lists of lines are matched by a longest
//! common subsequence of syscall names; a line is *identical* when its normalised text is the
//! same as its partner's. Lines without a partner count as different.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use crate::trace::{self, Event, TraceLine};

/// Per-syscall tallies.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Lines with this name on either side (a matched pair counts once).
    pub lines: usize,
    /// Of those, identical after normalisation.
    pub same: usize,
}

/// The result of comparing one or more pairs of traces.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub per_name: BTreeMap<String, Tally>,
    /// strace lines before sysgate's runtime was armed (dropped).
    pub pre_runtime: usize,
    /// strace signal lines (dropped).
    pub signals: usize,
    /// strace call lines moved after a signal handler's `rt_sigreturn`.
    pub reordered: usize,
    /// Tasks whose syscall names are not in the same order: `(workload, description)`.
    pub order_mismatches: Vec<(String, String)>,
    /// Tasks that could not be paired: `(workload, description)`.
    pub unpaired: Vec<(String, String)>,
    /// Examples of differing lines per name: `(workload, strace, sysgate)`.
    pub examples: BTreeMap<String, Vec<(String, String, String)>>,
}

impl Report {
    pub fn total(&self) -> Tally {
        let mut t = Tally::default();
        for v in self.per_name.values() {
            t.lines += v.lines;
            t.same += v.same;
        }
        t
    }

    /// Share of identical lines, 0..=1.
    pub fn share(&self) -> f64 {
        let t = self.total();
        if t.lines == 0 {
            1.0
        } else {
            t.same as f64 / t.lines as f64
        }
    }

    /// Syscall names by number of differing lines, worst first.
    pub fn worst(&self, n: usize) -> Vec<(String, Tally)> {
        let mut v: Vec<(String, Tally)> = self
            .per_name
            .iter()
            .filter(|(_, t)| t.same < t.lines)
            .map(|(k, t)| (k.clone(), t.clone()))
            .collect();
        v.sort_by_key(|(k, t)| (std::cmp::Reverse(t.lines - t.same), k.clone()));
        v.truncate(n);
        v
    }

    /// A table per syscall name plus totals, and examples for the worst names.
    pub fn render(&self, examples_per_name: usize) -> String {
        let mut s = String::new();
        let t = self.total();
        let _ = writeln!(
            s,
            "overall: {}/{} lines identical ({:.2}%); {} strace lines before the runtime was armed \
             and {} signal lines not compared; {} strace lines moved after a signal handler",
            t.same,
            t.lines,
            100.0 * self.share(),
            self.pre_runtime,
            self.signals,
            self.reordered
        );
        let _ = writeln!(
            s,
            "{:<24} {:>7} {:>7} {:>8}",
            "syscall", "lines", "same", "share"
        );
        for (name, v) in &self.per_name {
            let _ = writeln!(
                s,
                "{:<24} {:>7} {:>7} {:>7.1}%",
                name,
                v.lines,
                v.same,
                100.0 * v.same as f64 / v.lines.max(1) as f64
            );
        }
        let all = std::env::var_os("FIDELITY_ALL").is_some();
        let worst = self.worst(if all { usize::MAX } else { 10 });
        if !worst.is_empty() {
            let _ = writeln!(s, "worst syscalls (most differing lines):");
            for (name, v) in &worst {
                let _ = writeln!(s, "  {name}: {} of {} differ", v.lines - v.same, v.lines);
                for (w, a, b) in self
                    .examples
                    .get(name)
                    .into_iter()
                    .flatten()
                    .take(examples_per_name)
                {
                    let _ = writeln!(s, "    [{w}]\n      strace:  {a}\n      sysgate: {b}");
                }
            }
        }
        for (w, d) in &self.order_mismatches {
            let _ = writeln!(s, "order differs [{w}]: {d}");
        }
        for (w, d) in &self.unpaired {
            let _ = writeln!(s, "unpaired [{w}]: {d}");
        }
        s
    }

    fn count(&mut self, name: &str, same: bool) {
        let e = self.per_name.entry(name.to_string()).or_default();
        e.lines += 1;
        e.same += usize::from(same);
    }

    fn example(&mut self, name: &str, workload: &str, a: &str, b: &str) {
        let v = self.examples.entry(name.to_string()).or_default();
        if v.len() < 8 {
            v.push((workload.to_string(), a.to_string(), b.to_string()));
        }
    }
}

/// One task's lines (syscalls and its exit), in order.
struct Task {
    lines: Vec<TraceLine>,
    /// Per line: a signal was delivered to the task right after it (strace's traces only).
    signal_after: Vec<bool>,
}

/// Lines per task, and the order in which tasks first appear.
fn tasks(lines: Vec<TraceLine>, signals: &mut usize) -> (Vec<u32>, HashMap<u32, Task>) {
    let mut order = Vec::new();
    let mut map: HashMap<u32, Task> = HashMap::new();
    for l in lines {
        let Some(pid) = l.pid else { continue };
        match &l.event {
            Event::Signal(_) => {
                *signals += 1;
                if let Some(m) = map.get_mut(&pid).and_then(|t| t.signal_after.last_mut()) {
                    *m = true;
                }
                continue;
            }
            // A call that never returned: strace's first half only.
            Event::Syscall { result: None, .. } => continue,
            Event::Syscall { .. } | Event::Exited(_) | Event::Killed(_) => {}
            Event::Resumed { .. } | Event::Other => continue,
        }
        let t = map.entry(pid).or_insert_with(|| {
            order.push(pid);
            Task {
                lines: Vec::new(),
                signal_after: Vec::new(),
            }
        });
        t.lines.push(l);
        t.signal_after.push(false);
    }
    (order, map)
}

/// Puts strace's line of a call that a signal handler followed after the handler's
/// `rt_sigreturn`, where that is the order sysgate printed them in (see the module
/// documentation). `idx` are indices into `lines`; returns how many lines moved.
fn follow_handler_order(
    idx: &mut [usize],
    lines: &[TraceLine],
    marks: &[bool],
    g: &[String],
) -> usize {
    let mut moved = 0;
    let (mut i, mut j) = (0, 0);
    while i < idx.len() && j < g.len() {
        let here = name_of(&lines[idx[i]]);
        if here != g[j] && marks[idx[i]] {
            // The handler: up to the first rt_sigreturn after the call.
            if let Some(end) =
                (i + 1..idx.len()).find(|&k| name_of(&lines[idx[k]]) == "rt_sigreturn")
            {
                let n = end - i;
                let handler_matches = (0..n).all(|d| {
                    g.get(j + d)
                        .is_some_and(|x| *x == name_of(&lines[idx[i + 1 + d]]))
                });
                if handler_matches && g.get(j + n) == Some(&here) {
                    idx[i..=end].rotate_left(1);
                    moved += 1;
                    i += n + 1;
                    j += n + 1;
                    continue;
                }
            }
        }
        i += 1;
        j += 1;
    }
    moved
}

const CLONES: &[&str] = &["clone", "clone3", "fork", "vfork"];

/// Tids of the tasks a task created, in order.
fn children(t: &Task) -> Vec<u32> {
    t.lines
        .iter()
        .filter_map(|l| match &l.event {
            Event::Syscall {
                name,
                result: Some(r),
                ..
            } if CLONES.contains(&name.as_str()) => {
                r.split_whitespace().next()?.parse::<u32>().ok()
            }
            _ => None,
        })
        .collect()
}

fn name_of(l: &TraceLine) -> String {
    match &l.event {
        Event::Syscall { name, .. } => name.clone(),
        Event::Exited(_) | Event::Killed(_) => "+++".to_string(),
        _ => String::new(),
    }
}

/// The normalised text of a line (see the module documentation).
pub fn normalise(l: &TraceLine, tids: &HashMap<u32, String>) -> String {
    let text = match &l.event {
        Event::Syscall { name, args, result } => {
            let args = if name == "getrandom" {
                blank_first_string(args)
            } else {
                args.clone()
            };
            format!("{name}({args}) = {}", result.as_deref().unwrap_or("?"))
        }
        _ => l.text.clone(),
    };
    let text = blank_hex(&text);
    let text = blank_ephemeral_ports(&text);
    let text = match &l.event {
        Event::Syscall { name, .. } if name == "sysinfo" => blank_numbers(&text, &["sysinfo({"]),
        Event::Syscall { name, .. } if name.contains("statfs") => {
            blank_fields(&text, &["f_bfree=", "f_bavail=", "f_ffree="])
        }
        _ => text,
    };
    let text = replace_tids(&text, tids);
    match &l.event {
        Event::Syscall {
            name,
            result: Some(r),
            ..
        } if ["getppid", "getpgrp", "getpgid", "getsid"].contains(&name.as_str())
            && r.parse::<u32>().is_ok() =>
        {
            format!("{}= <ext>", text.rsplit_once("= ").map_or("", |(a, _)| a))
        }
        _ => text,
    }
}

/// Every decimal number after `start` blanked.
fn blank_numbers(s: &str, starts: &[&str]) -> String {
    let Some(at) = starts.iter().find_map(|p| s.find(p).map(|i| i + p.len())) else {
        return s.to_string();
    };
    s[..at].to_string() + &crate::blank_digits(&s[at..], '_')
}

/// The decimal values of the named fields blanked.
fn blank_fields(s: &str, fields: &[&str]) -> String {
    let mut out = s.to_string();
    for f in fields {
        if let Some(i) = out.find(f) {
            let start = i + f.len();
            let n = out[start..].bytes().take_while(u8::is_ascii_digit).count();
            out.replace_range(start..start + n, "_");
        }
    }
    out
}

/// Whether two normalised lines differ only in `mkstemp` suffixes: runs of at most six
/// letters or digits that end right before a closing quote.
pub fn same_but_temp_names(a: &str, b: &str) -> bool {
    if a.len() != b.len() || a == b {
        return a == b;
    }
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let mut i = 0;
    while i < x.len() {
        if x[i] == y[i] {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < x.len() && x[j] != b'"' {
            if !(x[j].is_ascii_alphanumeric() && y[j].is_ascii_alphanumeric()) {
                return false;
            }
            j += 1;
        }
        if j == x.len() || y[j] != b'"' || j - i > 6 {
            return false;
        }
        i = j;
    }
    true
}

/// `0x7ffd1234` → `0x_`.
pub fn blank_hex(s: &str) -> String {
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

/// The first quoted string of an argument list replaced by `"…"` (random bytes).
fn blank_first_string(args: &str) -> String {
    let Some(start) = args.find('"') else {
        return args.to_string();
    };
    let mut end = None;
    let mut esc = false;
    for (i, c) in args[start + 1..].char_indices() {
        match c {
            _ if esc => esc = false,
            '\\' => esc = true,
            '"' => {
                end = Some(start + 1 + i);
                break;
            }
            _ => {}
        }
    }
    match end {
        Some(e) => format!("{}\"…\"{}", &args[..start], &args[e + 1..]),
        None => args.to_string(),
    }
}

fn blank_ephemeral_ports(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    // `htons(45678)` in addresses, `127.0.0.1:45678` in URLs.
    while let Some(i) = [rest.find("htons("), rest.find("127.0.0.1:")]
        .into_iter()
        .flatten()
        .min()
    {
        let skip = if rest[i..].starts_with("htons(") {
            6
        } else {
            10
        };
        out.push_str(&rest[..i + skip]);
        rest = &rest[i + skip..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<u32>() {
            Ok(p) if p >= 32768 => {
                out.push_str("<eph>");
                rest = &rest[digits..];
            }
            _ => {}
        }
    }
    out.push_str(rest);
    out
}

/// Whole decimal numbers that are tids of this trace become their pair's name.
fn replace_tids(s: &str, tids: &HashMap<u32, String>) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut in_str = false;
    while i < b.len() {
        let c = b[i];
        if in_str {
            if c == b'\\' {
                out.push_str(&s[i..(i + 2).min(b.len())]);
                i += 2;
                continue;
            }
            if c == b'"' {
                in_str = false;
            }
        } else if c == b'"' {
            in_str = true;
        } else if c.is_ascii_digit()
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
        {
            let n = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            let word_end =
                !matches!(b.get(i + n), Some(c) if c.is_ascii_alphanumeric() || *c == b'_');
            if word_end {
                if let Some(name) = s[i..i + n].parse::<u32>().ok().and_then(|v| tids.get(&v)) {
                    out.push_str(name);
                    i += n;
                    continue;
                }
            }
            out.push_str(&s[i..i + n]);
            i += n;
            continue;
        }
        let ch = s[i..].chars().next().expect("in bounds");
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// Splits a task's lines at each successful `execve` (the execve line starts its segment).
fn images(lines: &[TraceLine]) -> Vec<&[TraceLine]> {
    let mut cuts = vec![0];
    for (i, l) in lines.iter().enumerate() {
        if let Event::Syscall {
            name,
            result: Some(r),
            ..
        } = &l.event
        {
            if (name == "execve" || name == "execveat") && r == "0" && i > 0 {
                cuts.push(i);
            }
        }
    }
    cuts.push(lines.len());
    cuts.windows(2).map(|w| &lines[w[0]..w[1]]).collect()
}

fn is_exec(l: &TraceLine) -> bool {
    matches!(&l.event, Event::Syscall { name, result: Some(r), .. } if (name == "execve" || name == "execveat") && r == "0")
}

/// How many of sysgate's first names locate its start in strace's list of an image.
const ANCHOR: usize = 8;

/// The number of strace lines of an image (after its execve line) that precede the runtime:
/// the offset where sysgate's first names occur, preferring the longest agreement.
fn pre_runtime_len(s: &[String], g: &[String]) -> usize {
    if g.is_empty() {
        return 0;
    }
    let n = ANCHOR.min(g.len());
    let agree = |off: usize| s[off..].iter().zip(g).take_while(|(a, b)| a == b).count();
    let mut best = (0, 0usize);
    for off in 0..s.len() {
        let a = agree(off);
        if a >= n && a > best.1 {
            best = (off, a);
        }
        if a == g.len() {
            break;
        }
    }
    if best.1 == 0 {
        // No full anchor: the first occurrence of sysgate's first name.
        return s.iter().position(|x| *x == g[0]).unwrap_or(0);
    }
    best.0
}

/// Pairs of indices of a longest common subsequence of `a` and `b`.
fn lcs(a: &[String], b: &[String]) -> Vec<(usize, usize)> {
    let (n, m) = (a.len(), b.len());
    if n == 0 || m == 0 {
        return Vec::new();
    }
    if n.saturating_mul(m) > 40_000_000 {
        // Too big for the table: pair equal names position by position.
        return (0..n.min(m))
            .filter(|&i| a[i] == b[i])
            .map(|i| (i, i))
            .collect();
    }
    let w = m + 1;
    let mut t = vec![0u32; (n + 1) * w];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            t[i * w + j] = if a[i] == b[j] {
                t[(i + 1) * w + j + 1] + 1
            } else {
                t[(i + 1) * w + j].max(t[i * w + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n && j < m {
        if a[i] == b[j] {
            out.push((i, j));
            i += 1;
            j += 1;
        } else if t[(i + 1) * w + j] >= t[i * w + j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// Compares one workload's strace and sysgate traces, adding to `report`.
pub fn compare(workload: &str, strace_text: &str, sysgate_text: &str, report: &mut Report) {
    let (s_order, s_tasks) = tasks(
        trace::join_resumed(trace::parse(strace_text)),
        &mut report.signals,
    );
    let mut ignore = 0;
    let (g_order, g_tasks) = tasks(trace::join_resumed(trace::parse(sysgate_text)), &mut ignore);
    let (Some(&s_root), Some(&g_root)) = (s_order.first(), g_order.first()) else {
        report
            .unpaired
            .push((workload.into(), "a trace is empty".into()));
        return;
    };
    // Pair tasks through the process tree.
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let mut queue = vec![(s_root, g_root)];
    while let Some((s, g)) = queue.pop() {
        pairs.push((s, g));
        let sc = s_tasks.get(&s).map(children).unwrap_or_default();
        let gc = g_tasks.get(&g).map(children).unwrap_or_default();
        if sc.len() != gc.len() {
            report.unpaired.push((
                workload.into(),
                format!(
                    "task {s}/{g} created {} tasks under strace, {} under sysgate",
                    sc.len(),
                    gc.len()
                ),
            ));
        }
        for (a, b) in sc.into_iter().zip(gc) {
            queue.push((a, b));
        }
    }
    pairs.sort_by_key(|(s, _)| s_order.iter().position(|x| x == s));
    let mut s_names = HashMap::new();
    let mut g_names = HashMap::new();
    for (i, (s, g)) in pairs.iter().enumerate() {
        s_names.insert(*s, format!("<P{i}>"));
        g_names.insert(*g, format!("<P{i}>"));
    }
    for (s, g) in &pairs {
        let (Some(st), Some(gt)) = (s_tasks.get(s), g_tasks.get(g)) else {
            let d = format!("task {s}/{g} has no lines on one side");
            report.unpaired.push((workload.into(), d));
            continue;
        };
        compare_task(workload, st, gt, &s_names, &g_names, report);
    }
    for s in s_order
        .iter()
        .filter(|s| !pairs.iter().any(|(x, _)| x == *s))
    {
        let n = s_tasks.get(s).map_or(0, |t| t.lines.len());
        report.unpaired.push((
            workload.into(),
            format!("strace task {s} ({n} lines) has no partner"),
        ));
        for l in &s_tasks[s].lines {
            report.count(&name_of(l), false);
        }
    }
}

fn compare_task(
    workload: &str,
    st: &Task,
    gt: &Task,
    s_tids: &HashMap<u32, String>,
    g_tids: &HashMap<u32, String>,
    report: &mut Report,
) {
    let si = images(&st.lines);
    let gi = images(&gt.lines);
    if si.len() != gi.len() {
        report.order_mismatches.push((
            workload.into(),
            format!(
                "{} images under strace, {} under sysgate",
                si.len(),
                gi.len()
            ),
        ));
    }
    for (k, (s, g)) in si.iter().zip(gi.iter()).enumerate() {
        // Index of the image's first line in the task's lines.
        let base =
            (s.as_ptr() as usize - st.lines.as_ptr() as usize) / std::mem::size_of::<TraceLine>();
        let mut s_range = base..base + s.len();
        let mut g: &[TraceLine] = g;
        // The image's execve line, compared on its own; then drop the pre-runtime part.
        if s.first().is_some_and(is_exec) && g.first().is_some_and(is_exec) {
            let a = normalise(&s[0], s_tids);
            let b = normalise(&g[0], g_tids);
            let same = same_but_temp_names(&a, &b);
            report.count("execve", same);
            if !same {
                report.example("execve", workload, &a, &b);
            }
            g = &g[1..];
            let sn: Vec<String> = s[1..].iter().map(name_of).collect();
            let gn: Vec<String> = g.iter().map(name_of).collect();
            let skip = pre_runtime_len(&sn, &gn);
            report.pre_runtime += skip;
            s_range.start += 1 + skip;
        }
        let gn: Vec<String> = g.iter().map(name_of).collect();
        let mut idx: Vec<usize> = s_range.collect();
        report.reordered += follow_handler_order(&mut idx, &st.lines, &st.signal_after, &gn);
        let s: Vec<&TraceLine> = idx.iter().map(|&i| &st.lines[i]).collect();
        let sn: Vec<String> = s.iter().map(|l| name_of(l)).collect();
        if sn != gn {
            let i = (0..sn.len().max(gn.len()))
                .find(|&i| sn.get(i) != gn.get(i))
                .unwrap_or(0);
            let around = |v: &[String]| v[i.saturating_sub(2)..(i + 3).min(v.len())].join(" ");
            report.order_mismatches.push((
                workload.into(),
                format!(
                    "task {} image {k}: names differ at #{i}: strace [{}] sysgate [{}] ({} vs {} lines)",
                    s_tids.get(&st.lines[0].pid.unwrap_or(0)).map_or("?", String::as_str),
                    around(&sn),
                    around(&gn),
                    sn.len(),
                    gn.len()
                ),
            ));
        }
        let pairs = lcs(&sn, &gn);
        let (mut i, mut j) = (0, 0);
        for &(a, b) in pairs.iter().chain(std::iter::once(&(sn.len(), gn.len()))) {
            for &x in &s[i..a] {
                report.count(&name_of(x), false);
                report.example(
                    &name_of(x),
                    workload,
                    &normalise(x, s_tids),
                    "(no such line)",
                );
            }
            for y in &g[j..b] {
                report.count(&name_of(y), false);
                report.example(
                    &name_of(y),
                    workload,
                    "(no such line)",
                    &normalise(y, g_tids),
                );
            }
            if a < sn.len() {
                let x = normalise(s[a], s_tids);
                let y = normalise(&g[b], g_tids);
                let same = same_but_temp_names(&x, &y);
                report.count(&sn[a], same);
                if !same {
                    report.example(&sn[a], workload, &x, &y);
                }
            }
            i = a + 1;
            j = b + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation() {
        let mut tids = HashMap::new();
        tids.insert(4242u32, "<P1>".to_string());
        let l = trace::parse_line("4242  wait4(4242, \"4242\", 0, NULL) = 4242");
        assert_eq!(
            normalise(&l, &tids),
            "wait4(<P1>, \"4242\", 0, NULL) = <P1>"
        );
        let l = trace::parse_line("1 getrandom(\"\\x01\\x02\", 2, GRND_NONBLOCK) = 2");
        assert_eq!(
            normalise(&l, &tids),
            "getrandom(\"…\", 2, GRND_NONBLOCK) = 2"
        );
        let l =
            trace::parse_line("1 connect(3, {sa_family=AF_INET, sin_port=htons(45678)}, 16) = 0");
        assert_eq!(
            normalise(&l, &tids),
            "connect(3, {sa_family=AF_INET, sin_port=htons(<eph>)}, 16) = 0"
        );
        let l = trace::parse_line("1 mmap(0x7f00, 8192) = 0x7f00");
        assert_eq!(normalise(&l, &tids), "mmap(0x_, 8192) = 0x_");
        let l = trace::parse_line("1 getppid() = 77");
        assert_eq!(normalise(&l, &tids), "getppid() = <ext>");
        assert!(same_but_temp_names(
            "unlink(\".git/tmp_obj_aB3xQz\") = 0",
            "unlink(\".git/tmp_obj_Zz9kLm\") = 0"
        ));
        assert!(!same_but_temp_names(
            "unlink(\"abc\") = 0",
            "unlink(\"abd\") = 1"
        ));
        assert!(!same_but_temp_names(
            "write(1, \"1234567\", 7) = 7",
            "write(1, \"7654321\", 7) = 7"
        ));
    }

    #[test]
    fn alignment_and_lcs() {
        let v = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            pre_runtime_len(&v("brk mmap openat a b c d e f g h"), &v("a b c d e f g h")),
            3
        );
        assert_eq!(lcs(&v("a b c"), &v("a c")), vec![(0, 0), (2, 1)]);
    }

    #[test]
    fn compare_pairs_tasks() {
        let s = "10 execve(\"/x\", [\"x\"], 0x1 /* 1 vars */) = 0\n10 brk(NULL) = 0x5\n10 getpid() = 10\n\
                 10 clone(child_stack=NULL) = 11\n11 exit_group(0) = ?\n11 +++ exited with 0 +++\n\
                 10 wait4(-1, NULL, 0, NULL) = 11\n10 --- SIGCHLD {si_signo=SIGCHLD} ---\n10 rt_sigreturn({mask=[]}) = 11\n\
                 10 +++ exited with 0 +++\n";
        let g = "20 execve(\"/x\", [\"x\"], 0x2 /* 1 vars */) = 0\n20 getpid() = 20\n\
                 20 clone(child_stack=NULL) = 21\n21 exit_group(0) = ?\n21 +++ exited with 0 +++\n\
                 20 rt_sigreturn({mask=[]}) = 21\n20 wait4(-1, NULL, 0, NULL) = 21\n20 +++ exited with 0 +++\n";
        let mut r = Report::default();
        compare("w", s, g, &mut r);
        assert_eq!(r.total().lines, r.total().same, "{}", r.render(3));
        assert_eq!(r.pre_runtime, 1);
        assert_eq!(r.signals, 1);
        assert_eq!(r.reordered, 1);
        assert!(
            r.order_mismatches.is_empty() && r.unpaired.is_empty(),
            "{}",
            r.render(3)
        );
    }
}

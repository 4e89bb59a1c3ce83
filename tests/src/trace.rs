//! Reading strace-format text back: the trace files sysgate writes and the
//! ones strace writes for comparison.
//!
//! A line may carry a pid prefix in either of strace's forms — `12345 ` (the
//! `%-5d ` of `-f -o FILE`) or `[pid 12345] ` (`-f` to stderr) — and is then a
//! syscall (`name(args) = result`), the first or second half of a split
//! syscall (`<unfinished ...>` / `<... name resumed>`), a signal
//! (`--- SIGUSR1 {...} ---`) or an exit (`+++ exited with 0 +++`,
//! `+++ killed by SIGSEGV (core dumped) +++`).

/// One line of a trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceLine {
    /// The pid/tid prefix, if the line had one.
    pub pid: Option<u32>,
    /// The line without its pid prefix.
    pub text: String,
    pub event: Event,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// `name(args) = result`; `result` is `None` for `<unfinished ...>`.
    /// `result` is everything after `= `, e.g. `3`, `?`,
    /// `-1 ENOENT (No such file or directory)`.
    Syscall {
        name: String,
        args: String,
        result: Option<String>,
    },
    /// `<... name resumed>REST`
    Resumed { name: String, rest: String },
    /// `--- SIGxxx {...} ---`: the text between the dashes.
    Signal(String),
    /// `+++ exited with N +++`
    Exited(i32),
    /// `+++ killed by SIGxxx [(core dumped)] +++`: the text after "killed by".
    Killed(String),
    /// Anything else (e.g. a `sysgate:` message).
    Other,
}

impl TraceLine {
    pub fn syscall_name(&self) -> Option<&str> {
        match &self.event {
            Event::Syscall { name, .. } => Some(name),
            _ => None,
        }
    }
}

/// Parses every non-empty line of `text`.
pub fn parse(text: &str) -> Vec<TraceLine> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(parse_line)
        .collect()
}

/// Parses one line.
pub fn parse_line(line: &str) -> TraceLine {
    let (pid, rest) = split_pid(line);
    TraceLine {
        pid,
        text: rest.to_string(),
        event: parse_event(rest),
    }
}

fn split_pid(line: &str) -> (Option<u32>, &str) {
    if let Some(r) = line.strip_prefix("[pid ") {
        if let Some(end) = r.find("] ") {
            if let Ok(pid) = r[..end].trim().parse() {
                return (Some(pid), &r[end + 2..]);
            }
        }
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && line[digits..].starts_with(' ') {
        if let Ok(pid) = line[..digits].parse() {
            return (Some(pid), line[digits..].trim_start_matches(' '));
        }
    }
    (None, line)
}

fn parse_event(s: &str) -> Event {
    if let Some(inner) = s.strip_prefix("+++ ").and_then(|r| r.strip_suffix(" +++")) {
        if let Some(n) = inner.strip_prefix("exited with ") {
            if let Ok(n) = n.trim().parse() {
                return Event::Exited(n);
            }
        }
        if let Some(sig) = inner.strip_prefix("killed by ") {
            return Event::Killed(sig.to_string());
        }
        return Event::Other;
    }
    if let Some(inner) = s.strip_prefix("--- ").and_then(|r| r.strip_suffix(" ---")) {
        return Event::Signal(inner.to_string());
    }
    if let Some(r) = s.strip_prefix("<... ") {
        if let Some(end) = r.find(" resumed>") {
            return Event::Resumed {
                name: r[..end].to_string(),
                rest: r[end + " resumed>".len()..].to_string(),
            };
        }
        return Event::Other;
    }
    let name_len = s
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    if name_len == 0 || !s[name_len..].starts_with('(') {
        return Event::Other;
    }
    let name = s[..name_len].to_string();
    let body = &s[name_len + 1..];
    match matching_paren(body) {
        Some(close) => {
            let args = body[..close].to_string();
            let after = body[close + 1..].trim_start();
            let result = after.strip_prefix('=').map(|r| r.trim().to_string());
            if result.is_none() && !after.is_empty() {
                return Event::Other;
            }
            Event::Syscall { name, args, result }
        }
        None => match body.strip_suffix("<unfinished ...>") {
            // strace writes one space before the marker: `read(3,  <unfinished ...>`.
            Some(args) => Event::Syscall {
                name,
                args: args.strip_suffix(' ').unwrap_or(args).to_string(),
                result: None,
            },
            None => Event::Other,
        },
    }
}

/// Index of the `)` closing an argument list that starts right after a `(`,
/// skipping quoted strings and nested brackets.
fn matching_paren(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if in_str {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '(' | '[' | '{' => depth += 1,
            ')' if depth == 0 => return Some(i),
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Joins each `name(args <unfinished ...>` with its `<... name resumed>rest`
/// line from the same pid into one complete syscall line, at the position of
/// the first half.
pub fn join_resumed(lines: Vec<TraceLine>) -> Vec<TraceLine> {
    let mut out: Vec<TraceLine> = Vec::with_capacity(lines.len());
    for line in lines {
        if let Event::Resumed { name, rest } = &line.event {
            let open = out.iter().rposition(|l| {
                l.pid == line.pid
                    && matches!(&l.event, Event::Syscall { name: n, result: None, .. } if n == name)
            });
            if let Some(i) = open {
                let args_head = match &out[i].event {
                    Event::Syscall { args, .. } => args.clone(),
                    _ => unreachable!(),
                };
                let text = format!("{name}({args_head}{rest}");
                let joined = parse_line(&text);
                out[i] = TraceLine {
                    pid: line.pid,
                    ..joined
                };
                continue;
            }
        }
        out.push(line);
    }
    out
}

/// The syscall names in order (complete and unfinished syscalls).
pub fn syscall_names(lines: &[TraceLine]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| l.syscall_name().map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_prefix_forms() {
        let a = parse_line(
            "12345 openat(AT_FDCWD, \"/x\", O_RDONLY) = -1 ENOENT (No such file or directory)",
        );
        assert_eq!(a.pid, Some(12345));
        assert_eq!(
            a.text,
            "openat(AT_FDCWD, \"/x\", O_RDONLY) = -1 ENOENT (No such file or directory)"
        );
        let b = parse_line("123   close(3)                                = 0");
        assert_eq!(b.pid, Some(123));
        assert_eq!(
            b.event,
            Event::Syscall {
                name: "close".into(),
                args: "3".into(),
                result: Some("0".into())
            }
        );
        let c = parse_line("[pid  4242] getpid() = 4242");
        assert_eq!(c.pid, Some(4242));
        assert_eq!(c.syscall_name(), Some("getpid"));
        let d = parse_line("write(1, \"a) = 5\\\"(\", 7) = 7");
        assert_eq!(d.pid, None);
        assert_eq!(
            d.event,
            Event::Syscall {
                name: "write".into(),
                args: "1, \"a) = 5\\\"(\", 7".into(),
                result: Some("7".into())
            }
        );
    }

    #[test]
    fn exits_signals_and_split_lines() {
        assert_eq!(
            parse_line("77 +++ exited with 3 +++").event,
            Event::Exited(3)
        );
        assert_eq!(
            parse_line("+++ killed by SIGSEGV (core dumped) +++").event,
            Event::Killed("SIGSEGV (core dumped)".into())
        );
        assert_eq!(
            parse_line("--- SIGCHLD {si_signo=SIGCHLD} ---").event,
            Event::Signal("SIGCHLD {si_signo=SIGCHLD}".into())
        );
        assert_eq!(
            parse_line("exit_group(0) = ?").event,
            Event::Syscall {
                name: "exit_group".into(),
                args: "0".into(),
                result: Some("?".into())
            }
        );
        let lines = join_resumed(parse(
            "10 read(3,  <unfinished ...>\n11 getpid() = 10\n10 <... read resumed>\"x\", 1) = 1\n",
        ));
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].pid, Some(10));
        assert_eq!(
            lines[0].event,
            Event::Syscall {
                name: "read".into(),
                args: "3, \"x\", 1".into(),
                result: Some("1".into())
            }
        );
        assert_eq!(syscall_names(&lines), ["read", "getpid"]);
    }

    #[test]
    fn not_syscalls() {
        assert_eq!(
            parse_line("sysgate: warning: something").event,
            Event::Other
        );
        assert_eq!(parse_line("garbage").event, Event::Other);
    }
}

//! Machine-readable trace lines: `--json` (one JSON object per line) and `--perfetto`
//! (Chrome trace-event objects, one per line, that `sysgate` wraps in `{"traceEvents":[…]}`).
//!
//! A call is formatted by the strace formatter first (so the arguments are decoded exactly as
//! the text trace shows them) and that line is taken apart here: the name, the arguments split
//! at their top-level commas, and the result as strace prints it. Output is always valid JSON:
//! the writer keeps room for the closing characters, and a value that does not fit is cut at a
//! character boundary and marked `"truncated":true`.

use core::fmt::Write;

/// A fixed-capacity writer that always has room left to close what it opened.
pub struct Json<'a> {
    buf: &'a mut [u8],
    len: usize,
    /// Bytes kept back for closing brackets and the newline.
    reserve: usize,
    truncated: bool,
}

impl<'a> Json<'a> {
    /// A writer over `buf` that keeps `reserve` bytes for the end of the object.
    pub fn new(buf: &'a mut [u8], reserve: usize) -> Self {
        Json {
            buf,
            len: 0,
            reserve,
            truncated: false,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Whether some value was cut.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    fn room(&self) -> usize {
        self.buf
            .len()
            .saturating_sub(self.reserve)
            .saturating_sub(self.len)
    }

    /// Appends `b` whole if it fits before the reserve; returns whether it did.
    fn put(&mut self, b: &[u8]) -> bool {
        if b.len() > self.room() {
            self.truncated = true;
            return false;
        }
        self.force(b);
        true
    }

    /// Appends `b` into the reserve (closing characters), as far as the buffer goes.
    fn force(&mut self, b: &[u8]) {
        let n = b.len().min(self.buf.len().saturating_sub(self.len));
        if let (Some(dst), Some(src)) = (self.buf.get_mut(self.len..self.len + n), b.get(..n)) {
            dst.copy_from_slice(src);
            self.len += n;
        }
    }

    /// Raw JSON text written whole or not at all (nothing more is written once something
    /// did not fit).
    pub fn raw(&mut self, s: &str) -> bool {
        !self.truncated && self.put(s.as_bytes())
    }

    /// Closing text that must be written even when the body was cut.
    pub fn close(&mut self, s: &str) {
        self.force(s.as_bytes());
    }

    /// `,"key":NUMBER` (or without the comma when `first`), whole or not at all.
    pub fn field_num(&mut self, first: bool, k: &str, args: core::fmt::Arguments<'_>) -> bool {
        let mut tmp = [0u8; 96];
        let mut o = crate::Out::new(&mut tmp);
        let _ = write!(o, "{}\"{}\":", if first { "" } else { "," }, k);
        let _ = o.write_fmt(args);
        let n = if o.truncated() { usize::MAX } else { o.len() };
        !self.truncated && tmp.get(..n).is_some_and(|b| self.put(b))
    }

    /// `,"key":"STRING"`: the string is cut to fit (see [`Json::string`]); false if not
    /// even the key and two quotes fit.
    pub fn field_str(&mut self, first: bool, k: &str, v: &[u8]) -> bool {
        let need = usize::from(!first) + k.len() + 5;
        if self.truncated || need > self.room() {
            self.truncated = true;
            return false;
        }
        if !first {
            self.force(b",");
        }
        self.force(b"\"");
        self.force(k.as_bytes());
        self.force(b"\":");
        self.string(v);
        true
    }

    /// A string value from arbitrary bytes: `"`, `\`, control characters and bytes above
    /// 0x7e are escaped (bytes above 0x7f as `\u00XX`, so the output is always ASCII). Cut
    /// at an escape boundary if it does not fit; the closing quote is always written.
    pub fn string(&mut self, s: &[u8]) {
        self.force(b"\"");
        for &c in s {
            let e: [u8; 6];
            let esc: &[u8] = match c {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\t' => b"\\t",
                b'\r' => b"\\r",
                0x20..=0x7e => core::slice::from_ref(&c),
                _ => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    e = [
                        b'\\',
                        b'u',
                        b'0',
                        b'0',
                        HEX[usize::from(c >> 4)],
                        HEX[usize::from(c & 15)],
                    ];
                    &e
                }
            };
            // Keep 1 byte for the closing quote on top of the reserve.
            if esc.len() + 1 > self.room() {
                self.truncated = true;
                break;
            }
            self.force(esc);
        }
        self.force(b"\"");
    }
}

/// A strace line taken apart: `name(args) = result`.
#[derive(Debug, PartialEq, Eq)]
pub struct Parts<'a> {
    pub name: &'a [u8],
    /// The text between the parentheses.
    pub args: &'a [u8],
    /// What follows ` = ` (without the newline), empty if there is none.
    pub result: &'a [u8],
}

/// Splits a formatted line (`openat(AT_FDCWD, "a(b", O_RDONLY) = 3\n`). `None` if it is not
/// a call line.
pub fn split_line(line: &[u8]) -> Option<Parts<'_>> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let open = line.iter().position(|&b| b == b'(')?;
    let name = line.get(..open)?;
    if name.is_empty() || !name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_') {
        return None;
    }
    let mut depth = 0i32;
    let mut quoted = false;
    let mut escaped = false;
    let mut close = None;
    for (i, &b) in line.iter().enumerate().skip(open) {
        if quoted {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => quoted = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => quoted = true,
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 && b == b')' {
                    close = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let close = close?;
    let args = line.get(open + 1..close)?;
    let rest = line.get(close + 1..)?;
    let result = match rest.windows(3).position(|w| w == b" = ") {
        Some(p) => rest.get(p + 3..)?,
        None => &[],
    };
    Some(Parts { name, args, result })
}

/// Calls `f` with each top-level argument of `args` (split at `, ` outside strings,
/// brackets, braces and parentheses).
pub fn for_each_arg(args: &[u8], mut f: impl FnMut(&[u8])) {
    if args.is_empty() {
        return;
    }
    let (mut depth, mut quoted, mut escaped, mut start) = (0i32, false, false, 0usize);
    let mut i = 0;
    while i < args.len() {
        let b = args[i];
        if quoted {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => quoted = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => quoted = true,
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth -= 1,
                b',' if depth == 0 => {
                    f(args.get(start..i).unwrap_or(&[]));
                    start = i + 1;
                    while args.get(start) == Some(&b' ') {
                        start += 1;
                    }
                    i = start;
                    continue;
                }
                _ => {}
            }
        }
        i += 1;
    }
    f(args.get(start..).unwrap_or(&[]));
}

/// What one JSON line is about.
pub struct Event<'a> {
    pub pid: i32,
    pub tid: i32,
    /// Wall-clock time of the call's entry, ns since the epoch.
    pub time_ns: u64,
    /// Monotonic time of the entry, ns (the Perfetto timeline).
    pub mono_ns: u64,
    /// Time in the call, ns (`None`: it did not return).
    pub duration_ns: Option<u64>,
    /// The strace line of the call.
    pub line: &'a [u8],
    /// The raw result (`-errno` on error); `None` if the call did not return.
    pub ret: Option<i64>,
    /// The call was answered by fault injection.
    pub injected: bool,
    /// The call was delayed by fault injection.
    pub delayed: bool,
}

/// Bytes the JSON writer keeps for closing an object.
pub const RESERVE: usize = 64;

/// `--json`: `{"pid":…,"tid":…,"time":…,"name":…,"args":[…],"result":…,"errno":…,
/// "duration":…,"retval":…}` and a newline. Returns false if the line is not a call line.
pub fn write_call(j: &mut Json<'_>, ev: &Event<'_>) -> bool {
    let Some(p) = split_line(ev.line) else {
        return false;
    };
    j.close("{");
    let _ = j.field_num(true, "pid", format_args!("{}", ev.pid))
        && j.field_num(false, "tid", format_args!("{}", ev.tid))
        && j.field_num(false, "time", format_args!("{}", Secs(ev.time_ns)))
        && j.field_str(false, "name", p.name);
    // The arguments: `"args":[` needs room for its `]` too.
    if j.raw(",\"args\":[") {
        j.reserve += 1;
        let mut first = true;
        for_each_arg(p.args, |a| {
            if j.truncated || (!first && !j.raw(",")) {
                return;
            }
            if !first || j.room() >= 2 {
                j.string(a);
            } else {
                j.truncated = true;
            }
            first = false;
        });
        j.reserve -= 1;
        j.close("]");
    }
    let errno = ev
        .ret
        .and_then(|r| (-4095..0).contains(&r).then_some(-r as i32));
    let _ = match (ev.ret, errno) {
        (None, _) => j.raw(",\"result\":null"),
        (Some(_), Some(_)) => j.raw(",\"result\":-1"),
        (Some(r), None) => j.field_num(false, "result", format_args!("{}", r)),
    } && match (errno, errno.and_then(sysgate_abi::errno::name)) {
        (_, Some(n)) => j.field_str(false, "errno", n.as_bytes()),
        (Some(e), None) => j.field_num(false, "errno", format_args!("{}", e)),
        (None, None) => j.raw(",\"errno\":null"),
    } && match ev.duration_ns {
        Some(d) => j.field_num(false, "duration", format_args!("{}", Secs(d))),
        None => j.raw(",\"duration\":null"),
    } && j.field_str(false, "retval", p.result)
        && (!ev.injected || j.raw(",\"injected\":true"))
        && (!ev.delayed || j.raw(",\"delayed\":true"));
    if j.truncated() {
        j.close(",\"truncated\":true");
    }
    j.close("}\n");
    true
}

/// `--json`: the end of a process, `{"pid":…,"tid":…,"time":…,"exited":CODE}`.
pub fn write_exit(j: &mut Json<'_>, pid: i32, tid: i32, time_ns: u64, code: i32) {
    j.close("{");
    let _ = j.field_num(true, "pid", format_args!("{}", pid))
        && j.field_num(false, "tid", format_args!("{}", tid))
        && j.field_num(false, "time", format_args!("{}", Secs(time_ns)))
        && j.field_num(false, "exited", format_args!("{}", code));
    j.close("}\n");
}

/// `--perfetto`: one complete event (`"ph":"X"`, or an instant `"ph":"i"` for a call that
/// does not return) on the thread's track, followed by `,` and a newline.
pub fn write_trace_event(j: &mut Json<'_>, ev: &Event<'_>) -> bool {
    let Some(p) = split_line(ev.line) else {
        return false;
    };
    j.close("{");
    let _ = j.field_str(true, "name", p.name)
        && j.raw(",\"cat\":\"syscall\"")
        && j.field_num(false, "pid", format_args!("{}", ev.pid))
        && j.field_num(false, "tid", format_args!("{}", ev.tid))
        && j.field_num(false, "ts", format_args!("{}", Micros(ev.mono_ns)))
        && match ev.duration_ns {
            Some(d) => {
                j.raw(",\"ph\":\"X\"") && j.field_num(false, "dur", format_args!("{}", Micros(d)))
            }
            None => j.raw(",\"ph\":\"i\",\"s\":\"t\""),
        };
    if j.raw(",\"args\":{") {
        j.reserve += 1;
        let line = ev.line.strip_suffix(b"\n").unwrap_or(ev.line);
        let call = line
            .get(..line.len().saturating_sub(p.result.len()))
            .unwrap_or(&[]);
        let call = call.strip_suffix(b" = ").unwrap_or(call);
        let call = call
            .iter()
            .rposition(|&b| b != b' ')
            .and_then(|e| call.get(..=e))
            .unwrap_or(call);
        let _ = j.field_str(true, "call", call)
            && j.field_str(false, "result", p.result)
            && (!ev.injected || j.raw(",\"injected\":true"));
        j.reserve -= 1;
        j.close("}");
    }
    j.close("},\n");
    true
}

/// Nanoseconds shown as seconds with microseconds: `1.000012`.
struct Secs(u64);
impl core::fmt::Display for Secs {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{}.{:06}",
            self.0 / 1_000_000_000,
            self.0 % 1_000_000_000 / 1000
        )
    }
}

/// Nanoseconds shown as microseconds with nanoseconds: `12.345` (trace-event `ts`/`dur`).
struct Micros(u64);
impl core::fmt::Display for Micros {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{:03}", self.0 / 1000, self.0 % 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args_of(s: &str) -> Vec<String> {
        let mut v = Vec::new();
        for_each_arg(s.as_bytes(), |a| {
            v.push(String::from_utf8(a.to_vec()).unwrap())
        });
        v
    }

    #[test]
    fn splits_calls_and_arguments() {
        let line = b"openat(AT_FDCWD, \"a(b, \\\"c)\", O_RDONLY|O_CLOEXEC) = 3\n";
        let p = split_line(line).unwrap();
        assert_eq!(p.name, b"openat");
        assert_eq!(p.result, b"3");
        assert_eq!(
            args_of(core::str::from_utf8(p.args).unwrap()),
            ["AT_FDCWD", "\"a(b, \\\"c)\"", "O_RDONLY|O_CLOEXEC"]
        );
        assert_eq!(
            args_of("3, {st_mode=S_IFREG|0644, st_size=3}, [{iov_base=\"x\", iov_len=1}], makedev(0x1, 0x3)"),
            ["3", "{st_mode=S_IFREG|0644, st_size=3}", "[{iov_base=\"x\", iov_len=1}]", "makedev(0x1, 0x3)"]
        );
        assert!(args_of("").is_empty());
        assert!(split_line(b"+++ exited with 0 +++\n").is_none());
        let p = split_line(b"exit_group(0)                           = ?\n").unwrap();
        assert_eq!(p.result, b"?");
    }

    /// Brackets and braces balance outside strings, and strings are closed.
    fn balanced(s: &str) -> bool {
        let (mut stack, mut quoted, mut escaped) = (Vec::new(), false, false);
        for c in s.chars() {
            if quoted {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => quoted = false,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' => quoted = true,
                '[' | '{' => stack.push(c),
                ']' if stack.pop() != Some('[') => return false,
                '}' if stack.pop() != Some('{') => return false,
                _ => {}
            }
        }
        stack.is_empty() && !quoted
    }

    #[test]
    fn json_escapes_and_stays_valid_when_cut() {
        let line = b"write(1, \"\\33[1m\\\"hi\\\"\\n\", 9) = -1 EBADF (Bad file descriptor)\n";
        let ev = Event {
            pid: 10,
            tid: 11,
            time_ns: 1_700_000_000_123_456_789,
            mono_ns: 5_000,
            duration_ns: Some(12_345),
            line,
            ret: Some(-9),
            injected: true,
            delayed: false,
        };
        let mut buf = [0u8; 1024];
        let mut j = Json::new(&mut buf, RESERVE);
        assert!(write_call(&mut j, &ev));
        let s = core::str::from_utf8(j.as_bytes()).unwrap();
        assert_eq!(
            s,
            "{\"pid\":10,\"tid\":11,\"time\":1700000000.123456,\"name\":\"write\",\"args\":[\"1\",\"\\\"\\\\33[1m\\\\\\\"hi\\\\\\\"\\\\n\\\"\",\"9\"],\"result\":-1,\"errno\":\"EBADF\",\"duration\":0.000012,\"retval\":\"-1 EBADF (Bad file descriptor)\",\"injected\":true}\n"
        );
        // Cut anywhere: still one closed object.
        for cap in 70..200 {
            let mut buf = vec![0u8; cap];
            let mut j = Json::new(&mut buf, RESERVE);
            write_call(&mut j, &ev);
            let s = core::str::from_utf8(j.as_bytes()).unwrap();
            assert!(s.ends_with("}\n"), "{cap}: {s}");
            assert!(balanced(s), "{cap}: {s}");
        }
    }

    #[test]
    fn trace_events() {
        let ev = Event {
            pid: 1,
            tid: 2,
            time_ns: 0,
            mono_ns: 1_234_567,
            duration_ns: Some(2_500),
            line: b"close(3)                                = 0\n",
            ret: Some(0),
            injected: false,
            delayed: false,
        };
        let mut buf = [0u8; 512];
        let mut j = Json::new(&mut buf, RESERVE);
        assert!(write_trace_event(&mut j, &ev));
        assert_eq!(
            core::str::from_utf8(j.as_bytes()).unwrap(),
            "{\"name\":\"close\",\"cat\":\"syscall\",\"pid\":1,\"tid\":2,\"ts\":1234.567,\"ph\":\"X\",\"dur\":2.500,\"args\":{\"call\":\"close(3)\",\"result\":\"0\"}},\n"
        );
    }
}

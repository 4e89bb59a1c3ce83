//! Trace output, owned by the `sysgate` process: a thread that takes the records the program's
//! threads leave in their rings (`sysgate_launch::rings`), puts them in the order the calls
//! ended, and writes them to the sink (stderr, `-o FILE`, `-o |CMD`, one file per process).
//!
//! A call that may block first leaves its entry half (`read(3, `). If its line comes next in
//! its stream, the two make one line. If another line must come out first, the entry half is
//! ended with ` <unfinished ...>` and the line comes later as `<... read resumed>…`, as strace
//! prints them. An entry half still open at the end of a round is written out as it is (the
//! line's end follows when the call returns), so whoever watches the file sees the call a
//! program is blocked in within one round (`ROUND`). A thread that dies inside a call gets
//! strace's `) = ?` ending.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::start::Sink;
use sysgate_abi::ring::{flags, kind, Record, RESULT_COLUMN};
use sysgate_launch::rings::{Rings, Taken};

/// Longest a round waits for the program's threads to ring the doorbell.
const ROUND: Duration = Duration::from_millis(10);
/// The wait after a round that took at least `BUSY_BYTES` out of the rings.
const BUSY_ROUND: Duration = Duration::from_millis(1);
const BUSY_BYTES: u64 = 16 * 1024;

/// An entry half, from its record until the call's line (or the thread's death) ends it.
struct Entry {
    text: Vec<u8>,
    head: usize,
    /// The thread's process.
    pid: u32,
    /// It stops before an argument the kernel fills in ([`flags::STOPPED`]).
    stopped: bool,
    /// Its bytes are in the stream already (as the open, unfinished last line).
    written: bool,
}

/// One output stream: the sink, or with `-ff` one process's file.
#[derive(Default)]
struct Stream {
    buf: Vec<u8>,
    /// The thread whose entry half is the stream's open last line.
    open: Option<u32>,
    file: Option<File>,
    /// Its file could not be opened (said once).
    failed: bool,
}

/// What the draining thread hands back when it is done.
pub(crate) struct Drained {
    pub(crate) sink: Sink,
    pub(crate) rings: Arc<Rings>,
    pub(crate) records: u64,
    /// Threads found dead without having released their rings: `(pid, tid)`.
    pub(crate) dead: Vec<(u32, u32)>,
}

/// The draining thread and the flag that tells it the program's first process has ended.
pub(crate) struct Drainer {
    done: Arc<AtomicBool>,
    rings: Arc<Rings>,
    thread: std::thread::JoinHandle<Drained>,
}

impl Drainer {
    /// Starts draining `rings` into `sink`; `stacks`: lines carry stack snapshots (`-k`), and
    /// how their frames are written.
    pub(crate) fn start(rings: Rings, sink: Sink, stacks: Option<StackStyle>) -> Drainer {
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        let rings = Arc::new(rings);
        let r = rings.clone();
        let thread = std::thread::spawn(move || {
            let mut w = Writer::new(sink);
            if let Some(style) = stacks {
                w.stacks = Some((crate::stack::Stacks::new(), style));
            }
            run(r, &mut w, &flag)
        });
        Drainer {
            done,
            rings,
            thread,
        }
    }

    /// The program's first process has ended: drains until every thread of the run that still
    /// owns a ring has ended too (as strace follows every traced process), then hands back the
    /// sink.
    pub(crate) fn finish(self) -> Drained {
        self.done.store(true, Ordering::Release);
        self.rings.ring_bell();
        match self.thread.join() {
            Ok(d) => d,
            Err(e) => std::panic::resume_unwind(e),
        }
    }
}

fn run(rings: Arc<Rings>, w: &mut Writer, done: &AtomicBool) -> Drained {
    // Records taken but not written yet (numbered at or above the watermark), their texts in
    // `arena`.
    let mut held: Vec<Taken> = Vec::new();
    let mut arena: Vec<u8> = Vec::new();
    let mut dying: Vec<(u32, u32)> = Vec::new();
    let mut dead: Vec<(u32, u32)> = Vec::new();
    loop {
        let ending = done.load(Ordering::Acquire);
        // Before the round: a doorbell rung while it runs ends the sleep after it.
        let seen = rings.bell();
        let batch = rings.collect(&mut held, &mut arena, ending);
        dead.extend(&batch.dead);
        dying.extend(batch.dead);
        let last_round = ending && !rings.any_owned();
        // Everything numbered below the watermark is in hand; at the end, everything is.
        held.sort_by_key(|t| t.rec.seq);
        let cut = if last_round {
            held.len()
        } else {
            held.partition_point(|t| t.rec.seq < batch.watermark)
        };
        for t in &held[..cut] {
            w.record(&t.rec, t.text(&arena));
        }
        // Keep the rest, and only their texts.
        held.drain(..cut);
        if held.is_empty() {
            arena.clear();
        } else {
            let mut kept = Vec::new();
            for t in held.iter_mut() {
                let at = kept.len();
                kept.extend_from_slice(t.text(&arena));
                t.at = at;
            }
            arena = kept;
        }
        // A thread that died is finished once its last record is out.
        dying.retain(|&(_, tid)| {
            if held.iter().any(|t| t.rec.tid == tid) {
                return true;
            }
            w.died(tid);
            false
        });
        if last_round {
            w.end_all();
            w.flush();
            rings.orphan();
            return Drained {
                records: w.records,
                dead,
                sink: std::mem::replace(&mut w.sink, Sink::Stderr),
                rings,
            };
        }
        w.show_open();
        w.flush();
        // One round per ROUND, sooner when a thread's ring fills (its doorbell): big writes,
        // and lines never much older than a round. While the program writes fast, rounds come
        // every BUSY_ROUND, which keeps rings from filling (a doorbell costs the thread that
        // rings it a wake-up).
        rings.sleep(
            seen,
            if batch.bytes >= BUSY_BYTES {
                BUSY_ROUND
            } else {
                ROUND
            },
        );
    }
}

/// Turns records into strace's text, per stream.
struct Writer {
    sink: Sink,
    /// `-ff -o FILE`: FILE; each process's lines go to FILE.PID (appended to with `-A`).
    per_process: Option<(PathBuf, bool)>,
    streams: HashMap<u32, Stream>,
    /// Per thread, its entry halves not ended yet (nested ones last).
    entries: HashMap<u32, Vec<Entry>>,
    records: u64,
    /// `-k`: each process's mappings and the frames of its lines' stack snapshots.
    stacks: Option<(crate::stack::Stacks, StackStyle)>,
}

/// How `-k`'s frames are written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum StackStyle {
    /// strace's ` > module(symbol+0xoff) [0xoffset]` lines after each line.
    Text,
    /// `"stack":[{"addr":…,"module":…,"symbol":…,"offset":…,"file_offset":…}]` in each call's
    /// JSON object (`--json`).
    Json,
    /// `"stack":["module(symbol+0xoff) [0xoffset]", …]` in each slice's args (`--perfetto`).
    Perfetto,
}

impl Writer {
    fn new(sink: Sink) -> Writer {
        let per_process = match &sink {
            Sink::PerProcess(p, append) => Some((p.clone(), *append)),
            _ => None,
        };
        Writer {
            sink,
            per_process,
            streams: HashMap::new(),
            entries: HashMap::new(),
            records: 0,
            stacks: None,
        }
    }

    /// The stream of thread `tid`'s lines: with `-ff` each thread has a file of its own, as in
    /// strace (a process's `+++ exited` line is its leader's).
    fn stream_key(&self, tid: u32) -> u32 {
        if self.per_process.is_some() {
            tid
        } else {
            0
        }
    }

    fn record(&mut self, rec: &Record, text: &[u8]) {
        if rec.kind == kind::MAPS {
            self.records += 1;
            if let Some((st, _)) = &mut self.stacks {
                st.set_maps(rec.pid, text);
            }
            return;
        }
        if let Some((st, _)) = &mut self.stacks {
            // A process's end: its mappings go.
            let exited = rec.tid == rec.pid
                && text
                    .get(usize::from(rec.head)..)
                    .is_some_and(|t| t.starts_with(b"+++ exited with "));
            if rec.kind == kind::LINE && (exited || rec.flags & flags::ENDS_PROCESS != 0) {
                st.forget(rec.pid);
            }
        }
        let at = usize::from(rec.stack);
        if at == 0 || at > text.len() {
            return self.record_line(rec, text);
        }
        let (line, snap) = text.split_at(at);
        let (Some((st, style)), Some(regs)) = (&mut self.stacks, snap.get(..24)) else {
            return self.record_line(rec, line);
        };
        let word =
            |i: usize| u64::from_le_bytes(regs[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
        let (rip, rsp, rbp, bytes) = (word(0), word(1), word(2), &snap[24..]);
        if rec.kind != kind::LINE {
            // JSON or a trace event: the frames go inside the object.
            let frames = st.frames(rec.pid, rip, rsp, rbp, bytes);
            let with = with_stack(line, &frames, *style);
            return self.record_line(rec, &with);
        }
        let mut frames = Vec::new();
        st.write_frames(rec.pid, rip, rsp, rbp, bytes, &mut frames);
        self.record_line(rec, line);
        // The frames follow the line (or the `resumed>` half that ends it).
        let key = self.stream_key(rec.tid);
        self.stream(key).buf.extend_from_slice(&frames);
    }

    fn record_line(&mut self, rec: &Record, text: &[u8]) {
        self.records += 1;
        let key = self.stream_key(rec.tid);
        let tid = rec.tid;
        if rec.flags & flags::ENDS_PROCESS != 0 {
            // `+++ killed by SIG +++` of a process its parent reaped: the calls its threads
            // were in end first.
            let mut gone: Vec<u32> = self
                .entries
                .iter()
                .filter(|(_, v)| v.first().is_some_and(|e| e.pid == rec.pid))
                .map(|(&tid, _)| tid)
                .collect();
            gone.sort_unstable();
            for tid in gone {
                self.died(tid);
            }
        }
        match rec.kind {
            kind::ENTRY => {
                self.close_open(key);
                let head = usize::from(rec.head).min(text.len());
                self.entries.entry(tid).or_default().push(Entry {
                    text: text.to_vec(),
                    head,
                    pid: rec.pid,
                    stopped: rec.flags & flags::STOPPED != 0,
                    written: false,
                });
                self.stream(key).open = Some(tid);
            }
            kind::LINE if rec.flags & flags::RESUMES != 0 => {
                let entry = self.entries.get_mut(&tid).and_then(|v| v.pop());
                let Some(entry) = entry else {
                    self.line(key, text);
                    return;
                };
                if self.stream(key).open == Some(tid) {
                    self.stream(key).open = None;
                    let rest = match (entry.written, text.get(usize::from(rec.resume)..)) {
                        (true, Some(rest)) => rest,
                        _ => text,
                    };
                    self.stream(key).buf.extend_from_slice(rest);
                } else {
                    self.close_open(key);
                    let text = resumed(rec, text, &entry);
                    self.stream(key).buf.extend_from_slice(&text);
                }
            }
            _ => self.line(key, text),
        }
    }

    fn line(&mut self, key: u32, text: &[u8]) {
        self.close_open(key);
        self.stream(key).buf.extend_from_slice(text);
    }

    fn stream(&mut self, key: u32) -> &mut Stream {
        self.streams.entry(key).or_default()
    }

    /// Ends the stream's open entry half with ` <unfinished ...>`.
    fn close_open(&mut self, key: u32) {
        let Some(tid) = self.stream(key).open.take() else {
            return;
        };
        let Some(e) = self.entries.get_mut(&tid).and_then(|v| v.last_mut()) else {
            return;
        };
        let was_written = std::mem::replace(&mut e.written, true);
        let text = (!was_written).then(|| e.text.clone());
        let s = self.stream(key);
        if let Some(text) = text {
            s.buf.extend_from_slice(&text);
        }
        s.buf.extend_from_slice(b" <unfinished ...>\n");
    }

    /// Thread `tid` of process `pid` died: each call it was in ends with strace's `) = ?`.
    fn died(&mut self, tid: u32) {
        let key = self.stream_key(tid);
        let Some(mut stack) = self.entries.remove(&tid) else {
            return;
        };
        while let Some(e) = stack.pop() {
            let mut line = Vec::new();
            if self.stream(key).open == Some(tid) {
                self.stream(key).open = None;
                if !e.written {
                    line.extend_from_slice(&e.text);
                }
                let col = if e.written { e.text.len() } else { 0 };
                if e.stopped {
                    line.extend_from_slice(b" <unfinished ...>");
                }
                line.push(b')');
                pad(&mut line, col);
            } else {
                self.close_open(key);
                line.extend_from_slice(&e.text[..e.head]);
                line.extend_from_slice(b"<... ");
                line.extend_from_slice(name_of(&e.text[e.head..]));
                line.extend_from_slice(b" resumed>");
                if e.stopped {
                    line.extend_from_slice(b" <unfinished ...>");
                }
                line.push(b')');
                pad(&mut line, 0);
            }
            line.extend_from_slice(b" = ?\n");
            self.stream(key).buf.extend_from_slice(&line);
        }
    }

    /// At the very end: every thread still inside a call is gone.
    fn end_all(&mut self) {
        let mut tids: Vec<u32> = self.entries.keys().copied().collect();
        tids.sort_unstable();
        for tid in tids {
            self.died(tid);
        }
    }

    /// Writes out each stream's open entry half, so that the file shows the call in progress.
    fn show_open(&mut self) {
        let keys: Vec<u32> = self.streams.keys().copied().collect();
        for key in keys {
            let Some(tid) = self.stream(key).open else {
                continue;
            };
            let Some(e) = self.entries.get_mut(&tid).and_then(|v| v.last_mut()) else {
                continue;
            };
            if !e.written {
                e.written = true;
                let text = e.text.clone();
                self.stream(key).buf.extend_from_slice(&text);
            }
        }
    }

    fn flush(&mut self) {
        let per_process = self.per_process.clone();
        for (key, s) in self.streams.iter_mut() {
            if s.buf.is_empty() {
                continue;
            }
            let r = match &per_process {
                Some((base, append)) => {
                    if s.file.is_none() && !s.failed {
                        let mut name = base.clone().into_os_string();
                        name.push(format!(".{key}"));
                        let path = std::path::Path::new(&name);
                        match sysgate_launch::open_output(path, *append) {
                            Ok(f) => s.file = Some(f),
                            Err(e) => {
                                eprintln!("sysgate: can't fopen '{}': {e}", path.display());
                                s.failed = true;
                            }
                        }
                    }
                    match s.file.as_mut() {
                        Some(f) => f.write_all(&s.buf),
                        None => Ok(()),
                    }
                }
                None => self.sink.write(&s.buf, *key),
            };
            // A sink that went away (a closed pipe) takes no more; the program goes on.
            let _ = r;
            s.buf.clear();
        }
    }
}

/// `<... NAME resumed>` and the rest of the call's line, padded to the result column.
fn resumed(rec: &Record, text: &[u8], entry: &Entry) -> Vec<u8> {
    let (head, resume, close, result) = (
        usize::from(rec.head),
        usize::from(rec.resume),
        usize::from(rec.close),
        usize::from(rec.result),
    );
    if !(head <= resume && resume <= close && close <= result && result <= text.len()) {
        return text.to_vec();
    }
    let mut line = Vec::with_capacity(text.len() + 32);
    line.extend_from_slice(&text[..head]);
    line.extend_from_slice(b"<... ");
    line.extend_from_slice(name_of(&entry.text[entry.head..]));
    line.extend_from_slice(b" resumed>");
    line.extend_from_slice(&text[resume..close]);
    pad(&mut line, 0);
    line.extend_from_slice(&text[result..]);
    line
}

/// `s` as a JSON string. (Written here: serde_json in this crate would turn on memchr's `std`
/// feature for the whole workspace, the freestanding loader included.)
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSON object (`--json`: `{…}\n`) or trace event (`--perfetto`: `{…,"args":{…}},\n`) with
/// `"stack":[…]` added as its last member (of `args` for a trace event).
fn with_stack(text: &[u8], frames: &[crate::stack::Frame], style: StackStyle) -> Vec<u8> {
    let json = json_string;
    let items: Vec<String> = frames
        .iter()
        .map(|f| {
            let module = f.module.as_deref();
            match style {
                StackStyle::Json => {
                    let mut o = format!("{{\"addr\":\"{:#x}\"", f.addr);
                    if let Some(m) = module {
                        o.push_str(&format!(",\"module\":{}", json(m)));
                        if let Some((sym, off)) = &f.symbol {
                            o.push_str(&format!(",\"symbol\":{},\"offset\":{off}", json(sym)));
                        }
                        o.push_str(&format!(",\"file_offset\":\"{:#x}\"", f.file_offset));
                    }
                    o.push('}');
                    o
                }
                _ => json(&match (module, &f.symbol) {
                    (Some(m), Some((sym, off))) => {
                        format!("{m}({sym}+{off:#x}) [{:#x}]", f.file_offset)
                    }
                    (Some(m), None) => format!("{m}() [{:#x}]", f.file_offset),
                    (None, _) => format!("unexpected_backtracing_error [{:#x}]", f.addr),
                }),
            }
        })
        .collect();
    let member = format!(",\"stack\":[{}]", items.join(","));
    // The object's closing brace, or for a trace event the one of its args.
    let closing: Vec<usize> = text
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'}')
        .map(|(i, _)| i)
        .collect();
    let at = match style {
        StackStyle::Perfetto => closing.len().checked_sub(2).map(|i| closing[i]),
        _ => closing.last().copied(),
    };
    let Some(at) = at else {
        return text.to_vec();
    };
    let mut out = Vec::with_capacity(text.len() + member.len());
    out.extend_from_slice(&text[..at]);
    out.extend_from_slice(member.as_bytes());
    out.extend_from_slice(&text[at..]);
    out
}

/// The column results are padded to (`-a`, less one), set once before draining starts.
static COLUMN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(RESULT_COLUMN);

/// Sets the result column (`trace -a COLUMN`).
pub(crate) fn set_column(acolumn: usize) {
    COLUMN.store(acolumn.max(1) - 1, Ordering::Relaxed);
}

/// Pads `line` (which continues a line `col` bytes long) with spaces to the result column.
fn pad(line: &mut Vec<u8>, col: usize) {
    while col + line.len() < COLUMN.load(Ordering::Relaxed) {
        line.push(b' ');
    }
}

/// The call's name at the start of an entry half (`read(3, ` → `read`).
fn name_of(text: &[u8]) -> &[u8] {
    let end = text.iter().position(|&b| b == b'(').unwrap_or(text.len());
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacks_go_inside_json_objects_and_trace_events() {
        let f = crate::stack::Frame {
            addr: 0x7f00_0000_1234,
            module: Some("/lib/a \"b\".so".into()),
            symbol: Some(("write".into(), 16)),
            file_offset: 0x1234,
        };
        let j = with_stack(
            b"{\"name\":\"write\"}\n",
            std::slice::from_ref(&f),
            StackStyle::Json,
        );
        assert_eq!(
            String::from_utf8(j).unwrap(),
            "{\"name\":\"write\",\"stack\":[{\"addr\":\"0x7f0000001234\",\"module\":\"/lib/a \\\"b\\\".so\",\"symbol\":\"write\",\"offset\":16,\"file_offset\":\"0x1234\"}]}\n"
        );
        let p = with_stack(
            b"{\"ph\":\"X\",\"args\":{\"call\":\"w\"}},\n",
            &[f],
            StackStyle::Perfetto,
        );
        assert_eq!(
            String::from_utf8(p).unwrap(),
            "{\"ph\":\"X\",\"args\":{\"call\":\"w\",\"stack\":[\"/lib/a \\\"b\\\".so(write+0x10) [0x1234]\"]}},\n"
        );
    }

    fn rec(kind: u8, flags: u8, seq: u64, tid: u32, text: &str, marks: [u16; 4]) -> Rec {
        Rec {
            rec: Record {
                len: 0,
                kind,
                flags,
                seq,
                tid,
                pid: 1,
                head: marks[0],
                resume: marks[1],
                close: marks[2],
                result: marks[3],
                stack: 0,
            },
            text: text.as_bytes().to_vec(),
        }
    }

    struct Rec {
        rec: Record,
        text: Vec<u8>,
    }

    impl Writer {
        fn take(&mut self, r: Rec) {
            self.record(&r.rec, &r.text);
        }
    }

    fn text(w: &mut Writer) -> String {
        String::from_utf8(
            w.streams
                .get_mut(&0)
                .map(|s| s.buf.clone())
                .unwrap_or_default(),
        )
        .unwrap_or_default()
    }

    /// `read(3, "hello", 16) = 5` of thread 2 with `-f -o`'s prefix, padded as the tracer pads
    /// it, and its marks: head 6, resume 14 (after `read(3, `), close 26, result 39.
    fn read_line() -> String {
        format!("{:<39} = 5\n", "2     read(3, \"hello\", 16)")
    }
    const READ_MARKS: [u16; 4] = [6, 14, 26, 39];

    #[test]
    fn an_entry_and_its_line_make_one_line() {
        let mut w = Writer::new(Sink::Stderr);
        w.take(rec(kind::ENTRY, 0, 1, 2, "2     read(3, ", [6, 0, 0, 0]));
        w.take(rec(
            kind::LINE,
            flags::RESUMES,
            2,
            2,
            &read_line(),
            READ_MARKS,
        ));
        assert_eq!(text(&mut w), read_line());
    }

    #[test]
    fn another_line_between_makes_unfinished_and_resumed() {
        let mut w = Writer::new(Sink::Stderr);
        w.take(rec(kind::ENTRY, 0, 1, 2, "2     read(3, ", [6, 0, 0, 0]));
        w.take(rec(kind::LINE, 0, 2, 1, "1     close(-1) = -1\n", [0; 4]));
        w.take(rec(
            kind::LINE,
            flags::RESUMES,
            3,
            2,
            &read_line(),
            READ_MARKS,
        ));
        assert_eq!(
            text(&mut w),
            "2     read(3,  <unfinished ...>\n\
             1     close(-1) = -1\n\
             2     <... read resumed>\"hello\", 16)    = 5\n"
        );
    }

    #[test]
    fn an_entry_shown_open_is_continued() {
        let mut w = Writer::new(Sink::Stderr);
        w.take(rec(kind::ENTRY, 0, 1, 2, "2     read(3, ", [6, 0, 0, 0]));
        w.show_open();
        w.take(rec(
            kind::LINE,
            flags::RESUMES,
            2,
            2,
            &read_line(),
            READ_MARKS,
        ));
        assert_eq!(text(&mut w), read_line());
    }

    #[test]
    fn a_thread_that_dies_in_a_call_ends_with_a_question_mark() {
        let mut w = Writer::new(Sink::Stderr);
        w.take(rec(
            kind::ENTRY,
            0,
            1,
            2,
            "2     tgkill(2, 2, SIGKILL",
            [6, 0, 0, 0],
        ));
        w.died(2);
        assert_eq!(
            text(&mut w),
            format!("{:<39} = ?\n", "2     tgkill(2, 2, SIGKILL)")
        );
        let mut w = Writer::new(Sink::Stderr);
        let stopped = flags::STOPPED;
        w.take(rec(
            kind::ENTRY,
            stopped,
            1,
            3,
            "3     read(3, ",
            [6, 0, 0, 0],
        ));
        w.take(rec(kind::LINE, 0, 2, 2, "2     getpid() = 2\n", [0; 4]));
        w.died(3);
        assert_eq!(
            text(&mut w),
            "3     read(3,  <unfinished ...>\n\
             2     getpid() = 2\n\
             3     <... read resumed> <unfinished ...>) = ?\n"
        );
    }
}

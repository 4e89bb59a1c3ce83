//! Running a command natively or under sysgate, with a time limit, and
//! capturing everything it produced.
//!
//! Every command runs in its own process group; on timeout the whole group is
//! killed, so a hung child cannot hang the test run.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::trace::{self, Event, TraceLine};
use crate::{describe_difference, signal_name, sysgate_bin};

/// How a command is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Directly.
    Native,
    /// `sysgate run -- PROG ARGS...`
    Run,
    /// `sysgate trace -f -o FILE -- PROG ARGS...`
    Trace,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Native, Mode::Run, Mode::Trace];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Native => "native",
            Mode::Run => "sysgate run",
            Mode::Trace => "sysgate trace -f -o",
        }
    }

    /// A short name for file names.
    pub fn slug(self) -> &'static str {
        match self {
            Mode::Native => "native",
            Mode::Run => "run",
            Mode::Trace => "trace",
        }
    }
}

/// A command line plus what it runs with.
#[derive(Clone, Debug)]
pub struct Cmd {
    program: OsString,
    args: Vec<OsString>,
    cwd: Option<PathBuf>,
    env: Vec<(OsString, OsString)>,
    stdin: Vec<u8>,
    timeout: Duration,
}

impl Cmd {
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        Cmd {
            program: program.as_ref().to_owned(),
            args: Vec::new(),
            cwd: None,
            env: Vec::new(),
            stdin: Vec::new(),
            timeout: Duration::from_secs(60),
        }
    }

    /// `sh -c SCRIPT`.
    pub fn sh(script: &str) -> Self {
        Cmd::new("/bin/sh").arg("-c").arg(script)
    }

    pub fn arg(mut self, a: impl AsRef<OsStr>) -> Self {
        self.args.push(a.as_ref().to_owned());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    pub fn cwd(mut self, dir: impl AsRef<Path>) -> Self {
        self.cwd = Some(dir.as_ref().to_owned());
        self
    }

    pub fn env(mut self, k: impl AsRef<OsStr>, v: impl AsRef<OsStr>) -> Self {
        self.env
            .push((k.as_ref().to_owned(), v.as_ref().to_owned()));
        self
    }

    /// Bytes written to the command's stdin (which is closed afterwards).
    pub fn stdin(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.stdin = data.into();
        self
    }

    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// The command line, shell-quoted enough to be pasted.
    pub fn display(&self) -> String {
        std::iter::once(&self.program)
            .chain(&self.args)
            .map(|a| quote(&a.to_string_lossy()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn argv(&self) -> Vec<OsString> {
        std::iter::once(self.program.clone())
            .chain(self.args.iter().cloned())
            .collect()
    }
}

fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// What one run produced.
pub struct Outcome {
    /// Which way it ran (`native`, `sysgate run`, ...).
    pub label: String,
    /// The full command line that was executed.
    pub command: String,
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// The `-o` file of a trace run.
    pub trace_path: Option<PathBuf>,
    /// Its contents, read after the run.
    pub trace: Option<String>,
}

impl Outcome {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    pub fn signal(&self) -> Option<i32> {
        self.status.signal()
    }

    /// The trace file's text; panics if this run did not write one.
    pub fn trace_text(&self) -> &str {
        match &self.trace {
            Some(t) => t,
            None => panic!(
                "{}: no trace file {}\n{self}",
                self.label,
                self.trace_path
                    .as_ref()
                    .map_or_else(String::new, |p| p.display().to_string())
            ),
        }
    }

    /// The trace file's lines, unfinished/resumed pairs joined.
    pub fn trace_lines(&self) -> Vec<TraceLine> {
        trace::join_resumed(trace::parse(self.trace_text()))
    }

    /// The trace lines written to stderr (`sysgate trace` without `-o`).
    pub fn stderr_trace_lines(&self) -> Vec<TraceLine> {
        trace::join_resumed(trace::parse(&self.stderr_str()))
    }

    /// Exit status in the words strace uses.
    pub fn status_text(&self) -> String {
        match (self.code(), self.signal()) {
            (Some(c), _) => format!("exited with {c}"),
            (None, Some(s)) => format!("killed by {}", signal_name(s)),
            _ => format!("{}", self.status),
        }
    }

    pub fn assert_exit_code(&self, code: i32) {
        assert_eq!(
            self.code(),
            Some(code),
            "{}: expected exit status {code}, got {}\n{self}",
            self.label,
            self.status_text()
        );
    }

    /// Checks the shape every `sysgate trace -f -o FILE` file must have: the
    /// first line is `execve(...) = 0`, and the main process's (the pid of that
    /// first line) last line is its `+++ exited with N +++` (or `+++ killed by
    /// SIG... +++`), matching the run's own exit status. When no other process
    /// outlives the main one — as in every test here — that is the file's
    /// last line; lines of processes that outlive it may follow.
    pub fn assert_trace_shape(&self) {
        let lines = self.trace_lines();
        let first = lines
            .first()
            .unwrap_or_else(|| panic!("{}: trace file is empty\n{self}", self.label));
        match &first.event {
            Event::Syscall { name, result, .. } if name == "execve" => assert_eq!(
                result.as_deref(),
                Some("0"),
                "{}: first trace line is a failed execve: {}\n{self}",
                self.label,
                first.text
            ),
            _ => panic!(
                "{}: first trace line is not execve(...) = 0: {}\n{self}",
                self.label, first.text
            ),
        }
        let main_pid = first.pid;
        let last = lines
            .iter()
            .rev()
            .find(|l| l.pid == main_pid)
            .expect("the first line is the main pid's");
        let expected = match (self.code(), self.signal()) {
            (Some(c), _) => Event::Exited(c),
            (None, Some(s)) => Event::Killed(signal_name(s)),
            _ => unreachable!("a finished process has a code or a signal"),
        };
        let ok = match (&last.event, &expected) {
            (Event::Killed(got), Event::Killed(want)) => got.starts_with(want.as_str()),
            (got, want) => got == want,
        };
        assert!(
            ok,
            "{}: the main process's (pid {:?}) trace should end with \"+++ {} +++\", \
             but its last line is: {}\n{self}",
            self.label,
            main_pid,
            self.status_text(),
            last.text
        );
    }
}

fn tail(bytes: &[u8], max: usize) -> String {
    let s = String::from_utf8_lossy(bytes);
    if s.len() <= max {
        return s.into_owned();
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    format!("[... {} bytes before ...]{}", start, &s[start..])
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "--- command ({}): {}", self.label, self.command)?;
        writeln!(f, "--- status: {}", self.status_text())?;
        writeln!(f, "--- stdout (tail):\n{}", tail(&self.stdout, 3000))?;
        writeln!(f, "--- stderr (tail):\n{}", tail(&self.stderr, 3000))?;
        if let Some(t) = &self.trace {
            writeln!(
                f,
                "--- trace (tail of {} lines):\n{}",
                t.lines().count(),
                tail(t.as_bytes(), 3000)
            )?;
        }
        Ok(())
    }
}

/// A scratch directory for one test: removed when the test passes, kept (and
/// its path printed) when it fails, or always kept with `SYSGATE_KEEP_TEST_DIRS=1`.
pub struct TestDir {
    path: PathBuf,
    seq: AtomicU64,
}

impl TestDir {
    pub fn new(name: &str) -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join("sysgate-tests").join(format!(
            "{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        TestDir {
            path,
            seq: AtomicU64::new(0),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn join(&self, p: impl AsRef<Path>) -> PathBuf {
        self.path.join(p)
    }

    /// Creates (fresh) and returns a subdirectory.
    pub fn subdir(&self, name: &str) -> PathBuf {
        let p = self.path.join(name);
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap_or_else(|e| panic!("cannot create {}: {e}", p.display()));
        p
    }

    /// Writes a file (creating parent directories) and returns its path.
    pub fn write(&self, name: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path.join(name);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
        }
        fs::write(&p, contents).unwrap_or_else(|e| panic!("cannot write {}: {e}", p.display()));
        p
    }

    fn next(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    /// Runs `cmd` in `mode`. A trace run writes its file into this directory.
    pub fn run(&self, cmd: &Cmd, mode: Mode) -> Outcome {
        match mode {
            Mode::Native => execute(Mode::Native.name(), Vec::new(), cmd, None),
            Mode::Run => execute(
                Mode::Run.name(),
                vec![sysgate_bin().into(), "run".into(), "--".into()],
                cmd,
                None,
            ),
            Mode::Trace => {
                let file = self
                    .path
                    .join(format!("trace-{}-{}.txt", self.next(), mode.slug()));
                let wrapper = vec![
                    sysgate_bin().into(),
                    "trace".into(),
                    "-f".into(),
                    "-o".into(),
                    file.clone().into(),
                    "--".into(),
                ];
                execute(Mode::Trace.name(), wrapper, cmd, Some(file))
            }
        }
    }

    /// Runs `sysgate SUBCOMMAND_ARGS... -- cmd`. When `trace_file` is given it
    /// is read back into the outcome (the caller puts the matching `-o` in
    /// the arguments).
    pub fn run_sysgate(
        &self,
        sysgate_args: &[&str],
        cmd: &Cmd,
        trace_file: Option<&Path>,
    ) -> Outcome {
        let mut wrapper: Vec<OsString> = vec![sysgate_bin().into()];
        wrapper.extend(sysgate_args.iter().map(OsString::from));
        wrapper.push("--".into());
        let label = format!("sysgate {}", sysgate_args.join(" "));
        execute(&label, wrapper, cmd, trace_file.map(Path::to_path_buf))
    }

    /// Runs `cmd` as it is (no sysgate), reading `trace_file` back afterwards
    /// when given (e.g. `strace -o FILE ...`).
    pub fn run_plain(&self, label: &str, cmd: &Cmd, trace_file: Option<&Path>) -> Outcome {
        execute(label, Vec::new(), cmd, trace_file.map(Path::to_path_buf))
    }

    /// A fresh path for a trace file in this directory.
    pub fn trace_file(&self, tag: &str) -> PathBuf {
        self.path.join(format!("trace-{}-{tag}.txt", self.next()))
    }

    /// Runs `cmd` natively, under `sysgate run` and under `sysgate trace -f -o`,
    /// and asserts that stdout and exit status are the same every time and that
    /// the trace file has its proper first and last lines. Returns the outcomes
    /// in [`Mode::ALL`] order.
    pub fn assert_same_everywhere(&self, cmd: &Cmd) -> Vec<Outcome> {
        self.assert_same_everywhere_with(|_| cmd.clone())
    }

    /// Like [`TestDir::assert_same_everywhere`], building the command per mode
    /// (for commands that need a fresh working directory each time).
    pub fn assert_same_everywhere_with(&self, make: impl Fn(Mode) -> Cmd) -> Vec<Outcome> {
        let outcomes: Vec<Outcome> = Mode::ALL.iter().map(|&m| self.run(&make(m), m)).collect();
        let native = &outcomes[0];
        for o in &outcomes[1..] {
            assert!(
                o.status == native.status,
                "{}: exit status {} but natively {}\n{o}\nnative run:\n{native}",
                o.label,
                o.status_text(),
                native.status_text()
            );
            assert!(
                o.stdout == native.stdout,
                "{}: stdout differs from the native run\n{}\n{o}",
                o.label,
                describe_difference("stdout", &native.stdout, &o.stdout)
            );
        }
        outcomes[2].assert_trace_shape();
        outcomes
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        if thread::panicking() || std::env::var_os("SYSGATE_KEEP_TEST_DIRS").is_some() {
            eprintln!("test files kept in {}", self.path.display());
        } else {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// Runs `wrapper ++ cmd.argv` with `cmd`'s environment, stdin and time limit.
fn execute(label: &str, wrapper: Vec<OsString>, cmd: &Cmd, trace_file: Option<PathBuf>) -> Outcome {
    let argv: Vec<OsString> = wrapper.into_iter().chain(cmd.argv()).collect();
    let command = argv
        .iter()
        .map(|a| quote(&a.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ");

    let mut c = Command::new(&argv[0]);
    c.args(&argv[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    if let Some(dir) = &cmd.cwd {
        c.current_dir(dir);
    }
    for (k, v) in &cmd.env {
        c.env(k, v);
    }
    let mut child = c
        .spawn()
        .unwrap_or_else(|e| panic!("{label}: cannot start `{command}`: {e}"));
    let pgid = child.id();

    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = cmd.stdin.clone();
    let writer = thread::spawn(move || {
        // A program that does not read its stdin closes the pipe: not an error.
        let _ = stdin.write_all(&input);
    });
    let (tx, rx) = mpsc::channel::<(u8, Vec<u8>)>();
    for (tag, stream) in [
        (
            1u8,
            Box::new(child.stdout.take().expect("piped stdout")) as Box<dyn Read + Send>,
        ),
        (
            2u8,
            Box::new(child.stderr.take().expect("piped stderr")) as Box<dyn Read + Send>,
        ),
    ] {
        let tx = tx.clone();
        let mut stream = stream;
        thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stream.read_to_end(&mut buf);
            let _ = tx.send((tag, buf));
        });
    }
    drop(tx);

    let timeout = cmd.timeout.mul_f64(timeout_scale());
    let deadline = Instant::now() + timeout;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                timed_out = true;
                kill_group(pgid);
                let _ = child.kill();
                match child.wait() {
                    Ok(status) => break status,
                    Err(e) => panic!("{label}: waiting for `{command}` after killing it: {e}"),
                }
            }
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("{label}: waiting for `{command}`: {e}"),
        }
    };

    // Output is complete once every holder of the pipes has gone; a leftover
    // process in the group gets a grace period and is then killed.
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let grace = Instant::now() + Duration::from_secs(20);
    let mut received = 0;
    let mut killed_stragglers = false;
    while received < 2 {
        let wait = grace
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(10));
        match rx.recv_timeout(wait) {
            Ok((1, b)) => {
                stdout = b;
                received += 1;
            }
            Ok((_, b)) => {
                stderr = b;
                received += 1;
            }
            Err(mpsc::RecvTimeoutError::Timeout) if !killed_stragglers => {
                kill_group(pgid);
                killed_stragglers = true;
            }
            Err(_) => break,
        }
    }
    let _ = writer.join();

    let trace = trace_file
        .as_ref()
        .and_then(|p| fs::read(p).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned());
    let outcome = Outcome {
        label: label.to_string(),
        command,
        status,
        stdout,
        stderr,
        trace_path: trace_file,
        trace,
    };
    assert!(
        !timed_out,
        "{label}: did not finish within {timeout:?}; killed. What it produced until then:\n{outcome}"
    );
    assert!(
        !killed_stragglers,
        "{label}: exited but left processes holding its output open (killed after 20 s)\n{outcome}"
    );
    outcome
}

/// `SYSGATE_TEST_TIMEOUT_SCALE` stretches every time limit (slow machines,
/// debug builds of the runtime).
fn timeout_scale() -> f64 {
    std::env::var("SYSGATE_TEST_TIMEOUT_SCALE")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| *v > 0.0)
        .unwrap_or(1.0)
}

fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Joins a shell-safe path argument for use inside an `sh -c` script.
pub fn sh_quote(p: impl AsRef<OsStr>) -> String {
    quote(&p.as_ref().to_string_lossy())
}

/// Runs a command natively and returns its stdout, panicking on failure.
/// For setting up test inputs, not for the things under test.
pub fn native_stdout(cmd: &Cmd) -> String {
    let out = execute("setup", Vec::new(), cmd, None);
    assert!(out.status.success(), "setup command failed\n{out}");
    out.stdout_str()
}

/// Asserts `o` wrote exactly one stderr line starting with `sysgate:`.
pub fn assert_one_sysgate_error_line(o: &Outcome) {
    let err = o.stderr_str();
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines.len() == 1 && lines[0].starts_with("sysgate:"),
        "{}: expected exactly one stderr line starting with \"sysgate:\"\n{o}",
        o.label
    );
}

//! Fidelity: sysgate's trace of a mixed set of real programs against strace's, line by line.
//!
//! Each workload runs twice in the same (freshly recreated) directory with the same
//! environment: under `strace -f -o A` and under `sysgate trace -f -o B`. The two files are
//! compared by `sysgate_tests::fidelity` (which documents what is normalised and why): the
//! share of identical lines per syscall name and overall is printed, the test fails below
//! [`BAR`] and lists the worst syscalls, and every task must make its syscalls in the same
//! order under both.
//!
//! The programs were chosen before the formatter was checked against them (coreutils, python3
//! with files and sockets, bash pipelines, git, tar with gzip, an HTTP server and curl on
//! loopback). `FIDELITY_REPORT=FILE` also writes the report to FILE, `FIDELITY_ONLY=name,name` runs only
//! some workloads, `FIDELITY_ALL=1` lists examples for every syscall that differs. (Not
//! `SYSGATE_*`: the runtime takes every such variable out of the traced program's environment,
//! which would change the `execve` lines.)

use std::fs;
use std::path::Path;
use std::time::Duration;

use sysgate_tests::fidelity::{compare, Report};
use sysgate_tests::run::native_stdout;
use sysgate_tests::{require_tools, Cmd, TestDir};

/// The share of identical lines below which the test fails.
const BAR: f64 = 0.95;

/// Tasks (images) whose syscall names may come in a different order. Some orders depend on
/// timing and differ between two strace runs too: how a pipe's data arrives in `read`s
/// (tar | gzip), `poll` wake-ups (curl), when malloc grows an arena (python), and how much
/// there is to read in `/proc/self/maps` (the runtime's own mappings are in it), whether a
/// child's SIGCHLD lands on `rt_sigprocmask` or `wait4`. They are
/// listed in the report; more than this many fails the test.
const MAX_ORDER_MISMATCHES: usize = 10;

/// The real interpreter behind `python3` (not a version-manager shim script).
fn python() -> String {
    native_stdout(&Cmd::new("python3").args(["-c", "import sys; print(sys.executable)"]))
        .trim()
        .to_string()
}

const PY_FILES_SOCKETS: &str = r#"
import json, os, shutil, socket, struct
os.makedirs("d/e", exist_ok=True)
with open("d/data.json", "w") as f:
    json.dump({"k": list(range(20))}, f)
with open("d/data.json") as f:
    print(len(json.load(f)["k"]))
shutil.copy("d/data.json", "d/e/copy.json")
os.rename("d/e/copy.json", "d/e/moved.json")
print(sorted(os.listdir("d")), os.stat("d/e/moved.json").st_size)
os.symlink("data.json", "d/link")
print(os.readlink("d/link"), os.path.exists("d/missing"))
fd = os.open("d/raw.bin", os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
os.write(fd, bytes(range(256)))
os.lseek(fd, 10, os.SEEK_SET)
os.ftruncate(fd, 100)
os.fsync(fd)
os.close(fd)
os.chmod("d/raw.bin", 0o644)
os.unlink("d/raw.bin")
a, b = socket.socketpair()
a.sendall(b"ping\x00\xff")
print(b.recv(16))
a.close(); b.close()
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(1)
port = srv.getsockname()[1]
pid = os.fork()
if pid == 0:
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(struct.pack("!I", 7) + b"payload")
    print("child got", c.recv(8))
    c.close()
    os._exit(0)
conn, _ = srv.accept()
n = struct.unpack("!I", conn.recv(4))[0]
print("server got", conn.recv(n))
conn.sendall(b"ok")
conn.close()
print(os.waitpid(pid, 0)[1])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 0))
u.sendto(b"dgram", u.getsockname())
print(u.recvfrom(16)[0])
u.close()
shutil.rmtree("d")
"#;

const PY_HTTP_CURL: &str = r#"
import http.server, subprocess, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello from sysgate fidelity\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
    def version_string(self):
        return "fidelity"
    def date_time_string(self, timestamp=None):
        return "Thu, 01 Jan 1970 00:00:00 GMT"
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
port = srv.server_address[1]
p = subprocess.Popen(["curl", "-s", "--noproxy", "*", f"http://127.0.0.1:{port}/x"], stdout=subprocess.PIPE)
srv.handle_request()
out, _ = p.communicate()
srv.server_close()
sys.stdout.write(out.decode())
"#;

struct Workload {
    name: &'static str,
    tools: &'static [&'static str],
    /// Prepares the working directory (run before each of the two runs).
    setup: fn(&Path),
    /// The command line, given the python interpreter.
    argv: fn(&str) -> Vec<String>,
}

fn no_setup(_: &Path) {}

fn files_setup(d: &Path) {
    fs::create_dir_all(d.join("src/sub")).unwrap();
    for i in 0..5 {
        fs::write(
            d.join(format!("src/file{i}.txt")),
            format!("line {i}\n").repeat(50 * (i + 1)),
        )
        .unwrap();
    }
    fs::write(d.join("src/sub/deep.txt"), "deep\n").unwrap();
    let lines: Vec<String> = (0..500).map(|i| format!("{}", (i * 7919) % 1009)).collect();
    fs::write(d.join("numbers.txt"), lines.join("\n") + "\n").unwrap();
    // Fixed times, so that tar and the like see the same files in both runs.
    let when = std::time::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    for entry in [
        "src/sub/deep.txt",
        "numbers.txt",
        "src/file0.txt",
        "src/file1.txt",
        "src/file2.txt",
        "src/file3.txt",
        "src/file4.txt",
        "src/sub",
        "src",
    ] {
        let f = fs::File::options().read(true).open(d.join(entry)).unwrap();
        f.set_modified(when).unwrap();
    }
}

fn workloads() -> Vec<Workload> {
    vec![
        Workload {
            name: "ls-la",
            tools: &["ls"],
            setup: files_setup,
            argv: |_| v(&["ls", "-la", "src", "/etc/ssl"]),
        },
        Workload {
            name: "cat",
            tools: &["cat"],
            setup: files_setup,
            argv: |_| v(&["cat", "src/file1.txt", "/etc/os-release", "missing"]),
        },
        Workload {
            name: "cp-r",
            tools: &["cp"],
            setup: files_setup,
            argv: |_| v(&["cp", "-r", "src", "dst"]),
        },
        Workload {
            name: "stat",
            tools: &["stat"],
            setup: files_setup,
            argv: |_| v(&["stat", "/etc/passwd", "/etc", "/dev/null"]),
        },
        Workload {
            name: "date",
            tools: &["date"],
            setup: no_setup,
            argv: |_| v(&["date", "-u", "-d", "@1700000000", "+%F %T %Z"]),
        },
        Workload {
            name: "sort",
            tools: &["sort"],
            setup: files_setup,
            argv: |_| v(&["sort", "-n", "-u", "numbers.txt", "-o", "sorted.txt"]),
        },
        Workload {
            name: "coreutils-misc",
            tools: &[
                "mkdir",
                "ln",
                "touch",
                "chmod",
                "rm",
                "du",
                "sha256sum",
                "find",
            ],
            setup: files_setup,
            argv: |_| {
                sh("mkdir -p a/b/c && ln -s ../src a/link && touch -d @1000000000 a/b/t && chmod 600 a/b/t \
                     && du -s src && sha256sum src/file2.txt && find src -name '*.txt' -size -2k && rm -r a")
            },
        },
        Workload {
            name: "python-files-sockets",
            tools: &["python3"],
            setup: no_setup,
            argv: |py| v(&[py, "-c", PY_FILES_SOCKETS]),
        },
        Workload {
            name: "bash-pipeline",
            tools: &["bash", "grep", "wc", "sort", "head", "tr"],
            setup: files_setup,
            argv: |_| {
                v(&["bash", "-c", "cat numbers.txt | sort -n | uniq | tr 0-9 a-j | head -3; grep -c 1 numbers.txt > count.txt; \
                                        while read l; do echo \"<$l>\"; done < count.txt; echo $((6*7)) | wc -c; ls src | sort -r | head -2"])
            },
        },
        Workload {
            name: "git",
            tools: &["git"],
            setup: files_setup,
            argv: |_| {
                sh("git init -q repo && cd repo && cp ../src/file*.txt . && git add . && git commit -q -m first \
                     && echo change >> file1.txt && git status --short && git diff --stat && git log --format=%s")
            },
        },
        Workload {
            name: "tar-gzip",
            tools: &["tar", "gzip"],
            setup: files_setup,
            argv: |_| {
                sh("tar czf src.tgz src && mkdir out && tar xzf src.tgz -C out && tar tzf src.tgz | sort")
            },
        },
        Workload {
            name: "http-curl",
            tools: &["python3", "curl"],
            setup: no_setup,
            argv: |py| v(&[py, "-c", PY_HTTP_CURL]),
        },
    ]
}

fn environment(cmd: Cmd, home: &Path) -> Cmd {
    cmd.env("LC_ALL", "C")
        .env("TZ", "UTC")
        .env("HOME", home)
        .env("PYTHONHASHSEED", "0")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "A")
        .env("GIT_AUTHOR_EMAIL", "a@example.com")
        .env("GIT_COMMITTER_NAME", "A")
        .env("GIT_COMMITTER_EMAIL", "a@example.com")
        .env("GIT_AUTHOR_DATE", "1700000000 +0000")
        .env("GIT_COMMITTER_DATE", "1700000000 +0000")
        .timeout(Duration::from_secs(120))
}

#[test]
fn real_programs_match_strace_line_by_line() {
    if !require_tools(
        "real_programs_match_strace_line_by_line",
        &["strace", "python3"],
    ) {
        return;
    }
    let only: Option<Vec<String>> = std::env::var("FIDELITY_ONLY")
        .ok()
        .map(|v| v.split(',').map(str::to_string).collect());
    let t = TestDir::new("fidelity");
    let py = python();
    let work = t.join("work");
    let home = t.subdir("home");
    let mut report = Report::default();
    let mut ran = Vec::new();
    for w in workloads() {
        if only
            .as_ref()
            .is_some_and(|o| !o.iter().any(|n| n == w.name))
        {
            continue;
        }
        if !require_tools(w.name, w.tools) {
            continue;
        }
        let fresh = || {
            let _ = fs::remove_dir_all(&work);
            fs::create_dir_all(&work).unwrap();
            (w.setup)(&work);
        };
        let argv = (w.argv)(&py);
        let cmd = environment(Cmd::new(&argv[0]).args(&argv[1..]), &home).cwd(&work);
        fresh();
        let a = t.join(format!("{}.strace", w.name));
        let strace_cmd = Cmd::new("strace")
            .args(["-f", "-o"])
            .arg(&a)
            .arg("--")
            .args(&argv);
        let strace = t.run_plain(
            "strace",
            &environment(strace_cmd, &home).cwd(&work),
            Some(&a),
        );
        fresh();
        let b = t.join(format!("{}.sysgate", w.name));
        let bs = b.display().to_string();
        // strace does not see the vDSO's functions (clock_gettime, gettimeofday, time): sysgate
        // leaves them native too, so that both see the same calls.
        let sysgate = t.run_sysgate(&["trace", "--vdso=native", "-f", "-o", &bs], &cmd, Some(&b));
        assert_eq!(
            sysgate.status, strace.status,
            "[{}] exit status differs\n{sysgate}\n{strace}",
            w.name
        );
        assert_eq!(
            sysgate.stdout, strace.stdout,
            "[{}] stdout differs\n{sysgate}\n{strace}",
            w.name
        );
        compare(
            w.name,
            strace.trace_text(),
            sysgate.trace_text(),
            &mut report,
        );
        ran.push(w.name);
    }
    let _ = fs::remove_dir_all(&work);
    let text = format!(
        "fidelity of `sysgate trace -f -o` against `strace -f -o` over {}:\n{}",
        ran.join(", "),
        report.render(3)
    );
    eprintln!("{text}");
    if let Some(p) = std::env::var_os("FIDELITY_REPORT") {
        fs::write(p, &text).unwrap();
    }
    assert!(
        report.share() >= BAR,
        "below the bar of {:.0}%:\n{text}",
        100.0 * BAR
    );
    assert!(
        report.unpaired.is_empty(),
        "tasks could not be paired:\n{text}"
    );
    assert!(
        report.order_mismatches.len() <= MAX_ORDER_MISMATCHES,
        "syscall names not in the same order in more than {MAX_ORDER_MISMATCHES} tasks:\n{text}"
    );
}

fn v(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn sh(script: &str) -> Vec<String> {
    v(&["/bin/sh", "-c", script])
}

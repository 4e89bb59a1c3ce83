//! Real programs behave the same natively, under `sysgate run` and under
//! `sysgate trace -f -o FILE`: identical stdout, identical exit status, and a
//! trace file that starts with the execve and ends with the exit.
//! Also: exit statuses, death by signal and start-up errors pass through.

use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::PermissionsExt;

use sysgate_tests::run::{assert_one_sysgate_error_line, native_stdout, sh_quote};
use sysgate_tests::{require_tools, signal_name, Cmd, Event, Mode, TestDir};

/// The real interpreter behind `python3` (not a version-manager shim script).
fn python() -> String {
    native_stdout(&Cmd::new("python3").args(["-c", "import sys; print(sys.executable)"]))
        .trim()
        .to_string()
}

const PYTHON_THREADS_SUBPROCESS: &str = r#"
import concurrent.futures, hashlib, subprocess, sys, threading

def digest(i):
    return hashlib.sha256(str(i).encode() * 20000).hexdigest()[:16]

results = [None] * 8
def work(i):
    results[i] = digest(i)
threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print("threads:", results)

r = subprocess.run(["sh", "-c", "echo from-child; exit 3"], capture_output=True, text=True)
print("child:", r.stdout.strip(), r.returncode)

# subprocesses started from several threads at once
def spawn(i):
    out = subprocess.check_output([sys.executable, "-c", f"print({i} * {i})"])
    return out.decode().strip()
with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
    print("pool:", list(ex.map(spawn, range(8))))

lock = threading.Lock()
counter = 0
def bump():
    global counter
    for _ in range(20000):
        with lock:
            counter += 1
ts = [threading.Thread(target=bump) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print("counter:", counter)
"#;

#[test]
fn python_threads_and_subprocess() {
    if !require_tools("python_threads_and_subprocess", &["python3"]) {
        return;
    }
    let t = TestDir::new("python");
    let outs =
        t.assert_same_everywhere(&Cmd::new(python()).args(["-c", PYTHON_THREADS_SUBPROCESS]));
    let out = outs[0].stdout_str();
    assert!(
        out.contains("child: from-child 3") && out.contains("counter: 80000"),
        "the python program itself misbehaved natively\n{}",
        outs[0]
    );
}

#[test]
fn bash_pipeline() {
    if !require_tools("bash_pipeline", &["bash", "seq", "sort", "head"]) {
        return;
    }
    let t = TestDir::new("bash");
    let outs =
        t.assert_same_everywhere(&Cmd::new("bash").args(["-c", "seq 1 20000 | sort -r | head -3"]));
    assert_eq!(outs[0].stdout_str(), "9999\n9998\n9997\n");
}

#[test]
fn git_version_init_status_commit() {
    if !require_tools("git_version_init_status_commit", &["git"]) {
        return;
    }
    let t = TestDir::new("git");
    t.assert_same_everywhere(&Cmd::new("git").arg("--version"));

    let script = "git init -q . && echo hello > a.txt && mkdir sub && echo x > sub/b.txt && \
                  git status && git add -A && git status --porcelain && \
                  git -c user.name=t -c user.email=t@example.invalid commit -q -m first && \
                  git log --format=%s && git ls-files && git status --porcelain";
    let outs = t.assert_same_everywhere_with(|mode| {
        let dir = t.subdir(&format!("repo-{}", mode.slug()));
        Cmd::new("bash")
            .args(["-c", script])
            .cwd(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            // No detached background maintenance outliving the command.
            .env("GIT_CONFIG_COUNT", "2")
            .env("GIT_CONFIG_KEY_0", "gc.auto")
            .env("GIT_CONFIG_VALUE_0", "0")
            .env("GIT_CONFIG_KEY_1", "maintenance.auto")
            .env("GIT_CONFIG_VALUE_1", "false")
            .env("GIT_AUTHOR_DATE", "2020-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2020-01-01T00:00:00Z")
    });
    let out = outs[0].stdout_str();
    assert!(
        out.contains("first\na.txt\nsub/b.txt\n"),
        "git misbehaved natively\n{}",
        outs[0]
    );
}

#[test]
fn tar_create_piped_to_list() {
    if !require_tools("tar_create_piped_to_list", &["tar"]) {
        return;
    }
    let t = TestDir::new("tar");
    for i in 0..40 {
        t.write(
            format!("tree/d{}/f{i}.txt", i % 5),
            format!("file {i}\n").repeat(i * 50 + 1),
        );
    }
    t.write("tree/empty", "");
    let script = format!("tar c -C {} . | tar t", sh_quote(t.join("tree")));
    let outs = t.assert_same_everywhere(&Cmd::sh(&script));
    assert!(
        outs[0].stdout_str().contains("./d3/f38.txt"),
        "tar misbehaved natively\n{}",
        outs[0]
    );
}

#[test]
fn xz_threaded_round_trip() {
    if !require_tools("xz_threaded_round_trip", &["xz", "sha256sum", "cmp"]) {
        return;
    }
    let t = TestDir::new("xz");
    // ~3 MB of compressible but not trivial text.
    let mut data = String::new();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..120_000u32 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let _ = writeln!(
            data,
            "{i:06} {:016x} {}",
            x,
            ["alpha", "beta", "gamma", "delta"][(x % 4) as usize]
        );
    }
    let input = t.write("input.txt", &data);
    // Small blocks so that -T2 really compresses with two threads.
    let script = format!(
        "xz -T2 --block-size=256KiB -c {f} > {f}.$$.xz && xz -d -T2 -c {f}.$$.xz | cmp - {f} && \
         echo round-trip-ok && sha256sum < {f}.$$.xz && xz -l {f}.$$.xz | tail -1 | wc -w; rm -f {f}.$$.xz",
        f = sh_quote(&input)
    );
    let outs = t.assert_same_everywhere(&Cmd::sh(&script));
    assert!(
        outs[0].stdout_str().starts_with("round-trip-ok\n"),
        "xz misbehaved natively\n{}",
        outs[0]
    );
}

#[test]
fn find_count_headers() {
    if !require_tools("find_count_headers", &["find", "wc"]) {
        return;
    }
    let t = TestDir::new("find");
    let outs = t.assert_same_everywhere(&Cmd::sh("find /usr/include -name '*.h' | wc -l"));
    let count: u64 = outs[0]
        .stdout_str()
        .trim()
        .parse()
        .expect("wc -l prints a number");
    assert!(
        count > 100,
        "expected many headers under /usr/include, found {count}"
    );
}

#[test]
fn sort_large_input_with_temp_files() {
    if !require_tools("sort_large_input_with_temp_files", &["sort"]) {
        return;
    }
    let t = TestDir::new("sort");
    let mut input = String::new();
    let mut x: u32 = 12345;
    for _ in 0..200_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let _ = writeln!(input, "{:08x} {}", x, x % 977);
    }
    // A small buffer forces temporary files and merging; --parallel uses threads.
    let tmp = t.subdir("sort-tmp");
    let cmd = Cmd::new("sort")
        .args(["--parallel=4", "-S", "1M", "-T"])
        .arg(&tmp)
        .args(["-k2,2n", "-k1,1"])
        .stdin(input)
        .env("LC_ALL", "C");
    let outs = t.assert_same_everywhere(&cmd);
    assert_eq!(outs[0].stdout_str().lines().count(), 200_000);
}

#[test]
fn static_program_still_runs() {
    // Static programs are not traced yet, but must run and keep their output and status.
    if !require_tools("static_program_still_runs", &["busybox"]) {
        return;
    }
    let t = TestDir::new("static");
    for mode in Mode::ALL {
        let o = t.run(
            &Cmd::new("busybox").args(["sh", "-c", "echo static-ok; exit 5"]),
            mode,
        );
        assert_eq!(o.stdout_str(), "static-ok\n", "{}\n{o}", o.label);
        o.assert_exit_code(5);
    }
}

#[test]
fn exit_status_passes_through() {
    let t = TestDir::new("false");
    let outs = t.assert_same_everywhere(&Cmd::new("false"));
    outs[0].assert_exit_code(1);
    let outs = t.assert_same_everywhere(&Cmd::sh("exit 77"));
    outs[0].assert_exit_code(77);
}

#[test]
fn death_by_signal_passes_through() {
    let t = TestDir::new("segv");
    let cmd = Cmd::sh("kill -SEGV $$").cwd(t.path());
    for mode in Mode::ALL {
        let o = t.run(&cmd, mode);
        assert_eq!(
            o.signal(),
            Some(11),
            "{}: expected to die of SIGSEGV, got {}\n{o}",
            o.label,
            o.status_text()
        );
    }
}

#[test]
fn death_by_signal_ends_the_trace_like_strace() {
    let t = TestDir::new("segv-trace");
    let o = t.run(&Cmd::sh("kill -SEGV $$").cwd(t.path()), Mode::Trace);
    assert_eq!(o.signal(), Some(11), "{}\n{o}", o.label);
    let lines = o.trace_lines();
    let last = lines.last().unwrap_or_else(|| panic!("empty trace\n{o}"));
    assert!(
        matches!(&last.event, Event::Killed(s) if s.starts_with(&signal_name(11))),
        "{}: the trace should end with \"+++ killed by SIGSEGV +++\", not: {}\n{o}",
        o.label,
        last.text
    );
    o.assert_trace_shape();
}

#[test]
fn missing_program_is_127() {
    let t = TestDir::new("missing");
    let cmd = Cmd::new(t.join("no-such-program"));
    for (args, trace_file) in [
        (vec!["run"], None),
        (vec!["trace"], None),
        (
            vec!["trace", "-f", "-o", "TRACE"],
            Some(t.trace_file("missing")),
        ),
    ] {
        let args: Vec<String> = args
            .iter()
            .map(|a| match (&trace_file, *a) {
                (Some(p), "TRACE") => p.display().to_string(),
                _ => a.to_string(),
            })
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = t.run_sysgate(&args, &cmd, trace_file.as_deref());
        o.assert_exit_code(127);
        assert_one_sysgate_error_line(&o);
    }
    // A bare name is looked up on PATH.
    let o = t.run_sysgate(&["run"], &Cmd::new("sysgate-no-such-program-on-path"), None);
    o.assert_exit_code(127);
    assert_one_sysgate_error_line(&o);
}

#[test]
fn non_executable_file_is_126() {
    let t = TestDir::new("noexec");
    let file = t.write("not-executable", "#!/bin/sh\necho should not run\n");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).expect("chmod");
    for args in [&["run"][..], &["trace"][..]] {
        let o = t.run_sysgate(args, &Cmd::new(&file), None);
        o.assert_exit_code(126);
        assert_one_sysgate_error_line(&o);
        assert!(
            o.stdout.is_empty(),
            "{}: the file must not have run\n{o}",
            o.label
        );
    }
}

//! The virtual clock: `sysgate run --clock=TIME` moves every way a program reads the wall
//! clock — libc (the vDSO is left out, so these are syscalls), raw syscalls of static
//! programs, Go's runtime, the legacy vsyscall page — and the file times it sets.

use std::process::Command;
use sysgate_tests::{probe, require_tools, which, Cmd, TestDir};

const Y2001: i64 = 978_307_200;

fn seconds(o: &sysgate_tests::Outcome) -> Vec<i64> {
    o.stdout_str()
        .lines()
        .map(|l| {
            l.split_whitespace()
                .last()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{l:?}\n{o}"))
        })
        .collect()
}

fn assert_near_2001(o: &sysgate_tests::Outcome, what: &str) {
    o.assert_exit_code(0);
    let v = seconds(o);
    assert!(!v.is_empty(), "{what}: no output\n{o}");
    for s in v {
        assert!(
            (Y2001..Y2001 + 30).contains(&s),
            "{what}: {s} is not 2001-01-01\n{o}"
        );
    }
}

#[test]
fn date_python_static_busybox_and_vsyscall_see_2001() {
    let t = TestDir::new("clock-2001");
    let clock = ["run", "--clock=2001-01-01T00:00:00Z"];
    assert_near_2001(
        &t.run_sysgate(&clock, &Cmd::new("date").arg("+%s"), None),
        "date +%s",
    );
    if require_tools("clock python", &["python3"]) {
        let o = t.run_sysgate(
            &clock,
            &Cmd::new("python3").args(["-c", "import time;print(int(time.time()))"]),
            None,
        );
        assert_near_2001(&o, "python3 time.time()");
    }
    if let Some(bb) = which("busybox") {
        assert_near_2001(
            &t.run_sysgate(&clock, &Cmd::new(bb).args(["date", "+%s"]), None),
            "static busybox date",
        );
    }
    // vsyscall time()/gettimeofday(), raw time/gettimeofday/clock_gettime, libc time().
    let o = t.run_sysgate(&clock, &Cmd::new(probe("vsyscall_time")), None);
    assert_near_2001(&o, "vsyscall and raw syscalls");
    assert_eq!(o.stdout_str().lines().count(), 6);
    // --vdso=syscall: no vDSO at all, libc makes the syscalls.
    let o = t.run_sysgate(
        &["run", "--vdso=syscall", "--clock=2001-01-01"],
        &Cmd::new("date").arg("+%s"),
        None,
    );
    assert_near_2001(&o, "date +%s without a vDSO");
}

#[test]
fn go_programs_see_the_virtual_clock() {
    if !require_tools("go_programs_see_the_virtual_clock", &["go"]) {
        return;
    }
    let t = TestDir::new("clock-go");
    let exe = t.join("gotime");
    let st = Command::new("go")
        .args(["build", "-o"])
        .arg(&exe)
        .arg(sysgate_tests::probe::probes_dir().join("gotime.go"))
        .env("CGO_ENABLED", "0")
        .env("GOCACHE", t.join("gocache"))
        .env("GOPATH", t.join("gopath"))
        .env("GO111MODULE", "off")
        .status()
        .expect("go build");
    assert!(st.success());
    let o = t.run_sysgate(&["run", "--clock=@978307200"], &Cmd::new(&exe), None);
    o.assert_exit_code(0);
    let out = o.stdout_str();
    let mut lines = out.lines();
    let s: i64 = lines.next().unwrap().parse().unwrap();
    assert!((Y2001..Y2001 + 30).contains(&s), "{o}");
    assert_eq!(lines.next(), Some("true"), "{o}");
}

#[test]
fn file_times_set_to_now_are_virtual() {
    let t = TestDir::new("clock-touch");
    let f = t.join("touched");
    let o = t.run_sysgate(
        &["run", "--clock=2001-01-01T00:00:00Z"],
        &Cmd::sh(&format!(
            "touch {0}; touch {0}; stat -c %Y {0}",
            f.display()
        )),
        None,
    );
    assert_near_2001(&o, "touch twice (utimensat with NULL times)");
}

#[test]
fn rate_scales_sleeps_and_absolute_deadlines_convert() {
    let t = TestDir::new("clock-rate");
    let start = std::time::Instant::now();
    let o = t.run_sysgate(
        &["run", "--clock=2001-01-01T00:00:00Z", "--clock-rate=20"],
        &Cmd::sh("date +%s; sleep 4; date +%s"),
        None,
    );
    let real = start.elapsed();
    let v = seconds(&o);
    assert!(v[1] - v[0] >= 4, "4 virtual seconds passed\n{o}");
    assert!(
        real < std::time::Duration::from_secs(3),
        "at 20x a 4 s sleep takes 0.2 s, took {real:?}"
    );
    // An absolute CLOCK_REALTIME deadline one virtual second ahead.
    if require_tools("clock absolute deadline", &["python3"]) {
        let script = "import time\nt=time.clock_gettime(time.CLOCK_REALTIME)\ntime.clock_nanosleep = None\nimport ctypes,ctypes.util\nlibc=ctypes.CDLL(None)\nclass ts(ctypes.Structure):\n    _fields_=[('s',ctypes.c_long),('n',ctypes.c_long)]\nd=ts(int(t)+2,0)\nr=libc.clock_nanosleep(0,1,ctypes.byref(d),None)\nprint(r, int(time.time())-int(t))\n";
        let start = std::time::Instant::now();
        let o = t.run_sysgate(
            &["run", "--clock=2001-01-01T00:00:00Z"],
            &Cmd::new("python3").args(["-c", script]),
            None,
        );
        o.assert_exit_code(0);
        let out = o.stdout_str();
        assert!(out.starts_with("0 "), "{o}");
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "the deadline was converted to real time"
        );
    }
}

#[test]
fn bad_clock_arguments_are_refused() {
    let t = TestDir::new("clock-bad");
    for (args, msg) in [
        (
            vec!["run", "--clock=yesterday"],
            "invalid --clock time 'yesterday'",
        ),
        (
            vec!["run", "--clock=2001-01-01", "--clock-rate=0"],
            "invalid --clock-rate '0'",
        ),
    ] {
        let o = t.run_sysgate(&args, &Cmd::new("true"), None);
        o.assert_exit_code(1);
        assert!(o.stderr_str().contains(msg), "{}", o.stderr_str());
    }
}

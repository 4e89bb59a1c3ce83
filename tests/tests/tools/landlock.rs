//! `sysgate sandbox` path and port rules enforced by the kernel (Landlock) as well as
//! in-process: real programs under the example policies, and a hostile probe that tries every
//! way around an in-process check of a path or a port.

use std::path::{Path, PathBuf};
use sysgate_tests::{probe, probe_static, require_tools, Cmd, TestDir};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/policies")
}

/// A small C project: three sources, a header, a Makefile with a generated file.
fn write_project(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let files = [
        ("util.h", "int add(int, int);\nint mul(int, int);\n"),
        ("add.c", "#include \"util.h\"\nint add(int a, int b) { return a + b; }\n"),
        ("mul.c", "#include \"util.h\"\nint mul(int a, int b) { return a * b; }\n"),
        (
            "main.c",
            "#include <stdio.h>\n#include \"util.h\"\n#include \"gen.h\"\nint main(void) { printf(\"%d %d %s\\n\", add(2, 3), mul(4, 5), GEN); return 0; }\n",
        ),
        (
            "Makefile",
            "all: prog\n\t./prog > result.txt\n\
gen.h:\n\techo '#define GEN \"generated\"' > gen.h\n\
main.o: main.c gen.h util.h\n\
%.o: %.c util.h\n\t$(CC) -O1 -c -o $@ $<\n\
prog: main.o add.o mul.o\n\t$(CC) -o $@ $^\n\
clean:\n\trm -f *.o prog gen.h result.txt\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

/// The build sandbox runs `make -j2` with the same result as natively, and a write outside
/// the build tree (and /tmp) fails with the policy's EROFS.
#[test]
fn build_sandbox_runs_make_like_native() {
    if !require_tools("build_sandbox_runs_make_like_native", &["make", "gcc"]) {
        return;
    }
    let t = TestDir::new("landlock-make");
    let native = t.path().join("native");
    let boxed = t.path().join("boxed");
    write_project(&native);
    write_project(&boxed);
    let n = t.run_plain(
        "native make",
        &Cmd::new("make").args(["-j2", "-s"]).cwd(&native),
        None,
    );
    n.assert_exit_code(0);
    let policy = examples().join("build-sandbox.toml");
    let o = t.run_sysgate(
        &["sandbox", "--policy", policy.to_str().unwrap()],
        &Cmd::new("make").args(["-j2", "-s"]).cwd(&boxed),
        None,
    );
    o.assert_exit_code(0);
    let result = |d: &Path| std::fs::read_to_string(d.join("result.txt")).unwrap();
    assert_eq!(result(&boxed), result(&native), "{o}");
    assert_eq!(result(&boxed), "5 20 generated\n");
    assert_eq!(o.stdout_str(), n.stdout_str(), "{o}");

    // Outside the build tree and /tmp: /var/tmp (the test directory may be under /tmp).
    // A symbolic link in the build tree to there, made beforehand.
    let outside = PathBuf::from(format!(
        "/var/tmp/sysgate-build-sandbox-{}",
        std::process::id()
    ));
    std::os::unix::fs::symlink(&outside, boxed.join("link")).unwrap();
    let o = t.run_sysgate(
        &["sandbox", "--policy", policy.to_str().unwrap()],
        &Cmd::sh(&format!(
            "echo x > {}; echo $?; echo y > link; echo $?",
            outside.display()
        ))
        .cwd(&boxed),
        None,
    );
    let made = outside.exists();
    let _ = std::fs::remove_file(&outside);
    assert!(!made, "a write outside the build tree got through\n{o}");
    assert_eq!(o.stdout_str(), "2\n2\n", "both writes fail\n{o}");
    let err = o.stderr_str();
    assert!(
        err.contains("Read-only file system"),
        "the policy's errno\n{o}"
    );
    // Through the symbolic link the path the program names is inside the build tree: the
    // in-process check lets it pass, and the kernel refuses it.
    assert!(
        err.contains("link: Permission denied"),
        "the kernel's EACCES\n{o}"
    );
}

/// A port rule: the in-process layer answers the policy's errno, and with `--no-landlock` the
/// same policy still runs; an older kernel (as `SYSGATE_LANDLOCK_ABI` makes it look) that
/// cannot enforce port rules is refused unless `--best-effort`.
#[test]
fn port_rules_and_older_kernels() {
    if sysgate_launch_abi() < 4 {
        eprintln!(
            "skipping port_rules_and_older_kernels: this kernel's Landlock has no TCP rights"
        );
        return;
    }
    let t = TestDir::new("landlock-ports");
    let p = t.write(
        "p.toml",
        "[[rule]]\nsyscalls = [\"connect\"]\nports = [9]\naction = \"errno:ENETUNREACH\"\n",
    );
    let script = "import socket\ns = socket.socket()\ntry:\n    s.connect(('127.0.0.1', 9))\nexcept OSError as e:\n    print(e.errno)\n";
    if !require_tools("port_rules_and_older_kernels", &["python3"]) {
        return;
    }
    let run = |extra: &[&str], env: Option<&str>| {
        let mut args = vec!["sandbox", "--policy", p.to_str().unwrap()];
        args.extend_from_slice(extra);
        let mut cmd = Cmd::new("python3").args(["-c", script]);
        if let Some(v) = env {
            cmd = cmd.env("SYSGATE_LANDLOCK_ABI", v);
        }
        t.run_sysgate(&args, &cmd, None)
    };
    let o = run(&[], None);
    o.assert_exit_code(0);
    assert_eq!(o.stdout_str(), "101\n", "ENETUNREACH from the policy\n{o}");
    let o = run(&["--no-landlock"], None);
    assert_eq!(o.stdout_str(), "101\n", "{o}");
    // ABI 3 has no TCP rights.
    let o = run(&[], Some("3"));
    o.assert_exit_code(1);
    assert!(
        o.stderr_str()
            .contains("sysgate: sandbox: this kernel's Landlock (ABI 3) cannot enforce the policy's TCP port rules: refused"),
        "{o}"
    );
    let o = run(&["--best-effort"], Some("3"));
    o.assert_exit_code(0);
    assert_eq!(o.stdout_str(), "101\n", "{o}");
    assert!(
        o.stderr_str()
            .contains("the in-process check alone enforces those"),
        "{o}"
    );
}

/// The kernel's Landlock ABI (0: none), as `sysgate` asks it.
fn sysgate_launch_abi() -> i64 {
    // landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import ctypes; print(ctypes.CDLL(None, use_errno=True).syscall(444, None, 0, 1))",
        ])
        .output();
    out.ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(0)
}

/// The attack probe's summary: the attempts that escaped, and how many were made.
fn escapes(out: &str) -> (Vec<String>, usize) {
    let escaped = out
        .lines()
        .filter_map(|l| l.strip_prefix("attempt ")?.strip_suffix(": ESCAPED"))
        .map(str::to_string)
        .collect();
    let made = out
        .lines()
        .find_map(|l| {
            l.strip_prefix("escapes: ")?
                .split(" of ")
                .nth(1)?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no summary line:\n{out}"));
    (escaped, made)
}

/// A free TCP port on 127.0.0.1 (nobody listens on it or the next one once this returns).
fn free_port() -> u16 {
    loop {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        if port < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}

/// Every way around an in-process check of a path or a port, under a policy that denies writes
/// under one directory and TCP connect to one port: none gets through with the kernel's
/// ruleset. Natively every attempt gets through (so they are real), and with the in-process
/// check alone (`--no-landlock`) the races do.
#[test]
fn attacks_on_path_and_port_rules_all_fail() {
    let t = TestDir::new("landlock-attacks");
    let prog = probe("sandbox_path_attacks");
    let writer = probe_static("static_writer");
    let setup = |name: &str| {
        let root = t.path().join(name);
        let (denied, allowed) = (root.join("denied"), root.join("allowed"));
        std::fs::create_dir_all(&denied).unwrap();
        std::fs::create_dir_all(&allowed).unwrap();
        std::fs::write(denied.join("victim"), "original\n").unwrap();
        // A link the sandboxed program never made (the in-process check never sees it made).
        std::os::unix::fs::symlink(&denied, allowed.join("link")).unwrap();
        (denied, allowed)
    };
    let port = free_port();
    let cmd = |denied: &Path, allowed: &Path| {
        Cmd::new(&prog)
            .arg(denied)
            .arg(allowed)
            .arg(port.to_string())
            .arg(&writer)
    };

    let (d, a) = setup("native");
    let native = t.run_plain("native", &cmd(&d, &a), None);
    native.assert_exit_code(0);
    let (native_escapes, made) = escapes(&native.stdout_str());
    assert_eq!(
        native_escapes.len(),
        made,
        "natively every attempt works\n{native}"
    );
    assert!(made >= 18, "{native}");

    let (d, a) = setup("boxed");
    let policy = t.write(
        "policy.toml",
        format!(
            "default = \"allow\"\n\
             [[rule]]\nsyscalls = [\"%file\"]\npaths = [\"{}\"]\nwrite = true\naction = \"errno:EPERM\"\n\
             [[rule]]\nsyscalls = [\"connect\"]\nports = [{port}]\naction = \"errno:ECONNREFUSED\"\n",
            d.display()
        ),
    );
    let policy = policy.to_str().unwrap();
    let boxed = t.run_sysgate(&["sandbox", "--policy", policy], &cmd(&d, &a), None);
    boxed.assert_exit_code(0);
    let (boxed_escapes, boxed_made) = escapes(&boxed.stdout_str());

    let (d2, a2) = setup("in-process");
    let policy2 = std::fs::read_to_string(policy)
        .unwrap()
        .replace(d.to_str().unwrap(), d2.to_str().unwrap());
    let policy2 = t.write("policy2.toml", policy2);
    let inproc = t.run_sysgate(
        &[
            "sandbox",
            "--no-landlock",
            "--policy",
            policy2.to_str().unwrap(),
        ],
        &cmd(&d2, &a2),
        None,
    );
    inproc.assert_exit_code(0);
    let (inproc_escapes, _) = escapes(&inproc.stdout_str());
    eprintln!(
        "escapes: natively {} of {made}; in-process check alone {} of {made} ({}); with Landlock {} of {boxed_made}",
        native_escapes.len(),
        inproc_escapes.len(),
        inproc_escapes.join(", "),
        boxed_escapes.len()
    );
    assert_eq!(boxed_made, made, "{boxed}");
    assert!(
        boxed_escapes.is_empty(),
        "escaped: {boxed_escapes:?}\n{boxed}"
    );
    // The victim behind the hard link is untouched.
    assert_eq!(
        std::fs::read_to_string(d.join("victim")).unwrap(),
        "original\n"
    );
    // The link made beforehand gets past the lexical check: only the kernel stops it.
    assert!(inproc_escapes.iter().any(|e| e == "symlink"), "{inproc}");
}

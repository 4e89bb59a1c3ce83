//! `sysgate sandbox`: policies (TOML files and `--deny SET`) enforced in-process and, for
//! the rules that need no argument inspection, by a kernel seccomp filter that a hostile
//! program cannot get around — neither from JIT code, nor by jumping into sysgate's own
//! `syscall; ret`, nor by setting the Syscall User Dispatch selector to "allow".

use sysgate_tests::{probe, require_tools, Cmd, TestDir};

fn examples() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/policies")
}

#[test]
fn hostile_probe_cannot_create_a_socket_escape_count_zero() {
    let t = TestDir::new("sandbox-escape");
    // Natively the probe gets its sockets (so the attempts are real).
    let native = t.run_plain("native", &Cmd::new(probe("sandbox_escapes")), None);
    native.assert_exit_code(0);
    let n = native.stdout_str();
    assert!(
        n.contains("attempt raw-syscall: ESCAPED") && n.contains("attempt jit-page: ESCAPED"),
        "{native}"
    );
    let o = t.run_sysgate(
        &["sandbox", "--deny", "%network"],
        &Cmd::new(probe("sandbox_escapes")),
        None,
    );
    o.assert_exit_code(0);
    let out = o.stdout_str();
    assert!(out.contains("\nescapes: 0 of "), "{o}");
    assert!(!out.contains("ESCAPED"), "{o}");
    for way in [
        "libc-socket",
        "raw-syscall",
        "jit-page",
        "selector-allow",
        "sud-off",
        "int80-socket",
        "int80-socketcall",
        "selector-allow-int80",
        "io_uring",
        "selector-allow-io_uring",
    ] {
        assert!(
            out.contains(&format!("attempt {way}: denied\n")),
            "{way} was not attempted or not denied\n{o}"
        );
    }
    // Every `syscall; ret` in readable executable mappings, sysgate's own among them.
    let gadgets = out.lines().find(|l| l.starts_with("gadgets: ")).unwrap();
    let ours: u32 = gadgets
        .split('(')
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(ours >= 1, "sysgate's own syscall; ret was tried: {gadgets}");
    assert!(out
        .lines()
        .filter(|l| l.starts_with("attempt gadget-") && l.contains("sysgate"))
        .all(|l| l.ends_with(": denied")));
}

#[test]
fn deny_network_real_programs() {
    let t = TestDir::new("sandbox-python");
    if !require_tools("sandbox python", &["python3"]) {
        return;
    }
    let o = t.run_sysgate(
        &["sandbox", "--deny", "%network"],
        &Cmd::new("python3").args(["-c", "import socket\ntry:\n socket.socket()\nexcept OSError as e: print(e.errno)\nprint(open('/etc/hostname').read() != '')"]),
        None,
    );
    o.assert_exit_code(0);
    assert_eq!(
        o.stdout_str(),
        "1\nTrue\n",
        "EPERM, and files still work\n{o}"
    );
    assert!(
        o.stderr_str().contains("sysgate: sandbox: [pid "),
        "denials are reported\n{o}"
    );
}

#[test]
fn example_policies_work() {
    let t = TestDir::new("sandbox-examples");
    let ro = examples().join("readonly-fs.toml");
    // Outside /tmp (where the policy allows writes): /var/tmp, whatever the checkout's place
    // (the build directory itself may be under /tmp).
    let dir = std::path::PathBuf::from(format!(
        "/var/tmp/sysgate-sandbox-ro-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let ok = dir.join("ok.txt");
    let o = t.run_sysgate(
        &["sandbox", "--policy", ro.to_str().unwrap()],
        &Cmd::sh(&format!("echo x > /tmp/sysgate-ro-$$ && rm /tmp/sysgate-ro-$$ && echo tmp-ok; echo y > {}; mkdir {}/d; cat /etc/hostname >/dev/null && echo read-ok", ok.display(), dir.display())),
        None,
    );
    let out = o.stdout_str();
    assert!(out.contains("tmp-ok\n") && out.contains("read-ok\n"), "{o}");
    let refused = !ok.exists() && !dir.join("d").exists();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(refused, "writes outside /tmp were refused\n{o}");
    assert!(o.stderr_str().contains("Read-only file system"), "{o}");

    let nn = examples().join("no-network.toml");
    let o = t.run_sysgate(
        &["sandbox", "--policy", nn.to_str().unwrap()],
        &Cmd::new(probe("sandbox_escapes")),
        None,
    );
    assert!(o.stdout_str().contains("\nescapes: 0 of "), "{o}");

    let nx = examples().join("no-exec-no-debug.toml");
    let o = t.run_sysgate(
        &["sandbox", "--policy", nx.to_str().unwrap()],
        &Cmd::sh("/bin/true; echo $?"),
        None,
    );
    assert_eq!(o.stdout_str(), "126\n", "exec refused with EPERM\n{o}");
}

#[test]
fn kill_action_kills_from_the_kernel_filter_too() {
    let t = TestDir::new("sandbox-kill");
    let p = t.write(
        "p.toml",
        "[[rule]]\nsyscalls = [\"socket\"]\naction = \"kill\"\n",
    );
    let o = t.run_sysgate(
        &["sandbox", "--policy", p.to_str().unwrap()],
        &Cmd::new(probe("sandbox_escapes")),
        None,
    );
    o.assert_exit_code(0);
    // Every attempt's child died; none got a socket.
    assert!(o.stdout_str().contains("\nescapes: 0 of "), "{o}");
    assert!(
        o.stdout_str()
            .contains("attempt selector-allow: denied (killed)"),
        "the kernel filter killed it\n{o}"
    );
}

#[test]
fn policy_errors_name_line_and_column() {
    let t = TestDir::new("sandbox-errors");
    for (text, want) in [
        (
            "default = \"allow\"\n[[rule]]\nsyscalls = [\"openat\", \"opn\"]\naction = \"kill\"\n",
            ":3:23: ",
        ),
        (
            "[[rule]]\nsyscalls = [\"read\"]\naction = \"deny\"\n",
            ":3:10: unknown action 'deny'",
        ),
        (
            "[[rule]]\nsyscalls = [\"read\"]\naction = \"kill\"\nbogus = 1\n",
            ":4:1: ",
        ),
        ("[[rule]\n", ":1:"),
        (
            "[[rule]]\nsyscalls = [\"openat\"]\npaths = [\"tmp\"]\naction = \"log\"\n",
            ":3:10: path prefix 'tmp' must be absolute",
        ),
        (
            "[[rule]]\nsyscalls = [\"read\"]\naction = \"errno:ENOPE\"\n",
            ":3:10: unknown errno 'ENOPE'",
        ),
    ] {
        let p = t.write("bad.toml", text);
        let o = t.run_sysgate(
            &["sandbox", "--policy", p.to_str().unwrap()],
            &Cmd::new("true"),
            None,
        );
        o.assert_exit_code(1);
        let e = o.stderr_str();
        assert!(
            e.starts_with(&format!("sysgate: {}{want}", p.display())),
            "{text:?}: {e}"
        );
    }
    let o = t.run_sysgate(&["sandbox"], &Cmd::new("true"), None);
    o.assert_exit_code(1);
    let o = t.run_sysgate(&["sandbox", "--deny", "%nosuch"], &Cmd::new("true"), None);
    o.assert_exit_code(1);
    assert!(
        o.stderr_str().starts_with("sysgate: --deny %nosuch: "),
        "{}",
        o.stderr_str()
    );
}

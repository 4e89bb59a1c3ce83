//! The example tools built with `sysgate-sdk` (`examples/tools/*`, each a crate of its own),
//! run on real programs: python3, sh and coreutils, C probes with threads and fork children,
//! a static binary; and the launcher every tool gets (options, errors, exit status, signals,
//! set-user-ID programs).

use std::process::{Command, Output};
use sysgate_tests::sdk::example_tool;
use sysgate_tests::{as_nobody, probe, probe_static, running_as_root, which, TestDir};

fn run(tool: &str, args: &[&str], dir: &std::path::Path) -> Output {
    Command::new(example_tool(tool))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run the tool")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn redirect_sends_a_python_write_to_the_other_path() {
    if which("python3").is_none() {
        eprintln!("skipping: no python3");
        return;
    }
    let t = TestDir::new("sdk-redirect");
    let (from, to) = (t.path().join("x"), t.path().join("y"));
    let script = format!("open({:?},'w').write('hi')", from.to_str().unwrap());
    let o = run(
        "redirect",
        &[
            &format!("--from={}", from.display()),
            &format!("--to={}", to.display()),
            "--",
            "python3",
            "-c",
            &script,
        ],
        t.path(),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_to_string(&to).unwrap(), "hi");
    assert!(
        !from.exists(),
        "the write reached the path the program named"
    );
}

#[test]
fn redirect_follows_exec_and_leaves_the_registers_as_the_kernel_does() {
    let t = TestDir::new("sdk-redirect-exec");
    let (from, to) = (t.path().join("from"), t.path().join("to"));
    std::fs::write(&from, "from\n").unwrap();
    std::fs::write(&to, "to\n").unwrap();
    let (f, d) = (
        format!("--from={}", from.display()),
        format!("--to={}", to.display()),
    );
    // sh execs cat: the new image carries the tool too.
    let o = run(
        "redirect",
        &[&f, &d, "sh", "-c", &format!("cat {}", from.display())],
        t.path(),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "to\n");
    // A raw `syscall` whose path argument was swapped finds rdi, rsi, rdx as it left them,
    // dynamic and static alike.
    for p in [probe("sdk_arg_regs"), probe_static("sdk_arg_regs")] {
        let native = Command::new(&p).arg(&from).output().unwrap();
        assert_eq!(text(&native.stdout), "from\nregisters kept\n");
        let o = run(
            "redirect",
            &[&f, &d, "--", p.to_str().unwrap(), from.to_str().unwrap()],
            t.path(),
        );
        assert_eq!(
            text(&o.stdout),
            "to\nregisters kept\n",
            "{}: {}",
            p.display(),
            text(&o.stderr)
        );
        assert!(o.status.success());
    }
}

#[test]
fn bytes_written_sums_every_thread_and_child_of_the_run() {
    let t = TestDir::new("sdk-bytes");
    let p = probe("sdk_writes");
    let out = t.path().join("stdout");
    let o = Command::new(example_tool("bytes-written"))
        .args(["-o", t.path().join("counts").to_str().unwrap(), "--"])
        .arg(&p)
        .arg(t.path().join("seven"))
        .stdout(std::fs::File::create(&out).unwrap())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    // The program's own output is untouched: 3000 bytes on stdout, 300 on stderr.
    assert_eq!(std::fs::metadata(&out).unwrap().len(), 3000);
    assert_eq!(o.stderr.len(), 300, "{}", text(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(t.path().join("counts")).unwrap(),
        "bytes-written: fd 1: 3000 bytes in 2 calls\n\
         bytes-written: fd 2: 300 bytes in 1 call\n\
         bytes-written: fd 7: 50 bytes in 1 call\n"
    );
    // A pipeline of real programs: what `head` wrote is what `wc` counted.
    let o = run(
        "bytes-written",
        &["sh", "-c", "head -c 123456 /dev/zero | wc -c"],
        t.path(),
    );
    assert!(o.status.success());
    assert_eq!(text(&o.stdout).trim(), "123456");
    let e = text(&o.stderr);
    let fd1: u64 = e
        .lines()
        .find_map(|l| l.strip_prefix("bytes-written: fd 1: "))
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no fd 1 line: {e}"));
    assert_eq!(fd1, 123456 + 7, "{e}");
}

#[test]
fn deny_unlink_refuses_with_eperm_and_logs_each_refusal() {
    let t = TestDir::new("sdk-deny");
    let (f, d) = (t.path().join("keep"), t.path().join("keepdir"));
    std::fs::write(&f, "x").unwrap();
    std::fs::create_dir(&d).unwrap();
    let o = run(
        "deny-unlink",
        &["rm", "-rf", f.to_str().unwrap(), d.to_str().unwrap()],
        t.path(),
    );
    assert_eq!(o.status.code(), Some(1), "rm's own exit status");
    assert!(f.exists() && d.exists());
    let e = text(&o.stderr);
    let lines: Vec<&str> = e.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!("unlinkat(\"{}\") refused", f.display()))),
        "{e}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!("unlinkat(\"{}\") refused", d.display()))),
        "{e}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("Operation not permitted"))
            .count(),
        2,
        "{e}"
    );
    if which("python3").is_some() {
        let o = run(
            "deny-unlink",
            &[
                "--log=0",
                "python3",
                "-c",
                &format!(
                    "import os\ntry: os.unlink({:?})\nexcept PermissionError: print('EPERM')",
                    f.to_str().unwrap()
                ),
            ],
            t.path(),
        );
        assert_eq!(text(&o.stdout), "EPERM\n", "{}", text(&o.stderr));
        assert_eq!(text(&o.stderr), "", "--log=0 logs nothing");
    }
}

#[test]
fn the_launcher_parses_options_passes_status_and_signals_through_and_says_what_is_wrong() {
    let t = TestDir::new("sdk-launcher");
    let dir = t.path();
    let o = run("deny-unlink", &["--help"], dir);
    assert_eq!(o.status.code(), Some(0));
    let h = text(&o.stdout);
    assert!(
        h.starts_with("Usage: deny-unlink [OPTIONS] [--] PROGRAM [ARGS]\n"),
        "{h}"
    );
    assert!(h.contains("--log=0|1"), "{h}");
    for (args, code, msg) in [
        (&[][..], 1, "deny-unlink: must have PROGRAM [ARGS]\nTry 'deny-unlink --help' for more information.\n"),
        (&["--bogus", "true"][..], 1, "deny-unlink: unrecognized option '--bogus'\nTry 'deny-unlink --help' for more information.\n"),
        (&["no-such-program-here"][..], 127, "deny-unlink: no-such-program-here: command not found\n"),
        (&["./no-such-file"][..], 127, "deny-unlink: ./no-such-file: No such file or directory\n"),
        (&["--log=2", "true"][..], 127, "deny-unlink: --log takes 0 or 1\n"),
        (&["-o"][..], 1, "deny-unlink: option requires an argument -- 'o'\nTry 'deny-unlink --help' for more information.\n"),
    ] {
        let o = run("deny-unlink", args, dir);
        assert_eq!((o.status.code(), text(&o.stderr).as_str()), (Some(code), msg), "{args:?}");
    }
    let o = run("deny-unlink", &["sh", "-c", "exit 7"], dir);
    assert_eq!(o.status.code(), Some(7));
    use std::os::unix::process::ExitStatusExt;
    let o = run("deny-unlink", &["sh", "-c", "kill -TERM $$"], dir);
    assert_eq!(
        o.status.signal(),
        Some(15),
        "the program's own death by signal"
    );
    // The program's environment has nothing of the tool's, and /proc/self/exe names the
    // program (here `readlink`, exec'd by sh), not the tool.
    let o = run(
        "redirect",
        &[
            "--from=a",
            "--to=b",
            "sh",
            "-c",
            "env | grep -c SYSGATE; readlink /proc/self/exe",
        ],
        dir,
    );
    let readlink = which("readlink").unwrap().canonicalize().unwrap();
    assert_eq!(text(&o.stdout), format!("0\n{}\n", readlink.display()));
}

#[test]
fn a_set_user_id_program_is_refused_unless_asked_to_run_unprivileged() {
    if !running_as_root() || which("setpriv").is_none() || which("id").is_none() {
        eprintln!("skipping: needs root and setpriv");
        return;
    }
    let t = TestDir::new("sdk-suid");
    let dir = t.path();
    std::fs::copy(example_tool("deny-unlink"), dir.join("deny-unlink")).unwrap();
    std::fs::copy(which("id").unwrap(), dir.join("id-suid")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.join("id-suid"), std::fs::Permissions::from_mode(0o4755)).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let as_nobody = |argv: &[&str]| as_nobody(dir, argv);
    if text(&as_nobody(&["./id-suid", "-u"]).stdout) != "0\n" {
        eprintln!("skipping: the test directory's file system ignores set-user-ID (nosuid)");
        return;
    }
    let o = as_nobody(&["./deny-unlink", "./id-suid", "-u"]);
    assert_eq!(o.status.code(), Some(126));
    assert_eq!(text(&o.stdout), "");
    assert_eq!(
        text(&o.stderr),
        "deny-unlink: ./id-suid: is set-user-ID to another user: under the tool it would run without that privilege; refused (--unprivileged runs it without)\n"
    );
    let o = as_nobody(&["./deny-unlink", "--unprivileged", "./id-suid", "-u"]);
    assert_eq!(o.status.code(), Some(0));
    assert_ne!(text(&o.stdout), "0\n");
    assert!(text(&o.stderr).contains("it runs without that privilege (--unprivileged)"));
}

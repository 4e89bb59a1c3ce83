//! A set-user-ID program, started as a user who lacks its owner's privilege: natively the
//! kernel grants it at exec; under sysgate the loader maps the program itself, so it would run
//! without it. sysgate says so in one `sysgate:` line and refuses (exit 126, or EPERM for an
//! exec inside the program), or with `--unprivileged` runs it without the privilege.

use sysgate_tests::{as_nobody, running_as_root, sysgate_bin, which, TestDir};

#[test]
fn set_user_id_programs_are_refused_or_run_unprivileged_never_silently() {
    // Root is needed to make a root-owned set-user-ID file and to become nobody.
    if !running_as_root() || which("setpriv").is_none() || which("id").is_none() {
        eprintln!("skipping: needs root and setpriv");
        return;
    }
    let t = TestDir::new("privileged");
    let dir = t.path();
    std::fs::copy(sysgate_bin(), dir.join("sysgate")).unwrap();
    std::fs::copy(which("id").unwrap(), dir.join("id-suid")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.join("id-suid"), std::fs::Permissions::from_mode(0o4755)).unwrap();
    let out = |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).to_string();
    let err = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).to_string();

    let native = as_nobody(dir, &["./id-suid", "-u"]);
    if out(&native) != "0\n" {
        eprintln!("skipping: the test directory's file system ignores set-user-ID (nosuid)");
        return;
    }
    // Refused, with one line, exit 126.
    let o = as_nobody(dir, &["./sysgate", "run", "--", "./id-suid", "-u"]);
    assert_eq!(o.status.code(), Some(126), "{}", err(&o));
    assert_eq!(out(&o), "");
    let e = err(&o);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(
        e.starts_with("sysgate: ./id-suid is set-user-ID (uid 0): ") && e.contains("refused"),
        "{e}"
    );
    // --unprivileged: it runs, as nobody, and says so.
    let o = as_nobody(
        dir,
        &[
            "./sysgate",
            "run",
            "--unprivileged",
            "--",
            "./id-suid",
            "-u",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o), "65534\n");
    assert!(
        err(&o).contains("running it without that privilege"),
        "{}",
        err(&o)
    );
    // Exec'd inside the program: EPERM and one line; with --unprivileged, run without.
    let script = "./id-suid -u; echo status $?";
    let o = as_nobody(
        dir,
        &[
            "./sysgate",
            "trace",
            "-o",
            "/dev/null",
            "--",
            "sh",
            "-c",
            script,
        ],
    );
    assert_eq!(out(&o), "status 126\n", "{}", err(&o));
    let e = err(&o);
    assert_eq!(
        e.lines().filter(|l| l.starts_with("sysgate: ")).count(),
        1,
        "{e}"
    );
    assert!(
        e.contains("./id-suid: is set-user-ID to another user") && e.contains("EPERM"),
        "{e}"
    );
    let o = as_nobody(
        dir,
        &[
            "./sysgate",
            "trace",
            "--unprivileged",
            "-o",
            "/dev/null",
            "--",
            "sh",
            "-c",
            script,
        ],
    );
    assert_eq!(out(&o), "65534\nstatus 0\n", "{}", err(&o));
    assert!(err(&o).contains("--unprivileged"), "{}", err(&o));
}

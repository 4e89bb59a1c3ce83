//! What an installed sysgate is: one file that works wherever it is copied, `--version` with
//! its commit, a manual page with every flag, shell completions, and a Debian package that
//! installs them (into a scratch root here).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use sysgate_tests::{require_tools, sysgate_bin, TestDir};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn output(cmd: &mut Command) -> std::process::Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// `sysgate` alone in a directory (no `sysgate-loader` beside it, none in the environment)
/// traces a pipeline of real programs, children included.
#[test]
fn the_one_file_runs_anywhere() {
    let dir = TestDir::new("one_file");
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let copy = bin.join("sysgate");
    std::fs::copy(sysgate_bin(), &copy).unwrap();
    assert_eq!(std::fs::read_dir(&bin).unwrap().count(), 1);
    let native = output(Command::new("sh").args(["-c", "ls / | wc -l"]));
    let o = output(
        Command::new(&copy)
            .args(["trace", "-f", "--", "sh", "-c", "ls / | wc -l"])
            .env_remove("SYSGATE_LOADER"),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "exit {:?}\n{err}", o.status);
    assert_eq!(o.stdout, native.stdout, "the pipeline's output");
    for want in [
        "execve(\"/usr/bin/ls\"",
        "execve(\"/usr/bin/wc\"",
        "+++ exited with 0 +++",
    ] {
        assert!(err.contains(want), "no {want} in\n{err}");
    }
    // Every image's /proc/self/exe is the program, not the loader's memory file.
    let o = output(Command::new(&copy).args(["run", "--", "readlink", "/proc/self/exe"]));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "/usr/bin/readlink"
    );
    // The loader runs from a copy in the user's runtime directory, written by the first run
    // and only read by the next; without a usable one, from a memory file.
    let run = dir.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::set_permissions(&run, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let cached = |d: &Path| {
        std::fs::read_dir(d.join("sysgate"))
            .unwrap()
            .flatten()
            .map(|e| e.path().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
    };
    let first = loader_of(&copy, &[("XDG_RUNTIME_DIR", run.as_os_str())]);
    let files = cached(&run);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].contains("/sysgate/loader-"), "{files:?}");
    assert_eq!(first, files[0]);
    let written = std::fs::metadata(&files[0]).unwrap().modified().unwrap();
    assert_eq!(
        loader_of(&copy, &[("XDG_RUNTIME_DIR", run.as_os_str())]),
        files[0]
    );
    assert_eq!(
        std::fs::metadata(&files[0]).unwrap().modified().unwrap(),
        written
    );
    // A cached loader another user could have written is not used.
    std::fs::set_permissions(
        &files[0],
        std::os::unix::fs::PermissionsExt::from_mode(0o722),
    )
    .unwrap();
    let o = output(
        Command::new(&copy)
            .args(["run", "--", "/bin/true"])
            .env("XDG_RUNTIME_DIR", &run),
    );
    assert!(o.status.success());
    let mode = std::fs::metadata(&files[0]).unwrap().mode() & 0o777;
    assert_eq!(mode, 0o755, "the doubtful copy was replaced");
    let none = [
        ("XDG_RUNTIME_DIR", std::ffi::OsStr::new("/proc")),
        ("XDG_CACHE_HOME", std::ffi::OsStr::new("/proc")),
    ];
    assert_eq!(loader_of(&copy, &none), "/memfd:sysgate-loader (deleted)");
    // A loader of another build where an installed copy would be is not used.
    let libexec = dir.path().join("libexec/sysgate");
    std::fs::create_dir_all(&libexec).unwrap();
    std::fs::copy(
        sysgate_bin().with_file_name("sysgate-loader"),
        libexec.join("sysgate-loader"),
    )
    .unwrap();
    assert_eq!(loader_of(&copy, &none), "/memfd:sysgate-loader (deleted)");
}

/// What the kernel names as the executable of a program `sysgate` (at `bin`) runs, with
/// `env` added: the loader's file, seen from outside.
fn loader_of(bin: &Path, env: &[(&str, &std::ffi::OsStr)]) -> String {
    let mut child = Command::new(bin)
        .args(["run", "--", "sleep", "10"])
        .envs(env.iter().copied())
        .spawn()
        .unwrap();
    let exe = format!("/proc/{}/exe", child.id());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let seen = loop {
        let now = std::fs::read_link(&exe).unwrap_or_default();
        // Until the exec, the process is `sysgate` itself.
        if now != bin && !now.as_os_str().is_empty() {
            break now;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no exec of the loader"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    let _ = child.kill();
    let _ = child.wait();
    seen.to_string_lossy().into_owned()
}

/// A loader named by SYSGATE_LOADER is used instead, and a missing one is a clear error.
#[test]
fn sysgate_loader_names_a_loader_file() {
    let loader = sysgate_bin().with_file_name("sysgate-loader");
    let o = output(
        Command::new(sysgate_bin())
            .args(["trace", "-e", "trace=execve", "--", "/bin/true"])
            .env("SYSGATE_LOADER", &loader),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = output(
        Command::new(sysgate_bin())
            .args(["run", "--", "/bin/true"])
            .env("SYSGATE_LOADER", "/nonexistent/sysgate-loader"),
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("SYSGATE_LOADER=/nonexistent/sysgate-loader: no such file"),
        "{err}"
    );
}

#[test]
fn version_names_the_commit() {
    let o = output(Command::new(sysgate_bin()).arg("--version"));
    let v = String::from_utf8_lossy(&o.stdout);
    let want_version = format!("sysgate {} (commit ", env!("CARGO_PKG_VERSION"));
    assert!(v.starts_with(&want_version), "{v}");
    let head = output(Command::new("git").current_dir(repo_root()).args([
        "rev-parse",
        "--short=12",
        "HEAD",
    ]));
    if head.status.success() {
        let id = String::from_utf8_lossy(&head.stdout).trim().to_string();
        assert!(
            v.contains(&format!("(commit {id})")),
            "{v} is not HEAD {id}"
        );
    }
}

/// Every flag `sysgate trace --help` lists (and those of the other commands) is in the page
/// that `man -l` renders.
#[test]
fn the_manual_page_lists_every_flag() {
    if !require_tools("the_manual_page_lists_every_flag", &["man"]) {
        panic!("man is needed (scripts/install-deps installs man-db)");
    }
    let dir = TestDir::new("man");
    let page = dir.path().join("sysgate.1");
    let o = output(Command::new(sysgate_bin()).arg("man"));
    assert!(o.status.success());
    std::fs::write(&page, &o.stdout).unwrap();
    let shown = output(
        Command::new("man")
            .arg("-l")
            .arg(&page)
            .env("MANWIDTH", "200")
            .env_remove("MAN_KEEP_FORMATTING")
            .env("MANPAGER", "cat")
            .env("PAGER", "cat"),
    );
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    // Overstruck bold (`s\bs`) and U+2010 hyphens, if `man` keeps them, become plain text.
    let mut text = String::new();
    for c in String::from_utf8_lossy(&shown.stdout).chars() {
        match c {
            '\u{8}' => {
                text.pop();
            }
            '\u{2010}' => text.push('-'),
            c => text.push(c),
        }
    }
    for cmd in ["run", "trace", "count", "sandbox"] {
        assert!(
            text.contains(&format!("sysgate {cmd}")),
            "no sysgate {cmd} section"
        );
        let help = output(Command::new(sysgate_bin()).args([cmd, "--help"]));
        let help = String::from_utf8_lossy(&help.stdout);
        let flags: Vec<&str> = help
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .flat_map(|w| w.split(','))
            .filter(|w| w.starts_with('-') && w.len() > 1)
            .map(|w| w.trim_end_matches("..."))
            .collect();
        assert!(
            flags.len() >= 8 || cmd != "trace",
            "flags of trace: {flags:?}"
        );
        for f in flags {
            let listed = text.lines().any(|l| {
                l.trim_start()
                    .split([' ', ','])
                    .any(|w| w.trim_end_matches("...") == f)
            });
            assert!(listed, "`sysgate {cmd}` flag {f} is not in the manual page");
        }
    }
    assert!(text.contains("STRACE COMPATIBILITY"));
}

/// The bash completion script, sourced, completes commands and flags.
#[test]
fn bash_completes_commands_and_flags() {
    let script = r#"
        source <("$SYSGATE" completions bash) || exit 3
        complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
            _sysgate sysgate "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"; echo "${COMPREPLY[*]}"; }
        complete_words sysgate tr
        complete_words sysgate trace --pe
        complete_words sysgate co
    "#;
    let o = output(
        Command::new("bash")
            .args(["-c", script])
            .env("SYSGATE", sysgate_bin()),
    );
    let out = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(lines[0].trim(), "trace");
    assert_eq!(lines[1].trim(), "--perfetto");
    let mut co: Vec<&str> = lines[2].split_whitespace().collect();
    co.sort();
    assert_eq!(co, ["completions", "count"]);
    for shell in ["zsh", "fish"] {
        let o = output(Command::new(sysgate_bin()).args(["completions", shell]));
        assert!(o.status.success() && o.stdout.len() > 1000, "{shell}");
    }
}

/// `scripts/build-deb` makes a package that dpkg installs (into a scratch root with a dpkg
/// database of its own) and whose `/usr/bin/sysgate` traces a program.
#[test]
fn the_debian_package_installs_and_runs() {
    if !require_tools(
        "the_debian_package_installs_and_runs",
        &["dpkg", "dpkg-deb", "objcopy"],
    ) {
        panic!("dpkg and binutils are needed (scripts/install-deps)");
    }
    let dir = TestDir::new("deb");
    let out = dir.path().join("out");
    let built = output(
        Command::new(repo_root().join("scripts/build-deb"))
            .arg(&out)
            .env("SYSGATE_BIN", sysgate_bin()),
    );
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let deb = PathBuf::from(String::from_utf8_lossy(&built.stdout).trim().to_string());
    assert!(deb.is_file(), "{}", deb.display());
    let root = dir.path().join("root");
    let db = root.join("var/lib/dpkg");
    for d in ["info", "updates", "triggers"] {
        std::fs::create_dir_all(db.join(d)).unwrap();
    }
    for f in ["status", "available"] {
        std::fs::write(db.join(f), "").unwrap();
    }
    // The scratch root's database has no libc6: only that dependency is forced.
    let inst = output(
        Command::new("dpkg")
            .arg(format!("--root={}", root.display()))
            .args(["--force-depends", "--force-not-root", "-i"])
            .arg(&deb),
    );
    assert!(
        inst.status.success(),
        "{}",
        String::from_utf8_lossy(&inst.stderr)
    );
    for f in [
        "usr/bin/sysgate",
        "usr/libexec/sysgate/sysgate-loader",
        "usr/share/man/man1/sysgate.1.gz",
        "usr/share/bash-completion/completions/sysgate",
        "usr/share/zsh/vendor-completions/_sysgate",
        "usr/share/fish/vendor_completions.d/sysgate.fish",
    ] {
        assert!(root.join(f).is_file(), "{f} not installed");
    }
    // The installed loader is the one `sysgate` carries: it runs from there.
    let bin = root.join("usr/bin/sysgate");
    let want = root.join("usr/libexec/sysgate/sysgate-loader");
    let none = [("XDG_RUNTIME_DIR", std::ffi::OsStr::new("/proc"))];
    assert_eq!(loader_of(&bin, &none), want.to_string_lossy());
    let o = output(Command::new(root.join("usr/bin/sysgate")).args(["trace", "--", "/bin/true"]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.starts_with("execve(\"/bin/true\""), "{err}");
    assert!(err.ends_with("+++ exited with 0 +++\n"), "{err}");
    let listed = output(
        Command::new("dpkg-query")
            .arg(format!("--admindir={}", db.display()))
            .args(["-W", "-f", "${Package} ${Version} ${Status}\n", "sysgate"]),
    );
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains("install ok installed"), "{listed}");
}

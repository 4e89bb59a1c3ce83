//! Compiling the C probes in `tests/probes/` with the system gcc.
//!
//! Each build is cached in `target/<profile>/sysgate-probes/`, keyed by a hash
//! of the source text and the compiler flags, so a changed probe is rebuilt
//! and parallel tests share one build. A build goes to a temporary name and is
//! renamed into place, so concurrent tests never see half-written files.

use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{target_dir, which};

const COMMON_FLAGS: &[&str] = &["-O1", "-g", "-pthread", "-Wall", "-Wextra"];

/// Directory of the probe sources.
pub fn probes_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("probes")
}

/// `tests/probes/SRC` built for debuggers and unwinders (`-g -O0 -fno-omit-frame-pointer`,
/// then `extra`) into `dir/OUT`, uncached: the tests that use it read its paths and lines.
pub fn probe_debug(dir: &Path, src: &str, out: &str, extra: &[&str]) -> PathBuf {
    let exe = dir.join(out);
    let st = Command::new("gcc")
        .args(["-g", "-O0", "-fno-omit-frame-pointer"])
        .args(extra)
        .arg("-o")
        .arg(&exe)
        .arg(probes_dir().join(src))
        .status()
        .expect("gcc");
    assert!(st.success(), "gcc {src}");
    exe
}

/// Compile `tests/probes/NAME.c` into an executable and return its path.
pub fn probe(name: &str) -> PathBuf {
    compile(name, Kind::Executable)
}

/// Compile `tests/probes/NAME.c` into a static executable (no ld.so, no libc.so) and return
/// its path.
pub fn probe_static(name: &str) -> PathBuf {
    compile(name, Kind::Static)
}

/// Compile `tests/probes/NAME.c` into a shared library and return its path.
pub fn probe_lib(name: &str) -> PathBuf {
    compile(name, Kind::SharedLibrary)
}

#[derive(Clone, Copy, Hash)]
enum Kind {
    Executable,
    Static,
    SharedLibrary,
}

fn compile(name: &str, kind: Kind) -> PathBuf {
    let source = probes_dir().join(format!("{name}.c"));
    let text = fs::read(&source)
        .unwrap_or_else(|e| panic!("cannot read probe source {}: {e}", source.display()));
    let gcc = which("gcc").unwrap_or_else(|| {
        panic!("gcc not found on PATH: the probes are C programs; run scripts/install-deps")
    });

    let mut flags: Vec<&str> = COMMON_FLAGS.to_vec();
    match kind {
        Kind::Executable => {}
        Kind::Static => flags.push("-static"),
        Kind::SharedLibrary => flags.extend(["-shared", "-fPIC"]),
    }

    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    flags.hash(&mut h);
    kind.hash(&mut h);
    let key = h.finish();

    let cache = target_dir().join("sysgate-probes");
    fs::create_dir_all(&cache).unwrap_or_else(|e| panic!("cannot create {}: {e}", cache.display()));
    let file = match kind {
        Kind::Executable | Kind::Static => format!("{name}-{key:016x}"),
        Kind::SharedLibrary => format!("lib{name}-{key:016x}.so"),
    };
    let out = cache.join(file);
    if out.is_file() {
        return out;
    }

    static SEQ: AtomicU64 = AtomicU64::new(0);
    let tmp = cache.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let mut cmd = Command::new(gcc);
    cmd.args(&flags).arg("-o").arg(&tmp).arg(&source);
    if matches!(kind, Kind::Executable) {
        cmd.arg("-ldl");
    }
    let result = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run gcc for {}: {e}", source.display()));
    if !result.status.success() {
        let _ = fs::remove_file(&tmp);
        panic!(
            "compiling probe {} failed ({}):\n{}",
            source.display(),
            result.status,
            String::from_utf8_lossy(&result.stderr)
        );
    }
    fs::rename(&tmp, &out)
        .unwrap_or_else(|e| panic!("cannot move {} to {}: {e}", tmp.display(), out.display()));
    out
}

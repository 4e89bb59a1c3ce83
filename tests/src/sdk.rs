//! The tools built with `sysgate-sdk`: the example crates under `examples/tools/`, each built
//! by its own cargo (they are crates of their own, outside the workspace) into one shared
//! target directory, `target/sdk-tools`, so that the SDK's crates are compiled once for all.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The repository's root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lies in the repository")
        .to_path_buf()
}

/// Where SDK tools are built (shared by the examples and the tests' own crates).
pub fn sdk_target_dir() -> PathBuf {
    repo_root().join("target").join("sdk-tools")
}

/// Builds the crate at `manifest_dir` in release mode into [`sdk_target_dir`]; returns the
/// executable `bin`. Panics with cargo's output when the build fails.
pub fn build_tool_crate(manifest_dir: &Path, bin: &str) -> PathBuf {
    // One cargo at a time from this test binary (cargo would wait on its own lock anyway).
    static LOCK: Mutex<()> = Mutex::new(());
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "--release", "--quiet", "--manifest-path"])
        .arg(manifest_dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(sdk_target_dir())
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "building {} failed:\n{}",
        manifest_dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let exe = sdk_target_dir().join("release").join(bin);
    assert!(exe.is_file(), "{} was not built", exe.display());
    exe
}

/// The example tool `examples/tools/NAME`, built once per test binary.
pub fn example_tool(name: &str) -> PathBuf {
    static BUILT: Mutex<Vec<(String, PathBuf)>> = Mutex::new(Vec::new());
    if let Some((_, p)) = BUILT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .find(|(n, _)| n == name)
    {
        return p.clone();
    }
    let p = build_tool_crate(&repo_root().join("examples/tools").join(name), name);
    BUILT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((name.to_string(), p.clone()));
    p
}

//! Builds the loader that `sysgate` carries inside itself (`src/embedded.rs`), and records the
//! commit the command is built from (`sysgate --version`).
//!
//! The loader is a freestanding static PIE (`crates/loader`), linked with its own flags, so it
//! cannot be an ordinary dependency of this crate: it is built here by a second cargo, into a
//! target directory of its own beside this build's (`<target>/embedded-loader`), with the same
//! profile and without debug information (the copy `sysgate` carries is kept small; the
//! workspace's own `target/*/sysgate-loader` keeps it for profilers and debuggers, see
//! `SYSGATE_LOADER` in the README).
//!
//! `SYSGATE_EMBED_LOADER=PATH` embeds an already built loader instead (for packagers that build
//! it separately).
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let root = manifest.join("../..");
    let out = PathBuf::from(env("OUT_DIR"));
    println!("cargo:rerun-if-env-changed=SYSGATE_EMBED_LOADER");
    let image = out.join("sysgate-loader");
    match std::env::var_os("SYSGATE_EMBED_LOADER") {
        Some(p) => {
            println!("cargo:rerun-if-changed={}", Path::new(&p).display());
            std::fs::copy(&p, &image)
                .unwrap_or_else(|e| panic!("SYSGATE_EMBED_LOADER={}: {e}", p.to_string_lossy()));
        }
        None => build_loader(&root, &out, &image),
    }
    build_id(&image);
    commit(&root);
}

fn env(k: &str) -> String {
    std::env::var(k).unwrap_or_else(|_| panic!("cargo sets {k}"))
}

fn build_loader(root: &Path, out: &Path, image: &Path) {
    for dir in [
        "crates/loader",
        "crates/runtime",
        "crates/tools",
        "crates/abi",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    println!(
        "cargo:rerun-if-changed={}",
        root.join("Cargo.lock").display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        root.join("Cargo.toml").display()
    );
    // OUT_DIR is <target>/<profile dir>/build/<crate>-<hash>/out.
    let target = out
        .ancestors()
        .nth(4)
        .expect("OUT_DIR lies four levels below the target directory")
        .join("embedded-loader");
    let (profile, dir) = match env("PROFILE").as_str() {
        "release" => ("release", "release"),
        _ => ("dev", "debug"),
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args([
            "build",
            "--quiet",
            "-p",
            "sysgate-loader",
            "--bin",
            "sysgate-loader",
        ])
        .arg("--profile")
        .arg(profile)
        .arg("--target-dir")
        .arg(&target)
        .arg("--config")
        .arg(format!("profile.{profile}.debug=0"))
        .arg("--config")
        .arg(format!("profile.{profile}.strip=\"debuginfo\""));
    if std::env::var_os("CARGO_NET_OFFLINE").is_some() {
        cmd.arg("--offline");
    }
    // What the outer build set for this crate's own compilation is not the loader's business.
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if k == "CARGO_TARGET_DIR"
            || k == "RUSTC_WORKSPACE_WRAPPER"
            || k.starts_with("CARGO_PKG_")
            || k.starts_with("CARGO_CFG_")
            || k.starts_with("CARGO_FEATURE_")
            || k.starts_with("DEP_")
        {
            cmd.env_remove(k.as_ref());
        }
    }
    let status = cmd.status().expect("cannot run cargo to build the loader");
    assert!(
        status.success(),
        "building the embedded sysgate-loader failed"
    );
    let built = target.join(dir).join("sysgate-loader");
    std::fs::copy(&built, image).unwrap_or_else(|e| panic!("{}: {e}", built.display()));
}

/// `SYSGATE_LOADER_BUILD_ID`: the loader's GNU build ID in hex (empty if it has none), by which
/// `sysgate` knows an installed copy of it (`libexec/sysgate/sysgate-loader`).
fn build_id(image: &Path) {
    use object::Object;
    let bytes = std::fs::read(image).unwrap_or_else(|e| panic!("{}: {e}", image.display()));
    let file = object::File::parse(&*bytes).expect("the loader is an ELF file");
    let id = file.build_id().ok().flatten().unwrap_or_default();
    let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
    println!("cargo:rustc-env=SYSGATE_LOADER_BUILD_ID={hex}");
}

/// `SYSGATE_COMMIT`: the commit this is built from, or `unknown` outside a git checkout.
fn commit(root: &Path) {
    let git = |args: &[&str]| {
        Command::new("git")
            .current_dir(root)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let id = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    // A new commit moves HEAD's branch (a loose ref or the packed ones).
    if let (Some(dir), Some(common)) = (
        git(&["rev-parse", "--git-dir"]),
        git(&["rev-parse", "--git-common-dir"]),
    ) {
        println!(
            "cargo:rerun-if-changed={}",
            root.join(dir).join("HEAD").display()
        );
        let common = root.join(common);
        println!(
            "cargo:rerun-if-changed={}",
            common.join("packed-refs").display()
        );
        if let Some(r) = git(&["symbolic-ref", "-q", "HEAD"]) {
            println!("cargo:rerun-if-changed={}", common.join(r).display());
        }
    }
    println!("cargo:rustc-env=SYSGATE_COMMIT={id}");
}

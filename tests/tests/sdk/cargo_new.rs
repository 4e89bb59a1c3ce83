//! The README's "Writing a tool", done as a new user would: `cargo new` outside the
//! workspace, the README's `src/main.rs`, `Cargo.toml` lines and `build.rs`, `cargo build
//! --release`, then the README's command — python3 writing to one path under the redirect.

use std::path::Path;
use std::process::Command;
use sysgate_tests::sdk::{build_tool_crate, repo_root};
use sysgate_tests::{which, TestDir};

/// The fenced blocks of `lang` in the README section `heading`, in order.
fn blocks(readme: &str, heading: &str, lang: &str) -> Vec<String> {
    let start = readme.find(heading).expect("the README has the section");
    let section = &readme[start + heading.len()..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let mut out = Vec::new();
    let mut rest = section;
    let fence = format!("```{lang}\n");
    while let Some(i) = rest.find(&fence) {
        let body = &rest[i + fence.len()..];
        let end = body.find("```").expect("a closed block");
        out.push(body[..end].to_string());
        rest = &body[end..][3..];
    }
    out
}

#[test]
fn the_readme_tool_builds_in_a_new_crate_and_redirects_a_python_write() {
    if which("python3").is_none() {
        eprintln!("skipping: no python3");
        return;
    }
    let root = repo_root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let rust = blocks(&readme, "## Writing a tool", "rust");
    let toml = blocks(&readme, "## Writing a tool", "toml");
    assert_eq!(
        (rust.len(), toml.len()),
        (2, 1),
        "main.rs, build.rs and the Cargo.toml lines"
    );

    let t = TestDir::new("sdk-cargo-new");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let o = Command::new(&cargo)
        // Not `redirect`, the example's name: both build into the same target directory.
        .args(["new", "--quiet", "--vcs", "none", "readme-redirect"])
        .current_dir(t.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let krate = t.path().join("readme-redirect");
    let write = |p: &Path, s: &str| std::fs::write(krate.join(p), s).unwrap();
    write(Path::new("src/main.rs"), &rust[0]);
    write(Path::new("build.rs"), &rust[1]);
    let mut manifest = std::fs::read_to_string(krate.join("Cargo.toml")).unwrap();
    // `cargo new` ends with an empty [dependencies] table; the README's lines bring their own.
    manifest = manifest.replace("[dependencies]\n", "");
    manifest.push('\n');
    manifest.push_str(&toml[0].replace("/path/to/sysgate", root.to_str().unwrap()));
    write(Path::new("Cargo.toml"), &manifest);
    // The versions the workspace was built and tested with (the new crate resolves its own
    // otherwise, which needs the registry's index).
    std::fs::copy(root.join("Cargo.lock"), krate.join("Cargo.lock")).unwrap();

    let _ =
        std::fs::remove_file(sysgate_tests::sdk::sdk_target_dir().join("release/readme-redirect"));
    let exe = build_tool_crate(&krate, "readme-redirect");
    let (x, y) = (t.path().join("x"), t.path().join("y"));
    let o = Command::new(&exe)
        .arg(format!("--from={}", x.display()))
        .arg(format!("--to={}", y.display()))
        .args(["--", "python3", "-c"])
        .arg(format!("open({:?},'w').write('hi')", x.to_str().unwrap()))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read_to_string(&y).unwrap(), "hi");
    assert!(!x.exists());
}

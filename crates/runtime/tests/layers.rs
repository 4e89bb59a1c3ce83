//! The runtime's layering, checked: every `crate::` path in `src/` points at the same layer or a
//! lower one. The layers, lowest first (lib.rs states the same order and why):
//!
//! 0. `raw`, `regs`, `config`, `bpf`: the runtime's own syscalls, the register frame, the
//!    configuration, BPF encoding;
//! 1. `memory/`: guest-memory access;
//! 2. `output/`: where tool output goes;
//! 3. `process/`: threads, clone, exec, descriptors, signals;
//! 4. `api`, `filter`: the tool interface, the kernel filters;
//! 5. `ways_in/`: the entry and every way to it;
//! 6. `rewrite/`: rewriting sites to call the entry;
//! 7. `lib.rs`: arming, which puts the layers together.
//!
//! Comments are not read: a doc line may name any part of the runtime.

use std::fs;
use std::path::{Path, PathBuf};

fn rank(module: &str) -> Option<u32> {
    Some(match module {
        "raw" | "regs" | "config" | "bpf" => 0,
        "memory" => 1,
        "output" => 2,
        "process" => 3,
        "api" | "filter" => 4,
        "ways_in" => 5,
        "rewrite" => 6,
        "lib" => 7,
        _ => return None,
    })
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The layer a source file belongs to: its folder under `src/`, or its own name at the top.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_str()
        .unwrap();
    first.trim_end_matches(".rs").to_string()
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top-level modules named by the `crate::` paths of one line of code.
fn targets(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let preceded = rest[..at]
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        rest = &rest[at + "crate::".len()..];
        if preceded {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::c, d::{e, f}}`: the first name of each item at the outer level.
            let (mut depth, mut start) = (0, true);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && (c.is_ascii_alphabetic() || c == '_') => {
                        found.push(ident(&group[i..]).to_string());
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.push(ident(rest).to_string());
        }
    }
    found
}

/// A file's code with comments removed (line comments and block comments; string literals in
/// the runtime never hold `//` next to a path, so no string parsing is needed).
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let mut lines = Vec::new();
    let mut in_block = false;
    for (n, line) in text.lines().enumerate() {
        let mut code = String::new();
        let mut rest = line;
        loop {
            if in_block {
                match rest.find("*/") {
                    Some(e) => {
                        rest = &rest[e + 2..];
                        in_block = false;
                    }
                    None => break,
                }
            } else {
                let line_c = rest.find("//");
                let block_c = rest.find("/*");
                match (line_c, block_c) {
                    (Some(l), b) if b.is_none_or(|b| l < b) => {
                        code.push_str(&rest[..l]);
                        break;
                    }
                    (_, Some(b)) => {
                        code.push_str(&rest[..b]);
                        rest = &rest[b + 2..];
                        in_block = true;
                    }
                    _ => {
                        code.push_str(rest);
                        break;
                    }
                }
            }
        }
        lines.push((n + 1, code));
    }
    lines
}

#[test]
fn no_arrow_points_up() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut upward = Vec::new();
    let mut unknown = Vec::new();
    for file in &files {
        let from = module_of(&src, file);
        let Some(from_rank) = rank(&from) else {
            unknown.push(file.display().to_string());
            continue;
        };
        let text = fs::read_to_string(file).unwrap();
        for (n, code) in code_lines(&text) {
            // `super::` reaches the file's own folder; two steps up would go around the check.
            if code.contains("super::super") {
                unknown.push(format!(
                    "{}:{n}: super::super (name the layer through crate::)",
                    file.display()
                ));
            }
            for to in targets(&code) {
                match rank(&to) {
                    Some(r) if r > from_rank => upward.push(format!(
                        "{}:{n}: {from} (layer {from_rank}) uses {to} (layer {r}): {}",
                        file.strip_prefix(&src).unwrap().display(),
                        code.trim()
                    )),
                    Some(_) => {}
                    None => unknown.push(format!("{}:{n}: crate::{to}", file.display())),
                }
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "files or paths outside every layer (add them to `rank`):\n{}",
        unknown.join("\n")
    );
    assert!(
        upward.is_empty(),
        "arrows from a lower layer to a higher one:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_check_sees_paths() {
    // The parser itself: a check that found nothing because it read nothing would pass too.
    assert_eq!(
        targets("use crate::{ways_in::entry, memory::guest, raw::{self, sys}};"),
        ["ways_in", "memory", "raw"]
    );
    assert_eq!(
        targets("let x = crate::process::thread::current();"),
        ["process"]
    );
    assert_eq!(targets("use sysgate_crate::x;"), Vec::<String>::new());
    let lines = code_lines("a /* crate::x */ b // crate::y\n/* c\n crate::z */ crate::w");
    let all: Vec<String> = lines.iter().flat_map(|(_, c)| targets(c)).collect();
    assert_eq!(all, ["w"]);
}
